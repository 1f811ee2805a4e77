//! The message dialects real exporters write, each read into the normalised [`Message`]s: one
//! module per dialect, and the JSON shapes they share (a message object in the GenAI parts form,
//! the OpenAI form with `tool_calls`, or Anthropic content blocks).

pub mod gen_ai_events;
pub mod gen_ai_messages;
pub mod indexed;
pub mod openinference;
pub mod tool_span;

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;

use serde_json::{Map, Value};

use super::json_scan::scan_array;
use super::model::{Message, Part, Role};

/// The span's attributes, parsed once.
pub type Attrs = Map<String, Value>;

/// Messages read from one side (request or response) of a step, with the payload text their
/// ranges index into.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Side {
    pub messages: Vec<Message>,
    pub raw: String,
    /// Where the recorded text was cut mid-value, if it was.
    pub cut_at: Option<usize>,
}

/// Messages already read, by their JSON text: a conversation re-sends its whole history with
/// every request, so each message is parsed once per conversation, not once per step.
#[derive(Debug, Default)]
pub struct MessageCache {
    by_text: HashMap<String, Message>,
}

impl MessageCache {
    fn message(&mut self, text: &str) -> Message {
        if let Some(m) = self.by_text.get(text) {
            return m.clone();
        }
        let value: Value = serde_json::from_str(text).unwrap_or(Value::Null);
        let message = message_from_value(&value, None);
        self.by_text.insert(text.to_owned(), message.clone());
        message
    }
}

pub(crate) fn str_attr<'a>(attrs: &'a Attrs, key: &str) -> Option<&'a str> {
    attrs.get(key).and_then(Value::as_str)
}

/// A value as text: strings as they are, anything else as compact JSON.
pub(crate) fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn id_of(value: Option<&Value>) -> Option<String> {
    value
        .map(text_of)
        .map(|s| s.trim().to_owned())
        .filter(|s| !s.is_empty())
}

/// The first of `keys` present in `obj`.
fn first<'a>(obj: &'a Map<String, Value>, keys: &[&str]) -> Option<&'a Value> {
    keys.iter().find_map(|k| obj.get(*k))
}

/// One part of a message in any of the shapes dialects use.
pub(crate) fn part_from_value(part: &Value) -> Part {
    let Some(obj) = part.as_object() else {
        return Part::Text {
            text: text_of(part),
        };
    };
    let kind = obj.get("type").and_then(Value::as_str).unwrap_or("text");
    match kind {
        "text" | "input_text" | "output_text" => Part::Text {
            text: first(obj, &["content", "text"])
                .map(text_of)
                .unwrap_or_default(),
        },
        "tool_call" | "function_call" | "tool_use" | "function" => {
            let function = obj.get("function").and_then(Value::as_object);
            let name = first(obj, &["name"])
                .or_else(|| function.and_then(|f| f.get("name")))
                .map(text_of)
                .unwrap_or_default();
            let arguments = first(obj, &["arguments", "input"])
                .or_else(|| function.and_then(|f| f.get("arguments")))
                .map(text_of)
                .unwrap_or_default();
            Part::ToolCall {
                id: id_of(first(obj, &["id", "call_id", "tool_call_id"])),
                name,
                arguments,
            }
        }
        "tool_call_response" | "tool_result" | "function_call_output" | "tool_response" => {
            Part::ToolResult {
                id: id_of(first(
                    obj,
                    &["id", "tool_use_id", "call_id", "tool_call_id"],
                )),
                content: first(obj, &["response", "result", "content", "output"])
                    .map(text_of)
                    .unwrap_or_default(),
            }
        }
        "reasoning" | "thinking" => Part::Reasoning {
            text: first(obj, &["content", "text", "thinking"])
                .map(text_of)
                .unwrap_or_default(),
        },
        other => Part::Other {
            kind: other.to_owned(),
            raw: part.to_string(),
        },
    }
}

/// A tool call in the OpenAI form `{id, type, function: {name, arguments}}` or flat.
fn tool_call_from_value(call: &Value) -> Part {
    let Some(obj) = call.as_object() else {
        return Part::Other {
            kind: "tool_call".to_owned(),
            raw: call.to_string(),
        };
    };
    let function = obj.get("function").and_then(Value::as_object);
    Part::ToolCall {
        id: id_of(obj.get("id")),
        name: function
            .and_then(|f| f.get("name"))
            .or_else(|| obj.get("name"))
            .map(text_of)
            .unwrap_or_default(),
        arguments: function
            .and_then(|f| f.get("arguments"))
            .or_else(|| first(obj, &["arguments", "input"]))
            .map(text_of)
            .unwrap_or_default(),
    }
}

/// A message object in any shape: GenAI `parts`, OpenAI `content` + `tool_calls` +
/// `tool_call_id`, Anthropic content blocks. `role_hint` is used when the object names none.
pub(crate) fn message_from_value(value: &Value, role_hint: Option<Role>) -> Message {
    let empty = Map::new();
    let obj = value.as_object().unwrap_or(&empty);
    let role = obj
        .get("role")
        .and_then(Value::as_str)
        .map(Role::parse)
        .or(role_hint)
        .unwrap_or_else(|| Role::Other(String::new()));
    let result_id = id_of(first(obj, &["tool_call_id", "tool_use_id"]))
        .or_else(|| (role == Role::Tool).then(|| id_of(obj.get("id"))).flatten());
    let mut parts = Vec::new();
    if let Some(list) = obj.get("parts").and_then(Value::as_array) {
        parts.extend(list.iter().map(part_from_value));
    }
    match obj.get("content") {
        Some(Value::Array(blocks)) => parts.extend(blocks.iter().map(part_from_value)),
        Some(Value::String(text)) => {
            // Some exporters write content blocks as a JSON string.
            let blocks = text
                .trim_start()
                .starts_with('[')
                .then(|| serde_json::from_str::<Vec<Value>>(text).ok())
                .flatten()
                .filter(|b| b.iter().all(|p| p.get("type").is_some()) && !b.is_empty());
            match (blocks, &result_id) {
                (Some(blocks), _) => parts.extend(blocks.iter().map(part_from_value)),
                (None, Some(id)) if role == Role::Tool => parts.push(Part::ToolResult {
                    id: Some(id.clone()),
                    content: text.clone(),
                }),
                (None, _) => parts.push(Part::Text { text: text.clone() }),
            }
        }
        Some(Value::Null) | None => {}
        Some(other) => match &result_id {
            Some(id) if role == Role::Tool => parts.push(Part::ToolResult {
                id: Some(id.clone()),
                content: other.to_string(),
            }),
            _ => parts.push(Part::Other {
                kind: "content".to_owned(),
                raw: other.to_string(),
            }),
        },
    }
    let tool_calls = match obj.get("tool_calls") {
        Some(Value::String(text)) => serde_json::from_str::<Value>(text).ok(),
        other => other.cloned(),
    };
    if let Some(Value::Array(calls)) = tool_calls {
        parts.extend(calls.iter().map(tool_call_from_value));
    }
    Message {
        role,
        parts,
        finish_reason: obj
            .get("finish_reason")
            .map(text_of)
            .filter(|s| !s.is_empty()),
        raw_range: None,
    }
}

/// Messages from a JSON array text in the GenAI parts form (any message shape), each with its
/// byte range; a text cut mid-value keeps its complete messages and says where it was cut.
pub(crate) fn side_from_json_text(text: String, cache: &mut MessageCache) -> Side {
    let Some(scan) = scan_array(&text) else {
        // One message object instead of an array.
        let messages = serde_json::from_str::<Value>(&text)
            .ok()
            .filter(Value::is_object)
            .map(|v| {
                let mut m = message_from_value(&v, None);
                m.raw_range = Some(0..text.len());
                vec![m]
            })
            .unwrap_or_default();
        let cut_at = (messages.is_empty() && super::json_scan::ends_mid_value(&text)).then_some(0);
        return Side {
            messages,
            raw: text,
            cut_at,
        };
    };
    let mut messages = Vec::with_capacity(scan.elements.len());
    for range in &scan.elements {
        let Some(slice) = text.get(range.clone()) else {
            continue;
        };
        let mut message = cache.message(slice);
        message.raw_range = Some(range.clone());
        messages.push(message);
    }
    Side {
        messages,
        raw: text,
        cut_at: scan.cut_at,
    }
}

/// A message in the GenAI parts form, for payloads rendered from flattened dialects.
pub(crate) fn message_to_value(message: &Message) -> Value {
    let parts: Vec<Value> = message
        .parts
        .iter()
        .map(|p| match p {
            Part::Text { text } => serde_json::json!({"type": "text", "content": text}),
            Part::ToolCall {
                id,
                name,
                arguments,
            } => serde_json::json!({"type": "tool_call", "id": id, "name": name, "arguments": arguments}),
            Part::ToolResult { id, content } => {
                serde_json::json!({"type": "tool_call_response", "id": id, "response": content})
            }
            Part::Reasoning { text } => serde_json::json!({"type": "reasoning", "content": text}),
            Part::Other { kind, raw } => {
                serde_json::from_str::<Value>(raw).unwrap_or_else(|_| {
                    serde_json::json!({"type": kind, "content": raw})
                })
            }
        })
        .collect();
    let mut obj = Map::new();
    obj.insert(
        "role".to_owned(),
        Value::String(message.role.as_str().to_owned()),
    );
    obj.insert("parts".to_owned(), Value::Array(parts));
    if let Some(reason) = &message.finish_reason {
        obj.insert("finish_reason".to_owned(), Value::String(reason.clone()));
    }
    Value::Object(obj)
}

/// Renders messages read from a dialect without one JSON payload as a GenAI-style JSON array,
/// one message per line, and sets each message's range in it.
pub(crate) fn render(mut messages: Vec<Message>) -> Side {
    let mut raw = String::from("[");
    let count = messages.len();
    for (i, message) in messages.iter_mut().enumerate() {
        raw.push_str("\n  ");
        let start = raw.len();
        raw.push_str(&message_to_value(message).to_string());
        message.raw_range = Some(start..raw.len());
        if i + 1 < count {
            raw.push(',');
        }
    }
    raw.push_str(if count == 0 { "]" } else { "\n]" });
    Side {
        messages,
        raw,
        cut_at: None,
    }
}

/// Flattened attributes `prefix.N.rest` grouped by `N`, each group `rest -> value`.
pub(crate) fn indexed_groups<'a>(
    attrs: &'a Attrs,
    prefix: &str,
) -> BTreeMap<usize, BTreeMap<&'a str, &'a Value>> {
    let mut groups: BTreeMap<usize, BTreeMap<&str, &Value>> = BTreeMap::new();
    for (key, value) in attrs {
        let Some(rest) = key.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((index, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        groups.entry(index).or_default().insert(field, value);
    }
    groups
}

/// The groups of `fields` under `prefix.I.` (for `tool_calls.I.*`), `rest -> value`.
pub(crate) fn sub_groups<'a>(
    fields: &BTreeMap<&'a str, &'a Value>,
    prefix: &str,
) -> BTreeMap<usize, BTreeMap<&'a str, &'a Value>> {
    let mut groups: BTreeMap<usize, BTreeMap<&str, &Value>> = BTreeMap::new();
    for (key, value) in fields {
        let Some(rest) = key.strip_prefix(prefix).and_then(|r| r.strip_prefix('.')) else {
            continue;
        };
        let Some((index, field)) = rest.split_once('.') else {
            continue;
        };
        let Ok(index) = index.parse::<usize>() else {
            continue;
        };
        groups.entry(index).or_default().insert(field, *value);
    }
    groups
}

/// The byte range of message `index` in a side, if known.
pub(crate) fn message_range(side: &[Message], index: usize) -> Option<Range<usize>> {
    side.get(index).and_then(|m| m.raw_range.clone())
}
