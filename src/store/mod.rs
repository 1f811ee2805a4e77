//! The SQLite store: opening and migrating the file, the bulk span writer used by imports, and
//! the read queries every view and command asks. Nothing outside this module writes SQL.

mod attrs_json;
mod borrowed_insert;
mod checkpointer;
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
mod trace_summary;
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
    Cell, FeatureColumn, ModelSpan, PredictionRow, PredictionTable, ReferenceImport,
    ResourceVersions, RowSource, VersionRow,
};
pub use prediction_writer::{PredictionRecord, PredictionWriter, Scalar};
pub use prepare::{PreparedBlock, prepare_blocks};
pub use queries::{ImportRow, StoreCounts};
pub use schema::SCHEMA_VERSION;
pub(crate) use trace_summary::{ROOT_RANK_SQL, SummaryRows, SummarySpan, TraceSummary};
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

    /// Opens an existing store read-only (no migration; refuses a schema it does not know),
    /// hardened like a file from someone else ([`Store::open_untrusted`]) but seeing what a
    /// running import commits.
    pub fn open_read_only(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let conn =
            Connection::open_with_flags(path, flags).map_err(|e| StoreError::open(path, e))?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        harden(&conn, false)?;
        let store = Self {
            conn,
            path: path.to_owned(),
        };
        schema::check_version(&store.conn, path)?;
        Ok(store)
    }

    /// Opens a file someone else made, read-only, without checking its schema version (the
    /// open checks of `share::open_check` do that): `immutable` (no locks, no side files, the
    /// file is never written), untrusted schema, defensive mode, triggers and views disabled,
    /// `query_only`, bounded memory. Extension loading stays off (SQLite's default; this build
    /// never enables it).
    pub fn open_untrusted_unchecked(path: &Path) -> Result<Self, StoreError> {
        let flags = OpenFlags::SQLITE_OPEN_READ_ONLY
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
            | OpenFlags::SQLITE_OPEN_URI;
        let uri = immutable_uri(path);
        let conn =
            Connection::open_with_flags(&uri, flags).map_err(|e| StoreError::open(path, e))?;
        harden(&conn, true).map_err(|e| StoreError::open(path, e))?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// [`Store::open_untrusted_unchecked`], refusing a schema other than this build's.
    pub fn open_untrusted(path: &Path) -> Result<Self, StoreError> {
        let store = Self::open_untrusted_unchecked(path)?;
        schema::check_version(&store.conn, path)?;
        Ok(store)
    }

    /// `PRAGMA user_version`: the schema version of the file.
    pub fn schema_version(&self) -> Result<i64, StoreError> {
        Ok(self
            .conn
            .query_row("PRAGMA user_version", [], |row| row.get(0))?)
    }

    /// Records a new import (status `running`) for writers outside this module (copying from
    /// another store); returns its id.
    pub(crate) fn begin_import_row(
        &self,
        path: &str,
        format: &str,
        bytes: u64,
    ) -> Result<i64, StoreError> {
        import_row::begin(&self.conn, path, format, bytes)
    }

    /// Records how such an import ended.
    pub(crate) fn finish_import_row(
        &self,
        import_id: i64,
        status: ImportStatus,
        totals: &ImportTotals,
        inserted_total: u64,
    ) -> Result<i64, StoreError> {
        import_row::finish(&self.conn, import_id, status, totals, inserted_total)
    }

    fn configure(conn: Connection, path: &Path) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(30))?;
        // Only a new, empty file takes this (an existing store keeps its page size). Span rows
        // are large (their attributes JSON), and 16 KiB pages made imports about 14% faster than
        // SQLite's default 4 KiB: fewer pages to balance, fewer WAL frames to write and checksum.
        conn.pragma_update(None, "page_size", PAGE_SIZE_BYTES)?;
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

/// Page size of a store this build creates.
const PAGE_SIZE_BYTES: i64 = 16_384;
/// Memory SQLite may use for its page cache per hardened connection, in KiB.
const UNTRUSTED_CACHE_KIB: i64 = 32_000;
/// The process-wide soft heap limit set by hardened connections (SQLite frees cache above it).
const SOFT_HEAP_LIMIT_BYTES: i64 = 512 * 1024 * 1024;

/// The settings every read-only connection gets: a file's schema cannot run code (untrusted
/// schema), defensive mode forbids writes to the schema and raw pages, nothing can be written
/// at all, and memory is bounded. Files from someone else (`untrusted`) also get triggers and
/// views disabled (the open checks refuse files that have any; the user's own store may get
/// some from a later migration).
fn harden(conn: &Connection, untrusted: bool) -> rusqlite::Result<()> {
    use rusqlite::config::DbConfig;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true)?;
    conn.set_db_config(DbConfig::SQLITE_DBCONFIG_TRUSTED_SCHEMA, false)?;
    if untrusted {
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_TRIGGER, false)?;
        conn.set_db_config(DbConfig::SQLITE_DBCONFIG_ENABLE_VIEW, false)?;
    }
    conn.pragma_update(None, "trusted_schema", "OFF")?;
    conn.pragma_update(None, "query_only", "ON")?;
    conn.pragma_update(None, "cache_size", -UNTRUSTED_CACHE_KIB)?;
    conn.pragma_update(None, "mmap_size", 0)?;
    let _: i64 = conn.query_row(
        &format!("PRAGMA soft_heap_limit = {SOFT_HEAP_LIMIT_BYTES}"),
        [],
        |r| r.get(0),
    )?;
    Ok(())
}

/// `file:PATH?mode=ro&immutable=1`, with the characters URIs reserve escaped.
fn immutable_uri(path: &Path) -> String {
    let mut uri = String::from("file:");
    let text = path.to_string_lossy();
    // Windows: `C:\x` becomes `file:/C:/x`.
    let text = if cfg!(windows) {
        let slashed = text.replace('\\', "/");
        if slashed.get(1..2) == Some(":") {
            format!("/{slashed}")
        } else {
            slashed
        }
    } else {
        text.into_owned()
    };
    for c in text.chars() {
        match c {
            '%' => uri.push_str("%25"),
            '?' => uri.push_str("%3f"),
            '#' => uri.push_str("%23"),
            c => uri.push(c),
        }
    }
    uri.push_str("?mode=ro&immutable=1");
    uri
}

/// The default store location: the platform's data directory, e.g.
/// `~/.local/share/tracedeck/store.sqlite`.
pub fn default_store_path() -> PathBuf {
    dirs::data_dir()
        .unwrap_or_else(|| PathBuf::from("."))
        .join("tracedeck")
        .join("store.sqlite")
}
