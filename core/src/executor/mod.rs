//! The commands that run on storage nodes.

mod error;

pub use error::{ExecError, ExecErrorKind};
