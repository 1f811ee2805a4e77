//! Validation failures (DESIGN.md section 4): outputs that were meant to be structured and are
//! not. A span is **validated** when it declares a structured output (`gen_ai.output.type` =
//! `json`, or a JSON response format in the request) and records the output, carries a
//! `gen_ai.evaluation.result` event, or records a validation (an attribute or event whose name
//! contains `validation`). It **failed** when an evaluation is labelled `fail`, a validation
//! records an error, the declared-JSON output does not parse, or tool-call arguments (given as
//! JSON text) do not parse. A span whose tool-call arguments fail is counted as validated even
//! without another check, but valid tool-call arguments alone do not make a span validated: the
//! rate (failed / validated) stays the rate of structured-output requests that the 5% line on
//! the chart is about.
//!
//! Output text in a Markdown code fence (```` ```json ... ``` ````) counts as JSON when its
//! inside parses. A `gen_ai.output.messages` attribute that is itself cut mid-value is a
//! telemetry cut, not a model failure: such an output is not checked.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::{Map, Value};

use super::latency::Buckets;
use crate::model::{SpanId, TraceId};
use crate::store::CheckedSpanRow;

/// The failure rate drawn as a line on the Validation chart.
pub const ALERT_RATE: f64 = 0.05;

/// What kind of check failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FailureKind {
    /// A `gen_ai.evaluation.result` event labelled `fail`.
    EvaluationFailed,
    /// A validation attribute or event recording an error.
    ValidationError,
    /// A declared-JSON output that does not parse.
    OutputInvalidJson,
    /// Tool-call arguments that do not parse.
    ToolArgsInvalidJson,
}

/// One failed check of a span.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Failure {
    pub kind: FailureKind,
    pub reason: String,
    /// The text that failed to parse (output or arguments), when that is the failure.
    pub text: Option<String>,
    /// Byte offset in `text` where parsing stopped, for highlighting.
    pub error_offset: Option<usize>,
}

/// The checks of one span.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SpanValidation {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub name: String,
    pub model: Option<String>,
    pub start_ns: i64,
    /// The span counts as validated (see the module documentation).
    pub validated: bool,
    pub failures: Vec<Failure>,
}

impl SpanValidation {
    pub fn failed(&self) -> bool {
        !self.failures.is_empty()
    }

    /// The failures' reasons joined, as the report lists them.
    pub fn reason(&self) -> String {
        self.failures
            .iter()
            .map(|f| f.reason.as_str())
            .collect::<Vec<_>>()
            .join("; ")
    }
}

/// Validated and failed counts, and their rate.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Rate {
    pub validated: u64,
    pub failed: u64,
    /// `failed / validated`, 0 when nothing was validated.
    pub rate: f64,
}

impl Rate {
    fn add(&mut self, failed: bool) {
        self.validated += 1;
        self.failed += u64::from(failed);
        self.rate = self.failed as f64 / self.validated as f64;
    }
}

/// One time bucket's rate.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BucketRate {
    pub start_ns: i64,
    pub rate: Rate,
}

/// Everything the Validation view and the report show.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ValidationSummary {
    pub overall: Rate,
    /// Per model (`(no model)` when none), sorted by name.
    pub by_model: Vec<(String, Rate)>,
    /// Per time bucket (automatic width), buckets with no validated span left out.
    #[serde(skip)]
    pub buckets: Option<Buckets>,
    pub by_bucket: Vec<BucketRate>,
    /// The failed spans, in time order.
    pub failures: Vec<SpanValidation>,
}

fn parse_error_offset(text: &str, err: &serde_json::Error) -> usize {
    // serde_json reports 1-based line and column (in chars).
    let line = err.line().saturating_sub(1);
    let col = err.column().saturating_sub(1);
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i == line {
            return offset + l.char_indices().nth(col).map_or(l.len(), |(at, _)| at);
        }
        offset += l.len();
    }
    text.len()
}

/// Parses `text` as JSON (inside a Markdown code fence too); the error and its offset if not.
pub(crate) fn check_json(text: &str) -> Result<(), (String, usize)> {
    let trimmed = text.trim();
    let inner = trimmed
        .strip_prefix("```json")
        .or_else(|| trimmed.strip_prefix("```"))
        .and_then(|rest| rest.trim_end().strip_suffix("```"))
        .unwrap_or(trimmed);
    match serde_json::from_str::<Value>(inner) {
        Ok(_) => Ok(()),
        Err(e) => {
            let base = text.find(inner).unwrap_or(0);
            Err((e.to_string(), base + parse_error_offset(inner, &e)))
        }
    }
}

fn str_of<'a>(attrs: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    attrs.get(key).and_then(Value::as_str)
}

/// Whether the request declared a JSON output.
fn declares_json(attrs: &Map<String, Value>) -> bool {
    let json_type =
        str_of(attrs, "gen_ai.output.type").is_some_and(|t| t.trim().eq_ignore_ascii_case("json"));
    json_type
        || attrs.iter().any(|(k, v)| {
            k.contains("response_format")
                && match v {
                    Value::String(s) => s.to_ascii_lowercase().contains("json"),
                    other => other.to_string().to_ascii_lowercase().contains("json"),
                }
        })
}

/// The text of the model's output, from whichever dialect recorded it. `None` when there is
/// none, or when the recorded messages are themselves cut (a telemetry cut).
fn output_text(attrs: &Map<String, Value>) -> Option<String> {
    if let Some(raw) = str_of(attrs, "gen_ai.output.messages") {
        let messages: Value = serde_json::from_str(raw).ok()?;
        let mut text = String::new();
        for message in messages.as_array().into_iter().flatten() {
            for part in message
                .get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if part.get("type").and_then(Value::as_str) == Some("text")
                    && let Some(content) = part.get("content").and_then(Value::as_str)
                {
                    text.push_str(content);
                }
            }
        }
        return (!text.is_empty()).then_some(text);
    }
    [
        "gen_ai.completion.0.content",
        "llm.output_messages.0.message.content",
        "output.value",
    ]
    .iter()
    .find_map(|k| str_of(attrs, k))
    .map(str::to_owned)
}

/// Tool-call arguments given as JSON text: `(tool name or key, arguments)`.
fn tool_arguments(attrs: &Map<String, Value>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(args) = str_of(attrs, "gen_ai.tool.call.arguments") {
        let name = str_of(attrs, "gen_ai.tool.name").unwrap_or("tool");
        out.push((name.to_owned(), args.to_owned()));
    }
    // Parts form: `tool_call` parts of the output messages (arguments as a string).
    if let Some(messages) = str_of(attrs, "gen_ai.output.messages")
        .and_then(|raw| serde_json::from_str::<Value>(raw).ok())
    {
        for message in messages.as_array().into_iter().flatten() {
            for part in message
                .get("parts")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if part.get("type").and_then(Value::as_str) == Some("tool_call")
                    && let Some(args) = part.get("arguments").and_then(Value::as_str)
                {
                    let name = part.get("name").and_then(Value::as_str).unwrap_or("tool");
                    out.push((name.to_owned(), args.to_owned()));
                }
            }
        }
    }
    // Flattened dialects: `gen_ai.completion.N.tool_calls.I.arguments`,
    // `llm.output_messages.N.message.tool_calls.K.tool_call.function.arguments`.
    for (key, value) in attrs {
        let flattened = (key.starts_with("gen_ai.completion.")
            || key.starts_with("llm.output_messages."))
            && key.ends_with("arguments");
        if flattened && let Value::String(args) = value {
            out.push((key.clone(), args.clone()));
        }
    }
    out
}

/// What a validation attribute says: `Some(true)` failed, `Some(false)` passed.
fn validation_value_failed(key: &str, value: &Value) -> bool {
    let key = key.to_ascii_lowercase();
    match value {
        Value::Bool(ok) => !ok && !key.contains("error"),
        Value::String(s) => {
            let s = s.trim().to_ascii_lowercase();
            if s.is_empty()
                || matches!(
                    s.as_str(),
                    "pass" | "passed" | "ok" | "valid" | "success" | "true" | "none"
                )
            {
                false
            } else {
                key.contains("error")
                    || s.contains("fail")
                    || s.contains("error")
                    || s.contains("invalid")
                    || s == "false"
            }
        }
        Value::Number(n) => key.contains("error") && n.as_f64().is_some_and(|x| x > 0.0),
        _ => false,
    }
}

/// The checks of one span.
pub fn check_span(row: &CheckedSpanRow) -> SpanValidation {
    let attrs: Map<String, Value> = serde_json::from_str(&row.attributes).unwrap_or_default();
    let mut validated = false;
    let mut failures = Vec::new();

    // Declared JSON output that does not parse.
    if declares_json(&attrs)
        && let Some(text) = output_text(&attrs)
    {
        validated = true;
        if let Err((error, offset)) = check_json(&text) {
            failures.push(Failure {
                kind: FailureKind::OutputInvalidJson,
                reason: format!("declared JSON output does not parse: {error}"),
                text: Some(text),
                error_offset: Some(offset),
            });
        }
    }
    // Validation records among the span's attributes.
    for (key, value) in &attrs {
        if key.to_ascii_lowercase().contains("validation") {
            validated = true;
            if validation_value_failed(key, value) {
                let shown = match value {
                    Value::String(s) => s.clone(),
                    other => other.to_string(),
                };
                failures.push(Failure {
                    kind: FailureKind::ValidationError,
                    reason: format!("{key}: {shown}"),
                    text: None,
                    error_offset: None,
                });
            }
        }
    }
    // Events: evaluation results and validation records.
    for (name, raw) in &row.events {
        let ev: Map<String, Value> = serde_json::from_str(raw).unwrap_or_default();
        if name == "gen_ai.evaluation.result" {
            validated = true;
            let label = str_of(&ev, "gen_ai.evaluation.score.label").unwrap_or_default();
            if label.trim().eq_ignore_ascii_case("fail")
                || label.trim().eq_ignore_ascii_case("failed")
            {
                let eval = str_of(&ev, "gen_ai.evaluation.name").unwrap_or("evaluation");
                let why = str_of(&ev, "gen_ai.evaluation.explanation").unwrap_or("labelled fail");
                failures.push(Failure {
                    kind: FailureKind::EvaluationFailed,
                    reason: format!("evaluation {eval} failed: {why}"),
                    text: None,
                    error_offset: None,
                });
            }
        } else if name.to_ascii_lowercase().contains("validation")
            || ev
                .keys()
                .any(|k| k.to_ascii_lowercase().contains("validation"))
        {
            validated = true;
            let lower = name.to_ascii_lowercase();
            let named_failure = lower.contains("error") || lower.contains("fail");
            let attr_failure = ev.iter().find(|(k, v)| {
                k.to_ascii_lowercase().contains("validation") && validation_value_failed(k, v)
            });
            if named_failure || attr_failure.is_some() {
                let detail = attr_failure
                    .map(|(k, v)| {
                        format!(
                            "{k}: {}",
                            v.as_str().map_or_else(|| v.to_string(), str::to_owned)
                        )
                    })
                    .or_else(|| str_of(&ev, "exception.message").map(str::to_owned))
                    .unwrap_or_default();
                failures.push(Failure {
                    kind: FailureKind::ValidationError,
                    reason: format!("{name}: {detail}")
                        .trim_end_matches([' ', ':'])
                        .to_owned(),
                    text: None,
                    error_offset: None,
                });
            }
        }
    }
    // Tool-call arguments that do not parse.
    let mut event_args = Vec::new();
    for (_, raw) in &row.events {
        let ev: Map<String, Value> = serde_json::from_str(raw).unwrap_or_default();
        event_args.extend(tool_arguments(&ev));
    }
    for (tool, args) in tool_arguments(&attrs).into_iter().chain(event_args) {
        if let Err((error, offset)) = check_json(&args) {
            validated = true;
            failures.push(Failure {
                kind: FailureKind::ToolArgsInvalidJson,
                reason: format!("tool call arguments ({tool}) do not parse: {error}"),
                text: Some(args),
                error_offset: Some(offset),
            });
        }
    }
    SpanValidation {
        trace_id: row.trace_id,
        span_id: row.span_id,
        name: row.name.clone(),
        model: row.model.clone(),
        start_ns: row.start_ns,
        validated,
        failures,
    }
}

/// Checks every candidate span and sums the rates per model and per time bucket
/// (`bucket_width_ns: None` picks the width automatically).
pub fn summarize(rows: &[CheckedSpanRow], bucket_width_ns: Option<i64>) -> ValidationSummary {
    let checked: Vec<SpanValidation> = rows
        .iter()
        .map(check_span)
        .filter(|v| v.validated)
        .collect();
    let mut out = ValidationSummary::default();
    let mut by_model: BTreeMap<String, Rate> = BTreeMap::new();
    for v in &checked {
        out.overall.add(v.failed());
        by_model
            .entry(v.model.clone().unwrap_or_else(|| "(no model)".to_owned()))
            .or_default()
            .add(v.failed());
    }
    out.by_model = by_model.into_iter().collect();
    let starts: Vec<i64> = checked.iter().map(|v| v.start_ns).collect();
    if let Some((lo, hi)) = super::latency::time_bounds_ns(&starts) {
        let buckets = match bucket_width_ns {
            Some(w) => Buckets::with_width(lo, hi, w),
            None => Buckets::auto(lo, hi),
        };
        let mut rates: BTreeMap<usize, Rate> = BTreeMap::new();
        for v in &checked {
            if let Some(i) = buckets.index(v.start_ns) {
                rates.entry(i).or_default().add(v.failed());
            }
        }
        out.by_bucket = rates
            .into_iter()
            .map(|(i, rate)| BucketRate {
                start_ns: buckets.start_ns(i),
                rate,
            })
            .collect();
        out.buckets = Some(buckets);
    }
    out.failures = checked.into_iter().filter(SpanValidation::failed).collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(attrs: Value, events: Vec<(&str, Value)>) -> CheckedSpanRow {
        CheckedSpanRow {
            trace_id: [1; 16],
            span_id: [2; 8],
            name: "chat gpt-4o".into(),
            model: Some("gpt-4o".into()),
            start_ns: 0,
            attributes: attrs.to_string(),
            events: events
                .into_iter()
                .map(|(n, v)| (n.to_owned(), v.to_string()))
                .collect(),
        }
    }

    fn output(text: &str) -> String {
        serde_json::json!([{"role": "assistant", "parts": [{"type": "text", "content": text}], "finish_reason": "stop"}])
            .to_string()
    }

    #[test]
    fn declared_json_outputs() {
        let ok = check_span(&span(
            serde_json::json!({"gen_ai.output.type": "json", "gen_ai.output.messages": output(r#"{"a": 1}"#)}),
            vec![],
        ));
        assert!(ok.validated && !ok.failed());
        let fenced = check_span(&span(
            serde_json::json!({"gen_ai.output.type": "json", "gen_ai.output.messages": output("```json\n{\"a\": 1}\n```")}),
            vec![],
        ));
        assert!(!fenced.failed());
        let bad = check_span(&span(
            serde_json::json!({"gen_ai.output.type": "json", "gen_ai.output.messages": output("{'a': True}")}),
            vec![],
        ));
        assert!(bad.validated && bad.failed());
        let f = &bad.failures[0];
        assert_eq!(f.kind, FailureKind::OutputInvalidJson);
        assert_eq!(f.error_offset, Some(1));
        // A response format declares JSON too; prose after the JSON fails.
        let prose = check_span(&span(
            serde_json::json!({"gen_ai.openai.request.response_format": "json_object",
                               "gen_ai.completion.0.content": "{\"a\": 1}\n\nAnything else?"}),
            vec![],
        ));
        assert!(prose.failed());
        // Text output, or no recorded output: nothing to validate.
        let text = check_span(&span(
            serde_json::json!({"gen_ai.output.type": "text", "gen_ai.output.messages": output("hi")}),
            vec![],
        ));
        assert!(!text.validated);
        let cut = check_span(&span(
            serde_json::json!({"gen_ai.output.type": "json", "gen_ai.output.messages": "[{\"role\": \"assistant\", \"parts\": [{\"type\": \"te"}),
            vec![],
        ));
        assert!(!cut.validated, "a telemetry cut is not a model failure");
    }

    #[test]
    fn evaluation_events() {
        let fail = check_span(&span(
            serde_json::json!({}),
            vec![(
                "gen_ai.evaluation.result",
                serde_json::json!({"gen_ai.evaluation.name": "json_schema", "gen_ai.evaluation.score.label": "fail",
                                   "gen_ai.evaluation.explanation": "missing field intent"}),
            )],
        ));
        assert!(fail.validated && fail.failed());
        assert_eq!(
            fail.reason(),
            "evaluation json_schema failed: missing field intent"
        );
        let pass = check_span(&span(
            serde_json::json!({}),
            vec![(
                "gen_ai.evaluation.result",
                serde_json::json!({"gen_ai.evaluation.score.label": "pass"}),
            )],
        ));
        assert!(pass.validated && !pass.failed());
    }

    #[test]
    fn validation_records_and_tool_arguments() {
        let attr = check_span(&span(
            serde_json::json!({"app.validation.error": "intent: field required"}),
            vec![],
        ));
        assert!(attr.validated && attr.failed());
        let ok_attr = check_span(&span(
            serde_json::json!({"app.validation.status": "passed"}),
            vec![],
        ));
        assert!(ok_attr.validated && !ok_attr.failed());
        let event = check_span(&span(
            serde_json::json!({}),
            vec![(
                "schema_validation_error",
                serde_json::json!({"exception.message": "1 validation error for Triage"}),
            )],
        ));
        assert!(event.failed());
        let args = check_span(&span(
            serde_json::json!({"gen_ai.tool.name": "get_weather", "gen_ai.tool.call.arguments": "{\"city\": \"Par"}),
            vec![],
        ));
        assert!(args.validated && args.failed());
        assert_eq!(args.failures[0].kind, FailureKind::ToolArgsInvalidJson);
        let good_args = check_span(&span(
            serde_json::json!({"gen_ai.tool.call.arguments": "{\"city\": \"Paris\"}"}),
            vec![],
        ));
        assert!(
            !good_args.validated,
            "valid tool arguments alone are not counted"
        );
        let flat = check_span(&span(
            serde_json::json!({"gen_ai.completion.0.tool_calls.0.arguments": "{city: Paris}"}),
            vec![],
        ));
        assert!(flat.failed());
    }

    #[test]
    fn rates_per_model_and_bucket() {
        let mut rows = Vec::new();
        for k in 0..20 {
            let text = if k % 5 == 0 { "{oops" } else { "{}" };
            let mut r = span(
                serde_json::json!({"gen_ai.output.type": "json", "gen_ai.output.messages": output(text)}),
                vec![],
            );
            r.start_ns = k * 60_000_000_000;
            if k >= 10 {
                r.model = Some("claude".into());
            }
            rows.push(r);
        }
        let s = summarize(&rows, Some(600_000_000_000));
        assert_eq!(s.overall.validated, 20);
        assert_eq!(s.overall.failed, 4);
        assert!((s.overall.rate - 0.2).abs() < 1e-12);
        assert_eq!(s.by_model.len(), 2);
        assert_eq!(s.by_bucket.len(), 2);
        assert_eq!(s.by_bucket[0].rate.failed, 2);
        assert_eq!(s.failures.len(), 4);
    }
}
