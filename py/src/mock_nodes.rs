//! `MockNodes`: the handle on an engine's mock storage nodes, so scripts and tests can
//! size disks, pull a disk or stop glusterd and see how the engine reacts.

use brickyard::executor::MockTransport;
use pyo3::prelude::*;

/// The in-memory storage nodes behind an engine opened with `executor="mock"`.
#[pyclass(name = "MockNodes", module = "brickyard._brickyard", frozen)]
pub struct PyMockNodes {
    pub(crate) transport: MockTransport,
}

#[pymethods]
impl PyMockNodes {
    /// Gives `device` on node `host` a size in GiB (before it is added).
    fn set_device_size(&self, host: &str, device: &str, size_gb: u64) {
        self.transport
            .set_device_size(host, device, size_gb.saturating_mul(1024 * 1024));
    }

    /// Makes `device` on `host` disappear (or come back).
    fn set_device_missing(&self, host: &str, device: &str, missing: bool) {
        self.transport.set_device_missing(host, device, missing);
    }

    /// Stops or starts glusterd on `host`.
    fn set_glusterd_running(&self, host: &str, running: bool) {
        self.transport.set_glusterd_running(host, running);
    }

    /// `(host, command)` of every command run so far.
    fn commands(&self) -> Vec<(String, String)> {
        self.transport.commands()
    }

    /// Manage host names of the nodes contacted so far.
    fn hosts(&self) -> Vec<String> {
        self.transport
            .nodes()
            .into_iter()
            .map(|n| n.manage)
            .collect()
    }
}
