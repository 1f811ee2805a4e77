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

/// The attributes the derived columns read, one slot each. Columns that accept several
/// spellings list their slots in order of preference.
mod slot {
    pub const SESSION_ID: usize = 0;
    pub const CONVERSATION_ID: usize = 1;
    pub const LANGFUSE_SESSION_ID: usize = 2;
    pub const HTTP_RESPONSE_STATUS_CODE: usize = 3;
    pub const HTTP_STATUS_CODE: usize = 4;
    pub const OPERATION_NAME: usize = 5;
    pub const LLM_REQUEST_TYPE: usize = 6;
    pub const REQUEST_MODEL: usize = 7;
    pub const LLM_MODEL_NAME: usize = 8;
    pub const RESPONSE_MODEL: usize = 9;
    pub const INPUT_TOKENS: usize = 10;
    pub const PROMPT_TOKENS: usize = 11;
    pub const LLM_PROMPT_TOKENS: usize = 12;
    pub const OUTPUT_TOKENS: usize = 13;
    pub const COMPLETION_TOKENS: usize = 14;
    pub const LLM_COMPLETION_TOKENS: usize = 15;
    pub const COUNT: usize = 16;

    pub const CONVERSATION_KEYS: [(usize, &str); 3] = [
        (SESSION_ID, "session.id"),
        (CONVERSATION_ID, "gen_ai.conversation.id"),
        (LANGFUSE_SESSION_ID, "langfuse.session.id"),
    ];

    pub fn of(key: &str) -> Option<usize> {
        Some(match key {
            "session.id" => SESSION_ID,
            "gen_ai.conversation.id" => CONVERSATION_ID,
            "langfuse.session.id" => LANGFUSE_SESSION_ID,
            "http.response.status_code" => HTTP_RESPONSE_STATUS_CODE,
            "http.status_code" => HTTP_STATUS_CODE,
            "gen_ai.operation.name" => OPERATION_NAME,
            "llm.request.type" => LLM_REQUEST_TYPE,
            "gen_ai.request.model" => REQUEST_MODEL,
            "llm.model_name" => LLM_MODEL_NAME,
            "gen_ai.response.model" => RESPONSE_MODEL,
            "gen_ai.usage.input_tokens" => INPUT_TOKENS,
            "gen_ai.usage.prompt_tokens" => PROMPT_TOKENS,
            "llm.token_count.prompt" => LLM_PROMPT_TOKENS,
            "gen_ai.usage.output_tokens" => OUTPUT_TOKENS,
            "gen_ai.usage.completion_tokens" => COMPLETION_TOKENS,
            "llm.token_count.completion" => LLM_COMPLETION_TOKENS,
            _ => return None,
        })
    }
}

/// The value of every slot's attribute in one span, found in a single pass over its attributes
/// (import runs this on every span). The first attribute with a key wins, as in [`Span::attr`].
struct Slots<'a>([Option<&'a AnyValue>; slot::COUNT]);

impl<'a> Slots<'a> {
    fn of(span: &'a Span) -> Self {
        let mut found = [None; slot::COUNT];
        for kv in &span.attributes {
            if let Some(value) = slot::of(&kv.key).and_then(|i| found.get_mut(i)) {
                value.get_or_insert(&kv.value);
            }
        }
        Self(found)
    }

    fn get(&self, slot: usize) -> Option<&'a AnyValue> {
        self.0.get(slot).copied().flatten()
    }

    /// The first slot present, in order of preference.
    fn first(&self, slots: &[usize]) -> Option<&'a AnyValue> {
        slots.iter().find_map(|&s| self.get(s))
    }

    /// The first slot holding a non-blank string (trimmed) or an integer, in order of preference.
    fn first_str(&self, slots: &[usize]) -> Option<String> {
        slots.iter().filter_map(|&s| self.get(s)).find_map(text)
    }
}

fn text(value: &AnyValue) -> Option<String> {
    match value {
        AnyValue::String(s) if !s.trim().is_empty() => Some(s.trim().to_owned()),
        AnyValue::Int(i) => Some(i.to_string()),
        _ => None,
    }
}

impl SpanFacts {
    pub fn of(span: &Span, resource: &Resource) -> Self {
        use slot::*;
        let slots = Slots::of(span);
        let conversation_key = slots
            .first_str(&CONVERSATION_KEYS.map(|(slot, _)| slot))
            .or_else(|| {
                CONVERSATION_KEYS.iter().find_map(|(_, key)| {
                    resource
                        .attributes
                        .iter()
                        .find(|kv| kv.key == *key)
                        .and_then(|kv| kv.value.as_str())
                        .map(str::to_owned)
                })
            });
        Self {
            http_status: slots
                .first(&[HTTP_RESPONSE_STATUS_CODE, HTTP_STATUS_CODE])
                .and_then(AnyValue::as_i64),
            gen_ai_operation: slots.first_str(&[OPERATION_NAME, LLM_REQUEST_TYPE]),
            request_model: slots.first_str(&[REQUEST_MODEL, LLM_MODEL_NAME]),
            response_model: slots.first_str(&[RESPONSE_MODEL]),
            input_tokens: slots
                .first(&[INPUT_TOKENS, PROMPT_TOKENS, LLM_PROMPT_TOKENS])
                .and_then(AnyValue::as_i64),
            output_tokens: slots
                .first(&[OUTPUT_TOKENS, COMPLETION_TOKENS, LLM_COMPLETION_TOKENS])
                .and_then(AnyValue::as_i64),
            conversation_key,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::KeyValue;

    fn span(attributes: Vec<KeyValue>) -> Span {
        Span {
            attributes,
            ..Span::default()
        }
    }

    fn string(s: &str) -> AnyValue {
        AnyValue::String(s.to_owned())
    }

    #[test]
    fn each_column_prefers_its_first_spelling_present() {
        let facts = SpanFacts::of(
            &span(vec![
                KeyValue::new("llm.model_name", string("old-name")),
                KeyValue::new("gen_ai.request.model", string(" gpt-4o ")),
                KeyValue::new("http.status_code", AnyValue::Int(500)),
                KeyValue::new("http.response.status_code", string("429")),
                KeyValue::new("llm.token_count.prompt", AnyValue::Int(7)),
                KeyValue::new("gen_ai.usage.input_tokens", AnyValue::Double(12.0)),
                KeyValue::new("gen_ai.usage.completion_tokens", AnyValue::Int(3)),
                KeyValue::new("llm.request.type", string("chat")),
                KeyValue::new("gen_ai.response.model", string("gpt-4o-2024")),
                KeyValue::new("langfuse.session.id", AnyValue::Int(42)),
            ]),
            &Resource::default(),
        );
        assert_eq!(
            facts,
            SpanFacts {
                http_status: Some(429),
                gen_ai_operation: Some("chat".into()),
                request_model: Some("gpt-4o".into()),
                response_model: Some("gpt-4o-2024".into()),
                input_tokens: Some(12),
                output_tokens: Some(3),
                conversation_key: Some("42".into()),
            }
        );
    }

    #[test]
    fn text_columns_skip_blank_values_but_numbers_take_the_first_key_present() {
        let facts = SpanFacts::of(
            &span(vec![
                KeyValue::new("session.id", string("   ")),
                KeyValue::new("gen_ai.conversation.id", string("conv-1")),
                KeyValue::new("gen_ai.usage.output_tokens", string("many")),
                KeyValue::new("llm.token_count.completion", AnyValue::Int(9)),
            ]),
            &Resource::default(),
        );
        assert_eq!(facts.conversation_key.as_deref(), Some("conv-1"));
        // The preferred token key is present but not a number: no fallback to the older one.
        assert_eq!(facts.output_tokens, None);
    }

    #[test]
    fn the_first_of_repeated_keys_wins_and_the_resource_is_the_last_resort() {
        let resource = Resource {
            attributes: vec![KeyValue::new("session.id", string("from-resource"))],
            ..Resource::default()
        };
        let repeated = span(vec![
            KeyValue::new("gen_ai.request.model", string("first")),
            KeyValue::new("gen_ai.request.model", string("second")),
        ]);
        let facts = SpanFacts::of(&repeated, &resource);
        assert_eq!(facts.request_model.as_deref(), Some("first"));
        assert_eq!(facts.conversation_key.as_deref(), Some("from-resource"));
        let own = span(vec![KeyValue::new("session.id", string("from-span"))]);
        assert_eq!(
            SpanFacts::of(&own, &resource).conversation_key.as_deref(),
            Some("from-span")
        );
    }
}
