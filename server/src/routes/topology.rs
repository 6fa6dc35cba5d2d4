//! `GET /topology` (Brickyard): the whole topology in one answer, the JSON of heketi-cli's
//! `topology info` (`TopologyInfoResponse`), which Heketi's clients build with one
//! request per cluster, volume and node. Brickyard's CLI asks this route first and
//! falls back to those requests when the server answers `404` (Heketi).
//!
//! The body is streamed: the outline (clusters, their volume and node ids) is taken
//! at once, then the volumes and nodes are written [`PIECE`] at a time, each piece under
//! the engine lock for a short while, so 100,000 volumes neither hold the lock for the
//! whole answer nor sit in memory at once. A volume deleted meanwhile is left out.

use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use brickyard::Engine;
use brickyard::engine::TopologyOutline;

use crate::body::go_escape_bytes;
use crate::state::AppState;

/// Volumes (or nodes) per streamed piece.
pub const PIECE: usize = 256;

/// The topology route.
pub fn routes() -> Router<AppState> {
    Router::new().route("/topology", get(topology))
}

/// Where the stream is.
enum Step {
    Start,
    Volumes { cluster: usize, from: usize },
    Nodes { cluster: usize, from: usize },
    Done,
}

struct Stream {
    engine: Engine,
    outline: Vec<TopologyOutline>,
    step: Step,
    /// No object written yet in the current list.
    first: bool,
    /// Volumes per piece (nodes: a 256th of it, at least one: a node with 3,000 bricks
    /// is 900 KB of JSON, and pieces of 16 nodes made the server's memory grow by
    /// 40 MB while it wrote them).
    piece: usize,
}

impl Stream {
    /// The next piece of the body, `None` at the end.
    fn next_piece(&mut self) -> Option<Vec<u8>> {
        let mut out = Vec::new();
        loop {
            match self.step {
                Step::Done => return None,
                Step::Start => {
                    out.extend_from_slice(b"{\"clusters\":[");
                    self.open_cluster(0, &mut out);
                }
                Step::Volumes { cluster, from } => {
                    let ids = &self.outline[cluster].volumes;
                    let to = (from + self.piece).min(ids.len());
                    self.engine
                        .volume_infos_json(&ids[from..to], &mut self.first, &mut out);
                    if to < ids.len() {
                        self.step = Step::Volumes { cluster, from: to };
                    } else {
                        out.extend_from_slice(TopologyOutline::MIDDLE);
                        self.first = true;
                        self.step = Step::Nodes { cluster, from: 0 };
                    }
                }
                Step::Nodes { cluster, from } => {
                    let ids = &self.outline[cluster].nodes;
                    let to = (from + (self.piece / 256).max(1)).min(ids.len());
                    self.engine
                        .node_infos_json(&ids[from..to], &mut self.first, &mut out);
                    if to < ids.len() {
                        self.step = Step::Nodes { cluster, from: to };
                    } else {
                        out.extend_from_slice(&self.outline[cluster].tail());
                        if cluster + 1 < self.outline.len() {
                            out.push(b',');
                        }
                        self.open_cluster(cluster + 1, &mut out);
                    }
                }
            }
            if !out.is_empty() {
                return Some(go_escape_bytes(out));
            }
        }
    }

    fn open_cluster(&mut self, cluster: usize, out: &mut Vec<u8>) {
        if cluster < self.outline.len() {
            out.extend_from_slice(TopologyOutline::HEAD);
            self.first = true;
            self.step = Step::Volumes { cluster, from: 0 };
        } else {
            out.extend_from_slice(b"]}\n");
            self.step = Step::Done;
        }
    }
}

/// `GET /topology` → `200`, the topology as JSON, streamed.
async fn topology(State(state): State<AppState>) -> Response {
    let mut response = (StatusCode::OK, topology_body(&state.engine, PIECE)).into_response();
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=UTF-8"),
    );
    response
}

/// The streamed body, `piece` volumes at a time.
fn topology_body(engine: &Engine, piece: usize) -> Body {
    let stream = Stream {
        outline: engine.topology_outline(),
        engine: engine.clone(),
        step: Step::Start,
        first: true,
        piece: piece.max(1),
    };
    let pieces = futures_util::stream::unfold(stream, |mut stream| async move {
        let piece = stream.next_piece()?;
        Some((
            Ok::<_, std::convert::Infallible>(Bytes::from(piece)),
            stream,
        ))
    });
    Body::from_stream(pieces)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use brickyard::api::{ReplicaDurability, VolumeCreateRequest, VolumeDurabilityInfo};
    use brickyard::executor::MockExecutor;
    use brickyard::topology::TopologyFile;
    use brickyard::{Engine, EngineOptions};
    use http_body_util::BodyExt;

    use super::topology_body;
    use crate::body::encode;

    async fn text(engine: &Engine, piece: usize) -> String {
        let bytes = topology_body(engine, piece)
            .collect()
            .await
            .map(|b| b.to_bytes())
            .unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    fn expected(engine: &Engine) -> String {
        let bytes = encode(&engine.topology_info(), false).unwrap_or_default();
        String::from_utf8_lossy(&bytes).into_owned()
    }

    #[tokio::test]
    async fn the_streamed_topology_is_the_topology_answer_whatever_the_piece_size() {
        let engine = Engine::open(EngineOptions::in_memory(), Arc::new(MockExecutor::new()))
            .await
            .expect("engine");
        // No cluster yet.
        assert_eq!(text(&engine, 1).await, "{\"clusters\":[]}\n");
        for cluster in 0..2 {
            let mut nodes = Vec::new();
            for n in 0..3 {
                let host = format!("10.0.{cluster}.{n}");
                nodes.push(format!(
                    "{{\"node\":{{\"hostnames\":{{\"manage\":[\"{host}\"],\"storage\":[\"{host}\"]}},\"zone\":{}}},\"devices\":[\"/dev/sdb\"]}}",
                    n + 1
                ));
            }
            let file = format!("{{\"clusters\":[{{\"nodes\":[{}]}}]}}", nodes.join(","));
            let report = engine
                .apply_topology(&TopologyFile::parse(&file).expect("topology"))
                .await
                .expect("topology applies");
            assert_eq!(report.failed(), 0, "{report:?}");
        }
        let clusters = engine.cluster_list().clusters;
        assert_eq!(clusters.len(), 2);
        for (i, cluster) in clusters.iter().enumerate() {
            for _ in 0..(3 + i) {
                let req = VolumeCreateRequest {
                    size: 1,
                    clusters: vec![cluster.clone()],
                    durability: VolumeDurabilityInfo {
                        kind: "replicate".into(),
                        replicate: ReplicaDurability { replica: 3 },
                        ..Default::default()
                    },
                    ..Default::default()
                };
                engine.create_volume(req).await.expect("create");
            }
        }
        let want = expected(&engine);
        assert!(want.matches("\"bricks\"").count() > 5, "{want}");
        for piece in [1, 2, 3, 256] {
            assert_eq!(text(&engine, piece).await, want, "piece {piece}");
        }
    }
}
