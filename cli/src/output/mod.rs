//! heketi-cli's human output, byte for byte (`heketi/heketi:client/cli/go/cmds`).
//!
//! Every function returns the exact text heketi-cli writes, so tests can compare
//! bytes without running a server.

mod block;
mod cluster;
mod device;
mod node;
mod operations;
mod plan;
mod reconcile;
mod topology;
mod volume;

pub use block::{block_volume_info, block_volume_list_line};
pub use cluster::{cluster_info, cluster_list_line};
pub use device::device_info;
pub use node::{node_info, node_info_header, node_list_line};
pub use operations::{operation_details, operation_progress, operations_info, operations_list};
pub use plan::volume_plan;
pub use reconcile::reconcile_report;
pub use topology::{TopologyText, write_topology_info};
pub use volume::{volume_info, volume_list_line};

use brickyard::api::{EntryState, GIB, Tags};

/// KiB → GiB with Go's integer division (`Total/(1024*1024)`).
pub fn gib(kib: u64) -> u64 {
    kib / GIB
}

/// The state as heketi-cli prints it: `failed` shows as `removed`.
pub fn state_string(state: EntryState) -> &'static str {
    match state {
        EntryState::Failed => "removed",
        other => other.as_str(),
    }
}

/// Go's `fmt.Sprint` of a `[]string`: `[a b c]`.
pub fn go_slice(items: &[String]) -> String {
    format!("[{}]", items.join(" "))
}

/// `Tags:\n  k: v\n…` as `printNodeInfo`/device info print it (sorted keys).
pub(crate) fn tags_block(tags: &Tags) -> String {
    let mut s = String::new();
    if !tags.is_empty() {
        s.push_str("Tags:\n");
        for (k, v) in tags {
            s.push_str(&format!("  {k}: {v}\n"));
        }
    }
    s
}

/// ` k:v k2:v2` as the topology template prints tags.
pub(crate) fn tags_inline(tags: &Tags) -> String {
    tags.iter().map(|(k, v)| format!(" {k}:{v}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gib_truncates_like_go() {
        // 500 GiB device with ~1.0078 GiB used: Used 1, Free 498 (see the transcript).
        let total = 500 * GIB;
        let used = GIB + 8192;
        assert_eq!(gib(total), 500);
        assert_eq!(gib(used), 1);
        assert_eq!(gib(total - used), 498);
    }

    #[test]
    fn failed_prints_as_removed() {
        assert_eq!(state_string(EntryState::Failed), "removed");
        assert_eq!(state_string(EntryState::Offline), "offline");
    }
}
