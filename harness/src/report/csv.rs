//! `tokens.csv`: one row per timed call (the prefill and every decode step) of every measured
//! run, for plotting latency distributions in any tool.

use anyhow::Result;
use std::io::Write;

use crate::results::Report;

pub fn write_tokens(out: &mut impl Write, report: &Report) -> Result<()> {
    let mut w = csv::Writer::from_writer(out);
    w.write_record([
        "point",
        "backend",
        "model",
        "quant",
        "threads",
        "prompt_tokens",
        "run",
        "phase",
        "step",
        "token",
        "latency_ns",
    ])?;
    for p in &report.points {
        let l = &p.label;
        let fixed = [
            l.index.to_string(),
            l.backend.clone(),
            l.model.clone(),
            l.quant.clone(),
            l.threads.to_string(),
            l.prompt_tokens.to_string(),
        ];
        for r in &p.runs {
            let row = |phase: &str, step: String, token: Option<u32>, ns: u64| {
                let mut v = fixed.to_vec();
                v.extend([
                    r.run.to_string(),
                    phase.into(),
                    step,
                    token.map_or_else(String::new, |t| t.to_string()),
                    ns.to_string(),
                ]);
                v
            };
            w.write_record(row(
                "prefill",
                String::new(),
                r.tokens.first().copied(),
                r.ttft_ns,
            ))?;
            for (i, &ns) in r.decode_latency_ns.iter().enumerate() {
                w.write_record(row(
                    "decode",
                    i.to_string(),
                    r.tokens.get(i + 1).copied(),
                    ns,
                ))?;
            }
        }
    }
    w.flush()?;
    Ok(())
}
