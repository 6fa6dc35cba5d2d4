//! The big read answers serialised straight from memory, for the REST server.
//!
//! `GET /clusters/{id}` and `GET /volumes` list every volume id (100,000 at scale) and
//! `GET /nodes/{id}` every brick of the node's devices. Building them as
//! [`crate::api`] values first clones every id and brick, and a visibility check per
//! volume id (a map lookup each) made them cost tens of milliseconds under the engine
//! lock. Here they are written as JSON from the maps in one ordered pass each:
//! the volume list from the volume map (in id order, pending volumes skipped), a
//! cluster's list from the same pass filtered by cluster, a node's bricks borrowed
//! from their records. The bytes equal `serde_json::to_vec` of the answers of
//! [`super::read`] (tested in `core/tests/it/read_forms.rs`), so the server only adds
//! Go's escaping and the newline.
//!
//! The topology is streamed by the server in pieces ([`Engine::topology_outline`],
//! then [`Engine::volume_infos_json`] and [`Engine::node_infos_json`] for a few
//! hundred ids at a time), each piece under the lock for a short while.

use std::collections::HashMap;
use std::sync::Arc;

use serde::Serialize;

use crate::api::{ClusterInfoResponse, TopologyCluster};
use crate::error::Result;
use crate::state::{CompactId, State};

use super::read::{answer_info, cluster_info_without_volumes, volume_bricks};
use super::{Engine, not_found_if_none};

/// The answers written since the last change to the state: read again without a change
/// in between (the usual case for lists polled by clients and for reads after a burst
/// of creates), they are copied instead of written again. The engine drops them with
/// every change it applies to memory (`Engine::stage_locked`, and the undo of unsaved
/// changes), so they never outlive the state they were written from.
#[derive(Debug, Default)]
pub(crate) struct ReadCache {
    volume_list: Option<Arc<[u8]>>,
    clusters: HashMap<String, Arc<[u8]>>,
    nodes: HashMap<String, Arc<[u8]>>,
    /// Bytes of the answers in `nodes`, at most [`NODE_CACHE_BYTES`].
    node_bytes: usize,
}

/// Node answers kept at most. A node with 3,000 bricks answers 900 KB: reading every
/// node of 100 (what `heketi-cli topology info` does) kept 90 MB until the next change.
const NODE_CACHE_BYTES: usize = 8 << 20;

impl ReadCache {
    pub(crate) fn clear(&mut self) {
        self.volume_list = None;
        self.clusters.clear();
        self.nodes.clear();
        self.node_bytes = 0;
    }

    /// Keeps node `id`'s answer if the node answers kept leave room for it.
    fn keep_node(&mut self, id: &str, answer: &[u8]) {
        if self.node_bytes + answer.len() > NODE_CACHE_BYTES || self.nodes.contains_key(id) {
            return;
        }
        self.node_bytes += answer.len();
        self.nodes.insert(id.to_string(), Arc::from(answer));
    }
}

/// A cluster of the topology without its volumes' and nodes' contents.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TopologyOutline {
    pub id: String,
    pub block: bool,
    pub file: bool,
    /// Visible volumes, in id order.
    pub volumes: Vec<String>,
    pub nodes: Vec<String>,
}

impl TopologyOutline {
    /// The JSON of the cluster up to the start of its volume list: `{"volumes":[`.
    pub const HEAD: &'static [u8] = b"{\"volumes\":[";
    /// Between the volumes and the nodes: `],"nodes":[`.
    pub const MIDDLE: &'static [u8] = b"],\"nodes\":[";

    /// The JSON of the cluster after its node list: `],"id":…,"block":…,"file":…}`.
    pub fn tail(&self) -> Vec<u8> {
        // The fields after `nodes` in `TopologyCluster`, serialised by serde itself.
        let cluster = TopologyCluster {
            id: self.id.clone(),
            block: self.block,
            file: self.file,
            ..TopologyCluster::default()
        };
        let full = serde_json::to_vec(&cluster).unwrap_or_default();
        let marker = b"\"nodes\":[],";
        let at = find(&full, marker).map_or(full.len(), |i| i + marker.len());
        let mut out = b"],".to_vec();
        out.extend_from_slice(&full[at..]);
        out
    }
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// Writes `value` as a JSON string.
fn push_str(out: &mut Vec<u8>, value: &str) {
    let plain = value
        .bytes()
        .all(|b| b.is_ascii() && !b.is_ascii_control() && b != b'"' && b != b'\\');
    if plain {
        out.push(b'"');
        out.extend_from_slice(value.as_bytes());
        out.push(b'"');
    } else {
        // Serialising a `&str` cannot fail.
        let _ = serde_json::to_writer(&mut *out, value);
    }
}

/// Writes `[ids…]`.
fn push_ids(out: &mut Vec<u8>, ids: impl Iterator<Item = String>) {
    out.push(b'[');
    for (i, id) in ids.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push_str(out, &id);
    }
    out.push(b']');
}

/// Serialises `value` into `out` and replaces its (first) `"key":[]` by the list
/// `fill` writes.
fn splice(out: &mut Vec<u8>, value: &impl Serialize, key: &str, fill: impl FnOnce(&mut Vec<u8>)) {
    let text = serde_json::to_vec(value).unwrap_or_default();
    let marker = format!("\"{key}\":[]");
    match find(&text, marker.as_bytes()) {
        Some(at) => {
            let list_start = at + marker.len() - 1;
            out.extend_from_slice(&text[..list_start - 1]);
            let before = out.len();
            fill(out);
            if out.len() == before {
                out.extend_from_slice(b"[]");
            }
            out.extend_from_slice(&text[list_start + 1..]);
        }
        None => out.extend_from_slice(&text),
    }
}

/// The visible volumes of the state in id order (`cluster`: only those of it).
fn visible_volumes<'a>(st: &'a State, cluster: Option<&'a str>) -> impl Iterator<Item = String> {
    let cluster = cluster.map(CompactId::new);
    st.volumes
        .packed()
        .filter(move |(_, v)| !v.is_pending() && cluster.as_ref().is_none_or(|c| v.cluster() == c))
        .map(|(id, _)| String::from(id))
}

/// A volume's answer borrowed from its records (the JSON of [`volume_info`]).
#[derive(Serialize)]
struct VolumeInfoRef<'a> {
    #[serde(flatten)]
    info: &'a crate::api::VolumeInfo,
    bricks: Vec<crate::api::BrickInfo>,
}

/// Writes volume `id`'s answer (visible volumes only; false otherwise), its bricks
/// borrowed from their records: copying them (`read::volume_info`) took a fifth of
/// `GET /topology`'s time.
fn volume_info_json(st: &State, id: &str, out: &mut Vec<u8>) -> bool {
    let Some(v) = st.volumes.get(id).filter(|v| !v.pending.is_pending()) else {
        return false;
    };
    let info = answer_info(st, &v);
    let r = VolumeInfoRef {
        info: &info,
        bricks: volume_bricks(st, &v).collect(),
    };
    let _ = serde_json::to_writer(&mut *out, &r);
    true
}

fn node_info_json(st: &State, id: &str, out: &mut Vec<u8>) -> bool {
    let Some(n) = st.nodes.get(id) else {
        return false;
    };
    let head = crate::api::NodeInfoResponse {
        info: n.info.clone(),
        state: n.state,
        devices: Vec::new(),
    };
    splice(out, &head, "devices", |out| {
        out.push(b'[');
        let mut first = true;
        for d in n.devices.iter().filter_map(|d| st.devices.get(d)) {
            if !first {
                out.push(b',');
            }
            first = false;
            let device = crate::api::DeviceInfoResponse {
                info: d.info.clone(),
                state: d.state,
                bricks: Vec::new(),
            };
            splice(out, &device, "bricks", |out| {
                out.push(b'[');
                let bricks = d
                    .bricks
                    .compact()
                    .filter_map(|id| Some((id, st.bricks.get_packed_compact(id)?)));
                for (i, (id, b)) in bricks.enumerate() {
                    if i > 0 {
                        out.push(b',');
                    }
                    b.write_info_json(id, out);
                }
                out.push(b']');
            });
        }
        out.push(b']');
    });
    true
}

impl Engine {
    /// `GET /volumes` as JSON: `{"volumes":[…]}`.
    pub fn volume_list_json(&self) -> Vec<u8> {
        let mut inner = self.lock();
        if let Some(cached) = &inner.read_cache.volume_list {
            return cached.to_vec();
        }
        let mut out = Vec::with_capacity(16 + inner.state.volumes.len() * 35);
        out.extend_from_slice(b"{\"volumes\":");
        push_ids(&mut out, visible_volumes(&inner.state, None));
        out.push(b'}');
        inner.read_cache.volume_list = Some(Arc::from(out.as_slice()));
        out
    }

    /// `GET /clusters/{id}` as JSON.
    pub fn cluster_info_json(&self, id: &str) -> Result<Vec<u8>> {
        let mut inner = self.lock();
        if let Some(cached) = inner.read_cache.clusters.get(id) {
            return Ok(cached.to_vec());
        }
        let st = &inner.state;
        let info: ClusterInfoResponse = not_found_if_none(cluster_info_without_volumes(st, id))?;
        let mut out = Vec::with_capacity(256 + st.cluster_volume_count(id) * 35);
        splice(&mut out, &info, "volumes", |out| {
            push_ids(out, visible_volumes(st, Some(id)));
        });
        inner
            .read_cache
            .clusters
            .insert(id.to_string(), Arc::from(out.as_slice()));
        Ok(out)
    }

    /// `GET /nodes/{id}` as JSON.
    pub fn node_info_json(&self, id: &str) -> Result<Vec<u8>> {
        let mut inner = self.lock();
        if let Some(cached) = inner.read_cache.nodes.get(id) {
            return Ok(cached.to_vec());
        }
        let mut out = Vec::new();
        if !node_info_json(&inner.state, id, &mut out) {
            return not_found_if_none(None);
        }
        inner.read_cache.keep_node(id, &out);
        Ok(out)
    }

    /// The clusters of the topology with their visible volume ids and node ids.
    pub fn topology_outline(&self) -> Vec<TopologyOutline> {
        let inner = self.lock();
        let st = &inner.state;
        st.clusters
            .keys()
            .filter_map(|cid| {
                let c = cluster_info_without_volumes(st, cid)?;
                Some(TopologyOutline {
                    volumes: visible_volumes(st, Some(cid)).collect(),
                    nodes: c.nodes,
                    id: c.id,
                    block: c.block,
                    file: c.file,
                })
            })
            .collect()
    }

    /// The volumes `ids` (those still visible) as JSON objects separated by commas;
    /// `first` says whether none was written before in the same list.
    pub fn volume_infos_json(&self, ids: &[String], first: &mut bool, out: &mut Vec<u8>) {
        let inner = self.lock();
        for id in ids {
            let mark = out.len();
            if !*first {
                out.push(b',');
            }
            if volume_info_json(&inner.state, id, out) {
                *first = false;
            } else {
                out.truncate(mark);
            }
        }
    }

    /// The nodes `ids` (those still there) as JSON objects separated by commas.
    pub fn node_infos_json(&self, ids: &[String], first: &mut bool, out: &mut Vec<u8>) {
        let inner = self.lock();
        for id in ids {
            let mark = out.len();
            if !*first {
                out.push(b',');
            }
            if node_info_json(&inner.state, id, out) {
                *first = false;
            } else {
                out.truncate(mark);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Node answers past the budget are written again instead of kept; what is kept
    /// goes with the next change.
    #[test]
    fn node_answers_are_kept_within_their_budget() {
        let mut c = ReadCache::default();
        let big = vec![b'x'; NODE_CACHE_BYTES / 3 + 1];
        for i in 0..5 {
            c.keep_node(&format!("n{i}"), &big);
        }
        assert_eq!(c.nodes.len(), 2);
        assert!(c.nodes.contains_key("n0") && c.nodes.contains_key("n1"));
        // A smaller answer still fits in what is left; one kept already is not counted twice.
        c.keep_node("small", b"{}");
        c.keep_node("n0", &big);
        assert_eq!(c.nodes.len(), 3);
        assert_eq!(c.node_bytes, 2 * big.len() + 2);
        c.clear();
        assert_eq!((c.nodes.len(), c.node_bytes), (0, 0));
        c.keep_node("n4", &big);
        assert_eq!(c.nodes.len(), 1);
    }
}
