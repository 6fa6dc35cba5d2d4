//! The exception hierarchy: `BrickyardError` and one subclass per [`ErrorKind`], plus
//! `Unauthorized` (raised by the REST client only). [`map_error`] turns an engine error
//! into the matching exception with its details as attributes.

use brickyard::placement::PlacementError;
use brickyard::{Error, ErrorKind};
use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyDict, PyTuple};

create_exception!(
    brickyard,
    BrickyardError,
    PyException,
    "Base class of every Brickyard error; `kind` names the error class."
);
create_exception!(
    brickyard,
    NotFound,
    BrickyardError,
    "The id or name does not exist."
);
create_exception!(
    brickyard,
    AlreadyExists,
    BrickyardError,
    "Something with that identity exists already."
);
create_exception!(
    brickyard,
    Conflict,
    BrickyardError,
    "The target exists, contains other items, or is in use."
);
create_exception!(
    brickyard,
    InvalidInput,
    BrickyardError,
    "The request is malformed or not allowed."
);
create_exception!(
    brickyard,
    NoSpace,
    BrickyardError,
    "No placement fits; `reasons` lists why each device was refused."
);
create_exception!(
    brickyard,
    Unauthorized,
    BrickyardError,
    "The server refused the credentials (REST client only)."
);
create_exception!(
    brickyard,
    Busy,
    BrickyardError,
    "Too many operations in flight; retry later."
);
create_exception!(
    brickyard,
    ExecutorError,
    BrickyardError,
    "A command on a storage node failed: `node`, `command`, `exit_status`, `stderr`."
);
create_exception!(
    brickyard,
    Unsupported,
    BrickyardError,
    "A feature this version does not provide."
);
create_exception!(
    brickyard,
    StoreError,
    BrickyardError,
    "The embedded store failed (I/O, corruption, lock)."
);
create_exception!(
    brickyard,
    Rejected,
    BrickyardError,
    "A site policy refused the operation."
);

/// Registers the classes on the module, with their class-level `kind` and defaults.
pub fn register(m: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = m.py();
    let classes: [(&str, Bound<'_, pyo3::types::PyType>, &str); 12] = [
        ("BrickyardError", py.get_type::<BrickyardError>(), "error"),
        (
            "NotFound",
            py.get_type::<NotFound>(),
            ErrorKind::NotFound.as_str(),
        ),
        (
            "AlreadyExists",
            py.get_type::<AlreadyExists>(),
            ErrorKind::AlreadyExists.as_str(),
        ),
        (
            "Conflict",
            py.get_type::<Conflict>(),
            ErrorKind::Conflict.as_str(),
        ),
        (
            "InvalidInput",
            py.get_type::<InvalidInput>(),
            ErrorKind::InvalidInput.as_str(),
        ),
        (
            "NoSpace",
            py.get_type::<NoSpace>(),
            ErrorKind::NoSpace.as_str(),
        ),
        (
            "Unauthorized",
            py.get_type::<Unauthorized>(),
            "unauthorized",
        ),
        ("Busy", py.get_type::<Busy>(), ErrorKind::Busy.as_str()),
        (
            "ExecutorError",
            py.get_type::<ExecutorError>(),
            ErrorKind::Exec.as_str(),
        ),
        (
            "Unsupported",
            py.get_type::<Unsupported>(),
            ErrorKind::Unsupported.as_str(),
        ),
        (
            "StoreError",
            py.get_type::<StoreError>(),
            ErrorKind::Store.as_str(),
        ),
        (
            "Rejected",
            py.get_type::<Rejected>(),
            ErrorKind::Rejected.as_str(),
        ),
    ];
    for (name, ty, kind) in classes {
        ty.setattr("kind", kind)?;
        m.add(name, ty)?;
    }
    py.get_type::<NoSpace>()
        .setattr("reasons", PyTuple::empty(py))?;
    let exec = py.get_type::<ExecutorError>();
    for attr in ["node", "command", "exit_status", "stderr"] {
        exec.setattr(attr, py.None())?;
    }
    Ok(())
}

fn class_for(py: Python<'_>, kind: ErrorKind) -> Bound<'_, pyo3::types::PyType> {
    match kind {
        ErrorKind::NotFound => py.get_type::<NotFound>(),
        ErrorKind::AlreadyExists => py.get_type::<AlreadyExists>(),
        ErrorKind::Conflict => py.get_type::<Conflict>(),
        ErrorKind::InvalidInput => py.get_type::<InvalidInput>(),
        ErrorKind::NoSpace => py.get_type::<NoSpace>(),
        ErrorKind::Busy => py.get_type::<Busy>(),
        ErrorKind::Exec => py.get_type::<ExecutorError>(),
        ErrorKind::Unsupported => py.get_type::<Unsupported>(),
        ErrorKind::Store => py.get_type::<StoreError>(),
        ErrorKind::Rejected => py.get_type::<Rejected>(),
        // `ErrorKind` is non-exhaustive: a later kind is the base class until mapped.
        _ => py.get_type::<BrickyardError>(),
    }
}

/// The exception for an engine error: the class of its kind, its message, `kind`, and
/// the details the error carries (`reasons` of a `NoSpace`, the command of an
/// `ExecutorError`).
pub fn map_error(py: Python<'_>, err: &Error) -> PyErr {
    build(py, err).unwrap_or_else(|e| e)
}

fn build(py: Python<'_>, err: &Error) -> PyResult<PyErr> {
    let kind = err.kind();
    let exc = class_for(py, kind).call1((err.to_string(),))?;
    exc.setattr("kind", kind.as_str())?;
    if let Some(PlacementError::NoSpace(details)) = err.placement_error() {
        let mut reasons = Vec::with_capacity(details.devices.len());
        for r in &details.devices {
            let d = PyDict::new(py);
            d.set_item("device", &r.device)?;
            d.set_item("node", &r.node)?;
            d.set_item("reason", r.reason.to_string())?;
            reasons.push(d);
        }
        exc.setattr("reasons", PyTuple::new(py, reasons)?)?;
    }
    if let Some(e) = err.exec_error() {
        exc.setattr("node", &e.host)?;
        exc.setattr("command", &e.command)?;
        exc.setattr("exit_status", e.exit_status)?;
        exc.setattr("stderr", &e.stderr)?;
    }
    Ok(PyErr::from_value(exc))
}

/// `InvalidInput(message)` for arguments the binding itself refuses.
pub fn invalid_input(_py: Python<'_>, message: &str) -> PyErr {
    InvalidInput::new_err(message.to_string())
}

/// `StoreError(message)` for a closed engine.
pub fn closed(_py: Python<'_>) -> PyErr {
    StoreError::new_err("the engine is closed")
}

/// The base class, for failures that belong to no kind (a result that cannot be
/// serialised: an internal invariant).
pub fn internal(_py: Python<'_>, message: &str) -> PyErr {
    BrickyardError::new_err(message.to_string())
}
