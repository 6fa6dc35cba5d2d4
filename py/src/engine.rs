//! `Engine`: the embedded engine. Each method converts its arguments, calls the core
//! with the GIL released (`py.detach` around a private tokio runtime's `block_on`), and
//! converts the result or the error. Request bodies are dicts in Heketi's wire format;
//! the Python layer (`brickyard.Engine`) builds them from keyword arguments.

use std::path::PathBuf;
use std::sync::{Arc, RwLock};

use brickyard::api::{
    ClusterFlags, DeviceAddRequest, NodeAddRequest, TagsChangeRequest, VolumeCreateRequest,
};
use brickyard::engine::{HealCheck, NodeReplaceRequest};
use brickyard::executor::{Executor, MockConfig, MockExecutor, MockTransport};
use brickyard::model::DbExport;
use brickyard::placement::{Limits, ZoneChecking};
use brickyard::topology::TopologyFile;
use brickyard::{DbLocation, Engine, EngineOptions};
use pyo3::prelude::*;
use pyo3::types::PyDict;
use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::convert::{from_py, to_py};
use crate::errors::{self, map_error};
use crate::mock_nodes::PyMockNodes;

const GIB_IN_KIB: u64 = 1024 * 1024;

/// A Python object, as the methods take and return them.
type Obj<'py> = Bound<'py, PyAny>;

/// The Brickyard engine on a redb file (or in memory) with its executor (`mock`, or
/// `ssh` with the settings of [`crate::ssh::settings`]).
#[pyclass(name = "Engine", module = "brickyard._brickyard", frozen)]
pub struct PyEngine {
    runtime: tokio::runtime::Runtime,
    engine: RwLock<Option<Engine>>,
    mock: Option<MockTransport>,
}

impl PyEngine {
    /// The engine, or `StoreError` once closed.
    fn engine(&self, py: Python<'_>) -> PyResult<Engine> {
        let guard = self.engine.read().unwrap_or_else(|p| p.into_inner());
        guard.clone().ok_or_else(|| errors::closed(py))
    }

    /// Runs `f` on the engine with the GIL released and maps its error.
    fn call<T, F, Fut>(&self, py: Python<'_>, f: F) -> PyResult<T>
    where
        T: Send,
        F: FnOnce(Engine) -> Fut + Send,
        Fut: std::future::Future<Output = brickyard::Result<T>>,
    {
        let engine = self.engine(py)?;
        py.detach(|| self.runtime.block_on(f(engine)))
            .map_err(|e| map_error(py, &e))
    }

    /// Like [`PyEngine::call`], converting a serialisable result to Python objects.
    fn call_py<'py, T, F, Fut>(&self, py: Python<'py>, f: F) -> PyResult<Obj<'py>>
    where
        T: Serialize + Send,
        F: FnOnce(Engine) -> Fut + Send,
        Fut: std::future::Future<Output = brickyard::Result<T>>,
    {
        let out = self.call(py, f)?;
        to_py(py, &out)
    }

    /// Like [`PyEngine::call_py`] for a method that takes a request: `body` (a dict in
    /// Heketi's wire format) becomes the request `f` is called with.
    fn call_body<'py, R, T, F, Fut>(
        &self,
        py: Python<'py>,
        body: &Obj<'py>,
        f: F,
    ) -> PyResult<Obj<'py>>
    where
        R: DeserializeOwned + Send,
        T: Serialize + Send,
        F: FnOnce(Engine, R) -> Fut + Send,
        Fut: std::future::Future<Output = brickyard::Result<T>>,
    {
        let req: R = from_py(body, "body")?;
        self.call_py(py, |e| f(e, req))
    }
}

#[allow(clippy::too_many_arguments)]
fn options(
    path: Option<PathBuf>,
    zone_checking: &str,
    brick_min_size_gb: Option<u64>,
    brick_max_size_gb: Option<u64>,
    max_bricks_per_volume: Option<usize>,
    average_file_size_kb: u64,
    pre_request_volume_options: String,
    post_request_volume_options: String,
    max_volumes_per_cluster: i64,
    rebalance_on_expansion: bool,
    cleanup_on_open: bool,
) -> PyResult<EngineOptions> {
    let zone_checking = match zone_checking {
        "none" | "" => ZoneChecking::None,
        "strict" => ZoneChecking::Strict,
        other => {
            return Err(errors::InvalidInput::new_err(format!(
                "zone_checking: must be 'none' or 'strict', got {other:?}"
            )));
        }
    };
    let mut limits = Limits::default();
    if let Some(gb) = brick_min_size_gb {
        limits.brick_min_kib = gb.saturating_mul(GIB_IN_KIB);
    }
    if let Some(gb) = brick_max_size_gb {
        limits.brick_max_kib = gb.saturating_mul(GIB_IN_KIB);
    }
    if let Some(n) = max_bricks_per_volume {
        limits.max_bricks_per_volume = n;
    }
    Ok(EngineOptions {
        db: path.map_or(DbLocation::Memory, DbLocation::File),
        limits,
        zone_checking,
        average_file_size_kib: average_file_size_kb,
        pre_request_volume_options,
        post_request_volume_options,
        max_volumes_per_cluster,
        rebalance_on_expansion,
        cleanup_on_open,
        hooks: None,
    })
}

#[pymethods]
impl PyEngine {
    /// Opens (or creates) the engine. `path=None` keeps everything in memory.
    /// `import_json` creates the store from a Heketi `db export` instead (the store
    /// must be empty).
    #[new]
    #[pyo3(signature = (
        path = None,
        *,
        executor = "mock",
        mock_device_size_gb = None,
        zone_checking = "none",
        brick_min_size_gb = None,
        brick_max_size_gb = None,
        max_bricks_per_volume = None,
        average_file_size_kb = 64,
        pre_request_volume_options = String::new(),
        post_request_volume_options = String::new(),
        max_volumes_per_cluster = 0,
        rebalance_on_expansion = true,
        cleanup_on_open = true,
        import_json = None,
        ssh = None,
    ))]
    #[allow(clippy::too_many_arguments)]
    fn new(
        py: Python<'_>,
        path: Option<PathBuf>,
        executor: &str,
        mock_device_size_gb: Option<u64>,
        zone_checking: &str,
        brick_min_size_gb: Option<u64>,
        brick_max_size_gb: Option<u64>,
        max_bricks_per_volume: Option<usize>,
        average_file_size_kb: u64,
        pre_request_volume_options: String,
        post_request_volume_options: String,
        max_volumes_per_cluster: i64,
        rebalance_on_expansion: bool,
        cleanup_on_open: bool,
        import_json: Option<String>,
        ssh: Option<&Obj<'_>>,
    ) -> PyResult<PyEngine> {
        let opts = options(
            path,
            zone_checking,
            brick_min_size_gb,
            brick_max_size_gb,
            max_bricks_per_volume,
            average_file_size_kb,
            pre_request_volume_options,
            post_request_volume_options,
            max_volumes_per_cluster,
            rebalance_on_expansion,
            cleanup_on_open,
        )?;
        let ssh = ssh.filter(|s| !s.is_none());
        let (exec, mock): (Arc<dyn Executor>, Option<MockTransport>) = match executor {
            "mock" => {
                if ssh.is_some() {
                    return Err(errors::InvalidInput::new_err(
                        "ssh: settings are only used with executor=\"ssh\" (executor is \"mock\")",
                    ));
                }
                let mut config = MockConfig::default();
                if let Some(gb) = mock_device_size_gb {
                    config.default_device_size_kib = gb.saturating_mul(GIB_IN_KIB);
                }
                let exec = MockExecutor::with_config(config);
                let transport = exec.mock().clone();
                (Arc::new(exec), Some(transport))
            }
            "ssh" => {
                if mock_device_size_gb.is_some() {
                    return Err(errors::InvalidInput::new_err(
                        "mock_device_size_gb: only used with executor=\"mock\"",
                    ));
                }
                let Some(settings) = ssh else {
                    return Err(errors::InvalidInput::new_err(
                        "ssh.keyfile: missing: executor=\"ssh\" needs ssh={\"keyfile\": ...} \
                         (the private key to log in to the nodes with)",
                    ));
                };
                (Arc::new(crate::ssh::executor(settings)?), None)
            }
            other => {
                return Err(errors::Unsupported::new_err(format!(
                    "executor: {other:?} is not available in the Python package; use \"mock\" or \"ssh\""
                )));
            }
        };
        let export: Option<DbExport> = match import_json {
            Some(text) => Some(serde_json::from_str(&text).map_err(|e| {
                errors::InvalidInput::new_err(format!("import_json: not a Heketi db export: {e}"))
            })?),
            None => None,
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("brickyard-py")
            .enable_all()
            .build()
            .map_err(|e| errors::internal(py, &format!("cannot start the runtime: {e}")))?;
        let nodes = mock.clone();
        let engine = py
            .detach(|| {
                runtime.block_on(async move {
                    let engine = match export {
                        Some(export) => Engine::import(opts, exec, export).await?,
                        None => Engine::open(opts, exec).await?,
                    };
                    // Mock nodes live in memory: a new process gets back what the
                    // records say exists (VGs, bricks, gluster volumes).
                    if let Some(nodes) = &nodes {
                        engine.restore_mock_nodes(nodes).await?;
                    }
                    Ok::<_, brickyard::Error>(engine)
                })
            })
            .map_err(|e| map_error(py, &e))?;
        Ok(PyEngine {
            runtime,
            engine: RwLock::new(Some(engine)),
            mock,
        })
    }

    /// Closes the store; later calls raise `StoreError`. Closing twice is allowed.
    fn close(&self, py: Python<'_>) {
        let taken = {
            let mut guard = self.engine.write().unwrap_or_else(|p| p.into_inner());
            guard.take()
        };
        // Dropping the last handle closes the redb file; do it without the GIL.
        py.detach(move || drop(taken));
    }

    /// True once `close()` ran.
    #[getter]
    fn closed(&self) -> bool {
        self.engine
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .is_none()
    }

    /// The mock storage nodes (None for other executors).
    #[getter]
    fn mock(&self) -> Option<PyMockNodes> {
        self.mock.clone().map(|transport| PyMockNodes { transport })
    }

    /// Applies a topology file given as JSON text; returns the report as a dict with
    /// `items`, `summary`, `changed` and `failed`.
    fn apply_topology<'py>(&self, py: Python<'py>, topology: &str) -> PyResult<Obj<'py>> {
        let file = TopologyFile::parse(topology).map_err(|e| map_error(py, &e))?;
        let report = self.call(py, |e| async move { e.apply_topology(&file).await })?;
        let out = to_py(py, &report)?;
        let dict = out.cast::<PyDict>()?;
        dict.set_item("summary", report.summary())?;
        dict.set_item("changed", report.changed())?;
        dict.set_item("failed", report.failed())?;
        Ok(out)
    }

    /// `GET /topology` as a dict.
    fn topology_info<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { Ok(e.topology_info()) })
    }

    /// Creates a cluster from a `ClusterFlags` body.
    fn cluster_create<'py>(&self, py: Python<'py>, body: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, flags: ClusterFlags| async move {
            e.create_cluster(flags)
        })
    }

    /// Ids of every cluster.
    fn cluster_list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.call(py, |e| async move { Ok(e.cluster_list().clusters) })
    }

    /// One cluster.
    fn cluster_info<'py>(&self, py: Python<'py>, id: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.cluster_info(&id) })
    }

    /// Deletes an empty cluster.
    fn cluster_delete(&self, py: Python<'_>, id: String) -> PyResult<()> {
        self.call(py, |e| async move { e.delete_cluster(&id) })
    }

    /// Sets a cluster's block/file flags from a `ClusterFlags` body.
    fn cluster_set_flags(&self, py: Python<'_>, id: String, body: &Obj<'_>) -> PyResult<()> {
        let flags: ClusterFlags = from_py(body, "body")?;
        self.call(py, |e| async move { e.set_cluster_flags(&id, flags) })
    }

    /// Adds a node from a `NodeAddRequest` body.
    fn node_add<'py>(&self, py: Python<'py>, body: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: NodeAddRequest| async move {
            e.add_node(req).await
        })
    }

    /// One node with its devices.
    fn node_info<'py>(&self, py: Python<'py>, id: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.node_info(&id) })
    }

    /// Deletes a node without devices.
    fn node_delete(&self, py: Python<'_>, id: String) -> PyResult<()> {
        self.call(py, |e| async move { e.delete_node(&id).await })
    }

    /// Sets a node `online`, `offline` or `failed`.
    fn node_set_state(&self, py: Python<'_>, id: String, state: String) -> PyResult<()> {
        self.call(py, |e| async move { e.set_node_state(&id, &state).await })
    }

    /// Changes a node's tags from a `TagsChangeRequest` body; returns the new tags.
    fn node_set_tags<'py>(
        &self,
        py: Python<'py>,
        id: String,
        body: &Obj<'py>,
    ) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: TagsChangeRequest| async move {
            e.set_node_tags(&id, &req)
        })
    }

    /// Adds a device from a `DeviceAddRequest` body.
    fn device_add<'py>(&self, py: Python<'py>, body: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: DeviceAddRequest| async move {
            e.add_device(req).await
        })
    }

    /// One device with its bricks.
    fn device_info<'py>(&self, py: Python<'py>, id: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.device_info(&id) })
    }

    /// Deletes a device without bricks (`force_forget`: forget it even if the node
    /// cannot be reached).
    #[pyo3(signature = (id, force_forget = false))]
    fn device_delete(&self, py: Python<'_>, id: String, force_forget: bool) -> PyResult<()> {
        self.call(
            py,
            |e| async move { e.delete_device(&id, force_forget).await },
        )
    }

    /// Sets a device `online`, `offline` or `failed`.
    fn device_set_state(&self, py: Python<'_>, id: String, state: String) -> PyResult<()> {
        self.call(py, |e| async move { e.set_device_state(&id, &state).await })
    }

    /// Re-reads a device's size from the node.
    fn device_resync(&self, py: Python<'_>, id: String) -> PyResult<()> {
        self.call(py, |e| async move { e.resync_device(&id).await })
    }

    /// Changes a device's tags from a `TagsChangeRequest` body; returns the new tags.
    fn device_set_tags<'py>(
        &self,
        py: Python<'py>,
        id: String,
        body: &Obj<'py>,
    ) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: TagsChangeRequest| async move {
            e.set_device_tags(&id, &req)
        })
    }

    /// Replaces brick `id` by a new brick placed like it (`healcheck`: `""`, `enable`
    /// or `disable`).
    #[pyo3(signature = (id, healcheck = String::new()))]
    fn brick_evict(&self, py: Python<'_>, id: String, healcheck: String) -> PyResult<()> {
        self.call(py, |e| async move {
            e.evict_brick(&id, HealCheck::parse(&healcheck)?).await
        })
    }

    /// Removes (fails) an offline device, moving its bricks first.
    #[pyo3(signature = (id, healcheck = String::new()))]
    fn device_remove(&self, py: Python<'_>, id: String, healcheck: String) -> PyResult<()> {
        self.call(py, |e| async move {
            e.remove_device(&id, HealCheck::parse(&healcheck)?).await
        })
    }

    /// Removes (fails) an offline node, moving the bricks of all its devices first.
    #[pyo3(signature = (id, healcheck = String::new()))]
    fn node_remove(&self, py: Python<'_>, id: String, healcheck: String) -> PyResult<()> {
        self.call(py, |e| async move {
            e.remove_node(&id, HealCheck::parse(&healcheck)?).await
        })
    }

    /// Replaces device `id` by device `name` on the same node; returns the new device.
    #[pyo3(signature = (id, name, healcheck = String::new()))]
    fn device_replace<'py>(
        &self,
        py: Python<'py>,
        id: String,
        name: String,
        healcheck: String,
    ) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move {
            e.replace_device(&id, &name, HealCheck::parse(&healcheck)?)
                .await
        })
    }

    /// Replaces node `id` by the node of a `{"hostnames": …, "devices": […]}` body;
    /// returns the new node.
    #[pyo3(signature = (id, body, healcheck = String::new()))]
    fn node_replace<'py>(
        &self,
        py: Python<'py>,
        id: String,
        body: &Obj<'py>,
        healcheck: String,
    ) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: NodeReplaceRequest| async move {
            e.replace_node(&id, req, HealCheck::parse(&healcheck)?)
                .await
        })
    }

    /// The bricks a `VolumeCreateRequest` would use, without creating anything.
    fn volume_plan<'py>(&self, py: Python<'py>, body: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: VolumeCreateRequest| async move {
            e.plan_volume(&req)
        })
    }

    /// Creates a volume from a `VolumeCreateRequest` body.
    fn volume_create<'py>(&self, py: Python<'py>, body: &Obj<'py>) -> PyResult<Obj<'py>> {
        self.call_body(py, body, |e, req: VolumeCreateRequest| async move {
            e.create_volume(req).await
        })
    }

    /// One volume with its bricks.
    fn volume_info<'py>(&self, py: Python<'py>, id: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.volume_info(&id) })
    }

    /// Ids of every volume.
    fn volume_list(&self, py: Python<'_>) -> PyResult<Vec<String>> {
        self.call(py, |e| async move { Ok(e.volume_list().volumes) })
    }

    /// Grows a volume by `size` GiB.
    fn volume_expand<'py>(&self, py: Python<'py>, id: String, size: i64) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.expand_volume(&id, size).await })
    }

    /// Clones a volume (gluster snapshot clone; `name` empty: `vol_<new id>`).
    fn volume_clone<'py>(&self, py: Python<'py>, id: String, name: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.clone_volume(&id, &name).await })
    }

    /// Deletes a volume and its bricks.
    fn volume_delete(&self, py: Python<'_>, id: String) -> PyResult<()> {
        self.call(py, |e| async move { e.delete_volume(&id).await })
    }

    /// The volume called `name`, or None.
    fn volume_by_name<'py>(&self, py: Python<'py>, name: String) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { Ok(e.volume_by_name(&name)) })
    }

    /// The whole database in Heketi's `db export` format, as a dict.
    fn export<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { Ok(e.export()) })
    }

    /// The whole database as Heketi's `db export` JSON text.
    fn export_json(&self, py: Python<'_>) -> PyResult<String> {
        self.call(py, |e| async move { Ok(e.export_json()) })
    }

    /// The consistency check: `{"inconsistencies": [...]}`.
    fn check<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { Ok(e.check()) })
    }

    /// The pending operations (`GET /operations/pending`).
    fn pending_operations<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move {
            Ok(e.pending_operations().pendingoperations)
        })
    }

    /// Cleans up the given pending operations (all when None).
    #[pyo3(signature = (ids = None))]
    fn cleanup<'py>(&self, py: Python<'py>, ids: Option<Vec<String>>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.cleanup_pending(ids).await })
    }

    /// The records compared with the nodes (`POST /db/reconcile`); with `fix`, the safe
    /// drifts repaired.
    #[pyo3(signature = (fix = false))]
    fn reconcile<'py>(&self, py: Python<'py>, fix: bool) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { e.reconcile(fix).await })
    }

    /// What opening the engine cleaned up.
    fn recovery_report<'py>(&self, py: Python<'py>) -> PyResult<Obj<'py>> {
        self.call_py(py, |e| async move { Ok(e.recovery_report().clone()) })
    }
}
