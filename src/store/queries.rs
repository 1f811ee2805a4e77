//! Read queries over the store: counts for `tracedeck info` and the store panel, and the list of
//! imports. The views' own queries live beside them as the views arrive.

use serde::Serialize;

use super::{Store, StoreError};

/// What the store holds, counted.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreCounts {
    pub spans: u64,
    pub traces: u64,
    pub services: u64,
    pub error_spans: u64,
    pub events: u64,
    pub links: u64,
    pub root_spans: u64,
    pub imports: u64,
}

/// One row of the `imports` table.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ImportRow {
    pub id: i64,
    pub path: String,
    pub format: String,
    pub bytes: u64,
    pub started_at: String,
    pub finished_at: Option<String>,
    pub status: String,
    pub spans_read: u64,
    pub spans_new: u64,
    pub traces: u64,
    pub skipped_lines: u64,
    pub warnings: u64,
    pub errors: u64,
    /// JSON array of `{"severity", "where", "message"}`.
    pub diagnostics: String,
}

impl Store {
    /// Counts of everything the store holds.
    pub fn counts(&self) -> Result<StoreCounts, StoreError> {
        let conn = self.conn();
        let count = |sql: &str| -> Result<u64, StoreError> {
            let n: i64 = conn.query_row(sql, [], |row| row.get(0))?;
            Ok(n.max(0) as u64)
        };
        // Nothing here scans the spans table (a million rows take seconds): error spans are
        // summed from the per-trace summaries the writer keeps in the same transaction, root
        // spans are counted from their partial index.
        let error_spans = count("SELECT COALESCE(SUM(error_count), 0) FROM traces")?;
        let root_spans = count("SELECT COUNT(*) FROM spans WHERE parent_span_id IS NULL")?;
        Ok(StoreCounts {
            spans: count("SELECT COUNT(*) FROM spans")?,
            traces: count("SELECT COUNT(*) FROM traces")?,
            services: count("SELECT COUNT(DISTINCT service) FROM spans")?,
            error_spans,
            events: count("SELECT COUNT(*) FROM span_events")?,
            links: count("SELECT COUNT(*) FROM span_links")?,
            root_spans,
            imports: count("SELECT COUNT(*) FROM imports")?,
        })
    }

    /// Distinct service names, sorted.
    pub fn service_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare("SELECT DISTINCT service FROM spans ORDER BY service")?;
        let names = stmt
            .query_map([], |row| row.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }

    /// Every import, newest first.
    pub fn imports(&self) -> Result<Vec<ImportRow>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT id, path, format, bytes, started_at, finished_at, status, spans_read, spans_new,
                    traces, skipped_lines, warnings, errors, diagnostics
             FROM imports ORDER BY id DESC",
        )?;
        let rows = stmt
            .query_map([], |row| {
                Ok(ImportRow {
                    id: row.get(0)?,
                    path: row.get(1)?,
                    format: row.get(2)?,
                    bytes: row.get::<_, i64>(3)?.max(0) as u64,
                    started_at: row.get(4)?,
                    finished_at: row.get(5)?,
                    status: row.get(6)?,
                    spans_read: row.get::<_, i64>(7)?.max(0) as u64,
                    spans_new: row.get::<_, i64>(8)?.max(0) as u64,
                    traces: row.get::<_, i64>(9)?.max(0) as u64,
                    skipped_lines: row.get::<_, i64>(10)?.max(0) as u64,
                    warnings: row.get::<_, i64>(11)?.max(0) as u64,
                    errors: row.get::<_, i64>(12)?.max(0) as u64,
                    diagnostics: row.get(13)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
