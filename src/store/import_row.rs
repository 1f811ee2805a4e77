//! The `imports` row every import keeps: recorded as `running` when a writer begins (committed
//! at once, so a killed process leaves a trace of it), and finished with its status and totals.
//! Shared by the span writer and the prediction writer.

use rusqlite::{Connection, params};

use super::StoreError;
use super::writer::{ImportStatus, ImportTotals};

/// Records a new import as `running`; returns its id.
pub(super) fn begin(
    conn: &Connection,
    path: &str,
    format: &str,
    bytes: u64,
) -> Result<i64, StoreError> {
    conn.execute(
        "INSERT INTO imports(path, format, bytes, started_at, status) VALUES (?1, ?2, ?3, ?4, 'running')",
        params![path, format, bytes as i64, chrono::Utc::now().to_rfc3339()],
    )?;
    Ok(conn.last_insert_rowid())
}

/// Records how an import ended. A rejected import that stored nothing leaves no row behind.
pub(super) fn finish(
    conn: &Connection,
    import_id: i64,
    status: ImportStatus,
    totals: &ImportTotals,
    inserted_total: u64,
) -> Result<i64, StoreError> {
    if status == ImportStatus::Rejected && inserted_total == 0 {
        conn.execute("DELETE FROM imports WHERE id = ?1", [import_id])?;
        return Ok(import_id);
    }
    conn.execute(
        "UPDATE imports SET finished_at = ?2, status = ?3, format = ?4, spans_read = ?5,
            spans_new = ?6, traces = ?7, skipped_lines = ?8, warnings = ?9, errors = ?10,
            diagnostics = ?11
         WHERE id = ?1",
        params![
            import_id,
            chrono::Utc::now().to_rfc3339(),
            status.as_str(),
            totals.format,
            totals.spans_read as i64,
            inserted_total as i64,
            totals.traces as i64,
            totals.skipped_lines as i64,
            totals.warnings as i64,
            totals.errors as i64,
            totals.diagnostics_json,
        ],
    )?;
    Ok(import_id)
}
