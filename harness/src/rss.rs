//! Reading a process's memory from /proc: VmRSS (now) and VmHWM (peak), in KiB.

use std::path::Path;

/// The value of a `Key:   123 kB` line of a /proc status file, in KiB.
pub fn read_status_kib(path: &Path, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    parse_status_kib(&text, key)
}

pub fn parse_status_kib(text: &str, key: &str) -> Option<u64> {
    text.lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// Current and peak RSS of a process, bytes.
pub fn rss_of(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    Some((
        parse_status_kib(&text, "VmRSS:")? * 1024,
        parse_status_kib(&text, "VmHWM:")? * 1024,
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_status_lines() {
        let t = "Name:\tx\nVmHWM:\t  2048 kB\nVmRSS:\t  1024 kB\n";
        assert_eq!(parse_status_kib(t, "VmHWM:"), Some(2048));
        assert_eq!(parse_status_kib(t, "VmRSS:"), Some(1024));
        assert_eq!(parse_status_kib(t, "VmSwap:"), None);
    }

    #[test]
    fn reads_own_process() {
        let (rss, hwm) = rss_of(std::process::id()).unwrap();
        assert!(rss > 0 && hwm >= rss);
    }
}
