use std::path::{Path, PathBuf};

use redb::{
    Database, Durability, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition,
};

use super::{ChangeSet, RawTables, StoreError, Table};

/// redb's page cache (read cache and write buffer). redb's default is 1 GiB, which a
/// full load at open fills with the whole file: records live in [`crate::state::State`],
/// so the cache only serves the b-tree pages a commit rewrites.
pub const CACHE_BYTES: usize = 16 * 1024 * 1024;

fn builder() -> redb::Builder {
    let mut b = Database::builder();
    b.set_cache_size(CACHE_BYTES);
    b
}

fn def(table: Table) -> TableDefinition<'static, &'static str, &'static [u8]> {
    TableDefinition::new(table.name())
}

/// The redb-backed store.
pub struct Store {
    db: Database,
    path: Option<PathBuf>,
}

impl Store {
    /// Opens (or creates) the database file at `path`.
    pub fn open(path: &Path) -> Result<Store, StoreError> {
        if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty())
            && !parent.exists()
        {
            return Err(StoreError::Open {
                path: path.to_path_buf(),
                source: redb::DatabaseError::Storage(redb::StorageError::Io(std::io::Error::new(
                    std::io::ErrorKind::NotFound,
                    format!("directory {} does not exist", parent.display()),
                ))),
            });
        }
        let db = builder().create(path).map_err(|source| match source {
            redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked {
                path: path.to_path_buf(),
            },
            source => StoreError::Open {
                path: path.to_path_buf(),
                source,
            },
        })?;
        let store = Store {
            db,
            path: Some(path.to_path_buf()),
        };
        store.create_tables()?;
        Ok(store)
    }

    /// A store on any redb backend (a [`super::FaultyBackend`] in tests); `label` names
    /// it in errors and in [`Store::path`].
    pub fn with_backend(
        label: &Path,
        backend: impl redb::StorageBackend,
    ) -> Result<Store, StoreError> {
        let db = builder()
            .create_with_backend(backend)
            .map_err(|source| match source {
                redb::DatabaseError::DatabaseAlreadyOpen => StoreError::Locked {
                    path: label.to_path_buf(),
                },
                source => StoreError::Open {
                    path: label.to_path_buf(),
                    source,
                },
            })?;
        let store = Store {
            db,
            path: Some(label.to_path_buf()),
        };
        store.create_tables()?;
        Ok(store)
    }

    /// A store that lives in memory only (tests, dry runs, the Python `Engine.memory()`).
    pub fn in_memory() -> Result<Store, StoreError> {
        let db = builder()
            .create_with_backend(redb::backends::InMemoryBackend::new())
            .map_err(|source| StoreError::Open {
                path: PathBuf::from(":memory:"),
                source,
            })?;
        let store = Store { db, path: None };
        store.create_tables()?;
        Ok(store)
    }

    /// The file behind the store, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }

    fn create_tables(&self) -> Result<(), StoreError> {
        let tx = self.db.begin_write()?;
        for t in Table::ALL {
            tx.open_table(def(t))?;
        }
        tx.commit()?;
        Ok(())
    }

    /// Reads every record of every table.
    pub fn load(&self) -> Result<RawTables, StoreError> {
        let tx = self.db.begin_read()?;
        let mut out = Vec::with_capacity(Table::ALL.len());
        for t in Table::ALL {
            let table = tx.open_table(def(t))?;
            let mut rows = Vec::new();
            for row in table.iter()? {
                let (k, v) = row?;
                rows.push((k.value().to_string(), v.value().to_vec()));
            }
            out.push((t, rows));
        }
        Ok(out)
    }

    /// Calls `f` with every record of `table`, in key order, straight from the database
    /// pages: loading at open decodes as it reads, without a copy of every record (a
    /// gigabyte of short-lived buffers at 100,000 volumes).
    pub fn scan(
        &self,
        table: Table,
        mut f: impl FnMut(&str, &[u8]) -> Result<(), StoreError>,
    ) -> Result<(), StoreError> {
        let tx = self.db.begin_read()?;
        let t = tx.open_table(def(table))?;
        for row in t.iter()? {
            let (k, v) = row?;
            f(k.value(), v.value())?;
        }
        Ok(())
    }

    /// Commits all writes in one durable transaction.
    pub fn commit(&self, changes: &ChangeSet) -> Result<(), StoreError> {
        self.commit_all(std::slice::from_ref(changes))
    }

    /// Commits several change sets, in order, in one durable transaction (group commit).
    pub fn commit_all(&self, batch: &[ChangeSet]) -> Result<(), StoreError> {
        if batch.iter().all(ChangeSet::is_empty) {
            return Ok(());
        }
        let mut tx = self.db.begin_write()?;
        tx.set_durability(Durability::Immediate).map_err(|e| {
            StoreError::Io(redb::Error::from(redb::StorageError::Io(
                std::io::Error::other(e.to_string()),
            )))
        })?;
        {
            let mut open: Vec<(Table, redb::Table<'_, &'static str, &'static [u8]>)> = Vec::new();
            for (table, key, value) in batch.iter().flat_map(|c| &c.writes) {
                let idx = match open.iter().position(|(t, _)| t == table) {
                    Some(i) => i,
                    None => {
                        open.push((*table, tx.open_table(def(*table))?));
                        open.len() - 1
                    }
                };
                let handle = &mut open[idx].1;
                match value {
                    Some(bytes) => {
                        handle.insert(key.as_str(), bytes.as_slice())?;
                    }
                    None => {
                        handle.remove(key.as_str())?;
                    }
                }
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// True when no table holds a record.
    pub fn is_empty(&self) -> Result<bool, StoreError> {
        let tx = self.db.begin_read()?;
        for t in Table::ALL {
            let table = tx.open_table(def(t))?;
            if table.len()? > 0 {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commit_then_reload_from_file() {
        let dir = std::env::temp_dir().join(format!("brickyard-store-{}", crate::id::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.redb");
        {
            let store = Store::open(&path).unwrap();
            assert!(store.is_empty().unwrap());
            let mut cs = ChangeSet::default();
            cs.writes
                .push((Table::Clusters, "a".into(), Some(b"{}".to_vec())));
            cs.writes
                .push((Table::Nodes, "n".into(), Some(b"[1]".to_vec())));
            store.commit(&cs).unwrap();
            let mut cs = ChangeSet::default();
            cs.writes.push((Table::Nodes, "n".into(), None));
            store.commit(&cs).unwrap();
        }
        let store = Store::open(&path).unwrap();
        let raw = store.load().unwrap();
        let clusters = &raw.iter().find(|(t, _)| *t == Table::Clusters).unwrap().1;
        assert_eq!(clusters, &vec![("a".to_string(), b"{}".to_vec())]);
        let nodes = &raw.iter().find(|(t, _)| *t == Table::Nodes).unwrap().1;
        assert!(nodes.is_empty());
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn second_open_of_same_file_is_refused_with_a_clear_error() {
        let dir = std::env::temp_dir().join(format!("brickyard-store-{}", crate::id::new_id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("db.redb");
        let _first = Store::open(&path).unwrap();
        let err = Store::open(&path).err().unwrap();
        assert!(
            err.to_string().contains("in use by another process"),
            "{err}"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn missing_directory_is_named() {
        let err = Store::open(Path::new("/nonexistent-brickyard-dir/x.redb"))
            .err()
            .unwrap();
        assert!(
            err.to_string().contains("/nonexistent-brickyard-dir"),
            "{err}"
        );
    }
}
