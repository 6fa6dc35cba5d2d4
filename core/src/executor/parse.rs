//! Parsers for LVM and udev outputs.

use serde::Deserialize;

/// A command output that could not be understood.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct ParseError(pub String);

/// The numbers of `vgdisplay -c` that matter (extent size in KiB).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VgDisplay {
    /// Physical extent size (field 12).
    pub extent_size: u64,
    /// Total extents (field 13).
    pub total_extents: u64,
    /// Allocated extents (field 14).
    pub allocated_extents: u64,
    /// Free extents (field 15).
    pub free_extents: u64,
}

impl VgDisplay {
    /// Total size in KiB.
    pub fn total(&self) -> u64 {
        self.total_extents * self.extent_size
    }
    /// Free size in KiB.
    pub fn free(&self) -> u64 {
        self.free_extents * self.extent_size
    }
    /// Used size in KiB.
    pub fn used(&self) -> u64 {
        self.allocated_extents * self.extent_size
    }
}

/// Parse the colon-separated line of `vgdisplay -c` (at least 17 fields).
pub fn vgdisplay(output: &str) -> Result<VgDisplay, ParseError> {
    let line = output
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .ok_or_else(|| ParseError("vgdisplay printed nothing".into()))?;
    let fields: Vec<&str> = line.split(':').collect();
    if fields.len() < 17 {
        return Err(ParseError(format!(
            "vgdisplay returned an invalid string ({} fields): {line}",
            fields.len()
        )));
    }
    let num = |i: usize| {
        fields[i]
            .trim()
            .parse::<u64>()
            .map_err(|e| ParseError(format!("vgdisplay field {i} {:?}: {e}", fields[i])))
    };
    let vg = VgDisplay {
        extent_size: num(12)?,
        total_extents: num(13)?,
        allocated_extents: num(14)?,
        free_extents: num(15)?,
    };
    // The sizes are products of what the node printed: bound them before anything
    // multiplies (an overflow would panic in a debug build and wrap in a release one).
    for (what, extents) in [
        ("total", vg.total_extents),
        ("allocated", vg.allocated_extents),
        ("free", vg.free_extents),
    ] {
        if extents
            .checked_mul(vg.extent_size)
            .is_none_or(|kib| kib > MAX_VG_KIB)
        {
            return Err(ParseError(format!(
                "vgdisplay {what} size of {extents} extents of {} KiB is more than LVM's \
                 largest volume group (8 EiB): {line}",
                vg.extent_size
            )));
        }
    }
    Ok(vg)
}

/// LVM's largest volume group, 8 EiB, in KiB. No size read from a node is larger, so
/// sums over many devices stay far from `u64::MAX`.
pub const MAX_VG_KIB: u64 = 1 << 53;

#[derive(Deserialize)]
struct PvEntry {
    #[serde(default)]
    pv_uuid: String,
}

#[derive(Deserialize)]
struct PvsReport {
    #[serde(default)]
    pv: Vec<PvEntry>,
    #[serde(default)]
    vg: Vec<PvEntry>,
}

#[derive(Deserialize)]
struct PvsOutput {
    report: Vec<PvsReport>,
}

/// The PV UUID from `pvs|vgs -o pv_name,pv_uuid,vg_name --reportformat=json`: exactly one
/// report with exactly one PV (or VG) row.
pub fn pvs_uuid(output: &str) -> Result<String, ParseError> {
    let out: PvsOutput =
        serde_json::from_str(output).map_err(|e| ParseError(format!("pvs json: {e}")))?;
    let [report] = out.report.as_slice() else {
        return Err(ParseError("expected exactly 1 report in pvs output".into()));
    };
    let row = match (report.pv.as_slice(), report.vg.as_slice()) {
        ([one], _) | ([], [one]) => one,
        _ => {
            return Err(ParseError(
                "expected exactly 1 PV or 1 VG in pvs output".into(),
            ));
        }
    };
    if row.pv_uuid.is_empty() {
        return Err(ParseError("pvs output has an empty pv_uuid".into()));
    }
    Ok(row.pv_uuid.clone())
}

/// Device aliases from `udevadm info --query=symlink` (space separated, relative to
/// `/dev`), without the `lvm-pv-uuid` link; `device` itself is always included.
pub fn udev_paths(output: &str, device: &str) -> Vec<String> {
    let mut paths: Vec<String> = output
        .split_whitespace()
        .map(|s| format!("/dev/{s}"))
        .filter(|p| !p.starts_with("/dev/disk/by-id/lvm-pv-uuid-"))
        .collect();
    if !paths.iter().any(|p| p == device) {
        paths.push(device.to_string());
    }
    paths
}

/// The number from `lvs --noheadings --options=thin_count`.
pub fn thin_count(output: &str) -> Result<u64, ParseError> {
    let t = output.trim();
    t.parse::<u64>()
        .map_err(|e| ParseError(format!("thin_count {t:?}: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vgdisplay_sample_from_heketi() {
        let s = "  sampleVg:r/w:772:-1:0:0:0:-1:0:4:4:2097135616:4096:511996:0:511996:rJ0bIG-3XNc-NoS0-fkKm-batK-dFyX-xbxHym\n";
        let v = vgdisplay(s).unwrap();
        assert_eq!(v.extent_size, 4096);
        assert_eq!(v.total_extents, 511996);
        assert_eq!(v.allocated_extents, 0);
        assert_eq!(v.free_extents, 511996);
        assert_eq!(v.total(), 2097135616);
        assert_eq!(v.free(), 2097135616);
        assert_eq!(v.used(), 0);
    }

    #[test]
    fn vgdisplay_rejects_short_or_garbled_lines() {
        assert!(vgdisplay("a:b:c").is_err());
        assert!(vgdisplay("").is_err());
        let bad = "vg:r/w:772:-1:0:0:0:-1:0:4:4:1:x:1:0:1:uuid";
        assert!(vgdisplay(bad).is_err());
    }

    #[test]
    fn vgdisplay_refuses_sizes_beyond_lvm_limits() {
        // Found by the lvm_output fuzz target's arithmetic: this multiplied with
        // overflow (a panic in a debug build).
        let huge = "vg:r/w:772:-1:0:0:0:-1:0:4:4:1:18446744073709551615:511996:0:511996:uuid";
        let e = vgdisplay(huge).unwrap_err().to_string();
        assert!(e.contains("vgdisplay total size"), "{e}");
        let free = "vg:r/w:772:-1:0:0:0:-1:0:4:4:1:4096:1:0:2251799813685249:uuid";
        let e = vgdisplay(free).unwrap_err().to_string();
        assert!(e.contains("vgdisplay free size"), "{e}");
        // 8 EiB exactly is still a volume group.
        let largest = "vg:r/w:772:-1:0:0:0:-1:0:4:4:1:4096:2199023255552:0:2199023255552:uuid";
        assert_eq!(vgdisplay(largest).unwrap().total(), MAX_VG_KIB);
    }

    #[test]
    fn pvs_json() {
        let s = r#"  {
      "report": [
          {
              "pv": [
                  {"pv_name":"/dev/sdb", "pv_uuid":"Yz1x2b-aaaa-bbbb-cccc-dddd-eeee-ffffff", "vg_name":"vg_abc"}
              ]
          }
      ]
  }
"#;
        assert_eq!(
            pvs_uuid(s).unwrap(),
            "Yz1x2b-aaaa-bbbb-cccc-dddd-eeee-ffffff"
        );
        let vgs = r#"{"report":[{"vg":[{"pv_name":"/dev/sdc","pv_uuid":"U1","vg_name":"vg_x"}]}]}"#;
        assert_eq!(pvs_uuid(vgs).unwrap(), "U1");
        assert!(pvs_uuid(r#"{"report":[{"pv":[]}]}"#).is_err());
        assert!(pvs_uuid("not json").is_err());
    }

    #[test]
    fn udev_paths_skip_lvm_link_and_keep_device() {
        let out = "disk/by-id/wwn-0x5000 disk/by-path/pci-0000:00:1f.2-ata-2 disk/by-id/lvm-pv-uuid-ABC\n";
        assert_eq!(
            udev_paths(out, "/dev/sdb"),
            vec![
                "/dev/disk/by-id/wwn-0x5000".to_string(),
                "/dev/disk/by-path/pci-0000:00:1f.2-ata-2".to_string(),
                "/dev/sdb".to_string()
            ]
        );
    }

    #[test]
    fn thin_count_values() {
        assert_eq!(thin_count("  0\n").unwrap(), 0);
        assert_eq!(thin_count("2").unwrap(), 2);
        assert!(thin_count("").is_err());
    }
}
