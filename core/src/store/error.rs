use std::path::PathBuf;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("database {path} is in use by another process; stop it or choose another `db` path")]
    Locked { path: PathBuf },
    #[error("cannot open database {path}: {source}")]
    Open {
        path: PathBuf,
        #[source]
        source: redb::DatabaseError,
    },
    #[error("database I/O failed: {0}")]
    Io(#[from] redb::Error),
    #[error("record {table}/{key} is corrupt ({source}); restore it from a `db export` backup")]
    Corrupt {
        table: &'static str,
        key: String,
        #[source]
        source: serde_json::Error,
    },
    #[error(
        "database was written by a newer Brickyard (schema {found}, this one knows up to {known}); upgrade Brickyard"
    )]
    NewerSchema { found: String, known: String },
    #[error("the target database is not empty; import only into a new database")]
    NotEmpty,
    #[error(
        "an earlier write to the database failed ({0}); writes are refused until Brickyard is restarted"
    )]
    Poisoned(String),
    #[error(
        "writing to the database failed ({0}); this change was not saved, and writes are refused until Brickyard is restarted"
    )]
    CommitFailed(String),
    #[error("the database is closed: Brickyard is stopping; retry once it is started again")]
    Closed,
}

macro_rules! from_redb {
    ($($t:ty),*) => {$(
        impl From<$t> for StoreError {
            fn from(e: $t) -> Self {
                StoreError::Io(e.into())
            }
        }
    )*};
}

from_redb!(
    redb::TransactionError,
    redb::TableError,
    redb::StorageError,
    redb::CommitError
);
