//! Conversation replay's engine: every dialect reconstructs the same round trip to the same
//! normalised conversation, each lint rule fires on its hand-made case and stays quiet on the
//! fixed one, the samples' out-of-order conversation is found where the generator planted it,
//! and the Jaeger GenAI agent trace rebuilds with its tool calls.

mod common;

use std::collections::HashSet;
use std::path::Path;

use serde_json::{Value, json};
use tracedeck::analysis::conversation::{
    self, Message, Part, Payload, Role, Rule, Step, StepKind, ToolRun, lint, reconstruct,
};
use tracedeck::model::hex_lower;
use tracedeck::samples::{self, SampleOptions};
use tracedeck::store::{SpanFilter, StepSpanRow};

// ---------------------------------------------------------------------------------------------
// OTLP/JSON written by hand, one file per dialect.

/// An attribute value in OTLP/JSON (`AnyValue`) from a JSON value.
fn any_value(v: &Value) -> Value {
    match v {
        Value::String(s) => json!({"stringValue": s}),
        Value::Bool(b) => json!({"boolValue": b}),
        Value::Number(n) if n.is_i64() => json!({"intValue": n.to_string()}),
        Value::Number(n) => json!({"doubleValue": n.as_f64()}),
        Value::Array(items) => {
            json!({"arrayValue": {"values": items.iter().map(any_value).collect::<Vec<_>>()}})
        }
        Value::Object(map) => {
            json!({"kvlistValue": {"values": attributes(&Value::Object(map.clone()))}})
        }
        Value::Null => json!({}),
    }
}

fn attributes(obj: &Value) -> Vec<Value> {
    obj.as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| json!({"key": k, "value": any_value(v)}))
                .collect()
        })
        .unwrap_or_default()
}

struct SpanSpec {
    trace: &'static str,
    span: &'static str,
    name: &'static str,
    start_ms: u64,
    attrs: Value,
    events: Vec<(&'static str, Value)>,
    error: Option<&'static str>,
}

fn span_json(s: &SpanSpec) -> Value {
    let t0: u64 = 1_764_000_000_000_000_000;
    let start = t0 + s.start_ms * 1_000_000;
    let mut span = json!({
        "traceId": s.trace,
        "spanId": s.span,
        "name": s.name,
        "kind": 3,
        "startTimeUnixNano": start.to_string(),
        "endTimeUnixNano": (start + 500_000_000).to_string(),
        "attributes": attributes(&s.attrs),
        "events": s.events.iter().map(|(name, attrs)| json!({
            "timeUnixNano": start.to_string(), "name": name, "attributes": attributes(attrs)
        })).collect::<Vec<_>>(),
    });
    if let Some(message) = s.error {
        span["status"] = json!({"code": 2, "message": message});
    }
    span
}

fn write_otlp(dir: &Path, name: &str, spans: &[SpanSpec]) -> std::path::PathBuf {
    let doc = json!({"resourceSpans": [{
        "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "agent"}}]},
        "scopeSpans": [{"scope": {"name": "test"}, "spans": spans.iter().map(span_json).collect::<Vec<_>>()}],
    }]});
    let path = dir.join(name);
    std::fs::write(&path, doc.to_string()).expect("write otlp");
    path
}

const QUESTION: &str = "What is the weather in Paris?";
const ARGS: &str = r#"{"city":"Paris"}"#;
const RESULT: &str = r#"{"temp_c":18}"#;
const ANSWER: &str = "It is 18 C in Paris.";

/// The round trip, as the normalised model should read it.
fn expected_request() -> Vec<Message> {
    let msg = |role: Role, parts: Vec<Part>| Message {
        role,
        parts,
        finish_reason: None,
        raw_range: None,
    };
    vec![
        msg(
            Role::User,
            vec![Part::Text {
                text: QUESTION.into(),
            }],
        ),
        msg(
            Role::Assistant,
            vec![Part::ToolCall {
                id: Some("call_1".into()),
                name: "get_weather".into(),
                arguments: ARGS.into(),
            }],
        ),
        msg(
            Role::Tool,
            vec![Part::ToolResult {
                id: Some("call_1".into()),
                content: RESULT.into(),
            }],
        ),
    ]
}

fn expected_response() -> Vec<Message> {
    vec![Message {
        role: Role::Assistant,
        parts: vec![Part::Text {
            text: ANSWER.into(),
        }],
        finish_reason: None,
        raw_range: None,
    }]
}

fn expected_tool() -> ToolRun {
    ToolRun {
        name: "get_weather".into(),
        call_id: Some("call_1".into()),
        arguments: Some(ARGS.into()),
        result: Some(RESULT.into()),
    }
}

fn execute_tool_span(trace: &'static str) -> SpanSpec {
    SpanSpec {
        trace,
        span: "00000000000000a1",
        name: "execute_tool get_weather",
        start_ms: 1000,
        attrs: json!({
            "gen_ai.operation.name": "execute_tool",
            "gen_ai.tool.name": "get_weather",
            "gen_ai.tool.call.id": "call_1",
            "gen_ai.tool.call.arguments": ARGS,
            "gen_ai.tool.call.result": RESULT,
        }),
        events: vec![],
        error: None,
    }
}

fn chat_span(trace: &'static str, attrs: Value, events: Vec<(&'static str, Value)>) -> SpanSpec {
    let mut base = json!({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.conversation.id": format!("conv-{}", &trace[..4]),
    });
    if let (Some(b), Some(extra)) = (base.as_object_mut(), attrs.as_object()) {
        b.extend(extra.clone());
    }
    SpanSpec {
        trace,
        span: "00000000000000b1",
        name: "chat gpt-4o",
        start_ms: 2000,
        attrs: base,
        events,
        error: None,
    }
}

/// The same round trip in every dialect: (file name, trace id, spans).
fn dialect_files() -> Vec<(&'static str, &'static str, Vec<SpanSpec>)> {
    let input_parts = json!([
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": "call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": "call_1", "response": {"temp_c": 18}}]},
    ]);
    let output_parts = json!([
        {"role": "assistant", "parts": [{"type": "text", "content": ANSWER}], "finish_reason": "stop"},
    ]);
    // The spec's own table example: `result` instead of `response`, an id with a stray space.
    let input_spec_spelling = json!([
        {"role": "user", "parts": [{"type": "text", "content": QUESTION}]},
        {"role": "assistant", "parts": [{"type": "tool_call", "id": " call_1", "name": "get_weather", "arguments": {"city": "Paris"}}]},
        {"role": "tool", "parts": [{"type": "tool_call_response", "id": " call_1", "result": {"temp_c": 18}}]},
    ]);
    vec![
        (
            "parts-string.json",
            "1111aaaa000000000000000000000001",
            vec![
                execute_tool_span("1111aaaa000000000000000000000001"),
                chat_span(
                    "1111aaaa000000000000000000000001",
                    json!({"gen_ai.input.messages": input_parts.to_string(), "gen_ai.output.messages": output_parts.to_string()}),
                    vec![],
                ),
            ],
        ),
        (
            "parts-structured.json",
            "2222aaaa000000000000000000000002",
            vec![
                execute_tool_span("2222aaaa000000000000000000000002"),
                chat_span(
                    "2222aaaa000000000000000000000002",
                    json!({"gen_ai.input.messages": input_parts, "gen_ai.output.messages": output_parts}),
                    vec![],
                ),
            ],
        ),
        (
            "parts-spec-spelling.json",
            "3333aaaa000000000000000000000003",
            vec![
                execute_tool_span("3333aaaa000000000000000000000003"),
                chat_span(
                    "3333aaaa000000000000000000000003",
                    json!({"gen_ai.input.messages": input_spec_spelling.to_string(), "gen_ai.output.messages": output_parts.to_string()}),
                    vec![],
                ),
            ],
        ),
        (
            "events.json",
            "4444aaaa000000000000000000000004",
            vec![
                execute_tool_span("4444aaaa000000000000000000000004"),
                chat_span(
                    "4444aaaa000000000000000000000004",
                    json!({}),
                    vec![
                        ("gen_ai.user.message", json!({"content": QUESTION})),
                        (
                            "gen_ai.assistant.message",
                            json!({"tool_calls": json!([{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]).to_string()}),
                        ),
                        (
                            "gen_ai.tool.message",
                            json!({"content": RESULT, "id": "call_1"}),
                        ),
                        (
                            "gen_ai.choice",
                            json!({"index": 0, "finish_reason": "stop", "message": json!({"role": "assistant", "content": ANSWER}).to_string()}),
                        ),
                    ],
                ),
            ],
        ),
        (
            "events-content.json",
            "7777aaaa000000000000000000000007",
            vec![
                execute_tool_span("7777aaaa000000000000000000000007"),
                chat_span(
                    "7777aaaa000000000000000000000007",
                    json!({}),
                    vec![
                        (
                            "gen_ai.content.prompt",
                            json!({"gen_ai.prompt": json!([
                                {"role": "user", "content": QUESTION},
                                {"role": "assistant", "tool_calls": [{"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": ARGS}}]},
                                {"role": "tool", "tool_call_id": "call_1", "content": RESULT},
                            ]).to_string()}),
                        ),
                        (
                            "gen_ai.content.completion",
                            json!({"gen_ai.completion": json!([{"role": "assistant", "content": ANSWER, "finish_reason": "stop"}]).to_string()}),
                        ),
                    ],
                ),
            ],
        ),
        (
            "indexed.json",
            "5555aaaa000000000000000000000005",
            vec![
                execute_tool_span("5555aaaa000000000000000000000005"),
                chat_span(
                    "5555aaaa000000000000000000000005",
                    json!({
                        "gen_ai.prompt.0.role": "user",
                        "gen_ai.prompt.0.content": QUESTION,
                        "gen_ai.prompt.1.role": "assistant",
                        "gen_ai.prompt.1.tool_calls.0.id": "call_1",
                        "gen_ai.prompt.1.tool_calls.0.name": "get_weather",
                        "gen_ai.prompt.1.tool_calls.0.arguments": ARGS,
                        "gen_ai.prompt.2.role": "tool",
                        "gen_ai.prompt.2.content": RESULT,
                        "gen_ai.prompt.2.tool_call_id": "call_1",
                        "gen_ai.completion.0.role": "assistant",
                        "gen_ai.completion.0.content": ANSWER,
                        "gen_ai.completion.0.finish_reason": "stop",
                    }),
                    vec![],
                ),
            ],
        ),
        (
            "openinference.json",
            "6666aaaa000000000000000000000006",
            vec![
                SpanSpec {
                    trace: "6666aaaa000000000000000000000006",
                    span: "00000000000000a1",
                    name: "get_weather",
                    start_ms: 1000,
                    attrs: json!({
                        "openinference.span.kind": "TOOL",
                        "tool.name": "get_weather",
                        "tool_call.id": "call_1",
                        "input.value": ARGS,
                        "output.value": RESULT,
                        "session.id": "conv-6666",
                    }),
                    events: vec![],
                    error: None,
                },
                SpanSpec {
                    trace: "6666aaaa000000000000000000000006",
                    span: "00000000000000b1",
                    name: "ChatCompletion",
                    start_ms: 2000,
                    attrs: json!({
                        "openinference.span.kind": "LLM",
                        "llm.model_name": "gpt-4o",
                        "session.id": "conv-6666",
                        "llm.input_messages.0.message.role": "user",
                        "llm.input_messages.0.message.content": QUESTION,
                        "llm.input_messages.1.message.role": "assistant",
                        "llm.input_messages.1.message.tool_calls.0.tool_call.id": "call_1",
                        "llm.input_messages.1.message.tool_calls.0.tool_call.function.name": "get_weather",
                        "llm.input_messages.1.message.tool_calls.0.tool_call.function.arguments": ARGS,
                        "llm.input_messages.2.message.role": "tool",
                        "llm.input_messages.2.message.content": RESULT,
                        "llm.input_messages.2.message.tool_call_id": "call_1",
                        "llm.output_messages.0.message.role": "assistant",
                        "llm.output_messages.0.message.content": ANSWER,
                    }),
                    events: vec![],
                    error: None,
                },
            ],
        ),
    ]
}

fn without_ranges(messages: &[Message]) -> Vec<Message> {
    messages
        .iter()
        .map(|m| Message {
            raw_range: None,
            finish_reason: None,
            ..m.clone()
        })
        .collect()
}

#[test]
fn every_dialect_reconstructs_the_same_round_trip() {
    let dir = tempfile::tempdir().expect("tempdir");
    let (_guard, mut store) = common::temp_store();
    let files = dialect_files();
    let paths: Vec<_> = files
        .iter()
        .map(|(name, _, spans)| write_otlp(dir.path(), name, spans))
        .collect();
    let reports = common::import(&mut store, &paths);
    assert!(reports.iter().all(|r| r.errors == 0), "{reports:?}");

    let list = conversation::list(&store, &SpanFilter::default()).expect("list");
    assert_eq!(list.len(), files.len(), "{list:#?}");
    for (name, trace, _) in &files {
        let key = format!("conv-{}", &trace[..4]);
        let conv = conversation::load(&store, &key)
            .expect("load")
            .unwrap_or_else(|| panic!("{name}: no conversation {key}"));
        assert_eq!(conv.steps.len(), 2, "{name}");
        let (tool, chat) = (&conv.steps[0], &conv.steps[1]);
        assert_eq!(tool.kind, StepKind::ToolExecution, "{name}");
        assert_eq!(tool.tool.as_ref(), Some(&expected_tool()), "{name}");
        assert_eq!(chat.kind, StepKind::ModelCall, "{name}");
        assert_eq!(without_ranges(&chat.request), expected_request(), "{name}");
        assert_eq!(
            without_ranges(&chat.response),
            expected_response(),
            "{name}"
        );
        if *name != "openinference.json" {
            assert_eq!(chat.finish_reason.as_deref(), Some("stop"), "{name}");
        }
        // Every message's range is inside the raw payload and holds that message.
        for m in &chat.request {
            let range = m.raw_range.clone().expect("range");
            let text = chat.raw_request.get(range).expect("in bounds");
            assert!(
                text.starts_with('{') && text.ends_with('}'),
                "{name}: {text}"
            );
        }
        assert!(conv.findings.is_empty(), "{name}: {:?}", conv.findings);
        let hex = hex_lower(&chat.trace_id);
        assert_eq!(&hex, trace);
        let located =
            conversation::locate_span(&store, &chat.trace_id, &chat.span_id).expect("locate");
        assert_eq!(located, Some((key.clone(), 1)), "{name}");
    }
}

// ---------------------------------------------------------------------------------------------
// The lint on hand-made steps.

/// A model-call step from span attributes (GenAI messages dialect unless the attributes say
/// otherwise), with an optional error status message.
fn step(attrs: Value, error: Option<&str>) -> Step {
    let mut base = json!({"gen_ai.operation.name": "chat"});
    if let (Some(b), Some(extra)) = (base.as_object_mut(), attrs.as_object()) {
        b.extend(extra.clone());
    }
    let row = StepSpanRow {
        name: "chat".into(),
        status_code: if error.is_some() { 2 } else { 0 },
        status_message: error.unwrap_or_default().into(),
        error_class: "ok".into(),
        gen_ai_operation: Some("chat".into()),
        attributes: base.to_string(),
        ..StepSpanRow::default()
    };
    reconstruct::step_of(&row).expect("a model call")
}

fn input(messages: Value) -> Value {
    json!({"gen_ai.input.messages": messages.to_string()})
}

fn rules(step: &Step) -> Vec<Rule> {
    lint::lint(std::slice::from_ref(step))
        .iter()
        .map(|f| f.rule)
        .collect()
}

fn user(text: &str) -> Value {
    json!({"role": "user", "parts": [{"type": "text", "content": text}]})
}

fn calls(ids: &[&str]) -> Value {
    json!({"role": "assistant", "parts": ids.iter().map(|id| json!({"type": "tool_call", "id": id, "name": "f", "arguments": {"x": 1}})).collect::<Vec<_>>()})
}

fn result(id: &str) -> Value {
    json!({"type": "tool_call_response", "id": id, "response": "ok"})
}

#[test]
fn tool_result_missing() {
    let bad = step(
        input(json!([user("q"), calls(&["a", "b"]), {"role": "user", "parts": [result("a")]}])),
        None,
    );
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::ToolResultMissing]);
    assert_eq!(findings[0].message_index, Some(1));
    assert!(findings[0].detail.contains('b'));
    let range = findings[0].byte_range.clone().expect("range");
    assert!(bad.raw_request[range].contains(r#""id":"b""#));

    let good = step(
        input(
            json!([user("q"), calls(&["a", "b"]), {"role": "user", "parts": [result("a"), result("b")]}]),
        ),
        None,
    );
    assert!(rules(&good).is_empty());
}

#[test]
fn tool_result_orphan() {
    let bad = step(
        input(
            json!([user("q"), calls(&["a"]), {"role": "tool", "parts": [result("a")]}, {"role": "tool", "parts": [result("zz")]}]),
        ),
        None,
    );
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::ToolResultOrphan]);
    assert_eq!(findings[0].message_index, Some(3));

    let good = step(
        input(json!([user("q"), calls(&["a"]), {"role": "tool", "parts": [result("a")]}])),
        None,
    );
    assert!(rules(&good).is_empty());
}

#[test]
fn tool_result_order_and_the_providers_400() {
    let text = json!({"type": "text", "content": "hurry"});
    let messages = json!([user("q"), calls(&["a", "b"]), {"role": "user", "parts": [text, result("b"), result("a")]}]);
    let bad = step(input(messages.clone()), None);
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::ToolResultOrder]);
    assert_eq!(findings[0].message_index, Some(2));

    // Anthropic's 400 names the assistant message: the finding points there and quotes it.
    let error = "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'messages.1: `tool_use` ids were found without `tool_result` blocks immediately after: a, b. Each `tool_use` block must have a corresponding `tool_result` block in the next message.'}}";
    let failed = step(input(messages), Some(error));
    let findings = lint::lint(std::slice::from_ref(&failed));
    assert_eq!(findings.len(), 1);
    assert_eq!(findings[0].message_index, Some(1));
    assert!(
        findings[0]
            .detail
            .contains("messages.1: `tool_use` ids were found without `tool_result` blocks"),
        "{}",
        findings[0].detail
    );
    let range = findings[0].byte_range.clone().expect("range");
    assert!(failed.raw_request[range].contains("tool_call"));

    // Only the order is wrong (results lead, B before A).
    let swapped = step(
        input(
            json!([user("q"), calls(&["a", "b"]), {"role": "user", "parts": [result("b"), result("a")]}]),
        ),
        None,
    );
    assert_eq!(rules(&swapped), [Rule::ToolResultOrder]);

    let good = step(
        input(
            json!([user("q"), calls(&["a", "b"]), {"role": "user", "parts": [result("a"), result("b"), text]}]),
        ),
        None,
    );
    assert!(rules(&good).is_empty());
}

#[test]
fn tool_args_invalid_json() {
    let output = |args: &str| json!({"gen_ai.output.messages": json!([{"role": "assistant", "parts": [{"type": "tool_call", "id": "c1", "name": "f", "arguments": args}], "finish_reason": "tool_call"}]).to_string()});
    let bad = step(output(r#"{"city": "Par"#), None);
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::ToolArgsInvalidJson]);
    assert_eq!(findings[0].payload, Payload::Response);
    assert_eq!(findings[0].message_index, Some(0));
    let good = step(output(r#"{"city": "Paris"}"#), None);
    assert!(rules(&good).is_empty());
}

#[test]
fn output_invalid_json() {
    let output = |text: &str| {
        json!({
            "gen_ai.output.type": "json",
            "gen_ai.output.messages": json!([{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}]).to_string(),
        })
    };
    let bad = step(output("Sure! {\"intent\": \"refund\"}"), None);
    assert_eq!(rules(&bad), [Rule::OutputInvalidJson]);
    let good = step(output("{\"intent\": \"refund\"}"), None);
    assert!(rules(&good).is_empty());
    let fenced = step(output("```json\n{\"intent\": \"refund\"}\n```"), None);
    assert!(rules(&fenced).is_empty());
}

#[test]
fn output_truncated() {
    let output = |finish: &str| json!({"gen_ai.output.messages": json!([{"role": "assistant", "parts": [{"type": "text", "content": "The answer is"}], "finish_reason": finish}]).to_string()});
    let bad = step(output("length"), None);
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::OutputTruncated]);
    assert_eq!(findings[0].payload, Payload::Response);
    assert!(rules(&step(output("max_tokens"), None)) == [Rule::OutputTruncated]);
    assert!(rules(&step(output("stop"), None)).is_empty());
}

#[test]
fn telemetry_truncated() {
    let full = json!([user("first question"), {"role": "assistant", "parts": [{"type": "text", "content": "an answer"}]}, user("second")]).to_string();
    let cut = &full[..full.len() - 20];
    let bad = step(json!({"gen_ai.input.messages": cut}), None);
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::TelemetryTruncated]);
    // The complete messages are kept; the highlight runs from the cut message to the end.
    assert_eq!(bad.request.len(), 2);
    assert_eq!(findings[0].message_index, Some(2));
    let range = findings[0].byte_range.clone().expect("range");
    assert_eq!(range.end, cut.len());
    assert!(cut[range].starts_with('{'));
    let good = step(json!({"gen_ai.input.messages": full}), None);
    assert!(rules(&good).is_empty());
}

#[test]
fn role_alternation() {
    let bad = step(
        input(json!([user("one"), user("two")])),
        Some(
            r#"{"type":"error","error":{"type":"invalid_request_error","message":"messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row"}}"#,
        ),
    );
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::RoleAlternation]);
    assert_eq!(findings[0].message_index, Some(1));
    assert!(
        findings[0].detail.contains("roles must alternate"),
        "{}",
        findings[0].detail
    );
    let good = step(
        input(
            json!([user("one"), {"role": "assistant", "parts": [{"type": "text", "content": "hi"}]}, user("two")]),
        ),
        None,
    );
    assert!(rules(&good).is_empty());
}

#[test]
fn empty_message() {
    let bad = step(
        input(
            json!([user("q"), {"role": "assistant", "parts": [{"type": "text", "content": "  "}]}, user("again")]),
        ),
        None,
    );
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(rules(&bad), [Rule::EmptyMessage]);
    assert_eq!(findings[0].message_index, Some(1));
    let good = step(
        input(
            json!([user("q"), {"role": "assistant", "parts": [{"type": "text", "content": "a"}]}, user("again")]),
        ),
        None,
    );
    assert!(rules(&good).is_empty());
}

#[test]
fn openai_missing_result_quotes_the_provider() {
    let error = "Error code: 400 - {'error': {'message': \"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: b\", 'type': 'invalid_request_error'}}";
    let bad = step(
        input(json!([user("q"), calls(&["a", "b"]), {"role": "tool", "parts": [result("a")]}])),
        Some(error),
    );
    let findings = lint::lint(std::slice::from_ref(&bad));
    assert_eq!(findings.len(), 1);
    assert!(
        findings[0]
            .detail
            .contains("did not have response messages: b"),
        "{}",
        findings[0].detail
    );
}

// ---------------------------------------------------------------------------------------------
// The samples and the corpus.

#[test]
fn the_samples_out_of_order_conversation_is_found_at_its_step_and_message() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = samples::generate(&SampleOptions::default(), dir.path()).expect("generate");
    let ooo = &manifest.out_of_order;
    let (_guard, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);

    let list = conversation::list(&store, &SpanFilter::default()).expect("list");
    assert_eq!(list.len(), manifest.conversations);
    let summary = list
        .iter()
        .find(|s| s.key == ooo.conversation_id)
        .expect("the out-of-order conversation is listed");
    assert!(summary.findings >= 1);
    assert_eq!(summary.first_rule, Some(Rule::ToolResultOrder));
    assert_eq!(summary.errors, 1);

    // "Errors only" keeps whole conversations that have a failed span, and only those.
    let errors_only = SpanFilter {
        errors_only: true,
        ..SpanFilter::default()
    };
    let with_errors = conversation::list(&store, &errors_only).expect("list");
    assert!(with_errors.len() < list.len());
    assert!(with_errors.contains(summary), "{with_errors:#?}");

    let conv = conversation::load(&store, &ooo.conversation_id)
        .expect("load")
        .expect("conversation");
    let failed = conv
        .steps
        .iter()
        .find(|s| hex_lower(&s.span_id) == ooo.failed_span_id)
        .expect("failed step");
    let finding = conv
        .findings
        .iter()
        .find(|f| f.rule == Rule::ToolResultOrder)
        .expect("order finding");
    assert_eq!(finding.step, failed.index);
    assert_eq!(hex_lower(&finding.span_id), ooo.failed_span_id);
    assert_eq!(finding.message_index, Some(ooo.tool_call_message_index));
    assert!(
        finding.detail.contains("invalid_request_error") || finding.detail.contains("tool_result")
    );
    let range = finding.byte_range.clone().expect("byte range");
    let highlighted = failed.raw_request.get(range).expect("range in the payload");
    for id in &ooo.tool_call_ids {
        assert!(highlighted.contains(id.as_str()), "{highlighted}");
    }
    // The repaired re-send has no finding.
    let repaired = conv
        .steps
        .iter()
        .find(|s| hex_lower(&s.span_id) == ooo.repaired_span_id)
        .expect("repaired step");
    assert!(conv.findings.iter().all(|f| f.step != repaired.index));

    // Every other sample conversation with a finding is one the generator broke on purpose.
    let storm = &manifest.invalid_request_storm;
    let storm_spans: HashSet<&str> = storm.attempt_span_ids.iter().map(String::as_str).collect();
    let all = conversation::all(&store, &SpanFilter::default()).expect("all");
    for c in &all {
        for f in &c.findings {
            match f.rule {
                Rule::ToolResultMissing => {
                    assert!(storm_spans.contains(hex_lower(&f.span_id).as_str()))
                }
                Rule::ToolResultOrder => assert_eq!(hex_lower(&f.span_id), ooo.failed_span_id),
                Rule::OutputInvalidJson | Rule::OutputTruncated => {}
                other => panic!("unexpected {other:?} in {}: {}", c.key, f.detail),
            }
        }
    }
}

#[test]
fn the_jaeger_genai_agent_trace_reconstructs_with_its_tool_calls() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let (_guard, mut store) = common::temp_store();
    let reports = common::import(
        &mut store,
        &[corpus.join("jaeger-json/genai-agent-trace.json")],
    );
    assert!(reports.iter().all(|r| r.errors == 0), "{reports:?}");
    let list = conversation::list(&store, &SpanFilter::default()).expect("list");
    assert_eq!(list.len(), 1, "{list:#?}");
    let conv = conversation::load(&store, &list[0].key)
        .expect("load")
        .expect("conversation");
    let model_calls: Vec<&Step> = conv
        .steps
        .iter()
        .filter(|s| s.kind == StepKind::ModelCall)
        .collect();
    let tools: Vec<&ToolRun> = conv.steps.iter().filter_map(|s| s.tool.as_ref()).collect();
    assert_eq!(model_calls.len(), 5);
    assert!(
        model_calls
            .iter()
            .all(|s| !s.request.is_empty() && !s.response.is_empty())
    );
    assert!(model_calls.iter().all(|s| s.system_instructions.is_some()));
    let names: HashSet<&str> = tools.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(
        names,
        HashSet::from(["list_dashboards", "search_traces", "summarize_findings"])
    );
    assert!(
        tools
            .iter()
            .filter(|t| t.name != "summarize_findings")
            .all(|t| t.call_id.is_some() && t.arguments.is_some() && t.result.is_some())
    );
    // Steps in time order.
    assert!(
        conv.steps
            .windows(2)
            .all(|w| w[0].start_ns <= w[1].start_ns)
    );
    assert_eq!(list[0].steps, conv.steps.len());
}
