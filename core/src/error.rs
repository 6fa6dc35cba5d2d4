//! The one error type of the engine, with a stable [`ErrorKind`] that the server maps
//! to HTTP status codes, the CLI to exit codes, Python to exception classes and Lua to
//! error tables.

use crate::executor::{ExecError, ExecErrorKind};
use crate::hooks::HookError;
use crate::placement::PlacementError;
use crate::store::StoreError;

/// Stable classification of every engine error (mirrors Heketi's tagged errors).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The id or name does not exist (`Id not found`).
    NotFound,
    /// Something with that identity exists already (hostname, volume name, …).
    AlreadyExists,
    /// The target exists, contains other items, or is in use.
    Conflict,
    /// The request is malformed or not allowed; the message says what to change.
    InvalidInput,
    /// No placement fits (`No space` and its relatives).
    NoSpace,
    /// Too many operations in flight; retry later.
    Busy,
    /// A command on a storage node failed.
    Exec,
    /// The embedded store failed (I/O, corruption, lock).
    Store,
    /// A hook (site policy) refused the operation.
    Rejected,
    /// A feature that this version does not provide.
    Unsupported,
}

impl ErrorKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ErrorKind::NotFound => "not_found",
            ErrorKind::AlreadyExists => "already_exists",
            ErrorKind::Conflict => "conflict",
            ErrorKind::InvalidInput => "invalid_input",
            ErrorKind::NoSpace => "no_space",
            ErrorKind::Busy => "busy",
            ErrorKind::Exec => "exec",
            ErrorKind::Store => "store",
            ErrorKind::Rejected => "rejected",
            ErrorKind::Unsupported => "unsupported",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    AlreadyExists(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    #[error("{0}")]
    Busy(String),
    #[error("{0}")]
    Rejected(String),
    #[error("{0}")]
    Unsupported(String),
    #[error(transparent)]
    Placement(#[from] PlacementError),
    #[error(transparent)]
    Exec(#[from] ExecError),
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Hook(#[from] HookError),
    /// An error with a prefix that says which operation it belongs to, e.g.
    /// `Failed to allocate new volume: No space`.
    #[error("{context}: {source}")]
    Context {
        context: String,
        #[source]
        source: Box<Error>,
    },
}

/// Heketi's text for a missing entity; clients show it verbatim.
pub const ID_NOT_FOUND: &str = "Id not found";
/// Heketi's `ErrConflict` text.
pub const CONFLICT: &str = "The target exists, contains other items, or is in use.";

impl Error {
    pub fn kind(&self) -> ErrorKind {
        match self {
            Error::NotFound(_) => ErrorKind::NotFound,
            Error::AlreadyExists(_) => ErrorKind::AlreadyExists,
            Error::Conflict(_) => ErrorKind::Conflict,
            Error::Invalid(_) => ErrorKind::InvalidInput,
            Error::Busy(_) => ErrorKind::Busy,
            Error::Rejected(_) => ErrorKind::Rejected,
            Error::Unsupported(_) => ErrorKind::Unsupported,
            Error::Placement(PlacementError::Invalid(_)) => ErrorKind::InvalidInput,
            Error::Placement(_) => ErrorKind::NoSpace,
            Error::Exec(e) if e.kind == ExecErrorKind::NotFound => ErrorKind::Exec,
            Error::Exec(_) => ErrorKind::Exec,
            Error::Store(_) => ErrorKind::Store,
            Error::Hook(_) => ErrorKind::Rejected,
            Error::Context { source, .. } => source.kind(),
        }
    }

    /// `Id not found`, Heketi's exact text.
    pub fn id_not_found() -> Error {
        Error::NotFound(ID_NOT_FOUND.to_string())
    }

    pub fn not_found(msg: impl Into<String>) -> Error {
        Error::NotFound(msg.into())
    }

    pub fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    pub fn conflict(msg: impl Into<String>) -> Error {
        Error::Conflict(msg.into())
    }

    /// Wraps the error with the operation it belongs to.
    pub fn context(self, context: impl Into<String>) -> Error {
        Error::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// True when a commit failed in a way that may still have reached the disk (a failed
    /// `fsync` can leave the written transaction in place): the change is neither known
    /// saved nor known lost until the database is opened again, so what was done on the
    /// nodes for it must not be undone.
    pub fn commit_outcome_unknown(&self) -> bool {
        match self {
            Error::Store(StoreError::CommitFailed(_)) => true,
            Error::Context { source, .. } => source.commit_outcome_unknown(),
            _ => false,
        }
    }

    /// The executor error inside, if this is one (for node, command, status, stderr).
    pub fn exec_error(&self) -> Option<&ExecError> {
        match self {
            Error::Exec(e) => Some(e),
            Error::Context { source, .. } => source.exec_error(),
            _ => None,
        }
    }

    /// The placement error inside, if this is one (for the per-device explanation).
    pub fn placement_error(&self) -> Option<&PlacementError> {
        match self {
            Error::Placement(e) => Some(e),
            Error::Context { source, .. } => source.placement_error(),
            _ => None,
        }
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
