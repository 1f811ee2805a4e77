//! Read queries behind the views: the paged trace list, the spans of one trace, one span in
//! full, span durations for the latency view, and the lists the filter pickers offer.

use rusqlite::types::Value as SqlValue;
use rusqlite::{OptionalExtension, params, params_from_iter};
use serde::Serialize;

use super::{SpanFilter, Store, StoreError};
use crate::model::{SpanId, SpanKind, StatusCode, TraceId};

/// One row of the trace list.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceRow {
    pub trace_id: TraceId,
    pub root_name: String,
    pub root_service: String,
    pub start_ns: i64,
    pub dur_ns: i64,
    pub span_count: u64,
    pub error_count: u64,
    /// Comma-separated model names seen in the trace.
    pub models: String,
}

/// Columns the trace list sorts by.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum TraceSort {
    #[default]
    Start,
    Duration,
    Spans,
    Errors,
    Name,
    Service,
    Models,
}

impl TraceSort {
    fn column(self) -> &'static str {
        match self {
            Self::Start => "t.start_ns",
            Self::Duration => "(t.end_ns - t.start_ns)",
            Self::Spans => "t.span_count",
            Self::Errors => "t.error_count",
            Self::Name => "t.root_name",
            Self::Service => "t.root_service",
            Self::Models => "t.models",
        }
    }
}

/// One span as the waterfall draws it (no attributes: those come with [`SpanDetail`]).
#[derive(Clone, Debug, PartialEq)]
pub struct SpanRow {
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub service: String,
    pub kind: SpanKind,
    pub start_ns: i64,
    pub end_ns: i64,
    pub status_code: StatusCode,
    pub anomalies: u8,
    pub http_status: Option<i64>,
    pub model: Option<String>,
    /// Times of the span's events, for markers on its bar.
    pub event_times_ns: Vec<i64>,
}

/// One event of a span, in full.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EventRow {
    pub time_ns: i64,
    pub name: String,
    /// JSON object text.
    pub attributes: String,
}

/// One link of a span, and whether its target is in the store.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LinkRow {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: String,
    pub attributes: String,
    pub target_in_store: bool,
}

/// Everything about one span, for the detail panel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanDetail {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub kind: String,
    pub service: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub status: String,
    pub status_message: String,
    pub trace_state: String,
    pub anomalies: u8,
    /// JSON object text.
    pub attributes: String,
    pub events: Vec<EventRow>,
    pub links: Vec<LinkRow>,
    pub resource_attributes: String,
    pub scope_name: String,
    pub scope_version: String,
    pub scope_attributes: String,
}

/// How the latency view groups spans.
#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize,
)]
pub enum LatencyGroup {
    #[default]
    Service,
    Operation,
    Model,
}

/// Span durations for the latency view: parallel columns, plus the group names.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Durations {
    pub start_ns: Vec<i64>,
    pub dur_ns: Vec<i64>,
    /// Index into `groups` per span.
    pub group: Vec<u32>,
    pub groups: Vec<String>,
}

fn blob16(v: Vec<u8>) -> TraceId {
    v.try_into().unwrap_or([0; 16])
}

fn blob8(v: Vec<u8>) -> SpanId {
    v.try_into().unwrap_or([0; 8])
}

fn count(v: i64) -> u64 {
    v.max(0) as u64
}

/// The columns every trace-list query selects, in this order.
const TRACE_COLUMNS: &str = "t.trace_id, t.root_name, t.root_service, t.start_ns,
    t.end_ns - t.start_ns, t.span_count, t.error_count, t.models";

fn trace_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<TraceRow> {
    Ok(TraceRow {
        trace_id: blob16(r.get(0)?),
        root_name: r.get(1)?,
        root_service: r.get(2)?,
        start_ns: r.get(3)?,
        dur_ns: r.get(4)?,
        span_count: count(r.get(5)?),
        error_count: count(r.get(6)?),
        models: r.get(7)?,
    })
}

impl Store {
    /// The trace condition for a filter: time range on the trace, everything else through spans.
    fn trace_condition(filter: &SpanFilter) -> (String, Vec<SqlValue>) {
        let mut params = Vec::new();
        let mut parts = Vec::new();
        if let Some((from, to)) = filter.time_range_ns {
            parts.push("t.start_ns >= ? AND t.start_ns < ?".to_owned());
            params.push(SqlValue::Integer(from));
            params.push(SqlValue::Integer(to));
        }
        if filter.narrows_spans() {
            let span_only = SpanFilter {
                time_range_ns: None,
                ..filter.clone()
            };
            let (cond, p) = span_only.span_condition("s");
            parts.push(format!(
                "EXISTS (SELECT 1 FROM spans s WHERE s.trace_id = t.trace_id AND {cond})"
            ));
            params.extend(p);
        }
        if parts.is_empty() {
            ("1".to_owned(), params)
        } else {
            (parts.join(" AND "), params)
        }
    }

    /// How many traces the filter keeps.
    pub fn trace_count(&self, filter: &SpanFilter) -> Result<u64, StoreError> {
        let (cond, params) = Self::trace_condition(filter);
        let sql = format!("SELECT COUNT(*) FROM traces t WHERE {cond}");
        let n: i64 = self
            .conn()
            .query_row(&sql, params_from_iter(params), |r| r.get(0))?;
        Ok(count(n))
    }

    /// One page of the trace list.
    pub fn traces_page(
        &self,
        filter: &SpanFilter,
        sort: TraceSort,
        descending: bool,
        offset: u64,
        limit: u64,
    ) -> Result<Vec<TraceRow>, StoreError> {
        let (cond, mut params) = Self::trace_condition(filter);
        let dir = if descending { "DESC" } else { "ASC" };
        let sql = format!(
            "SELECT {TRACE_COLUMNS} FROM traces t WHERE {cond}
             ORDER BY {} {dir}, t.trace_id LIMIT ? OFFSET ?",
            sort.column()
        );
        params.push(SqlValue::Integer(limit.min(i64::MAX as u64) as i64));
        params.push(SqlValue::Integer(offset.min(i64::MAX as u64) as i64));
        let mut stmt = self.conn().prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), trace_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// One trace's summary row.
    pub fn trace_row(&self, trace_id: &TraceId) -> Result<Option<TraceRow>, StoreError> {
        Ok(self
            .conn()
            .query_row(
                &format!("SELECT {TRACE_COLUMNS} FROM traces t WHERE t.trace_id = ?1"),
                [&trace_id[..]],
                trace_row,
            )
            .optional()?)
    }

    /// Every span of a trace (in storage order: the tree builder sorts), with its event times.
    pub fn trace_spans(&self, trace_id: &TraceId) -> Result<Vec<SpanRow>, StoreError> {
        let conn = self.conn();
        let mut stmt = conn.prepare_cached(
            "SELECT id, span_id, parent_span_id, name, service, kind, start_ns, end_ns, status_code,
                    anomalies, http_status, COALESCE(request_model, response_model)
             FROM spans WHERE trace_id = ?1",
        )?;
        let mut pks = Vec::new();
        let mut rows = stmt
            .query_map([&trace_id[..]], |r| {
                let parent: Option<Vec<u8>> = r.get(2)?;
                Ok((
                    r.get::<_, i64>(0)?,
                    SpanRow {
                        span_id: blob8(r.get(1)?),
                        parent_span_id: parent.map(blob8),
                        name: r.get(3)?,
                        service: r.get(4)?,
                        kind: SpanKind::from_i32(r.get(5)?).unwrap_or_default(),
                        start_ns: r.get(6)?,
                        end_ns: r.get(7)?,
                        status_code: StatusCode::from_i32(r.get(8)?).unwrap_or_default(),
                        anomalies: r.get(9)?,
                        http_status: r.get(10)?,
                        model: r.get(11)?,
                        event_times_ns: Vec::new(),
                    },
                ))
            })?
            .map(|row| {
                row.map(|(pk, span)| {
                    pks.push(pk);
                    (pk, span)
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        // Event times, joined in memory by span primary key. Spans of a trace are usually
        // stored together, so their keys form a dense range: then one range scan of the events'
        // primary key beats a lookup per span. Scattered traces use the join.
        let index: std::collections::HashMap<i64, usize> = rows
            .iter()
            .enumerate()
            .map(|(i, (pk, _))| (*pk, i))
            .collect();
        let min_pk = rows.iter().map(|(pk, _)| *pk).min().unwrap_or(0);
        let max_pk = rows.iter().map(|(pk, _)| *pk).max().unwrap_or(-1);
        let dense = (max_pk - min_pk + 1) <= (rows.len() as i64).saturating_mul(4);
        let mut events = if dense {
            conn.prepare_cached(
                "SELECT span_pk, time_ns FROM span_events WHERE span_pk BETWEEN ?1 AND ?2",
            )?
        } else {
            conn.prepare_cached(
                "SELECT e.span_pk, e.time_ns FROM span_events e
                 JOIN spans s ON s.id = e.span_pk WHERE s.trace_id = ?1",
            )?
        };
        let mut times = if dense {
            events.query(params![min_pk, max_pk])?
        } else {
            events.query([&trace_id[..]])?
        };
        while let Some(r) = times.next()? {
            let (pk, time): (i64, i64) = (r.get(0)?, r.get(1)?);
            if let Some(row) = index.get(&pk).and_then(|i| rows.get_mut(*i)) {
                row.1.event_times_ns.push(time);
            }
        }
        Ok(rows.into_iter().map(|(_, span)| span).collect())
    }

    /// One span in full; `None` when it is not in the store.
    pub fn span_detail(
        &self,
        trace_id: &TraceId,
        span_id: &SpanId,
    ) -> Result<Option<SpanDetail>, StoreError> {
        let conn = self.conn();
        let found = conn
            .query_row(
                "SELECT s.id, s.parent_span_id, s.name, s.kind, s.service, s.start_ns, s.end_ns,
                        s.status_code, s.status_message, s.trace_state, s.anomalies, s.attributes,
                        r.attributes, sc.name, sc.version, sc.attributes
                 FROM spans s
                 JOIN resources r ON r.id = s.resource_id
                 JOIN scopes sc ON sc.id = s.scope_id
                 WHERE s.trace_id = ?1 AND s.span_id = ?2",
                params![&trace_id[..], &span_id[..]],
                |r| {
                    let parent: Option<Vec<u8>> = r.get(1)?;
                    Ok((
                        r.get::<_, i64>(0)?,
                        SpanDetail {
                            trace_id: *trace_id,
                            span_id: *span_id,
                            parent_span_id: parent.map(blob8),
                            name: r.get(2)?,
                            kind: SpanKind::from_i32(r.get(3)?)
                                .unwrap_or_default()
                                .label()
                                .to_owned(),
                            service: r.get(4)?,
                            start_ns: r.get(5)?,
                            end_ns: r.get(6)?,
                            status: StatusCode::from_i32(r.get(7)?)
                                .unwrap_or_default()
                                .label()
                                .to_owned(),
                            status_message: r.get(8)?,
                            trace_state: r.get(9)?,
                            anomalies: r.get(10)?,
                            attributes: r.get(11)?,
                            events: Vec::new(),
                            links: Vec::new(),
                            resource_attributes: r.get(12)?,
                            scope_name: r.get(13)?,
                            scope_version: r.get(14)?,
                            scope_attributes: r.get(15)?,
                        },
                    ))
                },
            )
            .optional()?;
        let Some((pk, mut detail)) = found else {
            return Ok(None);
        };
        let mut events = conn.prepare_cached(
            "SELECT time_ns, name, attributes FROM span_events WHERE span_pk = ?1 ORDER BY seq",
        )?;
        detail.events = events
            .query_map([pk], |r| {
                Ok(EventRow {
                    time_ns: r.get(0)?,
                    name: r.get(1)?,
                    attributes: r.get(2)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut links = conn.prepare_cached(
            "SELECT l.trace_id, l.span_id, l.trace_state, l.attributes,
                    EXISTS (SELECT 1 FROM spans t WHERE t.trace_id = l.trace_id AND t.span_id = l.span_id)
             FROM span_links l WHERE l.span_pk = ?1 ORDER BY l.seq",
        )?;
        detail.links = links
            .query_map([pk], |r| {
                Ok(LinkRow {
                    trace_id: blob16(r.get(0)?),
                    span_id: blob8(r.get(1)?),
                    trace_state: r.get(2)?,
                    attributes: r.get(3)?,
                    target_in_store: r.get(4)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(Some(detail))
    }

    /// Start and duration of every span the filter keeps, grouped for the latency view.
    pub fn span_durations(
        &self,
        filter: &SpanFilter,
        group_by: LatencyGroup,
    ) -> Result<Durations, StoreError> {
        let (cond, params) = filter.span_condition("s");
        let key = match group_by {
            LatencyGroup::Service => "s.service",
            LatencyGroup::Operation => "s.name",
            LatencyGroup::Model => "COALESCE(s.request_model, s.response_model, '(no model)')",
        };
        let sql = format!(
            "SELECT s.start_ns, s.dur_ns, {key} FROM spans s WHERE {cond} ORDER BY s.start_ns"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let mut out = Durations::default();
        let mut group_index: std::collections::HashMap<String, u32> = Default::default();
        let mut rows = stmt.query(params_from_iter(params))?;
        while let Some(r) = rows.next()? {
            let name: String = r.get(2)?;
            let next = group_index.len() as u32;
            let g = match group_index.get(&name) {
                Some(g) => *g,
                None => {
                    group_index.insert(name.clone(), next);
                    out.groups.push(name);
                    next
                }
            };
            out.start_ns.push(r.get(0)?);
            out.dur_ns.push(r.get(1)?);
            out.group.push(g);
        }
        Ok(out)
    }

    /// Traces with a span of `group` (per `group_by`) starting in `[from_ns, to_ns)` and lasting
    /// `[min_dur_ns, max_dur_ns]`: what a box drawn on the latency plot selects.
    #[allow(clippy::too_many_arguments)]
    pub fn traces_in_box(
        &self,
        filter: &SpanFilter,
        group_by: LatencyGroup,
        group: Option<&str>,
        (from_ns, to_ns): (i64, i64),
        (min_dur_ns, max_dur_ns): (i64, i64),
        limit: u64,
    ) -> Result<Vec<TraceRow>, StoreError> {
        let (cond, mut params) = filter.span_condition("s");
        let key = match group_by {
            LatencyGroup::Service => "s.service",
            LatencyGroup::Operation => "s.name",
            LatencyGroup::Model => "COALESCE(s.request_model, s.response_model, '(no model)')",
        };
        let group_cond = if let Some(g) = group {
            params.push(SqlValue::Text(g.to_owned()));
            format!("AND {key} = ?")
        } else {
            String::new()
        };
        params.extend([
            SqlValue::Integer(from_ns),
            SqlValue::Integer(to_ns),
            SqlValue::Integer(min_dur_ns),
            SqlValue::Integer(max_dur_ns),
            SqlValue::Integer(limit.min(i64::MAX as u64) as i64),
        ]);
        let sql = format!(
            "SELECT {TRACE_COLUMNS} FROM traces t WHERE t.trace_id IN (
                SELECT s.trace_id FROM spans s WHERE {cond} {group_cond}
                  AND s.start_ns >= ? AND s.start_ns < ? AND s.dur_ns >= ? AND s.dur_ns <= ?)
             ORDER BY t.start_ns LIMIT ?"
        );
        let mut stmt = self.conn().prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), trace_row)?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Earliest span start and latest span end in the store.
    pub fn time_bounds_ns(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let bounds: (Option<i64>, Option<i64>) =
            self.conn()
                .query_row("SELECT MIN(start_ns), MAX(end_ns) FROM traces", [], |r| {
                    Ok((r.get(0)?, r.get(1)?))
                })?;
        Ok(match bounds {
            (Some(a), Some(b)) => Some((a, b)),
            _ => None,
        })
    }

    /// Distinct model names, sorted.
    pub fn model_names(&self) -> Result<Vec<String>, StoreError> {
        let mut stmt = self.conn().prepare(
            "SELECT DISTINCT request_model FROM spans WHERE request_model IS NOT NULL
             UNION SELECT DISTINCT response_model FROM spans WHERE response_model IS NOT NULL
             ORDER BY 1",
        )?;
        let names = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(names)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Resource, ResourceSpans, ScopeSpans, Span, SpanEvent};
    use crate::store::{ImportStatus, ImportTotals, SpanWriter};

    fn span(trace: u8, n: u64, event_at: Option<u64>) -> Span {
        Span {
            trace_id: [trace; 16],
            span_id: (n + 1).to_be_bytes(),
            name: format!("s{n}"),
            start_ns: 1_000 + n,
            end_ns: 2_000 + n,
            events: event_at
                .map(|t| SpanEvent {
                    time_ns: t,
                    name: "e".into(),
                    ..SpanEvent::default()
                })
                .into_iter()
                .collect(),
            ..Span::default()
        }
    }

    fn block(spans: Vec<Span>) -> Vec<ResourceSpans> {
        vec![ResourceSpans {
            resource: Resource::default(),
            scope_spans: vec![ScopeSpans {
                scope: Default::default(),
                spans,
            }],
        }]
    }

    #[test]
    fn event_times_reach_their_spans_whether_a_trace_is_stored_together_or_scattered()
    -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
            path: ".".into(),
            source,
        })?;
        let mut store = Store::open(&dir.path().join("s.sqlite"))?;
        let mut writer = SpanWriter::begin(&mut store, "t", "test", 0)?;
        // Trace 1: three spans, then 100 spans of trace 2, then its fourth span.
        writer.write(block((0..3).map(|n| span(1, n, Some(1_500 + n))).collect()))?;
        writer.write(block(
            (10..110).map(|n| span(2, n, Some(9_000 + n))).collect(),
        ))?;
        writer.write(block(vec![span(1, 3, Some(1_503))]))?;
        writer.finish(ImportStatus::Ok, &ImportTotals::default())?;

        let scattered = store.trace_spans(&[1; 16])?;
        assert_eq!(scattered.len(), 4);
        for s in &scattered {
            let n = s.start_ns as u64 - 1_000;
            assert_eq!(s.event_times_ns, vec![(1_500 + n) as i64], "span {n}");
        }
        let dense = store.trace_spans(&[2; 16])?;
        assert_eq!(dense.len(), 100);
        for s in &dense {
            let n = s.start_ns as u64 - 1_000;
            assert_eq!(s.event_times_ns, vec![(9_000 + n) as i64], "span {n}");
        }
        Ok(())
    }
}
