//! Python bindings of the Brickyard engine: the native module `brickyard._brickyard`.
//!
//! - [`engine::PyEngine`] (`Engine`): the embedded engine; blocking calls release the GIL.
//! - [`mock_nodes::PyMockNodes`] (`MockNodes`): the mock storage nodes of an engine.
//! - [`errors`]: `BrickyardError` and one subclass per error kind.
//! - [`ssh`]: the `ssh={...}` settings of `Engine(executor="ssh")`.
//!
//! The Python package `brickyard` (in `python/brickyard`) wraps these with typed
//! results, keyword-argument methods and a REST `Client` with the same methods.

pub mod convert;
pub mod engine;
pub mod errors;
pub mod mock_nodes;
pub mod ssh;

use pyo3::prelude::*;

/// The native module.
#[pymodule]
fn _brickyard(m: &Bound<'_, PyModule>) -> PyResult<()> {
    errors::register(m)?;
    m.add_class::<engine::PyEngine>()?;
    m.add_class::<mock_nodes::PyMockNodes>()?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}
