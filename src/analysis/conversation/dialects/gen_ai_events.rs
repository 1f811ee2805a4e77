//! The older per-message span events: `gen_ai.system.message`, `gen_ai.user.message`,
//! `gen_ai.assistant.message`, `gen_ai.tool.message` (request) and `gen_ai.choice` (response).
//! The body sits in the event's attributes (`content`, `tool_calls`, `id`, ...), or as JSON in
//! one attribute (`message`, `gen_ai.event.content`, `body`); `tool_calls` may be a JSON string.
//! The earliest form, `gen_ai.content.prompt` / `gen_ai.content.completion` events carrying the
//! whole message list as JSON in `gen_ai.prompt` / `gen_ai.completion`, is read too.

use serde_json::{Map, Value};

use super::{Side, message_from_value, render};
use crate::analysis::conversation::model::{Message, Role};

/// Attributes that may carry the whole event body as JSON text or a structured value.
const BODY_KEYS: [&str; 4] = ["message", "gen_ai.event.content", "event.body", "body"];

fn role_of(event: &str) -> Option<Role> {
    match event {
        "gen_ai.system.message" => Some(Role::System),
        "gen_ai.user.message" => Some(Role::User),
        "gen_ai.assistant.message" => Some(Role::Assistant),
        "gen_ai.tool.message" => Some(Role::Tool),
        _ => None,
    }
}

/// The event's body: its attributes with any JSON body attribute merged in.
fn body(attributes: &str) -> Map<String, Value> {
    let mut obj: Map<String, Value> = serde_json::from_str(attributes).unwrap_or_default();
    for key in BODY_KEYS {
        let inner = match obj.get(key) {
            Some(Value::String(text)) => serde_json::from_str::<Value>(text).ok(),
            Some(v @ Value::Object(_)) => Some(v.clone()),
            _ => None,
        };
        if let Some(Value::Object(inner)) = inner {
            obj.remove(key);
            for (k, v) in inner {
                obj.entry(k).or_insert(v);
            }
        }
    }
    obj
}

/// The messages of a `gen_ai.content.prompt` / `.completion` event (`attr` holds their JSON).
fn content_event(events: &[(String, String)], event: &str, attr: &str) -> Option<Side> {
    let (_, attrs) = events.iter().find(|(name, _)| name == event)?;
    let obj: Map<String, Value> = serde_json::from_str(attrs).ok()?;
    let list: Vec<Value> = match obj.get(attr)? {
        Value::String(text) => serde_json::from_str(text).ok()?,
        Value::Array(items) => items.clone(),
        _ => return None,
    };
    let messages: Vec<Message> = list.iter().map(|m| message_from_value(m, None)).collect();
    (!messages.is_empty()).then(|| render(messages))
}

/// The request messages from the message events, in order.
pub fn request(events: &[(String, String)]) -> Option<Side> {
    let messages: Vec<Message> = events
        .iter()
        .filter_map(|(name, attrs)| {
            let role = role_of(name)?;
            let obj = body(attrs);
            // `gen_ai.tool.message` names its call `id`.
            let mut value = Value::Object(obj);
            if role == Role::Tool
                && let Some(o) = value.as_object_mut()
                && !o.contains_key("tool_call_id")
                && let Some(id) = o.get("id").cloned()
            {
                o.insert("tool_call_id".to_owned(), id);
            }
            Some(message_from_value(&value, Some(role)))
        })
        .collect();
    if messages.is_empty() {
        return content_event(events, "gen_ai.content.prompt", "gen_ai.prompt");
    }
    Some(render(messages))
}

/// The response messages from `gen_ai.choice` events, ordered by `index`.
pub fn response(events: &[(String, String)]) -> Option<Side> {
    let mut choices: Vec<(i64, Message)> = events
        .iter()
        .filter(|(name, _)| name == "gen_ai.choice")
        .enumerate()
        .map(|(seq, (_, attrs))| {
            let obj = body(attrs);
            let index = obj
                .get("index")
                .and_then(Value::as_i64)
                .unwrap_or(seq as i64);
            let finish = obj.get("finish_reason").cloned();
            let mut message = match obj.get("message") {
                Some(Value::Object(m)) => m.clone(),
                _ => obj.clone(),
            };
            if let Some(finish) = finish {
                message.entry("finish_reason").or_insert(finish);
            }
            (
                index,
                message_from_value(&Value::Object(message), Some(Role::Assistant)),
            )
        })
        .collect();
    if choices.is_empty() {
        return content_event(events, "gen_ai.content.completion", "gen_ai.completion");
    }
    choices.sort_by_key(|c| c.0);
    Some(render(choices.into_iter().map(|c| c.1).collect()))
}
