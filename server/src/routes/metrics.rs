//! `GET /metrics`: Prometheus text exposition of Heketi's gauges
//! (`heketi/heketi:pkg/metrics/metrics.go`), computed from the engine on every
//! scrape, plus Brickyard's operation counters. Outside authentication.

use std::fmt::Write as _;

use axum::extract::State;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use brickyard::api::{NodeInfoResponse, TopologyInfoResponse};

use crate::state::AppState;

/// The Prometheus text format's content type.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Response {
    let mut response = render(&state).into_response();
    response
        .headers_mut()
        .insert(header::CONTENT_TYPE, HeaderValue::from_static(CONTENT_TYPE));
    response
}

/// One metric family: name, help text and its samples (labels, value).
struct Family {
    name: &'static str,
    help: &'static str,
    kind: &'static str,
    samples: Vec<(Vec<(&'static str, String)>, u64)>,
}

impl Family {
    fn gauge(name: &'static str, help: &'static str) -> Family {
        Family {
            name,
            help,
            kind: "gauge",
            samples: Vec::new(),
        }
    }

    fn push(&mut self, mut labels: Vec<(&'static str, String)>, value: u64) {
        labels.sort_by(|a, b| a.0.cmp(b.0));
        self.samples.push((labels, value));
    }

    fn write(&self, out: &mut String) {
        let _ = writeln!(out, "# HELP {} {}", self.name, self.help);
        let _ = writeln!(out, "# TYPE {} {}", self.name, self.kind);
        for (labels, value) in &self.samples {
            out.push_str(self.name);
            if !labels.is_empty() {
                let inner: Vec<String> = labels
                    .iter()
                    .map(|(k, v)| format!("{k}=\"{}\"", escape(v)))
                    .collect();
                let _ = write!(out, "{{{}}}", inner.join(","));
            }
            let _ = writeln!(out, " {value}");
        }
    }
}

/// Label value escaping of the text format: `\`, `"` and newlines.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn first(list: &[String]) -> String {
    list.first().cloned().unwrap_or_default()
}

fn node_labels(cluster: &str, node: &NodeInfoResponse) -> Vec<(&'static str, String)> {
    vec![
        ("cluster", cluster.to_string()),
        ("hostname", first(&node.info.hostnames.manage)),
        ("storage_hostname", first(&node.info.hostnames.storage)),
    ]
}

/// The whole exposition for the current state.
pub fn render(state: &AppState) -> String {
    let engine = &state.engine;
    let topology: TopologyInfoResponse = engine.topology_info();
    let ops = engine.operations_info();
    let in_flight = u64::try_from(state.queue.in_flight()).unwrap_or(u64::MAX);

    let mut up = Family::gauge("heketi_up", "Is heketi running?");
    up.push(Vec::new(), 1);
    let mut clusters = Family::gauge("heketi_cluster_count", "Number of clusters");
    clusters.push(Vec::new(), topology.clusters.len() as u64);
    let mut volumes = Family::gauge("heketi_volumes_count", "Number of volumes on cluster");
    let mut blocks = Family::gauge(
        "heketi_block_volumes_count",
        "Number of block volumes on cluster",
    );
    let mut nodes = Family::gauge("heketi_nodes_count", "Number of nodes on cluster");
    let mut devices = Family::gauge("heketi_device_count", "Number of devices on host");
    let mut size = Family::gauge("heketi_device_size", "Total size of the device");
    let mut free = Family::gauge(
        "heketi_device_free",
        "Amount of Free space available on the device",
    );
    let mut used = Family::gauge("heketi_device_used", "Amount of space used on the device");
    let mut size_b = Family::gauge(
        "heketi_device_size_bytes",
        "Total size of the device in bytes",
    );
    let mut free_b = Family::gauge(
        "heketi_device_free_bytes",
        "Amount of Free space available on the device in bytes",
    );
    let mut used_b = Family::gauge(
        "heketi_device_used_bytes",
        "Amount of space used on the device in bytes",
    );
    let mut bricks = Family::gauge("heketi_device_brick_count", "Number of bricks on device");

    for cluster in &topology.clusters {
        let id = || vec![("cluster", cluster.id.clone())];
        volumes.push(id(), cluster.volumes.len() as u64);
        let block_count = engine
            .cluster_info(&cluster.id)
            .map(|c| c.blockvolumes.len())
            .unwrap_or(0);
        blocks.push(id(), block_count as u64);
        nodes.push(id(), cluster.nodes.len() as u64);
        for node in &cluster.nodes {
            devices.push(node_labels(&cluster.id, node), node.devices.len() as u64);
            for dev in &node.devices {
                let labels = || {
                    let mut l = node_labels(&cluster.id, node);
                    l.push(("id", dev.info.id.clone()));
                    l.push(("device", dev.info.name.clone()));
                    l.push(("pv_uuid", dev.info.pv_uuid.clone()));
                    l
                };
                let s = dev.info.storage;
                size.push(labels(), s.total);
                free.push(labels(), s.free);
                used.push(labels(), s.used);
                size_b.push(labels(), s.total.saturating_mul(1024));
                free_b.push(labels(), s.free.saturating_mul(1024));
                used_b.push(labels(), s.used.saturating_mul(1024));
                bricks.push(labels(), dev.bricks.len() as u64);
            }
        }
    }

    let simple = |name, help, value| {
        let mut f = Family::gauge(name, help);
        f.push(Vec::new(), value);
        f
    };
    let (ok, failed) = state.queue.finished();
    let mut finished = Family {
        name: "brickyard_operations_finished_total",
        help: "Asynchronous operations finished since the server started, by outcome",
        kind: "counter",
        samples: Vec::new(),
    };
    finished.push(vec![("outcome", "ok".into())], ok);
    finished.push(vec![("outcome", "failed".into())], failed);
    let hook_stats = engine.options().hooks.as_ref().map(|h| h.stats());
    let mut hooks = Family {
        name: "brickyard_hook_calls_total",
        help: "Hook handler invocations since the server started, by result",
        kind: "counter",
        samples: Vec::new(),
    };
    if let Some(st) = hook_stats {
        hooks.push(vec![("result", "called".into())], st.calls);
        hooks.push(vec![("result", "error".into())], st.errors);
        hooks.push(vec![("result", "timeout".into())], st.timeouts);
        hooks.push(vec![("result", "rejected".into())], st.rejections);
    }

    let mut families = vec![
        up,
        clusters,
        volumes,
        blocks,
        nodes,
        devices,
        size,
        free,
        used,
        size_b,
        free_b,
        used_b,
        bricks,
        simple(
            "heketi_operations_stale_count",
            "Number of Stale Operations",
            ops.stale,
        ),
        simple(
            "heketi_operations_failed_count",
            "Number of Failed Operations",
            ops.failed,
        ),
        simple(
            "heketi_operations_new_count",
            "Number of New Operations",
            ops.new,
        ),
        simple(
            "heketi_operations_total_count",
            "Total Number of Operations",
            ops.total,
        ),
        simple(
            "heketi_operations_inFlight_count",
            "Number of in flight Operations",
            in_flight,
        ),
        finished,
    ];
    if hook_stats.is_some() {
        families.push(hooks);
    }
    families.sort_by(|a, b| a.name.cmp(b.name));
    let mut out = String::new();
    for family in &families {
        family.write(&mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn samples_are_rendered_with_sorted_escaped_labels() {
        let mut f = Family::gauge("x_size", "Size");
        f.push(
            vec![("zone", "a\"b".into()), ("cluster", "c\\1\n".into())],
            7,
        );
        let mut out = String::new();
        f.write(&mut out);
        assert_eq!(
            out,
            "# HELP x_size Size\n# TYPE x_size gauge\nx_size{cluster=\"c\\\\1\\n\",zone=\"a\\\"b\"} 7\n"
        );
    }
}
