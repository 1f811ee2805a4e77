//! Exporting a snapshot: a self-contained, compacted copy of part of a store, with the same
//! schema plus a `snapshot` table (made when, by which tracedeck, from which imports, with which
//! selection and redactions, and where to start reading). The source is opened read-only and
//! never modified. Rows are read, redacted in memory when asked, and written into a fresh file
//! (`secure_delete` on), which is then vacuumed and renamed into place: no secret ever reaches
//! the output, free pages included. Progress and cancel work like an import's.

use std::collections::{BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Instant;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::Serialize;

use super::deep_link::{StartHere, resolve};
use super::redact::{PatternError, RedactOptions, RedactionStats, Redactor};
use super::selection::Selection;
use crate::store::{SCHEMA_VERSION, Store, StoreError};

/// What to export.
#[derive(Clone, Debug, Default)]
pub struct ExportOptions {
    pub selection: Selection,
    /// `Some`: redact with these options (built-in detectors always run).
    pub redact: Option<RedactOptions>,
    pub start_here: Option<StartHere>,
}

/// Counters an export updates as it goes (read from the UI thread).
#[derive(Debug, Default)]
pub struct ExportProgress {
    pub rows_done: AtomicU64,
    pub rows_total: AtomicU64,
    pub stage: Mutex<String>,
}

/// Progress and cancel of one export or preview, shared with the thread running it.
pub struct ExportControl {
    pub progress: Arc<ExportProgress>,
    cancel: AtomicBool,
    started: Instant,
}

impl Default for ExportControl {
    fn default() -> Self {
        Self {
            progress: Arc::new(ExportProgress::default()),
            cancel: AtomicBool::new(false),
            started: Instant::now(),
        }
    }
}

impl ExportControl {
    /// Asks the export to stop; the partial output is removed.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    /// Share of rows done, 0..=1.
    pub fn fraction(&self) -> f32 {
        let total = self.progress.rows_total.load(Ordering::Relaxed);
        let done = self.progress.rows_done.load(Ordering::Relaxed);
        if total == 0 {
            0.0
        } else {
            (done as f64 / total as f64).min(1.0) as f32
        }
    }

    pub fn stage(&self) -> String {
        self.progress
            .stage
            .lock()
            .map(|s| s.clone())
            .unwrap_or_default()
    }

    pub fn elapsed(&self) -> std::time::Duration {
        self.started.elapsed()
    }

    fn set_stage(&self, stage: &str) {
        if let Ok(mut s) = self.progress.stage.lock() {
            stage.clone_into(&mut s);
        }
    }

    fn step(&self) -> Result<(), ExportError> {
        let done = self.progress.rows_done.fetch_add(1, Ordering::Relaxed);
        if done % 256 == 0 && self.is_cancelled() {
            return Err(ExportError::Cancelled);
        }
        Ok(())
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ExportError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Pattern(#[from] PatternError),
    #[error("export cancelled; nothing was written")]
    Cancelled,
    #[error("nothing to export: no spans or predictions match the selection")]
    Empty,
    #[error("the start-here pointer {0} names something that is not in the exported data")]
    StartHereMissing(String),
    #[error("{} is the store being exported; choose another output file", .0.display())]
    SameFile(PathBuf),
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

impl From<rusqlite::Error> for ExportError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Store(StoreError::Sqlite(e))
    }
}

/// What an export wrote.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ExportSummary {
    pub out: PathBuf,
    pub bytes: u64,
    pub spans: u64,
    pub events: u64,
    pub links: u64,
    pub traces: u64,
    pub predictions: u64,
    pub imports: u64,
    /// Counts per detector when redacting.
    pub redaction: Option<RedactionStats>,
    /// The pointer as written (a redacted conversation key is rewritten like the data).
    pub start_here: Option<String>,
}

/// The `snapshot` table's row.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SnapshotInfo {
    pub made_at: String,
    pub tracedeck_version: String,
    pub schema_version: i64,
    /// The source store's file name (not its full path).
    pub source: String,
    /// The imported files the data came from.
    pub imports: Vec<String>,
    pub selection: serde_json::Value,
    pub redaction: serde_json::Value,
    pub start_here: Option<String>,
    pub spans: u64,
    pub predictions: u64,
}

const SNAPSHOT_TABLE: &str = "CREATE TABLE snapshot (
    id                INTEGER PRIMARY KEY CHECK (id = 1),
    made_at           TEXT NOT NULL,
    tracedeck_version TEXT NOT NULL,
    schema_version    INTEGER NOT NULL,
    source            TEXT NOT NULL,
    imports           TEXT NOT NULL,
    selection         TEXT NOT NULL,
    redaction         TEXT NOT NULL,
    start_here        TEXT,
    spans             INTEGER NOT NULL,
    predictions       INTEGER NOT NULL
)";

/// The `snapshot` row of a file, or `None` for a store that is not a snapshot.
pub fn read_snapshot_info(store: &Store) -> Result<Option<SnapshotInfo>, StoreError> {
    let conn = store.conn();
    let exists: bool = conn.query_row(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'snapshot')",
        [],
        |r| r.get(0),
    )?;
    if !exists {
        return Ok(None);
    }
    let info = conn
        .query_row(
            "SELECT made_at, tracedeck_version, schema_version, source, imports, selection,
                    redaction, start_here, spans, predictions FROM snapshot LIMIT 1",
            [],
            |r| {
                let imports: String = r.get(4)?;
                let selection: String = r.get(5)?;
                let redaction: String = r.get(6)?;
                Ok(SnapshotInfo {
                    made_at: r.get(0)?,
                    tracedeck_version: r.get(1)?,
                    schema_version: r.get(2)?,
                    source: r.get(3)?,
                    imports: serde_json::from_str(&imports).unwrap_or_default(),
                    selection: serde_json::from_str(&selection).unwrap_or_default(),
                    redaction: serde_json::from_str(&redaction).unwrap_or_default(),
                    start_here: r.get(7)?,
                    spans: r.get::<_, i64>(8)?.max(0) as u64,
                    predictions: r.get::<_, i64>(9)?.max(0) as u64,
                })
            },
        )
        .optional()?;
    Ok(info)
}

/// Removes the partial output (and SQLite's side files) unless the export finished.
struct PartialFile {
    path: PathBuf,
    keep: bool,
}

impl PartialFile {
    fn remove_all(path: &Path) {
        for suffix in ["", "-wal", "-shm", "-journal"] {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            let _ = std::fs::remove_file(PathBuf::from(p));
        }
    }
}

impl Drop for PartialFile {
    fn drop(&mut self) {
        if !self.keep {
            Self::remove_all(&self.path);
        }
    }
}

/// Byte columns that hold ids, copied as they are.
const ID_COLUMNS: &[&str] = &["trace_id", "span_id", "parent_span_id"];

/// Where rows go: a fresh snapshot file, or nowhere (a redaction preview).
struct Copier<'a> {
    src: &'a Connection,
    dest: Option<&'a Connection>,
    redactor: Option<Redactor>,
    control: &'a ExportControl,
}

impl Copier<'_> {
    /// A value as written: text redacted; byte keys built from data replaced; ids kept.
    fn cell(&mut self, column: &str, row_id: Option<i64>, value: SqlValue) -> SqlValue {
        let Some(r) = &mut self.redactor else {
            return value;
        };
        match value {
            SqlValue::Text(text) => SqlValue::Text(r.text(&text)),
            SqlValue::Blob(bytes) if column == "fingerprint" => {
                SqlValue::Blob(r.opaque(row_id.unwrap_or_default(), &bytes))
            }
            SqlValue::Blob(bytes) if !ID_COLUMNS.contains(&column) => {
                match String::from_utf8(bytes) {
                    Ok(text) => SqlValue::Blob(r.text(&text).into_bytes()),
                    Err(e) => SqlValue::Blob(e.into_bytes()),
                }
            }
            value => value,
        }
    }

    /// Copies the rows `sql` selects into `table`; `each` sees every row (by column name).
    fn copy(
        &mut self,
        table: &str,
        sql: &str,
        params: &[SqlValue],
        counts_progress: bool,
        mut each: impl FnMut(&HashMap<String, usize>, &[SqlValue]) -> bool,
    ) -> Result<u64, ExportError> {
        let mut stmt = self.src.prepare_cached(sql)?;
        let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
        let index: HashMap<String, usize> = names
            .iter()
            .enumerate()
            .map(|(i, n)| (n.clone(), i))
            .collect();
        let insert = format!(
            "INSERT INTO {table}({}) VALUES ({})",
            names.join(","),
            vec!["?"; names.len()].join(",")
        );
        let mut rows = stmt.query(params_from_iter(params))?;
        let mut copied = 0;
        while let Some(row) = rows.next()? {
            let mut values = Vec::with_capacity(names.len());
            for i in 0..names.len() {
                values.push(row.get::<_, SqlValue>(i)?);
            }
            if counts_progress {
                self.control.step()?;
            }
            // The raw values decide what follows (ids, keys); the written ones are redacted.
            if !each(&index, &values) {
                continue;
            }
            let row_id = int_at(&index, &values, "id");
            let values: Vec<SqlValue> = names
                .iter()
                .zip(values)
                .map(|(name, v)| self.cell(name, row_id, v))
                .collect();
            if let Some(dest) = self.dest {
                dest.prepare_cached(&insert)?
                    .execute(params_from_iter(values))?;
            }
            copied += 1;
        }
        Ok(copied)
    }
}

fn int_at(index: &HashMap<String, usize>, values: &[SqlValue], name: &str) -> Option<i64> {
    match index.get(name).and_then(|i| values.get(*i)) {
        Some(SqlValue::Integer(v)) => Some(*v),
        _ => None,
    }
}

fn blob_at(index: &HashMap<String, usize>, values: &[SqlValue], name: &str) -> Option<Vec<u8>> {
    match index.get(name).and_then(|i| values.get(*i)) {
        Some(SqlValue::Blob(v)) => Some(v.clone()),
        _ => None,
    }
}

/// What the span pass found, for the passes after it.
#[derive(Default)]
struct Picked {
    span_pks: Vec<i64>,
    trace_ids: BTreeSet<Vec<u8>>,
    resources: BTreeSet<i64>,
    scopes: BTreeSet<i64>,
    imports: BTreeSet<i64>,
    spans: u64,
    events: u64,
    links: u64,
    predictions: u64,
    /// Tables a filtered snapshot leaves empty (they cannot be narrowed to the selection).
    left_out: Vec<String>,
}

fn copy_all(copier: &mut Copier, selection: &Selection) -> Result<Picked, ExportError> {
    let mut picked = Picked::default();
    let (cond, params) = selection.span_condition();
    let spans_total: u64 = copier.src.query_row(
        &format!("SELECT count(*) FROM spans s WHERE {cond}"),
        params_from_iter(&params),
        |r| r.get::<_, i64>(0).map(|n| n.max(0) as u64),
    )?;
    let (pcond, pparams) = selection.prediction_time_condition();
    let predictions_total: u64 = copier.src.query_row(
        &format!("SELECT count(*) FROM predictions p WHERE {pcond}"),
        params_from_iter(&pparams),
        |r| r.get::<_, i64>(0).map(|n| n.max(0) as u64),
    )?;
    copier
        .control
        .progress
        .rows_total
        .store(spans_total + predictions_total, Ordering::Relaxed);

    copier.control.set_stage("spans");
    picked.spans = copier.copy(
        "spans",
        &format!("SELECT s.* FROM spans s WHERE {cond} ORDER BY s.id"),
        &params,
        true,
        |ix, v| {
            if let Some(pk) = int_at(ix, v, "id") {
                picked.span_pks.push(pk);
            }
            if let Some(t) = blob_at(ix, v, "trace_id") {
                picked.trace_ids.insert(t);
            }
            picked.resources.extend(int_at(ix, v, "resource_id"));
            picked.scopes.extend(int_at(ix, v, "scope_id"));
            picked.imports.extend(int_at(ix, v, "import_id"));
            true
        },
    )?;
    copier.control.set_stage("events and links");
    let span_pks = std::mem::take(&mut picked.span_pks);
    for pk in &span_pks {
        let pk = [SqlValue::Integer(*pk)];
        picked.events += copier.copy(
            "span_events",
            "SELECT * FROM span_events WHERE span_pk = ?1",
            &pk,
            false,
            |_, _| true,
        )?;
        picked.links += copier.copy(
            "span_links",
            "SELECT * FROM span_links WHERE span_pk = ?1",
            &pk,
            false,
            |_, _| true,
        )?;
    }
    copier.control.set_stage("resources");
    for id in &picked.resources {
        copier.copy(
            "resources",
            "SELECT * FROM resources WHERE id = ?1",
            &[SqlValue::Integer(*id)],
            false,
            |_, _| true,
        )?;
    }
    for id in &picked.scopes {
        copier.copy(
            "scopes",
            "SELECT * FROM scopes WHERE id = ?1",
            &[SqlValue::Integer(*id)],
            false,
            |_, _| true,
        )?;
    }
    copier.control.set_stage("predictions");
    let by_trace = selection.narrows_beyond_time();
    let traces = &picked.trace_ids;
    let mut prediction_imports = BTreeSet::new();
    picked.predictions = copier.copy(
        "predictions",
        &format!("SELECT p.* FROM predictions p WHERE {pcond} ORDER BY p.id"),
        &pparams,
        true,
        |ix, v| {
            let keep = !by_trace || blob_at(ix, v, "trace_id").is_some_and(|t| traces.contains(&t));
            if keep {
                prediction_imports.extend(int_at(ix, v, "import_id"));
            }
            keep
        },
    )?;
    picked.imports.extend(prediction_imports);
    copier.control.set_stage("imports");
    for id in &picked.imports {
        copier.copy(
            "imports",
            "SELECT * FROM imports WHERE id = ?1",
            &[SqlValue::Integer(*id)],
            false,
            |_, _| true,
        )?;
    }
    copier.control.set_stage("other tables");
    copy_other_tables(copier, selection, &mut picked)?;
    Ok(picked)
}

/// The tables copied above (and `traces`, recomputed; `snapshot`, written fresh).
const KNOWN_TABLES: &[&str] = &[
    "imports",
    "resources",
    "scopes",
    "spans",
    "span_events",
    "span_links",
    "traces",
    "predictions",
    "snapshot",
];

/// Tables later schema versions add: copied whole when everything is exported, by trace when
/// they have a `trace_id` column, left empty otherwise (recorded in the `snapshot` row).
fn copy_other_tables(
    copier: &mut Copier,
    selection: &Selection,
    picked: &mut Picked,
) -> Result<(), ExportError> {
    let Some(dest) = copier.dest else {
        return Ok(());
    };
    let mut stmt = dest.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
    )?;
    let tables: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    for table in tables
        .iter()
        .filter(|t| !KNOWN_TABLES.contains(&t.as_str()))
    {
        let columns: Vec<String> = {
            let mut info = copier
                .src
                .prepare(&format!("SELECT name FROM pragma_table_info('{table}')"))?;
            info.query_map([], |r| r.get(0))?
                .collect::<Result<_, _>>()?
        };
        if columns.is_empty() {
            continue;
        }
        let traces = &picked.trace_ids;
        if selection.is_everything() {
            copier.copy(
                table,
                &format!("SELECT * FROM \"{table}\""),
                &[],
                false,
                |_, _| true,
            )?;
        } else if columns.iter().any(|c| c == "trace_id") {
            copier.copy(
                table,
                &format!("SELECT * FROM \"{table}\""),
                &[],
                false,
                |ix, v| blob_at(ix, v, "trace_id").is_some_and(|t| traces.contains(&t)),
            )?;
        } else {
            picked.left_out.push(table.clone());
        }
    }
    Ok(())
}

/// Runs the redaction over the selection without writing anything: counts per detector and a
/// few examples, for the export dialog's preview.
pub fn preview_redaction(
    source: &Path,
    selection: &Selection,
    redact: &RedactOptions,
    control: &ExportControl,
) -> Result<RedactionStats, ExportError> {
    let store = Store::open_read_only(source)?;
    let mut copier = Copier {
        src: store.conn(),
        dest: None,
        redactor: Some(Redactor::new(redact)?),
        control,
    };
    copy_all(&mut copier, selection)?;
    Ok(copier.redactor.map(|r| r.stats).unwrap_or_default())
}

fn same_file(a: &Path, b: &Path) -> bool {
    match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The `selection` column: the selection, and the tables it left empty.
fn selection_json(selection: &Selection, left_out: &[String]) -> String {
    let mut value = serde_json::to_value(selection.to_json()).unwrap_or_default();
    if let Some(map) = value.as_object_mut() {
        map.insert("tables_left_empty".to_owned(), serde_json::json!(left_out));
    }
    value.to_string()
}

/// Writes the snapshot `out` from the store at `source`.
pub fn export(
    source: &Path,
    out: &Path,
    options: &ExportOptions,
    control: &ExportControl,
) -> Result<ExportSummary, ExportError> {
    if same_file(source, out) {
        return Err(ExportError::SameFile(out.to_owned()));
    }
    control.set_stage("opening");
    let store = Store::open_read_only(source)?;
    let redactor = options.redact.as_ref().map(Redactor::new).transpose()?;
    let mut partial_name = out.as_os_str().to_owned();
    partial_name.push(".partial");
    let partial = PartialFile {
        path: PathBuf::from(partial_name),
        keep: false,
    };
    PartialFile::remove_all(&partial.path);
    let dest = Store::open(&partial.path)?;
    let conn = dest.conn();
    conn.pragma_update(None, "journal_mode", "DELETE")?;
    conn.pragma_update(None, "secure_delete", "ON")?;
    // Spans come before the resources, scopes and imports they name; all of them are there by
    // the commit.
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    conn.execute_batch("BEGIN")?;
    let mut copier = Copier {
        src: store.conn(),
        dest: Some(conn),
        redactor,
        control,
    };
    let picked = copy_all(&mut copier, &options.selection)?;
    if picked.spans == 0 && picked.predictions == 0 {
        return Err(ExportError::Empty);
    }
    control.set_stage("trace summaries");
    super::summaries::refresh(conn, &picked.trace_ids)?;

    // A conversation key is data like any other: rewrite it as the spans' column was.
    let start_here = options
        .start_here
        .clone()
        .map(|p| match (p, &mut copier.redactor) {
            (StartHere::Conversation { key, step }, Some(r)) => StartHere::Conversation {
                key: r.text(&key),
                step,
            },
            (p, _) => p,
        });
    if let Some(pointer) = &start_here
        && resolve(&dest, pointer)?.is_none()
    {
        return Err(ExportError::StartHereMissing(pointer.to_string()));
    }
    let imports: Vec<String> = {
        let mut stmt = conn.prepare("SELECT path FROM imports ORDER BY id")?;
        let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
        rows.collect::<Result<_, _>>()?
    };
    let redaction_stats = copier.redactor.as_ref().map(|r| r.stats.clone());
    let redaction_json = match (&options.redact, &redaction_stats) {
        (Some(opts), Some(stats)) => serde_json::json!({
            "enabled": true,
            "detectors": ["api_key", "aws_access_key", "github_token", "jwt", "authorization",
                "bearer", "private_key", "email", "phone", "card_number", "ip_address", "secret"],
            "dropped_keys": opts.drop_keys,
            // The patterns themselves may spell a secret: only their number travels.
            "custom_patterns": opts.patterns.iter().filter(|p| !p.trim().is_empty()).count(),
            "counts": stats.counts,
            "keys_dropped": stats.dropped_keys,
        }),
        _ => serde_json::json!({ "enabled": false }),
    };
    conn.execute_batch(SNAPSHOT_TABLE)?;
    conn.execute(
        "INSERT INTO snapshot(id, made_at, tracedeck_version, schema_version, source, imports,
            selection, redaction, start_here, spans, predictions)
         VALUES (1, ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        rusqlite::params![
            chrono::Utc::now().to_rfc3339(),
            env!("CARGO_PKG_VERSION"),
            SCHEMA_VERSION,
            source
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default(),
            serde_json::to_string(&imports).unwrap_or_else(|_| "[]".to_owned()),
            selection_json(&options.selection, &picked.left_out),
            redaction_json.to_string(),
            start_here.as_ref().map(ToString::to_string),
            picked.spans as i64,
            picked.predictions as i64,
        ],
    )?;
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    conn.execute_batch("COMMIT")?;
    control.set_stage("compacting");
    conn.execute_batch("VACUUM")?;
    let traces: u64 = conn.query_row("SELECT count(*) FROM traces", [], |r| {
        r.get::<_, i64>(0).map(|n| n.max(0) as u64)
    })?;
    drop(copier);
    drop(dest);
    if control.is_cancelled() {
        return Err(ExportError::Cancelled);
    }
    std::fs::rename(&partial.path, out).map_err(|source| ExportError::Io {
        path: out.to_owned(),
        source,
    })?;
    let mut partial = partial;
    partial.keep = true;
    let bytes = std::fs::metadata(out).map(|m| m.len()).unwrap_or(0);
    control.set_stage("done");
    Ok(ExportSummary {
        out: out.to_owned(),
        bytes,
        spans: picked.spans,
        events: picked.events,
        links: picked.links,
        traces,
        predictions: picked.predictions,
        imports: imports.len() as u64,
        redaction: redaction_stats,
        start_here: start_here.map(|p| p.to_string()),
    })
}
