//! OpenLLMetry's indexed attributes: `gen_ai.prompt.N.role|content|tool_call_id`,
//! `gen_ai.prompt.N.tool_calls.I.id|name|arguments`, and the same under `gen_ai.completion.N`
//! with `finish_reason`. Content may be text or a JSON string of content blocks.

use std::collections::BTreeMap;

use serde_json::{Map, Value};

use super::{Attrs, Side, indexed_groups, message_from_value, render, sub_groups};
use crate::analysis::conversation::model::Message;

pub const PROMPT: &str = "gen_ai.prompt";
pub const COMPLETION: &str = "gen_ai.completion";

fn message(fields: &BTreeMap<&str, &Value>) -> Message {
    let mut obj = Map::new();
    for key in ["role", "content", "tool_call_id", "finish_reason", "name"] {
        if let Some(v) = fields.get(key) {
            obj.insert(key.to_owned(), (*v).clone());
        }
    }
    let calls: Vec<Value> = sub_groups(fields, "tool_calls")
        .values()
        .map(|call| {
            let mut c = Map::new();
            for key in ["id", "name", "arguments"] {
                if let Some(v) = call.get(key) {
                    c.insert(key.to_owned(), (*v).clone());
                }
            }
            Value::Object(c)
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
    side(attrs, PROMPT)
}

pub fn response(attrs: &Attrs) -> Option<Side> {
    side(attrs, COMPLETION)
}
