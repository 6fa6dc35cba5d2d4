//! Offline database commands, like `heketi db export` / `heketi db import`:
//! Heketi's JSON export format in and out of a Brickyard database file, without a
//! running server and without touching any node.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use brickyard::executor::MockExecutor;
use brickyard::model::DbExport;
use brickyard::{Engine, EngineOptions};

use crate::serve::{bolt_advice, is_bolt_file};

/// Why an offline database command failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum OfflineError {
    /// Export refuses to overwrite its output.
    #[error("{} already exists; choose another --jsonfile or remove it", .0.display())]
    JsonExists(PathBuf),
    /// Import refuses to write into an existing database.
    #[error("{} already exists; import creates a new database file", .0.display())]
    DbExists(PathBuf),
    /// Export needs an existing database.
    #[error("database {} does not exist", .0.display())]
    DbMissing(PathBuf),
    /// The database file is Heketi's BoltDB.
    #[error("{}", bolt_advice(.0))]
    BoltDb(PathBuf),
    /// A file could not be read or written.
    #[error("{}: {source}", .path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// The JSON is not a Heketi database export.
    #[error("{}: not a Heketi database export: {source}", .path.display())]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        #[source]
        source: serde_json::Error,
    },
    /// The engine refused the records or the database.
    #[error("{}: {source}", .path.display())]
    Engine {
        /// The database file.
        path: PathBuf,
        /// Why.
        #[source]
        source: brickyard::Error,
    },
}

fn options(dbfile: &Path) -> EngineOptions {
    EngineOptions {
        cleanup_on_open: false,
        ..EngineOptions::with_file(dbfile)
    }
}

/// Writes the database `dbfile` as Heketi's export JSON to `jsonfile` (which must
/// not exist).
pub async fn db_export(dbfile: &Path, jsonfile: &Path) -> Result<(), OfflineError> {
    if jsonfile.exists() {
        return Err(OfflineError::JsonExists(jsonfile.to_path_buf()));
    }
    if !dbfile.exists() {
        return Err(OfflineError::DbMissing(dbfile.to_path_buf()));
    }
    if is_bolt_file(dbfile) {
        return Err(OfflineError::BoltDb(dbfile.to_path_buf()));
    }
    let engine = Engine::open(options(dbfile), Arc::new(MockExecutor::new()))
        .await
        .map_err(|source| OfflineError::Engine {
            path: dbfile.to_path_buf(),
            source,
        })?;
    let mut text = engine.export_json();
    text.push('\n');
    std::fs::write(jsonfile, text).map_err(|source| OfflineError::Io {
        path: jsonfile.to_path_buf(),
        source,
    })
}

/// Creates the database `dbfile` (which must not exist) from Heketi's export JSON
/// in `jsonfile`; returns how many volumes it holds.
pub async fn db_import(jsonfile: &Path, dbfile: &Path) -> Result<usize, OfflineError> {
    if dbfile.exists() {
        return Err(OfflineError::DbExists(dbfile.to_path_buf()));
    }
    let text = std::fs::read_to_string(jsonfile).map_err(|source| OfflineError::Io {
        path: jsonfile.to_path_buf(),
        source,
    })?;
    let export: DbExport = serde_json::from_str(&text).map_err(|source| OfflineError::Parse {
        path: jsonfile.to_path_buf(),
        source,
    })?;
    let volumes = export.volumeentries.len();
    let imported = Engine::import(options(dbfile), Arc::new(MockExecutor::new()), export).await;
    if let Err(source) = imported {
        // Leave no half-made database behind.
        let _ = std::fs::remove_file(dbfile);
        return Err(OfflineError::Engine {
            path: dbfile.to_path_buf(),
            source,
        });
    }
    Ok(volumes)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn temp(tag: &str) -> PathBuf {
        let dir = std::env::temp_dir().join(format!(
            "brickyard-offline-{tag}-{}",
            brickyard::id::new_id()
        ));
        std::fs::create_dir_all(&dir).expect("temp dir");
        dir
    }

    #[tokio::test]
    async fn export_then_import_round_trips_and_refuses_overwrites() {
        let dir = temp("rt");
        let db = dir.join("a.db");
        {
            let engine = Engine::open(options(&db), Arc::new(MockExecutor::new()))
                .await
                .expect("opens");
            engine
                .create_cluster(brickyard::api::ClusterFlags {
                    block: false,
                    file: true,
                })
                .expect("cluster");
        }
        let json = dir.join("export.json");
        db_export(&db, &json).await.expect("exports");
        assert!(matches!(
            db_export(&db, &json).await,
            Err(OfflineError::JsonExists(_))
        ));
        assert!(matches!(
            db_export(&dir.join("none.db"), &dir.join("x.json")).await,
            Err(OfflineError::DbMissing(_))
        ));
        let db2 = dir.join("b.db");
        assert_eq!(db_import(&json, &db2).await.expect("imports"), 0);
        assert!(matches!(
            db_import(&json, &db2).await,
            Err(OfflineError::DbExists(_))
        ));
        let engine = Engine::open(options(&db2), Arc::new(MockExecutor::new()))
            .await
            .expect("opens");
        assert_eq!(engine.cluster_list().clusters.len(), 1);
        let bad = dir.join("bad.json");
        std::fs::write(&bad, "[1]").expect("write");
        assert!(matches!(
            db_import(&bad, &dir.join("c.db")).await,
            Err(OfflineError::Parse { .. })
        ));
        assert!(!dir.join("c.db").exists());
        let _ = std::fs::remove_dir_all(&dir);
    }
}
