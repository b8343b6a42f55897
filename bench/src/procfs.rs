//! CPU time and memory of the system under test, from /proc.

use anyhow::{anyhow, Context, Result};

/// Clock ticks per second of /proc/<pid>/stat times (`getconf CLK_TCK`; 100
/// on Linux unless the kernel was built otherwise).
pub fn clock_ticks() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|s| s.trim().parse().ok())
        .unwrap_or(100.0)
}

/// utime + stime of a process (all its threads), in seconds.
pub fn cpu_seconds(pid: u32, ticks: f64) -> Result<f64> {
    let stat =
        std::fs::read_to_string(format!("/proc/{pid}/stat")).with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).map(|t| t as f64 / ticks).ok_or_else(|| anyhow!("unexpected /proc/{pid}/stat: {stat}"))
}

/// utime + stime in ticks from the text of /proc/<pid>/stat. The command name
/// (in parentheses) may hold spaces, so fields are counted after the last `)`:
/// there the state is field 3 and utime, stime are fields 14 and 15.
pub fn parse_cpu_ticks(stat: &str) -> Option<u64> {
    let after = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = after.split_whitespace().collect();
    Some(fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?)
}

/// utime + stime, in seconds, of every process whose command line contains
/// `needle`: the PostgreSQL backends serving one database show its name in their
/// process title (`postgres: postgres tocsin_bench_1_0 127.0.0.1(…) idle`).
pub fn cpu_seconds_matching(needle: &str, ticks: f64) -> f64 {
    let Ok(entries) = std::fs::read_dir("/proc") else { return 0.0 };
    entries
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .filter(|pid| {
            std::fs::read(format!("/proc/{pid}/cmdline"))
                .is_ok_and(|cmdline| String::from_utf8_lossy(&cmdline).contains(needle))
        })
        .filter_map(|pid| cpu_seconds(pid, ticks).ok())
        .sum()
}

/// A field of /proc/<pid>/status in MB (`VmRSS`, `VmHWM`).
pub fn status_mb(pid: u32, field: &str) -> Result<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    status
        .lines()
        .find_map(|line| {
            line.strip_prefix(field)?.strip_prefix(':')?.trim().strip_suffix("kB")?.trim().parse::<f64>().ok()
        })
        .map(|kb| kb / 1024.0)
        .ok_or_else(|| anyhow!("no {field} in /proc/{pid}/status"))
}

/// Resets the peak RSS (VmHWM) to the current RSS, so that a peak measured
/// afterwards belongs to the load and not to the setup. False when the kernel
/// refused.
pub fn reset_peak_rss(pid: u32) -> bool {
    std::fs::write(format!("/proc/{pid}/clear_refs"), "5").is_ok()
}

/// The 1, 5 and 15 minute load averages, as /proc/loadavg has them.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_counted_after_the_command_name() {
        let stat = "4242 (tokio worker) S 1 4242 4242 0 -1 4194560 1000 0 0 0 150 25 0 0 20 0 9 0 100 1000000 500";
        assert_eq!(parse_cpu_ticks(stat), Some(175));
    }

    #[test]
    fn this_process_has_memory_and_cpu() {
        let pid = std::process::id();
        assert!(status_mb(pid, "VmRSS").unwrap() > 0.0);
        assert!(cpu_seconds(pid, 100.0).unwrap() >= 0.0);
    }
}
