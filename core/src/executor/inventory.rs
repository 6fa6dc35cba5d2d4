//! What is on a node, read as an operator would: LVM's `lvs`/`vgs`/`pvs` (JSON
//! reports), `/proc/mounts`, the fstab, and gluster's `peer status --xml`. The engine's
//! reconcile compares it with the records (`engine/reconcile.rs`).

use serde::Deserialize;

use super::parse::ParseError;
use super::{
    BrickRequest, CommandExecutor, ExecError, ExecErrorKind, Host, Transport, commands, validate,
};

/// One LV as `lvs` reports it. Sizes in KiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LvInfo {
    /// Volume group.
    pub vg: String,
    /// LV name.
    pub name: String,
    /// The thin pool a thin LV lives in (empty for other LVs).
    pub pool: String,
    /// `thin-pool`, `thin`, `linear`, …
    pub segtype: String,
    /// Size (a thin LV's virtual size).
    pub size_kib: u64,
}

/// One VG as `vgs` reports it. Sizes in KiB.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VgInfo {
    /// VG name.
    pub name: String,
    /// Total size.
    pub size_kib: u64,
    /// Unallocated size.
    pub free_kib: u64,
    /// Extent size.
    pub extent_kib: u64,
}

/// One PV as `pvs` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PvInfo {
    /// Device path.
    pub device: String,
    /// Its VG (empty when none).
    pub vg: String,
    /// PV UUID.
    pub uuid: String,
}

/// One line of `/proc/mounts` or of the fstab (octal escapes such as `\040` decoded).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountEntry {
    /// Device.
    pub source: String,
    /// Mount point.
    pub target: String,
    /// File system type.
    pub fstype: String,
    /// Mount options.
    pub options: String,
}

/// What a node holds: LVM objects, mounts and fstab lines.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct NodeInventory {
    /// Every LV (hidden ones excluded).
    pub lvs: Vec<LvInfo>,
    /// Every VG.
    pub vgs: Vec<VgInfo>,
    /// Every PV.
    pub pvs: Vec<PvInfo>,
    /// Mounted file systems.
    pub mounts: Vec<MountEntry>,
    /// fstab lines (comments and blank lines left out).
    pub fstab: Vec<MountEntry>,
}

impl NodeInventory {
    /// The VG named `name`.
    pub fn vg(&self, name: &str) -> Option<&VgInfo> {
        self.vgs.iter().find(|v| v.name == name)
    }

    /// The LV `vg/name`.
    pub fn lv(&self, vg: &str, name: &str) -> Option<&LvInfo> {
        self.lvs.iter().find(|l| l.vg == vg && l.name == name)
    }

    /// The mount at `target`, if any (the last one, as the kernel shows it on top).
    pub fn mount_at(&self, target: &str) -> Option<&MountEntry> {
        self.mounts.iter().rev().find(|m| m.target == target)
    }
}

/// A peer as `gluster peer status --xml` reports it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PeerInfo {
    /// Every name gluster knows the peer by (`hostname`, then `hostnames`).
    pub hostnames: Vec<String>,
    /// Connected now.
    pub connected: bool,
    /// `Peer in Cluster`, `Accepted peer request`, …
    pub state: String,
}

#[derive(Deserialize)]
struct Report {
    report: Vec<ReportSection>,
}

#[derive(Deserialize, Default)]
struct ReportSection {
    #[serde(default)]
    lv: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    vg: Vec<serde_json::Map<String, serde_json::Value>>,
    #[serde(default)]
    pv: Vec<serde_json::Map<String, serde_json::Value>>,
}

fn rows(
    output: &str,
    pick: fn(ReportSection) -> Vec<serde_json::Map<String, serde_json::Value>>,
) -> Result<Vec<serde_json::Map<String, serde_json::Value>>, ParseError> {
    let r: Report =
        serde_json::from_str(output).map_err(|e| ParseError(format!("lvm json: {e}")))?;
    Ok(r.report.into_iter().flat_map(pick).collect())
}

fn text(row: &serde_json::Map<String, serde_json::Value>, key: &str) -> String {
    match row.get(key) {
        Some(serde_json::Value::String(s)) => s.trim().to_string(),
        Some(v) if !v.is_null() => v.to_string(),
        _ => String::new(),
    }
}

/// An LVM size printed with `--units=k --nosuffix` (`1048576.00`), in KiB.
fn kib(row: &serde_json::Map<String, serde_json::Value>, key: &str) -> Result<u64, ParseError> {
    let t = text(row, key);
    let n: f64 = t
        .parse()
        .map_err(|e| ParseError(format!("lvm field {key} {t:?}: {e}")))?;
    if !(n.is_finite() && n >= 0.0) {
        return Err(ParseError(format!("lvm field {key} {t:?}: not a size")));
    }
    Ok(n.round() as u64)
}

/// `lvs --reportformat=json --units=k --nosuffix -o vg_name,lv_name,pool_lv,segtype,lv_size`.
pub fn parse_lvs(output: &str) -> Result<Vec<LvInfo>, ParseError> {
    rows(output, |s| s.lv)?
        .iter()
        .map(|r| {
            Ok(LvInfo {
                vg: text(r, "vg_name"),
                name: text(r, "lv_name"),
                pool: text(r, "pool_lv"),
                segtype: text(r, "segtype"),
                size_kib: kib(r, "lv_size")?,
            })
        })
        .collect()
}

/// `vgs --reportformat=json --units=k --nosuffix -o vg_name,vg_size,vg_free,vg_extent_size`.
pub fn parse_vgs(output: &str) -> Result<Vec<VgInfo>, ParseError> {
    rows(output, |s| s.vg)?
        .iter()
        .map(|r| {
            Ok(VgInfo {
                name: text(r, "vg_name"),
                size_kib: kib(r, "vg_size")?,
                free_kib: kib(r, "vg_free")?,
                extent_kib: kib(r, "vg_extent_size")?,
            })
        })
        .collect()
}

/// `pvs --reportformat=json -o pv_name,pv_uuid,vg_name` (every PV).
pub fn parse_pvs(output: &str) -> Result<Vec<PvInfo>, ParseError> {
    Ok(rows(output, |s| s.pv)?
        .iter()
        .map(|r| PvInfo {
            device: text(r, "pv_name"),
            vg: text(r, "vg_name"),
            uuid: text(r, "pv_uuid"),
        })
        .collect())
}

/// Decodes the octal escapes of `/proc/mounts` and fstab fields (`\040` = space).
fn unescape(field: &str) -> String {
    let b = field.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\'
            && i + 3 < b.len()
            && b[i + 1..i + 4].iter().all(|c| (b'0'..=b'7').contains(c))
        {
            let v = (b[i + 1] - b'0') as u32 * 64
                + (b[i + 2] - b'0') as u32 * 8
                + (b[i + 3] - b'0') as u32;
            if let Ok(byte) = u8::try_from(v) {
                out.push(byte);
                i += 4;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Lines of `/proc/mounts` or of an fstab: `source target fstype options [dump pass]`;
/// comments, blank and short lines are left out.
pub fn parse_mount_table(output: &str) -> Vec<MountEntry> {
    output
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(|l| {
            let f: Vec<&str> = l.split_whitespace().collect();
            if f.len() < 3 {
                return None;
            }
            Some(MountEntry {
                source: unescape(f[0]),
                target: unescape(f[1]),
                fstype: f[2].to_string(),
                options: f.get(3).map(|s| s.to_string()).unwrap_or_default(),
            })
        })
        .collect()
}

/// `gluster peer status --xml`: the other members of the node's pool.
pub fn parse_peer_status(
    xml: &str,
) -> Result<(super::gluster_xml::CliOutput, Vec<PeerInfo>), ParseError> {
    let envelope = super::gluster_xml::cli_output(xml)?;
    let root = super::gluster_xml::parse_tree(xml)?;
    let peers = root
        .child("cliOutput")
        .and_then(|c| c.child("peerStatus"))
        .map(|ps| {
            ps.children("peer")
                .map(|p| {
                    let mut hostnames = Vec::new();
                    let first = p.text_of("hostname");
                    if !first.is_empty() {
                        hostnames.push(first);
                    }
                    if let Some(hs) = p.child("hostnames") {
                        for h in hs.children("hostname") {
                            let h = h.text.trim().to_string();
                            if !h.is_empty() && !hostnames.contains(&h) {
                                hostnames.push(h);
                            }
                        }
                    }
                    PeerInfo {
                        hostnames,
                        connected: p.text_of("connected") == "1",
                        state: p.text_of("stateStr"),
                    }
                })
                .collect()
        })
        .unwrap_or_default();
    Ok((envelope, peers))
}

fn bad_output(host: &str, command: &str, e: ParseError) -> ExecError {
    ExecError::new(ExecErrorKind::BadOutput, host, command, Some(0), e.0)
}

impl<T: Transport> CommandExecutor<T> {
    pub(super) async fn inventory(&self, host: &Host) -> Result<NodeInventory, ExecError> {
        let h = host.manage.as_str();
        let cfg = self.config();
        let t = cfg.device_timeout;
        let (lvs, vgs, pvs) = (
            commands::lvs_report(cfg),
            commands::vgs_report(cfg),
            commands::pvs_report(cfg),
        );
        let (mounts_cmd, fstab_cmd) = (
            commands::cat(commands::PROC_MOUNTS),
            commands::cat(&cfg.fstab),
        );
        // Five reads, at once (each is a round trip to the node).
        let (lvs_out, vgs_out, pvs_out, mounts_out, fstab_out) = futures_util::join!(
            self.run(h, &lvs, t),
            self.run(h, &vgs, t),
            self.run(h, &pvs, t),
            self.run(h, &mounts_cmd, t),
            self.run(h, &fstab_cmd, t),
        );
        let lvs_rows = parse_lvs(&lvs_out?.stdout).map_err(|e| bad_output(h, &lvs, e))?;
        let vgs_rows = parse_vgs(&vgs_out?.stdout).map_err(|e| bad_output(h, &vgs, e))?;
        let pvs_rows = parse_pvs(&pvs_out?.stdout).map_err(|e| bad_output(h, &pvs, e))?;
        let mounts = parse_mount_table(&mounts_out?.stdout);
        let fstab = match fstab_out {
            Ok(out) => parse_mount_table(&out.stdout),
            // No fstab at all: nothing is in it.
            Err(e) if e.kind == ExecErrorKind::Failed && e.stderr.contains("No such file") => {
                Vec::new()
            }
            Err(e) => return Err(e),
        };
        Ok(NodeInventory {
            lvs: lvs_rows,
            vgs: vgs_rows,
            pvs: pvs_rows,
            mounts,
            fstab,
        })
    }

    pub(super) async fn peers(&self, host: &Host) -> Result<Vec<PeerInfo>, ExecError> {
        let h = host.manage.as_str();
        let cmd = commands::peer_status(self.config());
        let out = self
            .run(h, &cmd, self.config().gluster_exec_timeout())
            .await?;
        let (envelope, peers) =
            parse_peer_status(&out.stdout).map_err(|e| bad_output(h, &cmd, e))?;
        super::cmd::ok_or_failed(envelope, h, &cmd)?;
        Ok(peers)
    }

    pub(super) async fn mount_brick(&self, host: &Host, b: &BrickRequest) -> Result<(), ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "device id", &b.vg_id)?;
        validate::name(h, "brick id", &b.brick_id)?;
        let t = self.config().brick_create_timeout;
        let cmds = [
            format!("mkdir -p {}", b.mount_dir()),
            commands::mount(self.config(), b),
        ];
        self.run_batch(h, &cmds, t).await.map(drop)
    }

    pub(super) async fn add_fstab_line(
        &self,
        host: &Host,
        b: &BrickRequest,
    ) -> Result<(), ExecError> {
        let h = host.manage.as_str();
        validate::name(h, "device id", &b.vg_id)?;
        validate::name(h, "brick id", &b.brick_id)?;
        let cmd = commands::fstab_append(self.config(), b);
        self.run(h, &cmd, self.config().brick_create_timeout)
            .await
            .map(drop)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lvm_reports() {
        let lvs = r#"  {
      "report": [
          {
              "lv": [
                  {"vg_name":"vg_a", "lv_name":"brick_b", "pool_lv":"tp_b", "segtype":"thin", "lv_size":"1048576.00"},
                  {"vg_name":"vg_a", "lv_name":"tp_b", "pool_lv":"", "segtype":"thin-pool", "lv_size":"1052672.00"}
              ]
          }
      ]
  }
"#;
        let v = parse_lvs(lvs).unwrap();
        assert_eq!(v.len(), 2);
        assert_eq!(v[0].size_kib, 1_048_576);
        assert_eq!(v[0].pool, "tp_b");
        assert_eq!(v[1].segtype, "thin-pool");
        let vgs = r#"{"report":[{"vg":[{"vg_name":"vg_a","vg_size":"2093056.00","vg_free":"1040384.00","vg_extent_size":"4096.00"}]}]}"#;
        let v = parse_vgs(vgs).unwrap();
        assert_eq!(
            v,
            vec![VgInfo {
                name: "vg_a".into(),
                size_kib: 2_093_056,
                free_kib: 1_040_384,
                extent_kib: 4096
            }]
        );
        let pvs = r#"{"report":[{"pv":[{"pv_name":"/dev/vdb","pv_uuid":"U1","vg_name":"vg_a"},{"pv_name":"/dev/vdc","pv_uuid":"U2","vg_name":""}]}]}"#;
        let p = parse_pvs(pvs).unwrap();
        assert_eq!(p[1].vg, "");
        assert_eq!(p[0].uuid, "U1");
        assert!(parse_lvs("nonsense").is_err());
        assert!(parse_lvs(r#"{"report":[{"lv":[{"lv_size":"x"}]}]}"#).is_err());
        assert!(parse_lvs(r#"{"report":[{"lv":[]}]}"#).unwrap().is_empty());
    }

    #[test]
    fn mount_tables() {
        let m = "/dev/mapper/vg_a-brick_b /var/lib/heketi/mounts/vg_a/brick_b xfs rw,noatime 0 0\n\
                 # comment\n\n/dev/sdz /mnt/with\\040space ext4 rw 0 0\nshort line\n";
        let t = parse_mount_table(m);
        assert_eq!(t.len(), 2);
        assert_eq!(t[0].target, "/var/lib/heketi/mounts/vg_a/brick_b");
        assert_eq!(t[0].fstype, "xfs");
        assert_eq!(t[1].target, "/mnt/with space");
    }

    #[test]
    fn peer_status_xml() {
        let xml = r#"<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<cliOutput>
  <opRet>0</opRet>
  <opErrno>0</opErrno>
  <opErrstr/>
  <peerStatus>
    <peer>
      <uuid>u2</uuid>
      <hostname>10.213.7.12</hostname>
      <hostnames>
        <hostname>10.213.7.12</hostname>
        <hostname>node2</hostname>
      </hostnames>
      <connected>1</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
    <peer>
      <uuid>u3</uuid>
      <hostname>10.213.7.13</hostname>
      <hostnames><hostname>10.213.7.13</hostname></hostnames>
      <connected>0</connected>
      <state>3</state>
      <stateStr>Peer in Cluster</stateStr>
    </peer>
  </peerStatus>
</cliOutput>"#;
        let (env, peers) = parse_peer_status(xml).unwrap();
        assert!(env.ok());
        assert_eq!(peers.len(), 2);
        assert_eq!(peers[0].hostnames, vec!["10.213.7.12", "node2"]);
        assert!(peers[0].connected);
        assert!(!peers[1].connected);
        assert_eq!(peers[1].state, "Peer in Cluster");
        let empty = r#"<cliOutput><opRet>0</opRet><opErrno>0</opErrno><opErrstr/><peerStatus/></cliOutput>"#;
        assert!(parse_peer_status(empty).unwrap().1.is_empty());
    }
}
