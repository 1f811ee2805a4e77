//! The bulk writer for prediction logs: one `imports` row per file, predictions inserted with a
//! cached prepared statement inside large transactions. A prediction already stored (same
//! `dedupe_key`: model, request id and timestamp, or the record's content) is skipped, so
//! importing a file twice adds nothing.

use rusqlite::params;
use rusqlite::types::{ToSqlOutput, Value, ValueRef};

use super::writer::{ImportStatus, ImportTotals, WriteStats};
use super::{Store, StoreError};

/// Predictions per transaction.
const COMMIT_EVERY_ROWS: u64 = 200_000;

/// A prediction output or label: text, a number or a boolean (stored as text or REAL).
#[derive(Clone, Debug, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
}

impl rusqlite::ToSql for Scalar {
    fn to_sql(&self) -> rusqlite::Result<ToSqlOutput<'_>> {
        Ok(match self {
            Self::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
            Self::Number(n) => ToSqlOutput::Owned(Value::Real(*n)),
        })
    }
}

/// One prediction, ready to store.
#[derive(Clone, Debug, PartialEq)]
pub struct PredictionRecord {
    /// 64-bit hash of (model, request_id, timestamp), or of the whole record.
    pub dedupe_key: i64,
    pub model: String,
    pub model_version: String,
    pub pipeline_version: String,
    pub request_id: Option<String>,
    pub timestamp_ns: i64,
    pub trace_id: Option<[u8; 16]>,
    pub prediction: Option<Scalar>,
    pub confidence: Option<f64>,
    pub latency_ms: Option<f64>,
    pub label: Option<Scalar>,
    /// The features as a JSON object.
    pub features_json: String,
}

/// Writes the predictions of one imported file.
pub struct PredictionWriter<'s> {
    store: &'s mut Store,
    import_id: i64,
    in_transaction: bool,
    rows_in_transaction: u64,
    inserted_total: u64,
}

impl<'s> PredictionWriter<'s> {
    /// Records a new import (status `running`, committed at once).
    pub fn begin(
        store: &'s mut Store,
        path: &str,
        format: &str,
        bytes: u64,
    ) -> Result<Self, StoreError> {
        store
            .conn()
            .pragma_update(None, "cache_size", -super::writer::WRITER_CACHE_KIB)?;
        // Into an empty table, build the time and trace indexes once at the end.
        let empty: bool =
            store
                .conn()
                .query_row("SELECT NOT EXISTS (SELECT 1 FROM predictions)", [], |r| {
                    r.get(0)
                })?;
        if empty {
            store.conn().execute_batch(
                "DROP INDEX IF EXISTS predictions_by_model_time;
                 DROP INDEX IF EXISTS predictions_by_trace;",
            )?;
        }
        let import_id = super::import_row::begin(store.conn(), path, format, bytes)?;
        Ok(Self {
            store,
            import_id,
            in_transaction: false,
            rows_in_transaction: 0,
            inserted_total: 0,
        })
    }

    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// Stores `rows`; those already in the store are counted as duplicates.
    pub fn write(&mut self, rows: &[PredictionRecord]) -> Result<WriteStats, StoreError> {
        if !self.in_transaction {
            self.store.conn().execute_batch("BEGIN IMMEDIATE")?;
            self.in_transaction = true;
        }
        let mut stats = WriteStats::default();
        {
            let mut insert = self.store.conn().prepare_cached(
                "INSERT OR IGNORE INTO predictions(dedupe_key, import_id, model, model_version,
                    pipeline_version, request_id, timestamp_ns, trace_id, prediction, confidence,
                    latency_ms, label, features)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
            )?;
            for row in rows {
                let changed = insert.execute(params![
                    row.dedupe_key,
                    self.import_id,
                    row.model,
                    row.model_version,
                    row.pipeline_version,
                    row.request_id,
                    row.timestamp_ns,
                    row.trace_id.as_ref().map(|t| &t[..]),
                    row.prediction,
                    row.confidence,
                    row.latency_ms,
                    row.label,
                    row.features_json,
                ])?;
                if changed > 0 {
                    stats.inserted += 1;
                } else {
                    stats.duplicates += 1;
                }
            }
        }
        self.inserted_total += stats.inserted;
        self.rows_in_transaction += rows.len() as u64;
        if self.rows_in_transaction >= COMMIT_EVERY_ROWS {
            self.commit()?;
        }
        Ok(stats)
    }

    /// Commits what was written so far.
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if self.in_transaction {
            self.store.conn().execute_batch("COMMIT")?;
            self.in_transaction = false;
            self.rows_in_transaction = 0;
        }
        Ok(())
    }

    /// Commits and records how the import ended (predictions counted in `spans_read` /
    /// `spans_new` of the `imports` row). A rejected import that stored nothing leaves no row.
    pub fn finish(
        mut self,
        status: ImportStatus,
        totals: &ImportTotals,
    ) -> Result<i64, StoreError> {
        self.commit()?;
        super::schema::ensure_secondary_indexes(self.store.conn())?;
        super::import_row::finish(
            self.store.conn(),
            self.import_id,
            status,
            totals,
            self.inserted_total,
        )
    }
}

impl Drop for PredictionWriter<'_> {
    fn drop(&mut self) {
        // An early return (a store error) must not leave the connection inside a transaction.
        if self.in_transaction {
            let _ = self.store.conn().execute_batch("ROLLBACK");
        }
    }
}

impl Store {
    /// Marks an import with a role (`reference`: its predictions are the reference drift is
    /// measured against), replacing any role it had.
    pub fn set_import_role(&mut self, import_id: i64, role: &str) -> Result<(), StoreError> {
        self.conn().execute(
            "INSERT INTO import_roles (import_id, role) VALUES (?1, ?2)
             ON CONFLICT(import_id) DO UPDATE SET role = excluded.role",
            params![import_id, role],
        )?;
        Ok(())
    }
}
