//! The `traces` summary rows, recomputed from the spans a file holds (a snapshot keeps only
//! some spans of a trace; an import from another file adds spans to traces). Same rules as the
//! store's writer: the root is a span without a parent, else a self-parented one, else any,
//! the earliest among equals; models are the request (else response) models, sorted.

use std::collections::BTreeSet;

use rusqlite::{Connection, params};

/// Rewrites the `traces` row of each trace in `trace_ids` from its spans.
pub(super) fn refresh(conn: &Connection, trace_ids: &BTreeSet<Vec<u8>>) -> rusqlite::Result<()> {
    let mut spans = conn.prepare_cached(
        "SELECT name, service, start_ns, end_ns, status_code,
                CASE WHEN parent_span_id IS NULL THEN 0 WHEN parent_span_id = span_id THEN 1 ELSE 2 END,
                COALESCE(request_model, response_model)
         FROM spans WHERE trace_id = ?1",
    )?;
    let mut write = conn.prepare_cached(
        "INSERT OR REPLACE INTO traces(trace_id, root_name, root_service, root_rank,
            root_start_ns, start_ns, end_ns, span_count, error_count, models)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
    )?;
    let mut delete = conn.prepare_cached("DELETE FROM traces WHERE trace_id = ?1")?;
    for trace_id in trace_ids {
        let mut root: Option<(i64, i64, String, String)> = None;
        let (mut start_ns, mut end_ns, mut count, mut errors) = (i64::MAX, i64::MIN, 0i64, 0i64);
        let mut models = BTreeSet::new();
        let mut rows = spans.query([trace_id])?;
        while let Some(row) = rows.next()? {
            let name: String = row.get(0)?;
            let service: String = row.get(1)?;
            let start: i64 = row.get(2)?;
            let end: i64 = row.get(3)?;
            let status: i64 = row.get(4)?;
            let rank: i64 = row.get(5)?;
            let model: Option<String> = row.get(6)?;
            start_ns = start_ns.min(start);
            end_ns = end_ns.max(end);
            count += 1;
            if status == 2 {
                errors += 1;
            }
            if let Some(m) = model {
                models.insert(m.replace(',', " "));
            }
            if root.as_ref().is_none_or(|r| (rank, start) < (r.0, r.1)) {
                root = Some((rank, start, name, service));
            }
        }
        let Some((rank, root_start, name, service)) = root else {
            delete.execute([trace_id])?;
            continue;
        };
        let models: Vec<String> = models.into_iter().collect();
        write.execute(params![
            trace_id,
            name,
            service,
            rank,
            root_start,
            start_ns,
            end_ns,
            count,
            errors,
            models.join(","),
        ])?;
    }
    Ok(())
}
