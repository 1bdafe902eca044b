//! `power.csv`: one row per sample, `point,t_ms,power_w,temperature_c,cpu_freq_mhz`, with an
//! empty cell where a value was not read (temperature and frequency are read every few samples).

use std::io::{self, Write};

use crate::collect::sampler::Sample;

/// Write `(point index, sample)` rows with `t_ms` counted from `t0_ns` (the run's start).
pub fn write_power_csv(
    samples: &[(usize, Sample)],
    t0_ns: u64,
    mut out: impl Write,
) -> io::Result<()> {
    writeln!(out, "point,t_ms,power_w,temperature_c,cpu_freq_mhz")?;
    let cell =
        |v: Option<f64>, decimals: usize| v.map(|x| format!("{x:.decimals$}")).unwrap_or_default();
    for (point, s) in samples {
        let t_ms = (s.t_ns as f64 - t0_ns as f64) * 1e-6;
        writeln!(
            out,
            "{point},{t_ms:.3},{},{},{}",
            cell(s.power_w, 4),
            cell(s.temp_c, 2),
            cell(s.cpu_freq_mhz, 0)
        )?;
    }
    out.flush()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_cells_for_missing_values() {
        let samples = [
            Sample {
                t_ns: 1_000_000,
                power_w: Some(2.1),
                temp_c: Some(45.25),
                cpu_freq_mhz: Some(1500.0),
                ..Default::default()
            },
            Sample {
                t_ns: 11_500_000,
                power_w: Some(3.0),
                ..Default::default()
            },
            Sample {
                t_ns: 21_000_000,
                ..Default::default()
            },
        ];
        let mut buf = Vec::new();
        let rows: Vec<(usize, Sample)> = samples.iter().cloned().map(|s| (3, s)).collect();
        write_power_csv(&rows, 1_000_000, &mut buf).unwrap();
        let text = String::from_utf8(buf).unwrap();
        assert_eq!(
            text,
            "point,t_ms,power_w,temperature_c,cpu_freq_mhz\n3,0.000,2.1000,45.25,1500\n3,10.500,3.0000,,\n3,20.000,,,\n"
        );
    }
}
