//! One span to one step: decides whether the span is a model call or a tool execution, reads
//! its messages from the first dialect that recorded them, and keeps its facts (finish reason,
//! tokens, latency, status, error class).

use serde_json::Value;

use super::dialects::{
    Attrs, MessageCache, Side, gen_ai_events, gen_ai_messages, indexed, openinference, str_attr,
    text_of, tool_span,
};
use super::model::{Dialect, Step, StepKind};
use crate::model::error_class::ErrorClass;
use crate::store::StepSpanRow;

/// Operations that are model calls.
const MODEL_CALL_OPERATIONS: [&str; 5] = [
    "chat",
    "text_completion",
    "generate_content",
    "completion",
    "responses",
];

/// Operations that wrap steps and are never steps themselves.
const WRAPPER_OPERATIONS: [&str; 6] = [
    "invoke_agent",
    "create_agent",
    "invoke_workflow",
    "embeddings",
    "retrieval",
    "workflow",
];

/// Whether the request declared a JSON output.
fn declares_json(attrs: &Attrs) -> bool {
    str_attr(attrs, "gen_ai.output.type").is_some_and(|t| t.trim().eq_ignore_ascii_case("json"))
        || attrs.iter().any(|(k, v)| {
            k.contains("response_format") && text_of(v).to_ascii_lowercase().contains("json")
        })
}

fn finish_reasons(attrs: &Attrs) -> Option<String> {
    match attrs.get("gen_ai.response.finish_reasons")? {
        Value::Array(items) => items.first().map(text_of),
        Value::String(s) => {
            // A JSON array written as a string, or one reason.
            match serde_json::from_str::<Vec<String>>(s) {
                Ok(list) => list.into_iter().next(),
                Err(_) => Some(s.clone()),
            }
        }
        other => Some(text_of(other)),
    }
    .filter(|s| !s.is_empty())
}

fn exception_messages(events: &[(String, String)]) -> Vec<String> {
    events
        .iter()
        .filter(|(name, _)| name == "exception")
        .filter_map(|(_, attrs)| {
            let obj: Attrs = serde_json::from_str(attrs).ok()?;
            str_attr(&obj, "exception.message").map(str::to_owned)
        })
        .collect()
}

fn base_step(row: &StepSpanRow, kind: StepKind, dialect: Dialect) -> Step {
    Step {
        index: 0,
        kind,
        dialect,
        trace_id: row.trace_id,
        span_id: row.span_id,
        name: row.name.clone(),
        start_ns: row.start_ns,
        dur_ns: row.end_ns.saturating_sub(row.start_ns).max(0),
        model: row.model.clone(),
        request: Vec::new(),
        response: Vec::new(),
        finish_reason: None,
        input_tokens: row.input_tokens,
        output_tokens: row.output_tokens,
        failed: row.status_code == 2,
        status_message: row.status_message.clone(),
        error_class: ErrorClass::parse(&row.error_class).unwrap_or(ErrorClass::Unknown),
        raw_request: String::new(),
        raw_response: String::new(),
        tool: None,
        system_instructions: None,
        request_cut_at: None,
        response_cut_at: None,
        output_json_declared: false,
        http_status: row.http_status,
        exception_messages: exception_messages(&row.events),
    }
}

/// The span as a step, or `None` when it is neither a model call nor a tool execution.
pub fn step_of(row: &StepSpanRow) -> Option<Step> {
    step_with_cache(row, &mut MessageCache::default())
}

/// [`step_of`] reusing the messages already read from earlier steps of the conversation.
pub fn step_with_cache(row: &StepSpanRow, cache: &mut MessageCache) -> Option<Step> {
    let mut attrs: Attrs = serde_json::from_str(&row.attributes).unwrap_or_default();
    let operation = row.gen_ai_operation.as_deref();
    if operation.is_some_and(|op| WRAPPER_OPERATIONS.contains(&op)) {
        return None;
    }
    if tool_span::is_tool_span(&attrs, operation, &row.name) {
        let mut step = base_step(row, StepKind::ToolExecution, Dialect::ToolSpan);
        let run = tool_span::tool_run(&attrs, &row.name);
        step.raw_request = run.arguments.clone().unwrap_or_default();
        step.raw_response = run.result.clone().unwrap_or_default();
        step.tool = Some(run);
        return Some(step);
    }

    // Request and response from the first dialect that recorded each.
    let gen_ai_request = gen_ai_messages::take_request(&mut attrs, cache);
    let gen_ai_response = gen_ai_messages::take_response(&mut attrs, cache);
    let requests: [(Dialect, Option<Side>); 4] = [
        (Dialect::GenAiMessages, gen_ai_request),
        (Dialect::GenAiEvents, gen_ai_events::request(&row.events)),
        (Dialect::IndexedPrompt, indexed::request(&attrs)),
        (Dialect::OpenInference, openinference::request(&attrs)),
    ];
    let responses: [(Dialect, Option<Side>); 4] = [
        (Dialect::GenAiMessages, gen_ai_response),
        (Dialect::GenAiEvents, gen_ai_events::response(&row.events)),
        (Dialect::IndexedPrompt, indexed::response(&attrs)),
        (Dialect::OpenInference, openinference::response(&attrs)),
    ];
    let request = requests
        .into_iter()
        .find_map(|(d, side)| side.map(|s| (d, s)));
    let response = responses
        .into_iter()
        .find_map(|(d, side)| side.map(|s| (d, s)));
    let model_call = request.is_some()
        || response.is_some()
        || operation.is_some_and(|op| MODEL_CALL_OPERATIONS.contains(&op))
        || openinference::is_llm_span(&attrs);
    if !model_call {
        return None;
    }
    let dialect = request
        .as_ref()
        .or(response.as_ref())
        .map_or(Dialect::GenAiMessages, |(d, _)| *d);
    let mut step = base_step(row, StepKind::ModelCall, dialect);
    step.system_instructions = gen_ai_messages::system_instructions(&attrs);
    step.output_json_declared = declares_json(&attrs);
    if let Some((_, side)) = request {
        step.request = side.messages;
        step.raw_request = side.raw;
        step.request_cut_at = side.cut_at;
    }
    if let Some((_, side)) = response {
        step.response = side.messages;
        step.raw_response = side.raw;
        step.response_cut_at = side.cut_at;
    }
    step.finish_reason = finish_reasons(&attrs)
        .or_else(|| step.response.iter().find_map(|m| m.finish_reason.clone()));
    Some(step)
}
