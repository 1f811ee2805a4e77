//! What part of a store a snapshot takes: a time range, services, traces, conversations (spans
//! with that conversation key), and optionally the app's global filter. Different kinds narrow
//! each other (AND); several values of one kind add up (OR), and traces and conversations add up
//! with each other. Spans are selected one by one; predictions follow by time, and by trace when
//! spans are narrowed by anything but time.

use rusqlite::types::Value as SqlValue;
use serde::Serialize;

use crate::model::{TraceId, hex_lower};
use crate::store::SpanFilter;

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Selection {
    /// Inclusive, Unix nanoseconds.
    pub since_ns: Option<i64>,
    /// Exclusive, Unix nanoseconds.
    pub until_ns: Option<i64>,
    pub services: Vec<String>,
    pub trace_ids: Vec<TraceId>,
    pub conversations: Vec<String>,
    /// The app's global filter ("current filter" in the export dialog).
    pub filter: Option<SpanFilter>,
}

/// How a selection is recorded in the `snapshot` table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct SelectionJson {
    pub since_ns: Option<i64>,
    pub until_ns: Option<i64>,
    pub services: Vec<String>,
    pub trace_ids: Vec<String>,
    pub conversations: Vec<String>,
    pub filter: Option<SpanFilter>,
}

impl Selection {
    pub fn is_everything(&self) -> bool {
        self.since_ns.is_none()
            && self.until_ns.is_none()
            && self.services.is_empty()
            && self.trace_ids.is_empty()
            && self.conversations.is_empty()
            && self.filter.as_ref().is_none_or(SpanFilter::is_empty)
    }

    /// Whether spans are narrowed by anything but time (predictions then follow the traces).
    pub(crate) fn narrows_beyond_time(&self) -> bool {
        !self.services.is_empty()
            || !self.trace_ids.is_empty()
            || !self.conversations.is_empty()
            || self.filter.as_ref().is_some_and(|f| {
                SpanFilter {
                    time_range_ns: None,
                    ..f.clone()
                } != SpanFilter::default()
            })
    }

    /// The condition on `spans` aliased `s`, with its parameters.
    pub(crate) fn span_condition(&self) -> (String, Vec<SqlValue>) {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        if let Some(since) = self.since_ns {
            parts.push("s.start_ns >= ?".to_owned());
            params.push(SqlValue::Integer(since));
        }
        if let Some(until) = self.until_ns {
            parts.push("s.start_ns < ?".to_owned());
            params.push(SqlValue::Integer(until));
        }
        if !self.services.is_empty() {
            parts.push(format!("s.service IN ({})", marks(self.services.len())));
            params.extend(self.services.iter().cloned().map(SqlValue::Text));
        }
        let mut either = Vec::new();
        if !self.trace_ids.is_empty() {
            either.push(format!("s.trace_id IN ({})", marks(self.trace_ids.len())));
            params.extend(self.trace_ids.iter().map(|t| SqlValue::Blob(t.to_vec())));
        }
        if !self.conversations.is_empty() {
            either.push(format!(
                "s.conversation_key IN ({})",
                marks(self.conversations.len())
            ));
            params.extend(self.conversations.iter().cloned().map(SqlValue::Text));
        }
        if !either.is_empty() {
            parts.push(format!("({})", either.join(" OR ")));
        }
        if let Some(filter) = &self.filter {
            let (cond, filter_params) = filter.span_condition("s");
            parts.push(format!("({cond})"));
            params.extend(filter_params);
        }
        if parts.is_empty() {
            ("1".to_owned(), params)
        } else {
            (parts.join(" AND "), params)
        }
    }

    /// The time condition on `predictions` aliased `p`.
    pub(crate) fn prediction_time_condition(&self) -> (String, Vec<SqlValue>) {
        let mut parts = Vec::new();
        let mut params = Vec::new();
        let filter_range = self.filter.as_ref().and_then(|f| f.time_range_ns);
        let since = self
            .since_ns
            .into_iter()
            .chain(filter_range.map(|r| r.0))
            .max();
        let until = self
            .until_ns
            .into_iter()
            .chain(filter_range.map(|r| r.1))
            .min();
        if let Some(since) = since {
            parts.push("p.timestamp_ns >= ?".to_owned());
            params.push(SqlValue::Integer(since));
        }
        if let Some(until) = until {
            parts.push("p.timestamp_ns < ?".to_owned());
            params.push(SqlValue::Integer(until));
        }
        if parts.is_empty() {
            ("1".to_owned(), params)
        } else {
            (parts.join(" AND "), params)
        }
    }

    pub fn to_json(&self) -> SelectionJson {
        SelectionJson {
            since_ns: self.since_ns,
            until_ns: self.until_ns,
            services: self.services.clone(),
            trace_ids: self.trace_ids.iter().map(|t| hex_lower(t)).collect(),
            conversations: self.conversations.clone(),
            filter: self.filter.clone(),
        }
    }
}

fn marks(n: usize) -> String {
    vec!["?"; n].join(",")
}

/// A time given on the command line: RFC 3339 (`2026-12-04T22:00:00Z`), a date
/// (`2026-12-04`, midnight UTC), or a Unix time in s, ms, µs or ns (told apart by size).
pub fn parse_time_ns(text: &str) -> Result<i64, String> {
    let text = text.trim();
    if let Ok(t) = chrono::DateTime::parse_from_rfc3339(text) {
        return t
            .timestamp_nanos_opt()
            .ok_or_else(|| format!("{text:?} is out of range"));
    }
    if let Ok(d) = chrono::NaiveDate::parse_from_str(text, "%Y-%m-%d") {
        return d
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_utc().timestamp_nanos_opt())
            .ok_or_else(|| format!("{text:?} is out of range"));
    }
    if let Ok(n) = text.parse::<i64>() {
        let abs = n.unsigned_abs();
        let scale: i64 = if abs < 100_000_000_000 {
            1_000_000_000
        } else if abs < 100_000_000_000_000 {
            1_000_000
        } else if abs < 100_000_000_000_000_000 {
            1_000
        } else {
            1
        };
        return n
            .checked_mul(scale)
            .ok_or_else(|| format!("{text:?} is out of range"));
    }
    Err(format!(
        "{text:?} is not a time: use RFC 3339 (2026-12-04T22:00:00Z), a date (2026-12-04) or Unix seconds"
    ))
}

/// A trace id given as 32 hex digits.
pub fn parse_trace_id(text: &str) -> Result<TraceId, String> {
    let text = text.trim();
    let mut out = [0u8; 16];
    if text.len() != 32 || !text.is_ascii() {
        return Err(format!("{text:?} is not a trace id (32 hex digits)"));
    }
    for (i, byte) in out.iter_mut().enumerate() {
        *byte = text
            .get(i * 2..i * 2 + 2)
            .and_then(|pair| u8::from_str_radix(pair, 16).ok())
            .ok_or_else(|| format!("{text:?} is not a trace id (32 hex digits)"))?;
    }
    Ok(out)
}
