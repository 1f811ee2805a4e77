//! "Import into my store": copies the data of a checked file (a snapshot, or another person's
//! store) into the user's own store as one new import, with the usual dedupe: spans already
//! there (same trace and span id) and predictions with a known dedupe key are skipped;
//! resources and scopes are matched by fingerprint; trace summaries are recomputed for every
//! trace that got spans. The source is opened untrusted and read-only.

use std::collections::{BTreeSet, HashMap};
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params_from_iter};
use serde::Serialize;

use super::snapshot::{ExportControl, ExportError};
use crate::store::{ImportStatus, ImportTotals, Store};

/// What an import from another store added.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MergeSummary {
    pub spans_read: u64,
    pub spans_new: u64,
    pub predictions_read: u64,
    pub predictions_new: u64,
    pub traces: u64,
}

/// One row of a table, by column name.
struct Row {
    names: Vec<String>,
    values: Vec<SqlValue>,
}

impl Row {
    fn get(&self, name: &str) -> Option<&SqlValue> {
        let i = self.names.iter().position(|n| n == name)?;
        self.values.get(i)
    }

    /// Inserts the row into `table` without its `id`, with some columns replaced; returns the
    /// new rowid, or `None` when a unique key made SQLite ignore it.
    fn insert(
        &self,
        conn: &Connection,
        table: &str,
        replace: &[(&str, SqlValue)],
    ) -> rusqlite::Result<Option<i64>> {
        let mut names = Vec::new();
        let mut values = Vec::new();
        for (name, value) in self.names.iter().zip(&self.values) {
            if name == "id" {
                continue;
            }
            names.push(name.as_str());
            match replace.iter().find(|(n, _)| n == name) {
                Some((_, v)) => values.push(v.clone()),
                None => values.push(value.clone()),
            }
        }
        let sql = format!(
            "INSERT OR IGNORE INTO {table}({}) VALUES ({})",
            names.join(","),
            vec!["?"; names.len()].join(",")
        );
        let changed = conn
            .prepare_cached(&sql)?
            .execute(params_from_iter(values))?;
        Ok((changed > 0).then(|| conn.last_insert_rowid()))
    }
}

fn rows(conn: &Connection, sql: &str, params: &[SqlValue]) -> rusqlite::Result<Vec<Row>> {
    let mut stmt = conn.prepare_cached(sql)?;
    let names: Vec<String> = stmt.column_names().map(str::to_owned).collect();
    let mut out = Vec::new();
    let mut query = stmt.query(params_from_iter(params))?;
    while let Some(row) = query.next()? {
        let mut values = Vec::with_capacity(names.len());
        for i in 0..names.len() {
            values.push(row.get::<_, SqlValue>(i)?);
        }
        out.push(Row {
            names: names.clone(),
            values,
        });
    }
    Ok(out)
}

/// Maps the source's resource or scope ids to the target's, inserting unknown fingerprints.
fn map_by_fingerprint(
    src: &Connection,
    dest: &Connection,
    table: &str,
) -> rusqlite::Result<HashMap<i64, i64>> {
    let mut map = HashMap::new();
    for row in rows(src, &format!("SELECT * FROM {table}"), &[])? {
        let (Some(SqlValue::Integer(old)), Some(fingerprint)) =
            (row.get("id"), row.get("fingerprint"))
        else {
            continue;
        };
        let existing: Option<i64> = dest
            .prepare_cached(&format!("SELECT id FROM {table} WHERE fingerprint = ?1"))?
            .query_row([fingerprint], |r| r.get(0))
            .optional()?;
        let new = match existing {
            Some(id) => id,
            None => match row.insert(dest, table, &[])? {
                Some(id) => id,
                None => continue,
            },
        };
        map.insert(*old, new);
    }
    Ok(map)
}

/// Copies everything in the checked file `from` into `into` as one import named after it.
pub fn import_into(
    from: &Path,
    into: &mut Store,
    control: &ExportControl,
) -> Result<MergeSummary, ExportError> {
    let source = Store::open_untrusted(from)?;
    let src = source.conn();
    let bytes = std::fs::metadata(from).map(|m| m.len()).unwrap_or(0);
    let import_id = into.begin_import_row(&from.to_string_lossy(), "tracedeck store", bytes)?;
    let mut summary = MergeSummary::default();
    let result = (|| -> Result<BTreeSet<Vec<u8>>, ExportError> {
        let dest = into.conn();
        let total: u64 = src.query_row(
            "SELECT (SELECT count(*) FROM spans) + (SELECT count(*) FROM predictions)",
            [],
            |r| r.get::<_, i64>(0).map(|n| n.max(0) as u64),
        )?;
        control
            .progress
            .rows_total
            .store(total, std::sync::atomic::Ordering::Relaxed);
        dest.execute_batch("BEGIN IMMEDIATE")?;
        let resources = map_by_fingerprint(src, dest, "resources")?;
        let scopes = map_by_fingerprint(src, dest, "scopes")?;
        let mut touched = BTreeSet::new();
        let mut stmt = src.prepare("SELECT id FROM spans ORDER BY id")?;
        let span_ids: Vec<i64> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        for old_pk in span_ids {
            if control.is_cancelled() {
                return Err(ExportError::Cancelled);
            }
            control
                .progress
                .rows_done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            let Some(span) = rows(
                src,
                "SELECT * FROM spans WHERE id = ?1",
                &[SqlValue::Integer(old_pk)],
            )?
            .into_iter()
            .next() else {
                continue;
            };
            summary.spans_read += 1;
            let mapped = |name: &str, map: &HashMap<i64, i64>| match span.get(name) {
                Some(SqlValue::Integer(old)) => map.get(old).copied(),
                _ => None,
            };
            let (Some(resource_id), Some(scope_id)) = (
                mapped("resource_id", &resources),
                mapped("scope_id", &scopes),
            ) else {
                continue;
            };
            let Some(new_pk) = span.insert(
                dest,
                "spans",
                &[
                    ("resource_id", SqlValue::Integer(resource_id)),
                    ("scope_id", SqlValue::Integer(scope_id)),
                    ("import_id", SqlValue::Integer(import_id)),
                ],
            )?
            else {
                continue;
            };
            summary.spans_new += 1;
            if let Some(SqlValue::Blob(trace_id)) = span.get("trace_id") {
                touched.insert(trace_id.clone());
            }
            for table in ["span_events", "span_links"] {
                for row in rows(
                    src,
                    &format!("SELECT * FROM {table} WHERE span_pk = ?1"),
                    &[SqlValue::Integer(old_pk)],
                )? {
                    row.insert(dest, table, &[("span_pk", SqlValue::Integer(new_pk))])?;
                }
            }
        }
        for row in rows(src, "SELECT * FROM predictions ORDER BY id", &[])? {
            control
                .progress
                .rows_done
                .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
            summary.predictions_read += 1;
            if row
                .insert(
                    dest,
                    "predictions",
                    &[("import_id", SqlValue::Integer(import_id))],
                )?
                .is_some()
            {
                summary.predictions_new += 1;
            }
        }
        super::summaries::refresh(dest, &touched)?;
        dest.execute_batch("COMMIT")?;
        Ok(touched)
    })();
    let (status, touched) = match result {
        Ok(touched) => (ImportStatus::Ok, touched),
        Err(e) => {
            let _ = into.conn().execute_batch("ROLLBACK");
            let status = if matches!(e, ExportError::Cancelled) {
                ImportStatus::Cancelled
            } else {
                ImportStatus::Rejected
            };
            let _ = into.finish_import_row(import_id, status, &ImportTotals::default(), 0);
            return Err(e);
        }
    };
    summary.traces = touched.len() as u64;
    into.finish_import_row(
        import_id,
        status,
        &ImportTotals {
            format: "tracedeck store".to_owned(),
            spans_read: summary.spans_read,
            traces: summary.traces,
            diagnostics_json: "[]".to_owned(),
            ..ImportTotals::default()
        },
        summary.spans_new + summary.predictions_new,
    )?;
    Ok(summary)
}
