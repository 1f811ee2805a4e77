//! Facts derived from a span at import time, stored in their own columns so views can filter and
//! group on them cheaply: service, HTTP status, gen_ai operation and models, tokens, conversation key.

use super::span::{AnyValue, Resource, Span};

/// Import-time anomalies worth a warning; stored as bit flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Anomalies(pub u8);

impl Anomalies {
    pub const END_BEFORE_START: u8 = 1;
    pub const SELF_PARENT: u8 = 2;

    pub fn of(span: &Span) -> Self {
        let mut bits = 0;
        if span.end_ns < span.start_ns {
            bits |= Self::END_BEFORE_START;
        }
        if span.parent_span_id == Some(span.span_id) {
            bits |= Self::SELF_PARENT;
        }
        Self(bits)
    }

    pub fn end_before_start(self) -> bool {
        self.0 & Self::END_BEFORE_START != 0
    }

    pub fn self_parent(self) -> bool {
        self.0 & Self::SELF_PARENT != 0
    }
}

/// The derived columns of one span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanFacts {
    pub http_status: Option<i64>,
    pub gen_ai_operation: Option<String>,
    pub request_model: Option<String>,
    pub response_model: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    pub conversation_key: Option<String>,
}

/// First attribute present among `keys`, in that order of preference.
fn first<'a>(span: &'a Span, keys: &[&str]) -> Option<&'a AnyValue> {
    keys.iter().find_map(|k| span.attr(k))
}

fn first_str(span: &Span, keys: &[&str]) -> Option<String> {
    keys.iter()
        .filter_map(|k| span.attr(k))
        .find_map(|v| match v {
            AnyValue::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
            AnyValue::Int(i) => Some(i.to_string()),
            _ => None,
        })
}

impl SpanFacts {
    pub fn of(span: &Span, resource: &Resource) -> Self {
        let conversation_key = first_str(
            span,
            &[
                "session.id",
                "gen_ai.conversation.id",
                "langfuse.session.id",
            ],
        )
        .or_else(|| {
            [
                "session.id",
                "gen_ai.conversation.id",
                "langfuse.session.id",
            ]
            .iter()
            .find_map(|k| {
                resource
                    .attributes
                    .iter()
                    .find(|kv| kv.key == *k)
                    .and_then(|kv| kv.value.as_str())
                    .map(str::to_owned)
            })
        });
        Self {
            http_status: first(span, &["http.response.status_code", "http.status_code"])
                .and_then(AnyValue::as_i64),
            gen_ai_operation: first_str(span, &["gen_ai.operation.name", "llm.request.type"]),
            request_model: first_str(span, &["gen_ai.request.model", "llm.model_name"]),
            response_model: first_str(span, &["gen_ai.response.model"]),
            input_tokens: first(
                span,
                &[
                    "gen_ai.usage.input_tokens",
                    "gen_ai.usage.prompt_tokens",
                    "llm.token_count.prompt",
                ],
            )
            .and_then(AnyValue::as_i64),
            output_tokens: first(
                span,
                &[
                    "gen_ai.usage.output_tokens",
                    "gen_ai.usage.completion_tokens",
                    "llm.token_count.completion",
                ],
            )
            .and_then(AnyValue::as_i64),
            conversation_key,
        }
    }
}
