//! Conversation replay's reads (`analysis::conversation`): the spans that may be steps of a
//! conversation (model calls and tool executions in any message dialect), first located (row
//! id, trace, conversation key) and then read in full a conversation at a time (attributes,
//! `gen_ai.*` and `exception` events), so memory holds one conversation's payloads, not all;
//! the spans of one conversation; the key of the conversation a span belongs to.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params, params_from_iter};

use super::{SpanFilter, Store, StoreError};
use crate::model::{SpanId, TraceId, hex_lower};

/// A span that may be a conversation step, with what reconstruction reads.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct StepSpanRow {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub name: String,
    pub start_ns: i64,
    pub end_ns: i64,
    /// OTLP status code (2 = error).
    pub status_code: i64,
    pub status_message: String,
    /// `spans.error_class` (`ok`, `structural`, ...).
    pub error_class: String,
    pub http_status: Option<i64>,
    pub gen_ai_operation: Option<String>,
    pub model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// The span's own conversation key, else the first key any span of its trace names.
    pub conversation_key: Option<String>,
    /// JSON object text.
    pub attributes: String,
    /// `(name, attributes JSON object text)` of the `gen_ai.*` and `exception` events, in order.
    pub events: Vec<(String, String)>,
}

/// A step span located but not read: what grouping needs.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct StepRef {
    /// The span's row id.
    pub pk: i64,
    pub trace_id: TraceId,
    /// The span's own conversation key, else the first key any span of its trace names.
    pub conversation_key: Option<String>,
    pub start_ns: i64,
}

impl StepRef {
    /// The conversation this step belongs to: its key, else its trace id in hex.
    pub fn key(&self) -> String {
        self.conversation_key
            .clone()
            .unwrap_or_else(|| hex_lower(&self.trace_id))
    }
}

fn blob16(v: Vec<u8>) -> TraceId {
    v.try_into().unwrap_or([0; 16])
}

fn blob8(v: Vec<u8>) -> SpanId {
    v.try_into().unwrap_or([0; 8])
}

/// Spans that may be steps: a gen_ai operation or model, OpenInference spans, OpenLLMetry
/// prompts, or `gen_ai.*` events (spans aliased `s`).
const STEP_CONDITION: &str = "(s.gen_ai_operation IS NOT NULL OR s.request_model IS NOT NULL
    OR s.response_model IS NOT NULL
    OR instr(s.attributes, '\"openinference.span.kind\"') > 0
    OR (instr(s.attributes, '\"gen_ai.') > 0
        AND (instr(s.attributes, '\"gen_ai.prompt.') > 0
            OR instr(s.attributes, '\"gen_ai.tool.name\"') > 0))
    OR EXISTS (SELECT 1 FROM span_events e WHERE e.span_pk = s.id AND e.name LIKE 'gen\\_ai.%' ESCAPE '\\'))";

const STEP_COLUMNS: &str = "s.id, s.trace_id, s.span_id, s.parent_span_id, s.name, s.start_ns,
    s.end_ns, s.status_code, s.status_message, COALESCE(s.error_class, 'ok'), s.http_status,
    s.gen_ai_operation, COALESCE(s.response_model, s.request_model), s.input_tokens,
    s.output_tokens, s.conversation_key, s.attributes";

fn step_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, StepSpanRow)> {
    let parent: Option<Vec<u8>> = r.get(3)?;
    Ok((
        r.get(0)?,
        StepSpanRow {
            trace_id: blob16(r.get(1)?),
            span_id: blob8(r.get(2)?),
            parent_span_id: parent.map(blob8),
            name: r.get(4)?,
            start_ns: r.get(5)?,
            end_ns: r.get(6)?,
            status_code: r.get(7)?,
            status_message: r.get(8)?,
            error_class: r.get(9)?,
            http_status: r.get(10)?,
            gen_ai_operation: r.get(11)?,
            model: r.get(12)?,
            input_tokens: r.get(13)?,
            output_tokens: r.get(14)?,
            conversation_key: r.get(15)?,
            attributes: r.get(16)?,
            events: Vec::new(),
        },
    ))
}

const EVENT_CONDITION: &str = "(e.name LIKE 'gen\\_ai.%' ESCAPE '\\' OR e.name = 'exception')";

impl Store {
    /// Every span that may be a conversation step, light (no attributes), ordered by start,
    /// with its conversation key (its own, else its trace's). When the filter narrows
    /// anything, only the conversations (all their steps) with a trace that has a matching span.
    /// [`Self::step_spans`] then reads them in full, a conversation at a time.
    pub fn conversation_step_refs(&self, filter: &SpanFilter) -> Result<Vec<StepRef>, StoreError> {
        let conn = self.conn();
        let mut refs: Vec<StepRef> = {
            let sql = format!(
                "SELECT s.id, s.trace_id, s.conversation_key, s.start_ns FROM spans s
                 WHERE {STEP_CONDITION} ORDER BY s.start_ns, s.id"
            );
            let mut stmt = conn.prepare(&sql)?;
            stmt.query_map([], |r| {
                Ok(StepRef {
                    pk: r.get(0)?,
                    trace_id: blob16(r.get(1)?),
                    conversation_key: r.get(2)?,
                    start_ns: r.get(3)?,
                })
            })?
            .collect::<Result<_, _>>()?
        };
        let unkeyed: HashSet<TraceId> = refs
            .iter()
            .filter(|r| r.conversation_key.is_none())
            .map(|r| r.trace_id)
            .collect();
        if !unkeyed.is_empty() {
            let keys = self.trace_keys(&unkeyed)?;
            for r in &mut refs {
                if r.conversation_key.is_none() {
                    r.conversation_key = keys.get(&r.trace_id).cloned();
                }
            }
        }
        if !filter.is_empty() {
            // Whole conversations: every step of a conversation one of whose traces matches.
            let (cond, params) = filter.span_condition("s");
            let sql = format!("SELECT DISTINCT s.trace_id FROM spans s WHERE {cond}");
            let mut stmt = conn.prepare(&sql)?;
            let traces: HashSet<TraceId> = stmt
                .query_map(params_from_iter(params), |r| Ok(blob16(r.get(0)?)))?
                .collect::<Result<_, _>>()?;
            let keys: HashSet<String> = refs
                .iter()
                .filter(|r| traces.contains(&r.trace_id))
                .map(StepRef::key)
                .collect();
            refs.retain(|r| keys.contains(&r.key()));
        }
        Ok(refs)
    }

    /// The step spans `refs` names, in full (attributes, events), in the order given.
    pub fn step_spans(&self, refs: &[StepRef]) -> Result<Vec<StepSpanRow>, StoreError> {
        let conn = self.conn();
        let sql = format!("SELECT {STEP_COLUMNS} FROM spans s WHERE s.id = ?1");
        let mut stmt = conn.prepare_cached(&sql)?;
        let mut rows = Vec::with_capacity(refs.len());
        for r in refs {
            if let Some(mut row) = stmt.query_row(params![r.pk], step_row).optional()? {
                row.1.conversation_key = r.conversation_key.clone();
                rows.push(row);
            }
        }
        self.fill_step_events(&mut rows)?;
        Ok(rows.into_iter().map(|(_, row)| row).collect())
    }

    /// The first conversation key each of `traces` names (one index lookup per trace: cheaper
    /// than grouping the whole table).
    fn trace_keys(
        &self,
        traces: &HashSet<TraceId>,
    ) -> Result<HashMap<TraceId, String>, StoreError> {
        let mut stmt = self
            .conn()
            .prepare_cached("SELECT MIN(conversation_key) FROM spans WHERE trace_id = ?1")?;
        let mut keys = HashMap::new();
        for trace in traces {
            let key: Option<String> = stmt.query_row(params![trace.as_slice()], |r| r.get(0))?;
            if let Some(key) = key {
                keys.insert(*trace, key);
            }
        }
        Ok(keys)
    }

    /// The step spans of the traces that belong to conversation `key` (the traces where a span
    /// names it, else the trace whose hex id it is), ordered by start. The caller keeps the
    /// spans whose resolved key is `key`.
    pub fn conversation_spans(&self, key: &str) -> Result<Vec<StepSpanRow>, StoreError> {
        let conn = self.conn();
        let mut traces: Vec<TraceId> = {
            let mut stmt = conn.prepare_cached(
                "SELECT DISTINCT trace_id FROM spans
                 WHERE conversation_key = ?1 AND conversation_key IS NOT NULL",
            )?;
            stmt.query_map(params![key], |r| Ok(blob16(r.get(0)?)))?
                .collect::<Result<_, _>>()?
        };
        if traces.is_empty()
            && let Some(trace) = parse_trace_hex(key)
        {
            traces.push(trace);
        }
        let sql = format!(
            "SELECT {STEP_COLUMNS} FROM spans s WHERE s.trace_id = ?1 AND {STEP_CONDITION}"
        );
        let mut rows = Vec::new();
        {
            let mut stmt = conn.prepare(&sql)?;
            for trace in &traces {
                let found = stmt
                    .query_map(params![trace.as_slice()], step_row)?
                    .collect::<Result<Vec<_>, _>>()?;
                rows.extend(found);
            }
        }
        rows.sort_by_key(|(pk, r)| (r.start_ns, *pk));
        self.fill_trace_keys(&mut rows)?;
        self.fill_step_events(&mut rows)?;
        Ok(rows.into_iter().map(|(_, row)| row).collect())
    }

    /// The conversation key of the span's trace as [`Self::conversation_step_spans`] resolves
    /// it (the span's own key, else its trace's), or `None` when the span is not stored.
    pub fn span_conversation_key(
        &self,
        trace_id: &TraceId,
        span_id: &SpanId,
    ) -> Result<Option<Option<String>>, StoreError> {
        let conn = self.conn();
        let own: Option<Option<String>> = conn
            .query_row(
                "SELECT conversation_key FROM spans WHERE trace_id = ?1 AND span_id = ?2",
                params![trace_id.as_slice(), span_id.as_slice()],
                |r| r.get(0),
            )
            .optional()?;
        let Some(own) = own else {
            return Ok(None);
        };
        if own.is_some() {
            return Ok(Some(own));
        }
        let trace_key: Option<String> = conn.query_row(
            "SELECT MIN(conversation_key) FROM spans WHERE trace_id = ?1",
            params![trace_id.as_slice()],
            |r| r.get(0),
        )?;
        Ok(Some(trace_key))
    }

    /// Gives spans without a key the first key their trace names.
    fn fill_trace_keys(&self, rows: &mut [(i64, StepSpanRow)]) -> Result<(), StoreError> {
        let unkeyed: HashSet<TraceId> = rows
            .iter()
            .filter(|(_, r)| r.conversation_key.is_none())
            .map(|(_, r)| r.trace_id)
            .collect();
        if unkeyed.is_empty() {
            return Ok(());
        }
        let keys = self.trace_keys(&unkeyed)?;
        for (_, row) in rows.iter_mut() {
            if row.conversation_key.is_none() {
                row.conversation_key = keys.get(&row.trace_id).cloned();
            }
        }
        Ok(())
    }

    /// Attaches the `gen_ai.*` and `exception` events.
    fn fill_step_events(&self, rows: &mut [(i64, StepSpanRow)]) -> Result<(), StoreError> {
        let sql = format!(
            "SELECT e.name, e.attributes FROM span_events e WHERE e.span_pk = ?1
             AND {EVENT_CONDITION} ORDER BY e.seq"
        );
        let mut stmt = self.conn().prepare_cached(&sql)?;
        for (pk, row) in rows.iter_mut() {
            row.events = stmt
                .query_map(params![*pk], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<_, _>>()?;
        }
        Ok(())
    }
}

/// A 32-digit hex trace id.
fn parse_trace_hex(text: &str) -> Option<TraceId> {
    let text = text.trim();
    if text.len() != 32 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; 16];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = text.get(i * 2..i * 2 + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}
