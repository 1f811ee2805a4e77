//! The current GenAI conventions: `gen_ai.input.messages`, `gen_ai.output.messages` and
//! `gen_ai.system_instructions`, each a JSON string or a structured value. The payload text is
//! kept verbatim (a structured value is written as compact JSON).

use serde_json::Value;

use super::{Attrs, MessageCache, Side, side_from_json_text};

pub const INPUT: &str = "gen_ai.input.messages";
pub const OUTPUT: &str = "gen_ai.output.messages";
pub const SYSTEM: &str = "gen_ai.system_instructions";

fn payload_text(value: Value) -> Option<String> {
    match value {
        Value::String(s) if !s.trim().is_empty() => Some(s),
        Value::String(_) | Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// The request messages, if the span recorded `gen_ai.input.messages` (taken out of `attrs`:
/// the payload is moved, not copied).
pub fn take_request(attrs: &mut Attrs, cache: &mut MessageCache) -> Option<Side> {
    attrs
        .remove(INPUT)
        .and_then(payload_text)
        .map(|text| side_from_json_text(text, cache))
}

/// The response messages, if the span recorded `gen_ai.output.messages` (taken out of `attrs`).
pub fn take_response(attrs: &mut Attrs, cache: &mut MessageCache) -> Option<Side> {
    attrs
        .remove(OUTPUT)
        .and_then(payload_text)
        .map(|text| side_from_json_text(text, cache))
}

/// The system instructions as recorded.
pub fn system_instructions(attrs: &Attrs) -> Option<String> {
    attrs.get(SYSTEM).cloned().and_then(payload_text)
}
