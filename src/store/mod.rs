//! The SQLite store: opening and migrating the file, the bulk span writer used by imports, and
//! the read queries every view and command asks. Nothing outside this module writes SQL.

mod attrs_json;
mod conversation_queries;
mod error;
mod failure_queries;
mod filter;
mod import_row;
mod prediction_queries;
mod prediction_writer;
mod prepare;
mod queries;
mod schema;
mod view_queries;
mod writer;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, OpenFlags};

pub use attrs_json::{attributes_to_json, value_to_json};
pub use conversation_queries::{StepRef, StepSpanRow};
pub use error::StoreError;
pub use failure_queries::{AttemptRow, CheckedSpanRow, OperationCount, ServiceOperationDurations};
pub use filter::SpanFilter;
pub use prediction_queries::{
    Cell, FeatureColumn, ModelSpan, PredictionRow, PredictionTable, ResourceVersions, VersionRow,
};
pub use prediction_writer::{PredictionRecord, PredictionWriter, Scalar};
pub use prepare::{PreparedBlock, prepare_blocks};
pub use queries::{ImportRow, StoreCounts};
pub use schema::SCHEMA_VERSION;
pub use view_queries::{
    Durations, EventRow, LatencyGroup, LinkRow, SpanDetail, SpanRow, TraceRow, TraceSort,
};
pub use writer::{ImportStatus, ImportTotals, SpanWriter, WriteStats};

/// An open store file.
pub struct Store {
    conn: Connection,
    path: PathBuf,
}

impl Store {
    /// Opens (creating if needed) a store for reading and writing, migrating it to the current
    /// schema. Imports that a killed process left `running` are marked `interrupted`.
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        if let Some(dir) = path.parent()
            && !dir.as_os_str().is_empty()
        {
            std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
                path: dir.to_owned(),
                source,
            })?;
        }
        let conn = Connection::open(path).map_err(|e| StoreError::open(path, e))?;
        let store = Self::configure(conn, path)?;
        schema::migrate(&store.conn, path)?;
        store.conn.execute(
            "UPDATE imports SET status = 'interrupted' WHERE status = 'running'",
            [],
        )?;
        Ok(store)
    }

    /// Opens an existing store read-only (no migration; refuses a schema it does not know).
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| StoreError::open(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        let store = Self {
            conn,
            path: path.to_owned(),
        };
        schema::check_version(&store.conn, path)?;
        Ok(store)
    }

    fn configure(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // WAL keeps readers (the GUI) unblocked while an import writes; NORMAL sync is crash-safe
        // in WAL mode (a killed process loses at most the transaction in flight).
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "NORMAL")?;
        conn.pragma_update(None, "temp_store", "MEMORY")?;
        conn.pragma_update(None, "cache_size", -64_000)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The underlying connection, for the writer and the query modules of this crate.
    pub(crate) fn conn(&self) -> &Connection {
        &self.conn
    }

    pub(crate) fn conn_mut(&mut self) -> &mut Connection {
        &mut self.conn
    }

    /// `PRAGMA quick_check`: `Ok(())` when SQLite finds the file sound.
    pub fn quick_check(&self) -> Result<(), StoreError> {
        let result: String = self
            .conn
            .query_row("PRAGMA quick_check", [], |row| row.get(0))?;
        if result == "ok" {
            Ok(())
        } else {
            Err(StoreError::Corrupt {
                path: self.path.clone(),
                detail: result,
            })
        }
    }
}

/// The default store location: the platform's data directory, e.g.
/// `~/.local/share/tracedeck/store.sqlite`.
pub fn default_store_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tracedeck")
        .join("store.sqlite")
}
