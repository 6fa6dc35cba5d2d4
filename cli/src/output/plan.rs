use crate::client::VolumePlan;

use super::gib;

/// `volume create --dry-run`: the plan as a table, one row per brick.
pub fn volume_plan(p: &VolumePlan) -> String {
    let bricks: usize = p.sets.iter().map(Vec::len).sum();
    let mut s = format!(
        "Dry run: no volume created\nCluster: {}\nBrick sets: {}  Bricks: {}\n\n",
        p.cluster,
        p.sets.len(),
        bricks
    );
    s.push_str(&format!(
        "{:<4} {:<32} {:<32} {:<24} {:>10} {:>10} {:>10} {}\n",
        "Set", "Device", "Node", "Host", "Size(GiB)", "Pool(KiB)", "Meta(KiB)", "Role"
    ));
    for (i, set) in p.sets.iter().enumerate() {
        for b in set {
            let size = if b.size % brickyard::api::GIB == 0 {
                gib(b.size).to_string()
            } else {
                format!("{:.2}", b.size as f64 / brickyard::api::GIB as f64)
            };
            s.push_str(&format!(
                "{:<4} {:<32} {:<32} {:<24} {:>10} {:>10} {:>10} {}\n",
                i + 1,
                b.device,
                b.node,
                b.host,
                size,
                b.tp_size,
                b.metadata_size,
                if b.arbiter { "arbiter" } else { "data" }
            ));
        }
    }
    s
}
