//! Read queries behind failure analytics (`model::error_class`, `analysis::retries`,
//! `analysis::validation`, `tracedeck report`): spans per error class, the spans that may be
//! attempts of a retried call, spans that carry something to validate, counts per operation and
//! model, durations per service and operation; and the one-time classification of spans stored
//! before the `error_class` column existed (run by the schema migration).

use std::collections::HashMap;

use rusqlite::{Connection, params, params_from_iter};

use super::{Durations, SpanFilter, Store, StoreError};
use crate::model::error_class::{ErrorInput, classify};
use crate::model::{SpanId, SpanKind, StatusCode, TraceId};

/// A span that may be one attempt of a retried call, with what chain detection reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct AttemptRow {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub service: String,
    pub model: Option<String>,
    pub start_ns: i64,
    pub end_ns: i64,
    /// `spans.error_class` (`ok`, `transient`, ...).
    pub error_class: String,
    pub http_status: Option<i64>,
    pub status_message: String,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// The span's attributes, JSON object text.
    pub attributes: String,
    /// The span's links, `(trace id, span id)`.
    pub links: Vec<(TraceId, SpanId)>,
}

/// A span that carries something to validate, with its attributes and events.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct CheckedSpanRow {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub model: Option<String>,
    /// `spans.response_model` (the model version a provider answered with).
    pub response_model: Option<String>,
    /// The resource's `service.version`.
    pub service_version: Option<String>,
    pub start_ns: i64,
    pub end_ns: i64,
    /// JSON object text.
    pub attributes: String,
    /// `(name, attributes JSON object text)` in order.
    pub events: Vec<(String, String)>,
}

/// How many spans one operation (span name) and model has.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OperationCount {
    pub operation: String,
    pub model: Option<String>,
    pub spans: u64,
}

/// Durations grouped by (service, operation): `groups[i]` of `durations` is `keys[i]`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ServiceOperationDurations {
    pub durations: Durations,
    /// `(service, operation)` per group.
    pub keys: Vec<(String, String)>,
}

fn blob16(v: Vec<u8>) -> TraceId {
    v.try_into().unwrap_or([0; 16])
}

fn blob8(v: Vec<u8>) -> SpanId {
    v.try_into().unwrap_or([0; 8])
}

/// The columns every attempt query selects (spans aliased `s`), in [`attempt_row`]'s order.
const ATTEMPT_COLUMNS: &str = "s.id, s.trace_id, s.span_id, s.parent_span_id, s.name, s.service,
    COALESCE(s.request_model, s.response_model), s.start_ns, s.end_ns, COALESCE(s.error_class, 'ok'),
    s.http_status, s.status_message, s.input_tokens, s.output_tokens, s.attributes";

fn attempt_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, AttemptRow)> {
    let parent: Option<Vec<u8>> = r.get(3)?;
    Ok((
        r.get(0)?,
        AttemptRow {
            trace_id: blob16(r.get(1)?),
            span_id: blob8(r.get(2)?),
            parent_span_id: parent.map(blob8),
            name: r.get(4)?,
            service: r.get(5)?,
            model: r.get(6)?,
            start_ns: r.get(7)?,
            end_ns: r.get(8)?,
            error_class: r.get(9)?,
            http_status: r.get(10)?,
            status_message: r.get(11)?,
            input_tokens: r.get(12)?,
            output_tokens: r.get(13)?,
            attributes: r.get(14)?,
            links: Vec::new(),
        },
    ))
}

impl Store {
    /// Spans per stored error class (`ok` excluded), for the filter's spans.
    pub fn error_class_counts(
        &self,
        filter: &SpanFilter,
    ) -> Result<Vec<(String, u64)>, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!(
            "SELECT s.error_class, COUNT(*) FROM spans s
             WHERE s.error_class <> 'ok' AND {cond} GROUP BY s.error_class ORDER BY 1"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), |r| {
                Ok((r.get::<_, String>(0)?, r.get::<_, i64>(1)?.max(0) as u64))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// How many spans the filter keeps (the base of the error classes' shares).
    pub fn filtered_span_count(&self, filter: &SpanFilter) -> Result<u64, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!("SELECT COUNT(*) FROM spans s WHERE {cond}");
        let n: i64 = self
            .conn()
            .query_row(&sql, params_from_iter(params), |r| r.get(0))?;
        Ok(n.max(0) as u64)
    }

    /// Spans that may be attempts of a retried call: every span that shares trace, parent and
    /// name with a failed span, and every span linking to a failed span (a retry in a later
    /// trace). Ordered by start; each with its links.
    pub fn retry_candidates(&self, filter: &SpanFilter) -> Result<Vec<AttemptRow>, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!(
            "SELECT {ATTEMPT_COLUMNS} FROM
                (SELECT DISTINCT trace_id, parent_span_id, name FROM spans
                 WHERE error_class <> 'ok') f
             JOIN spans s ON s.trace_id = f.trace_id AND s.parent_span_id IS f.parent_span_id
                AND s.name = f.name
             WHERE {cond}
             UNION
             SELECT {ATTEMPT_COLUMNS} FROM span_links l
             JOIN spans t ON t.trace_id = l.trace_id AND t.span_id = l.span_id
             JOIN spans s ON s.id = l.span_pk
             WHERE t.error_class <> 'ok' AND {cond}"
        );
        let mut all_params = params.clone();
        all_params.extend(params);
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let mut rows = stmt
            .query_map(params_from_iter(all_params), attempt_row)?
            .collect::<Result<Vec<_>, _>>()?;
        rows.sort_by_key(|r| (r.1.start_ns, r.1.end_ns, r.0));
        rows.dedup_by_key(|r| r.0);
        let mut links = conn.prepare_cached(
            "SELECT trace_id, span_id FROM span_links WHERE span_pk = ?1 ORDER BY seq",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (pk, mut row) in rows {
            row.links = links
                .query_map([pk], |r| Ok((blob16(r.get(0)?), blob8(r.get(1)?))))?
                .collect::<Result<Vec<_>, _>>()?;
            out.push(row);
        }
        Ok(out)
    }

    /// Spans per (span name, model), for retry amplification.
    pub fn operation_model_counts(
        &self,
        filter: &SpanFilter,
    ) -> Result<Vec<OperationCount>, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!(
            "SELECT s.name, COALESCE(s.request_model, s.response_model), COUNT(*) FROM spans s
             WHERE {cond} GROUP BY 1, 2 ORDER BY 1, 2"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), |r| {
                Ok(OperationCount {
                    operation: r.get(0)?,
                    model: r.get(1)?,
                    spans: r.get::<_, i64>(2)?.max(0) as u64,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Spans that carry something to validate: a declared output type or response format,
    /// tool-call arguments, an evaluation result, or a validation record (attribute or event):
    /// the `validation_candidate` flag computed at import (`store::prepare`), read through its
    /// partial index; `analysis::validation` decides. Ordered by start.
    pub fn validation_candidates(
        &self,
        filter: &SpanFilter,
    ) -> Result<Vec<CheckedSpanRow>, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!(
            "SELECT s.id, s.trace_id, s.span_id, s.name, COALESCE(s.request_model, s.response_model),
                    s.start_ns, s.attributes, s.parent_span_id, s.end_ns, s.response_model,
                    (SELECT CAST(json_extract(r.attributes, '$.\"service.version\"') AS TEXT)
                     FROM resources r WHERE r.id = s.resource_id AND json_valid(r.attributes))
             FROM spans s
             WHERE s.validation_candidate = 1 AND {cond}
             ORDER BY s.start_ns, s.id"
        );
        let conn = self.conn();
        let mut stmt = conn.prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), |r| {
                let parent: Option<Vec<u8>> = r.get(7)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    CheckedSpanRow {
                        trace_id: blob16(r.get(1)?),
                        span_id: blob8(r.get(2)?),
                        parent_span_id: parent.map(blob8),
                        name: r.get(3)?,
                        model: r.get(4)?,
                        response_model: r.get(9)?,
                        service_version: r.get(10)?,
                        start_ns: r.get(5)?,
                        end_ns: r.get(8)?,
                        attributes: r.get(6)?,
                        events: Vec::new(),
                    },
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut events = conn.prepare_cached(
            "SELECT name, attributes FROM span_events WHERE span_pk = ?1 ORDER BY seq",
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for (pk, mut row) in rows {
            row.events = events
                .query_map([pk], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            out.push(row);
        }
        Ok(out)
    }

    /// The spans of the same logical call as each `(trace, parent span, name)` key: same
    /// trace, same parent (or both roots) and same name, ordered by start; one list per key, in
    /// the keys' order. Reads the `spans_by_trace` index, never scans.
    pub fn call_siblings(
        &self,
        keys: &[(TraceId, Option<SpanId>, String)],
    ) -> Result<Vec<Vec<AttemptRow>>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(&format!(
            "SELECT {ATTEMPT_COLUMNS} FROM spans s
             WHERE s.trace_id = ?1 AND s.parent_span_id IS ?2 AND s.name = ?3
             ORDER BY s.start_ns, s.id"
        ))?;
        let mut out = Vec::with_capacity(keys.len());
        for (trace_id, parent, name) in keys {
            let parent = parent.map(|p| p.to_vec());
            let rows = stmt
                .query_map(params![trace_id.to_vec(), parent, name], |r| {
                    attempt_row(r).map(|(_, row)| row)
                })?
                .collect::<Result<Vec<_>, _>>()?;
            out.push(rows);
        }
        Ok(out)
    }

    /// Start and duration of every span the filter keeps, grouped by (service, span name).
    pub fn durations_by_service_operation(
        &self,
        filter: &SpanFilter,
    ) -> Result<ServiceOperationDurations, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let sql = format!(
            "SELECT s.start_ns, s.dur_ns, s.service, s.name FROM spans s WHERE {cond}
             ORDER BY s.start_ns"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut out = ServiceOperationDurations::default();
        let mut index: HashMap<(String, String), u32> = HashMap::new();
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            let key: (String, String) = (r.get(2)?, r.get(3)?);
            let next = index.len() as u32;
            let g = match index.get(&key) {
                Some(g) => *g,
                None => {
                    out.durations.groups.push(format!("{} {}", key.0, key.1));
                    out.keys.push(key.clone());
                    index.insert(key, next);
                    next
                }
            };
            out.durations.start_ns.push(r.get(0)?);
            out.durations.dur_ns.push(r.get(1)?);
            out.durations.group.push(g);
        }
        Ok(out)
    }
}

/// Sets `validation_candidate` on spans stored before the column existed, with the same text
/// test as [`super::prepare::is_validation_candidate`] (`alidation` matches `validation` and
/// `Validation` without lowering every row).
pub(super) fn flag_validation_candidates(conn: &Connection) -> rusqlite::Result<()> {
    conn.execute_batch(
        "UPDATE spans SET validation_candidate = 1 WHERE
            instr(attributes, '\"gen_ai.output.type\"') > 0
            OR instr(attributes, 'response_format') > 0
            OR instr(attributes, 'arguments') > 0
            OR instr(attributes, 'alidation') > 0
            OR EXISTS (SELECT 1 FROM span_events e WHERE e.span_pk = spans.id AND (
                e.name = 'gen_ai.evaluation.result'
                OR instr(e.name, 'alidation') > 0
                OR instr(e.attributes, 'alidation') > 0
                OR instr(e.attributes, 'arguments') > 0))",
    )
}

/// Classifies every span whose `error_class` is NULL (spans stored before the column existed;
/// the migration has already marked the ones with no error evidence `ok`).
pub(super) fn classify_unclassified_spans(conn: &Connection) -> rusqlite::Result<()> {
    let mut select = conn.prepare(
        "SELECT id, kind, status_code, status_message, http_status, attributes FROM spans
         WHERE error_class IS NULL",
    )?;
    let rows = select
        .query_map([], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i32>(1)?,
                r.get::<_, i32>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, Option<i64>>(4)?,
                r.get::<_, String>(5)?,
            ))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let mut events =
        conn.prepare("SELECT name, attributes FROM span_events WHERE span_pk = ?1 ORDER BY seq")?;
    let mut update = conn.prepare("UPDATE spans SET error_class = ?2 WHERE id = ?1")?;
    for (id, kind, status, message, http_status, attributes) in rows {
        let attributes: serde_json::Value =
            serde_json::from_str(&attributes).unwrap_or(serde_json::Value::Null);
        let span_events = events
            .query_map([id], |r| {
                let name: String = r.get(0)?;
                let attrs: String = r.get(1)?;
                Ok((
                    name,
                    serde_json::from_str(&attrs).unwrap_or(serde_json::Value::Null),
                ))
            })?
            .collect::<Result<Vec<(String, serde_json::Value)>, _>>()?;
        let input = ErrorInput::from_stored(
            SpanKind::from_i32(kind).unwrap_or_default(),
            StatusCode::from_i32(status).unwrap_or_default(),
            &message,
            http_status,
            &attributes,
            &span_events,
        );
        update.execute(params![id, classify(&input).class.as_str()])?;
    }
    Ok(())
}
