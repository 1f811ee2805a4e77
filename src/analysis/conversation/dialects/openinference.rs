//! OpenInference's flattened messages: `llm.input_messages.N.message.role|content|name|
//! tool_call_id`, `...message.contents.K.message_content.type|text`,
//! `...message.tool_calls.K.tool_call.id|function.name|function.arguments`, and the same under
//! `llm.output_messages`.

use std::collections::BTreeMap;

use serde_json::{Map, Value, json};

use super::{Attrs, Side, indexed_groups, message_from_value, render, sub_groups};
use crate::analysis::conversation::model::Message;

pub const INPUT: &str = "llm.input_messages";
pub const OUTPUT: &str = "llm.output_messages";

fn message(fields: &BTreeMap<&str, &Value>) -> Message {
    let mut obj = Map::new();
    for (from, to) in [
        ("message.role", "role"),
        ("message.content", "content"),
        ("message.tool_call_id", "tool_call_id"),
        ("message.name", "name"),
        ("message.finish_reason", "finish_reason"),
    ] {
        if let Some(v) = fields.get(from) {
            obj.insert(to.to_owned(), (*v).clone());
        }
    }
    if !obj.contains_key("content") {
        let blocks: Vec<Value> = sub_groups(fields, "message.contents")
            .values()
            .map(|c| {
                let kind = c
                    .get("message_content.type")
                    .and_then(|v| v.as_str())
                    .unwrap_or("text");
                let text = c.get("message_content.text").map(|v| (*v).clone());
                json!({"type": kind, "text": text})
            })
            .collect();
        if !blocks.is_empty() {
            obj.insert("content".to_owned(), Value::Array(blocks));
        }
    }
    let calls: Vec<Value> = sub_groups(fields, "message.tool_calls")
        .values()
        .map(|call| {
            json!({
                "id": call.get("tool_call.id"),
                "function": {
                    "name": call.get("tool_call.function.name"),
                    "arguments": call.get("tool_call.function.arguments"),
                },
            })
        })
        .collect();
    if !calls.is_empty() {
        obj.insert("tool_calls".to_owned(), Value::Array(calls));
    }
    message_from_value(&Value::Object(obj), None)
}

fn side(attrs: &Attrs, prefix: &str) -> Option<Side> {
    let groups = indexed_groups(attrs, prefix);
    if groups.is_empty() {
        return None;
    }
    Some(render(groups.values().map(message).collect()))
}

pub fn request(attrs: &Attrs) -> Option<Side> {
    side(attrs, INPUT)
}

pub fn response(attrs: &Attrs) -> Option<Side> {
    side(attrs, OUTPUT)
}

/// Whether OpenInference calls the span an LLM call.
pub fn is_llm_span(attrs: &Attrs) -> bool {
    attrs
        .get("openinference.span.kind")
        .and_then(Value::as_str)
        .is_some_and(|k| k.eq_ignore_ascii_case("LLM"))
}
