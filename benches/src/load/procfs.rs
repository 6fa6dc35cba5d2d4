//! A process's CPU time and resident memory, from `/proc/<pid>`.

use std::time::Duration;

use anyhow::{Context, Result, bail};

/// Clock ticks per second of `/proc/<pid>/stat` (`USER_HZ`, 100 on Linux).
const TICKS_PER_SECOND: u64 = 100;

/// User + system CPU time used by `pid` so far.
pub fn cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    parse_cpu_ticks(&stat).map(|ticks| Duration::from_millis(ticks * 1000 / TICKS_PER_SECOND))
}

/// CPU time of the children `pid` has waited for (`cutime` + `cstime`): a command's
/// own CPU time is the difference around running it.
pub fn children_cpu_time(pid: u32) -> Result<Duration> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .with_context(|| format!("reading /proc/{pid}/stat"))?;
    let fields = fields_after_name(&stat)?;
    // cutime is field 16, cstime field 17.
    let cutime: u64 = fields.get(13).context("no cutime")?.parse()?;
    let cstime: u64 = fields.get(14).context("no cstime")?.parse()?;
    Ok(Duration::from_millis(
        (cutime + cstime) * 1000 / TICKS_PER_SECOND,
    ))
}

fn fields_after_name(stat: &str) -> Result<Vec<&str>> {
    let Some(end) = stat.rfind(')') else {
        bail!("no command name in /proc stat");
    };
    Ok(stat[end + 1..].split_whitespace().collect())
}

fn parse_cpu_ticks(stat: &str) -> Result<u64> {
    // The command name (field 2) may contain spaces: fields are counted after its ')'.
    let Some(end) = stat.rfind(')') else {
        bail!("no command name in /proc stat");
    };
    let fields: Vec<&str> = stat[end + 1..].split_whitespace().collect();
    // After ')': state is field 3, utime field 14, stime field 15.
    let utime: u64 = fields.get(11).context("no utime")?.parse()?;
    let stime: u64 = fields.get(12).context("no stime")?.parse()?;
    Ok(utime + stime)
}

/// Resident set size of `pid` in bytes (`VmRSS`).
pub fn rss_bytes(pid: u32) -> Result<u64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status"))
        .with_context(|| format!("reading /proc/{pid}/status"))?;
    let line = status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .context("no VmRSS")?;
    let kib: u64 = line
        .split_whitespace()
        .nth(1)
        .context("no VmRSS value")?
        .parse()?;
    Ok(kib * 1024)
}

/// `bytes` in MiB with one decimal.
pub fn mib(bytes: u64) -> String {
    format!("{:.1} MiB", bytes as f64 / (1024.0 * 1024.0))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_ticks_are_utime_plus_stime_even_with_spaces_in_the_name() {
        let stat = "1234 (a b) S 1 2 3 4 5 6 7 8 9 10 250 50 0 0 20 0 1 0";
        assert_eq!(parse_cpu_ticks(stat).ok(), Some(300));
    }

    #[test]
    fn reads_its_own_process() {
        let me = std::process::id();
        assert!(rss_bytes(me).is_ok_and(|b| b > 0));
        assert!(cpu_time(me).is_ok());
    }
}
