//! Reading a node the way an operator would, independent of the executor under test:
//! `gluster volume heal VOL info`, the LVM PVs and LVs, checksums of files in a brick.

use std::time::{Duration, Instant};

use crate::fuse::{Checksums, DATA_DIR, parse_sha256sum};
use crate::{HarnessError, NodeShell};

/// One brick of `gluster volume heal VOL info` (plain text output).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BrickHealState {
    /// `host:path`.
    pub brick: String,
    /// `Connected`, `Transport endpoint is not connected`, …
    pub status: String,
    /// `Number of entries`; `None` when gluster printed `-` (brick not asked).
    pub entries: Option<u64>,
}

/// Parses `gluster volume heal VOL info`.
pub fn parse_heal_info(out: &str) -> Result<Vec<BrickHealState>, HarnessError> {
    let mut bricks: Vec<BrickHealState> = Vec::new();
    for line in out.lines() {
        let line = line.trim();
        if let Some(b) = line.strip_prefix("Brick ") {
            bricks.push(BrickHealState {
                brick: b.trim().to_string(),
                status: String::new(),
                entries: None,
            });
        } else if let Some(s) = line.strip_prefix("Status:") {
            if let Some(b) = bricks.last_mut() {
                b.status = s.trim().to_string();
            }
        } else if let Some(n) = line.strip_prefix("Number of entries:")
            && let Some(b) = bricks.last_mut()
        {
            b.entries = n.trim().parse().ok();
        }
    }
    if bricks.is_empty() {
        return Err(HarnessError(format!("no brick in heal info: {out:?}")));
    }
    Ok(bricks)
}

/// Every brick connected, none with entries to heal.
pub fn heal_complete(bricks: &[BrickHealState]) -> bool {
    !bricks.is_empty()
        && bricks
            .iter()
            .all(|b| b.status == "Connected" && b.entries == Some(0))
}

/// A brick of a volume as it sits on a node, to be checked for content.
#[derive(Clone, Debug)]
pub struct BrickOnNode {
    /// The node's manage address.
    pub host: String,
    /// The brick directory (`…/brick`).
    pub path: String,
}

impl NodeShell {
    /// `gluster volume heal VOLUME info`, run on `host`.
    pub fn heal_info(&self, host: &str, volume: &str) -> Result<Vec<BrickHealState>, HarnessError> {
        let out = self.ssh(
            host,
            &format!("gluster --mode=script volume heal {volume} info"),
        )?;
        parse_heal_info(&out)
    }

    /// Waits until gluster reports nothing left to heal on any brick of `volume` AND the
    /// brick `into` (the new one) holds every file of `expected` with its checksum: heal
    /// info alone can read 0 before the pending marks of a replacement are set. Polls
    /// every 2 s for at most `timeout`; returns the time it took.
    pub fn wait_healed(
        &self,
        host: &str,
        volume: &str,
        into: &BrickOnNode,
        expected: &Checksums,
        timeout: Duration,
    ) -> Result<Duration, HarnessError> {
        let t0 = Instant::now();
        loop {
            let last = match self.heal_info(host, volume) {
                Ok(bricks) if heal_complete(&bricks) => {
                    match self.brick_checksums(&into.host, &into.path) {
                        Ok(sums) if &sums == expected => return Ok(t0.elapsed()),
                        Ok(sums) => format!(
                            "heal info reports nothing to heal but brick {}:{} holds {} of {} files, {} of them different",
                            into.host,
                            into.path,
                            sums.len(),
                            expected.len(),
                            sums.iter()
                                .filter(|(k, v)| expected.get(*k).is_some_and(|e| e != *v))
                                .count()
                        ),
                        Err(e) => format!("brick checksums: {e}"),
                    }
                }
                Ok(bricks) => format!("heal info: {bricks:?}"),
                Err(e) => format!("heal info failed: {e}"),
            };
            if t0.elapsed() >= timeout {
                return Err(HarnessError(format!(
                    "{volume} not healed after {:.0} s: {last}",
                    timeout.as_secs_f64()
                )));
            }
            std::thread::sleep(Duration::from_secs(2));
        }
    }

    /// Checksums of the data files as they sit in a brick directory on `host` (read on
    /// the node, not through gluster).
    pub fn brick_checksums(&self, host: &str, brick: &str) -> Result<Checksums, HarnessError> {
        let out = self.ctl(
            host,
            &format!("cd {brick}/{DATA_DIR} && sha256sum -- * 2>/dev/null || true"),
        )?;
        parse_sha256sum(&out)
    }

    /// `(pv name, vg name)` of every LVM PV on `host`.
    pub fn pvs(&self, host: &str) -> Result<Vec<(String, String)>, HarnessError> {
        let out = self.ctl(
            host,
            "/usr/sbin/lvm pvs --noheadings --separator : -o pv_name,vg_name",
        )?;
        Ok(pairs(&out))
    }

    /// `(vg name, lv name)` of every LV on `host`.
    pub fn lvs(&self, host: &str) -> Result<Vec<(String, String)>, HarnessError> {
        let out = self.ctl(
            host,
            "/usr/sbin/lvm lvs --noheadings --separator : -o vg_name,lv_name",
        )?;
        Ok(pairs(&out))
    }
}

fn pairs(out: &str) -> Vec<(String, String)> {
    out.lines()
        .filter_map(|l| l.trim().split_once(':'))
        .map(|(a, b)| (a.trim().to_string(), b.trim().to_string()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const HEALING: &str = "Brick 10.213.7.11:/var/lib/heketi/mounts/vg_c/br/brick
Status: Connected
Number of entries: 0

Brick 10.213.7.12:/var/lib/heketi/mounts/vg_b/br/brick
/f3 - Possibly undergoing heal
/f4 
Status: Connected
Number of entries: 2

Brick 10.213.7.13:/var/lib/heketi/mounts/vg_b/br/brick
Status: Transport endpoint is not connected
Number of entries: -
";

    #[test]
    fn heal_info_parses_and_is_complete_only_when_all_bricks_are_clean() {
        let b = parse_heal_info(HEALING).expect("parses");
        assert_eq!(b.len(), 3);
        assert_eq!(
            b[0].brick,
            "10.213.7.11:/var/lib/heketi/mounts/vg_c/br/brick"
        );
        assert_eq!(b[1].entries, Some(2));
        assert_eq!(b[2].status, "Transport endpoint is not connected");
        assert_eq!(b[2].entries, None);
        assert!(!heal_complete(&b));
        let clean = HEALING
            .replace("Number of entries: 2", "Number of entries: 0")
            .replace("Transport endpoint is not connected", "Connected")
            .replace("Number of entries: -", "Number of entries: 0");
        assert!(heal_complete(&parse_heal_info(&clean).expect("parses")));
        assert!(parse_heal_info("Volume tv does not exist").is_err());
        assert!(!heal_complete(&[]));
    }

    #[test]
    fn lvm_pairs() {
        assert_eq!(
            pairs("  /dev/ubdb:vg_1\n  /dev/ubdc:\n"),
            vec![
                ("/dev/ubdb".to_string(), "vg_1".to_string()),
                ("/dev/ubdc".to_string(), String::new())
            ]
        );
    }
}
