//! "Start here" pointers a snapshot carries and `tracedeck open --at` takes:
//! `trace:TRACE_ID[:SPAN_ID]` or `conversation:KEY:STEP` (STEP counts from 1; the key may itself
//! contain colons). Parsing, printing, and checking that a store holds what a pointer names.

use rusqlite::OptionalExtension;

use crate::model::{SpanId, TraceId, hex_lower};
use crate::store::{Store, StoreError};

/// Where to start reading a snapshot.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StartHere {
    Trace {
        trace_id: TraceId,
        span_id: Option<SpanId>,
    },
    Conversation {
        key: String,
        /// 1-based, as people count steps.
        step: usize,
    },
}

/// A pointer that does not parse.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum PointerError {
    #[error(
        "{0:?} is not a pointer: use trace:TRACE_ID[:SPAN_ID] or conversation:ID:STEP (STEP from 1)"
    )]
    Shape(String),
    #[error("{0:?} is not a trace id (32 hex digits)")]
    TraceId(String),
    #[error("{0:?} is not a span id (16 hex digits)")]
    SpanId(String),
    #[error("{0:?} is not a step number (1, 2, ...)")]
    Step(String),
}

fn decode_hex<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    if text.len() != N * 2 || !text.is_ascii() {
        return None;
    }
    let mut out = [0u8; N];
    for (i, byte) in out.iter_mut().enumerate() {
        let pair = text.get(i * 2..i * 2 + 2)?;
        *byte = u8::from_str_radix(pair, 16).ok()?;
    }
    Some(out)
}

impl std::str::FromStr for StartHere {
    type Err = PointerError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let text = text.trim();
        if let Some(rest) = text.strip_prefix("trace:") {
            let (trace, span) = match rest.split_once(':') {
                Some((t, s)) => (t, Some(s)),
                None => (rest, None),
            };
            let trace_id =
                decode_hex::<16>(trace).ok_or_else(|| PointerError::TraceId(trace.to_owned()))?;
            let span_id = match span {
                Some(s) => {
                    Some(decode_hex::<8>(s).ok_or_else(|| PointerError::SpanId(s.to_owned()))?)
                }
                None => None,
            };
            return Ok(Self::Trace { trace_id, span_id });
        }
        if let Some(rest) = text.strip_prefix("conversation:") {
            let Some((key, step)) = rest.rsplit_once(':') else {
                return Err(PointerError::Shape(text.to_owned()));
            };
            if key.is_empty() {
                return Err(PointerError::Shape(text.to_owned()));
            }
            let step: usize = step
                .parse()
                .ok()
                .filter(|s| *s >= 1)
                .ok_or_else(|| PointerError::Step(step.to_owned()))?;
            return Ok(Self::Conversation {
                key: key.to_owned(),
                step,
            });
        }
        Err(PointerError::Shape(text.to_owned()))
    }
}

impl std::fmt::Display for StartHere {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Self::Trace {
                trace_id,
                span_id: Some(span_id),
            } => write!(f, "trace:{}:{}", hex_lower(trace_id), hex_lower(span_id)),
            Self::Trace {
                trace_id,
                span_id: None,
            } => write!(f, "trace:{}", hex_lower(trace_id)),
            Self::Conversation { key, step } => write!(f, "conversation:{key}:{step}"),
        }
    }
}

/// What a store holds for a pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PointerTarget {
    /// The trace (and span) exist; the name of the span or of the trace's root.
    Trace { name: String },
    /// The conversation exists with this many spans (at least as many as the step number).
    Conversation { spans: u64 },
}

/// Whether `store` holds what `pointer` names; `Ok(None)` when it does not.
pub fn resolve(store: &Store, pointer: &StartHere) -> Result<Option<PointerTarget>, StoreError> {
    let conn = store.conn();
    match pointer {
        StartHere::Trace { trace_id, span_id } => {
            let name: Option<String> = match span_id {
                Some(span_id) => conn
                    .query_row(
                        "SELECT name FROM spans WHERE trace_id = ?1 AND span_id = ?2",
                        rusqlite::params![&trace_id[..], &span_id[..]],
                        |r| r.get(0),
                    )
                    .optional()?,
                None => conn
                    .query_row(
                        "SELECT root_name FROM traces WHERE trace_id = ?1",
                        [&trace_id[..]],
                        |r| r.get(0),
                    )
                    .optional()?,
            };
            Ok(name.map(|name| PointerTarget::Trace { name }))
        }
        StartHere::Conversation { key, step } => {
            let spans: u64 = conn.query_row(
                "SELECT count(*) FROM spans WHERE conversation_key = ?1",
                [key],
                |r| r.get::<_, i64>(0).map(|n| n.max(0) as u64),
            )?;
            // A step is at least one span: a step past the span count cannot be there.
            Ok((spans > 0 && spans >= *step as u64)
                .then_some(PointerTarget::Conversation { spans }))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointers_round_trip() {
        for text in [
            "trace:4bf92f3577b34da6a3ce929d0e0e4736",
            "trace:4bf92f3577b34da6a3ce929d0e0e4736:00f067aa0ba902b7",
            "conversation:conv-42:7",
            "conversation:thread:a:b:2",
        ] {
            let parsed: Result<StartHere, _> = text.parse();
            assert_eq!(parsed.map(|p| p.to_string()), Ok(text.to_owned()));
        }
        assert!(matches!(
            "conversation:thread:a:2".parse::<StartHere>(),
            Ok(StartHere::Conversation { key, step: 2 }) if key == "thread:a"
        ));
    }

    #[test]
    fn bad_pointers_say_what_is_wrong() {
        assert!(matches!(
            "span:1".parse::<StartHere>(),
            Err(PointerError::Shape(_))
        ));
        assert!(matches!(
            "trace:xyz".parse::<StartHere>(),
            Err(PointerError::TraceId(_))
        ));
        assert!(matches!(
            "trace:4bf92f3577b34da6a3ce929d0e0e4736:12".parse::<StartHere>(),
            Err(PointerError::SpanId(_))
        ));
        assert!(matches!(
            "conversation:c:0".parse::<StartHere>(),
            Err(PointerError::Step(_))
        ));
        assert!(matches!(
            "conversation:c".parse::<StartHere>(),
            Err(PointerError::Step(_)) | Err(PointerError::Shape(_))
        ));
    }
}
