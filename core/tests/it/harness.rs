//! Test harness: an engine over mock nodes with fault injection, and checks that the
//! records and the nodes agree.

use std::collections::BTreeMap;
use std::sync::Arc;

use brickyard::api::{VolumeCreateRequest, VolumeDurabilityInfo};
use brickyard::engine::CheckReport;
use brickyard::executor::{Executor, FaultyMockExecutor, MockNodeState};
use brickyard::state::State;
use brickyard::topology::TopologyFile;
use brickyard::{Engine, EngineOptions};

pub struct Bed {
    pub engine: Engine,
    pub mock: Arc<FaultyMockExecutor>,
}

pub fn topology(nodes: usize, devices: usize) -> TopologyFile {
    let mut text = String::from("{\"clusters\":[{\"nodes\":[");
    for n in 0..nodes {
        if n > 0 {
            text.push(',');
        }
        let host = format!("10.0.0.{}", n + 1);
        text.push_str(&format!(
            "{{\"node\":{{\"hostnames\":{{\"manage\":[\"{host}\"],\"storage\":[\"{host}\"]}},\"zone\":{}}},\"devices\":[",
            n % 3 + 1
        ));
        for d in 0..devices {
            if d > 0 {
                text.push(',');
            }
            text.push_str(&format!("\"/dev/sd{}\"", (b'b' + d as u8) as char));
        }
        text.push_str("]}");
    }
    text.push_str("]}]}");
    TopologyFile::parse(&text).expect("generated topology parses")
}

pub async fn bed_with(options: EngineOptions, nodes: usize, devices: usize) -> Bed {
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = Engine::open(options, mock.clone())
        .await
        .expect("engine opens");
    let report = engine
        .apply_topology(&topology(nodes, devices))
        .await
        .expect("topology applies");
    assert_eq!(report.failed(), 0, "{report:?}");
    Bed { engine, mock }
}

pub async fn bed(nodes: usize, devices: usize) -> Bed {
    bed_with(EngineOptions::in_memory(), nodes, devices).await
}

pub fn replica(size: i64, replica: i64) -> VolumeCreateRequest {
    VolumeCreateRequest {
        size,
        durability: VolumeDurabilityInfo {
            kind: "replicate".into(),
            replicate: brickyard::api::ReplicaDurability { replica },
            ..Default::default()
        },
        ..Default::default()
    }
}

/// What the nodes hold that matters for agreement with the records.
#[derive(Debug, PartialEq, Eq, Clone)]
pub struct NodesView {
    /// (manage host, thin LV name, virtual KiB)
    pub lvs: Vec<(String, String, u64)>,
    /// (manage host, mount dir)
    pub mounts: Vec<(String, String)>,
    pub fstab: Vec<(String, String)>,
    /// gluster volume name → bricks
    pub volumes: BTreeMap<String, Vec<String>>,
    /// (manage host, vg, free KiB)
    pub vg_free: Vec<(String, String, u64)>,
}

pub fn nodes_view(nodes: &[MockNodeState]) -> NodesView {
    let mut v = NodesView {
        lvs: vec![],
        mounts: vec![],
        fstab: vec![],
        volumes: BTreeMap::new(),
        vg_free: vec![],
    };
    for n in nodes {
        for vg in &n.vgs {
            v.vg_free
                .push((n.manage.clone(), vg.name.clone(), vg.free_kib()));
            for tp in &vg.thin_pools {
                for lv in &tp.thin_lvs {
                    v.lvs
                        .push((n.manage.clone(), lv.name.clone(), lv.virtual_size_kib));
                }
            }
        }
        for m in &n.mounts {
            v.mounts.push((n.manage.clone(), m.dir.clone()));
        }
        for l in &n.fstab {
            if !l.trim().is_empty() {
                v.fstab.push((n.manage.clone(), l.clone()));
            }
        }
        for vol in &n.volumes {
            v.volumes.insert(vol.name.clone(), vol.bricks.clone());
        }
    }
    v.lvs.sort();
    v.mounts.sort();
    v.fstab.sort();
    v.vg_free.sort();
    v
}

/// The records and the nodes agree: every brick of the records is a mounted thin LV of
/// its size on its node (and nothing else is), every volume is a gluster volume with the
/// records' bricks in order, and every device's accounting adds up.
pub fn assert_agree(engine: &Engine, nodes: &[MockNodeState]) {
    let check: CheckReport = engine.check();
    assert!(
        check.is_ok(),
        "inconsistent records: {:?}",
        check.inconsistencies
    );
    let st: State = engine.state();
    let view = nodes_view(nodes);
    let mut want_lvs: Vec<(String, String, u64)> = st
        .bricks
        .values()
        .map(|b| {
            let host = st.nodes[&b.info.node].info.hostnames.manage[0].clone();
            // A clone's brick is gluster's LV (`lvm_lv`), not `brick_<id>`.
            let lv = if b.lvm_lv.is_empty() {
                format!("brick_{}", b.info.id)
            } else {
                b.lvm_lv.clone()
            };
            (host, lv, b.info.size)
        })
        .collect();
    want_lvs.sort();
    assert_eq!(
        view.lvs, want_lvs,
        "thin LVs on the nodes differ from the bricks in the records"
    );
    let mut want_mounts: Vec<(String, String)> = st
        .bricks
        .values()
        .map(|b| {
            let host = st.nodes[&b.info.node].info.hostnames.manage[0].clone();
            (host, b.info.path.trim_end_matches("/brick").to_string())
        })
        .collect();
    want_mounts.sort();
    assert_eq!(view.mounts, want_mounts, "mounts differ from bricks");
    // glusterd mounts a clone's bricks (under /run/gluster) itself: no fstab line.
    assert_eq!(
        view.fstab.len(),
        st.bricks
            .values()
            .filter(|b| !b.info.path.starts_with("/run/gluster/"))
            .count(),
        "fstab lines differ from bricks: {:?}",
        view.fstab
    );
    let want_vols: BTreeMap<String, Vec<String>> = st
        .volumes
        .values()
        .map(|v| {
            let bricks = v
                .bricks
                .iter()
                .map(|b| {
                    let b = &st.bricks.get(b).unwrap();
                    format!(
                        "{}:{}",
                        st.nodes[&b.info.node].info.hostnames.storage[0], b.info.path
                    )
                })
                .collect();
            (v.info.request.name.clone(), bricks)
        })
        .collect();
    assert_eq!(
        view.volumes, want_vols,
        "gluster volumes differ from the records"
    );
    for d in st.devices.values() {
        let s = d.info.storage;
        assert_eq!(s.total, s.free + s.used, "device {} accounting", d.info.id);
        // Each thin pool once: a clone's bricks live in their source's pools.
        let mut pools = std::collections::BTreeSet::new();
        let bricks: u64 = d
            .bricks
            .iter()
            .map(|b| st.bricks.get(b).unwrap())
            .filter(|b| pools.insert(b.thin_pool_name()))
            .map(|b| b.tp_size + b.pool_metadata_size)
            .sum();
        assert_eq!(
            s.total - s.free,
            bricks,
            "device {} used != sum of its bricks",
            d.info.id
        );
    }
}

pub fn temp_dir(tag: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("brickyard-{tag}-{}", brickyard::id::new_id()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    dir
}

/// Opens the database at `path` again over `mock` (a restarted process whose nodes
/// stayed as they were).
pub async fn reopen(path: &std::path::Path, mock: &Arc<FaultyMockExecutor>) -> Engine {
    Engine::open(
        EngineOptions::with_file(path),
        mock.clone() as Arc<dyn Executor>,
    )
    .await
    .expect("reopens")
}

/// A new process: the database at `path` opened over fresh, empty mock nodes, which
/// are then restored from the records.
pub async fn restart_with_fresh_mock(path: &std::path::Path) -> (Engine, Arc<FaultyMockExecutor>) {
    let mock = Arc::new(FaultyMockExecutor::new());
    let engine = reopen(path, &mock).await;
    engine
        .restore_mock_nodes(mock.mock())
        .await
        .expect("mock nodes restored");
    (engine, mock)
}
