//! The `traces` summary rows, recomputed from the spans a file holds (a snapshot keeps only
//! some spans of a trace; an import from another file adds spans to traces), by the same rules
//! as the store's writer (`store::trace_summary`).

use std::collections::BTreeSet;

use rusqlite::Connection;

use crate::store::{ROOT_RANK_SQL, SummaryRows, SummarySpan, TraceSummary};

/// Rewrites the `traces` row of each trace in `trace_ids` from its spans.
pub(super) fn refresh(conn: &Connection, trace_ids: &BTreeSet<Vec<u8>>) -> rusqlite::Result<()> {
    let mut spans = conn.prepare_cached(&format!(
        "SELECT name, service, start_ns, end_ns, status_code, {ROOT_RANK_SQL},
                COALESCE(request_model, response_model)
         FROM spans WHERE trace_id = ?1"
    ))?;
    let mut rows = SummaryRows::prepare(conn)?;
    for trace_id in trace_ids {
        let mut summary = TraceSummary::default();
        let mut found = spans.query([trace_id])?;
        while let Some(row) = found.next()? {
            let name: String = row.get(0)?;
            let service: String = row.get(1)?;
            let model: Option<String> = row.get(6)?;
            summary.add(SummarySpan {
                name: &name,
                service: &service,
                start_ns: row.get(2)?,
                end_ns: row.get(3)?,
                is_error: row.get::<_, i64>(4)? == 2,
                root_rank: row.get(5)?,
                model: model.as_deref(),
            });
        }
        if summary.span_count() == 0 {
            rows.delete(trace_id)?;
        } else {
            rows.write(trace_id, &summary)?;
        }
    }
    Ok(())
}
