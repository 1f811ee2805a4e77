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
//! Rates are also split into series ([`SeriesBy`]: model, model version, prompt, service
//! version) per time bucket for the Validation chart, and a failure is linked to the **re-asks**
//! it caused ([`reasks`]): the following attempts of the same logical call (same trace, parent
//! span, operation and model, each starting after the previous one ended and within
//! [`super::retries::MAX_WAIT_NS`]), for as long as those attempts fail too.
//!
//! Output text in a Markdown code fence (```` ```json ... ``` ````) counts as JSON when its
//! inside parses. A `gen_ai.output.messages` attribute that is itself cut mid-value is a
//! telemetry cut, not a model failure: such an output is not checked.

use std::collections::{BTreeMap, HashSet};

use serde::Serialize;
use serde_json::{Map, Value};

use super::latency::Buckets;
use super::retries::{Attempt, ChainAttempt, MAX_WAIT_NS, OVERLAP_TOLERANCE_NS};
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
    pub parent_span_id: Option<SpanId>,
    pub start_ns: i64,
    pub end_ns: i64,
    /// The response model (a dated model version), or a `*model.version` attribute.
    pub model_version: Option<String>,
    /// The prompt's name, id or version attributes, joined.
    pub prompt: Option<String>,
    /// The resource's `service.version`.
    pub service_version: Option<String>,
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
        parent_span_id: row.parent_span_id,
        start_ns: row.start_ns,
        end_ns: row.end_ns,
        model_version: model_version(row, &attrs),
        prompt: prompt_of(&attrs),
        service_version: row.service_version.clone().filter(|v| !v.is_empty()),
        validated,
        failures,
    }
}

/// The model version a span names: its response model (providers answer with a dated version,
/// `gpt-4o-2024-08-06`), else a `*model.version` / `*model_version` attribute.
fn model_version(row: &CheckedSpanRow, attrs: &Map<String, Value>) -> Option<String> {
    if let Some(m) = row.response_model.as_ref().filter(|m| !m.is_empty()) {
        return Some(m.clone());
    }
    attrs
        .iter()
        .filter(|(k, _)| {
            let k = k.to_ascii_lowercase();
            k.ends_with("model.version") || k.ends_with("model_version")
        })
        .find_map(|(_, v)| scalar_text(v))
}

fn scalar_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) if !s.is_empty() => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        _ => None,
    }
}

/// The prompt a span used: the values of its prompt name, id and version attributes
/// (`gen_ai.prompt.name`, `prompt.version`, `llm.prompt_template.version`, ...) in key order.
fn prompt_of(attrs: &Map<String, Value>) -> Option<String> {
    let mut keys: Vec<&String> = attrs
        .keys()
        .filter(|k| {
            let k = k.to_ascii_lowercase();
            k.contains("prompt")
                && [".name", ".id", ".version", "_name", "_id", "_version"]
                    .iter()
                    .any(|end| k.ends_with(end))
        })
        .collect();
    keys.sort();
    let parts: Vec<String> = keys
        .into_iter()
        .filter_map(|k| attrs.get(k).and_then(scalar_text))
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// What the rate chart draws one line per.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SeriesBy {
    #[default]
    Model,
    ModelVersion,
    Prompt,
    ServiceVersion,
}

impl SeriesBy {
    pub const ALL: [SeriesBy; 4] = [
        Self::Model,
        Self::ModelVersion,
        Self::Prompt,
        Self::ServiceVersion,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::Model => "model",
            Self::ModelVersion => "model version",
            Self::Prompt => "prompt",
            Self::ServiceVersion => "service.version",
        }
    }

    /// The series a checked span belongs to.
    pub fn key_of(self, v: &SpanValidation) -> String {
        let (value, none) = match self {
            Self::Model => (v.model.as_deref(), "(no model)"),
            Self::ModelVersion => (v.model_version.as_deref(), "(no model version)"),
            Self::Prompt => (v.prompt.as_deref(), "(no prompt)"),
            Self::ServiceVersion => (v.service_version.as_deref(), "(no service.version)"),
        };
        value.unwrap_or(none).to_owned()
    }
}

/// One series' rate overall and per time bucket (buckets with nothing validated left out).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SeriesRates {
    pub name: String,
    pub overall: Rate,
    pub points: Vec<BucketRate>,
}

/// The rates of each series of `by` among validated spans, per bucket of `buckets`; sorted by
/// name.
pub fn rates_by_series(
    checked: &[SpanValidation],
    by: SeriesBy,
    buckets: &Buckets,
) -> Vec<SeriesRates> {
    let mut series: BTreeMap<String, (Rate, BTreeMap<usize, Rate>)> = BTreeMap::new();
    for v in checked.iter().filter(|v| v.validated) {
        let (overall, per_bucket) = series.entry(by.key_of(v)).or_default();
        overall.add(v.failed());
        if let Some(i) = buckets.index(v.start_ns) {
            per_bucket.entry(i).or_default().add(v.failed());
        }
    }
    series
        .into_iter()
        .map(|(name, (overall, per_bucket))| SeriesRates {
            name,
            overall,
            points: per_bucket
                .into_iter()
                .map(|(i, rate)| BucketRate {
                    start_ns: buckets.start_ns(i),
                    rate,
                })
                .collect(),
        })
        .collect()
}

/// Buckets for the rate chart over the starts of `checked`: the automatic width, widened so
/// that a bucket holds about 20 validated spans on average (a rate over 2 spans says little),
/// between 6 and 60 buckets. `None` when nothing was validated.
pub fn chart_buckets(checked: &[SpanValidation]) -> Option<Buckets> {
    let starts: Vec<i64> = checked
        .iter()
        .filter(|v| v.validated)
        .map(|v| v.start_ns)
        .collect();
    let (lo, hi) = super::latency::time_bounds_ns(&starts)?;
    let auto = Buckets::auto(lo, hi);
    let target = (starts.len() / 20).clamp(6, 60);
    let factor = auto.count.div_ceil(target).max(1) as i64;
    Some(Buckets::with_width(
        lo,
        hi,
        auto.width_ns.saturating_mul(factor),
    ))
}

/// The 1-based line and column (in characters) of byte `offset` in `text`, as a parse error
/// is shown; an offset past the end or inside a character counts from the nearest boundary
/// before it.
pub fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let mut at = offset.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    let before = text.get(..at).unwrap_or_default();
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    let column = before.get(line_start..).unwrap_or_default().chars().count() + 1;
    (line, column)
}

/// The re-asks a failure caused: among `siblings` (spans of the same trace, parent and name),
/// the attempts with the failure's model that follow it one after another (each starting after
/// the previous ended, within [`MAX_WAIT_NS`]) while the previous one failed; an attempt failed
/// when its span is in `failed_spans` (a validation failure) or its error class is an error.
pub fn reasks(
    failure: &SpanValidation,
    siblings: &[Attempt],
    failed_spans: &HashSet<SpanId>,
) -> Vec<ChainAttempt> {
    let mut following: Vec<&Attempt> = siblings
        .iter()
        .filter(|a| {
            a.trace_id == failure.trace_id
                && a.span_id != failure.span_id
                && a.model == failure.model
                && a.start_ns >= failure.end_ns - OVERLAP_TOLERANCE_NS
        })
        .collect();
    following.sort_by_key(|a| (a.start_ns, a.end_ns, a.span_id));
    let mut out = Vec::new();
    let mut prev_end_ns = failure.end_ns;
    for a in following {
        let wait_ns = a.start_ns - prev_end_ns;
        if wait_ns < -OVERLAP_TOLERANCE_NS {
            continue;
        }
        if wait_ns > MAX_WAIT_NS {
            break;
        }
        let failed = a.class.is_error() || failed_spans.contains(&a.span_id);
        out.push(ChainAttempt {
            trace_id: a.trace_id,
            span_id: a.span_id,
            start_ns: a.start_ns,
            end_ns: a.end_ns,
            class: a.class,
            http_status: a.http_status,
            message: a.message.clone(),
            tokens: a.tokens,
            wait_ms: Some(wait_ns.max(0) as f64 / 1e6),
        });
        if !failed {
            break;
        }
        prev_end_ns = a.end_ns;
    }
    out
}

/// The checks of every candidate span that counts as validated, in the rows' order.
pub fn check_all(rows: &[CheckedSpanRow]) -> Vec<SpanValidation> {
    rows.iter()
        .map(check_span)
        .filter(|v| v.validated)
        .collect()
}

/// Checks every candidate span and sums the rates per model and per time bucket
/// (`bucket_width_ns: None` picks the width automatically).
pub fn summarize(rows: &[CheckedSpanRow], bucket_width_ns: Option<i64>) -> ValidationSummary {
    summarize_checked(&check_all(rows), bucket_width_ns)
}

/// [`summarize`] over spans already checked (validated ones; others are skipped).
pub fn summarize_checked(
    checked: &[SpanValidation],
    bucket_width_ns: Option<i64>,
) -> ValidationSummary {
    let checked: Vec<&SpanValidation> = checked.iter().filter(|v| v.validated).collect();
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
    out.failures = checked
        .into_iter()
        .filter(|v| v.failed())
        .cloned()
        .collect();
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::error_class::ErrorClass;

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
            ..CheckedSpanRow::default()
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

    #[test]
    fn series_by_model_version_prompt_and_service_version() {
        let mut rows = Vec::new();
        for k in 0..8i64 {
            let text = if k < 3 { "{oops" } else { "{}" };
            let mut r = span(
                serde_json::json!({
                    "gen_ai.output.type": "json",
                    "gen_ai.output.messages": output(text),
                    "gen_ai.prompt.name": "triage",
                    "gen_ai.prompt.version": if k < 4 { "3" } else { "4" },
                }),
                vec![],
            );
            r.start_ns = k * 60_000_000_000;
            r.response_model = Some(
                if k % 2 == 0 {
                    "gpt-4o-2024-08-06"
                } else {
                    "gpt-4o-2024-11-20"
                }
                .into(),
            );
            r.service_version = (k >= 4).then(|| "1.4.0".to_owned());
            rows.push(r);
        }
        let checked = check_all(&rows);
        assert_eq!(checked.len(), 8);
        let buckets = Buckets::with_width(0, 7 * 60_000_000_000, 240_000_000_000);
        let by_prompt = rates_by_series(&checked, SeriesBy::Prompt, &buckets);
        let names: Vec<&str> = by_prompt.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["triage 3", "triage 4"]);
        assert_eq!(by_prompt[0].overall.failed, 3);
        assert_eq!(by_prompt[0].overall.validated, 4);
        assert_eq!(by_prompt[1].overall.failed, 0);
        // Each prompt version lives in one 4-minute bucket.
        assert_eq!(by_prompt[0].points.len(), 1);
        let by_service = rates_by_series(&checked, SeriesBy::ServiceVersion, &buckets);
        let names: Vec<&str> = by_service.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, ["(no service.version)", "1.4.0"]);
        let by_version = rates_by_series(&checked, SeriesBy::ModelVersion, &buckets);
        assert_eq!(by_version.len(), 2);
        assert_eq!(by_version[0].name, "gpt-4o-2024-08-06");
        assert_eq!(by_version[0].overall.failed, 2);
        let by_model = rates_by_series(&checked, SeriesBy::Model, &buckets);
        assert_eq!(by_model.len(), 1);
        assert_eq!(by_model[0].points.len(), 2);
        // The chart's buckets hold several spans each, not one.
        let chart = chart_buckets(&checked).expect("buckets");
        assert!(chart.count <= 8 && chart.count >= 1);
    }

    #[test]
    fn line_and_column_of_an_offset() {
        assert_eq!(line_column("{'a'}", 1), (1, 2));
        assert_eq!(line_column("{\n  \"a\": tru", 9), (2, 8));
        // Past the end, and inside a multi-byte character.
        assert_eq!(line_column("ab", 9), (1, 3));
        assert_eq!(line_column("é!", 1), (1, 1));
    }

    fn attempt(span: u8, start_ms: i64, class: ErrorClass) -> Attempt {
        Attempt {
            trace_id: [1; 16],
            span_id: [span; 8],
            parent_span_id: Some([9; 8]),
            operation: "chat gpt-4o".into(),
            model: Some("gpt-4o".into()),
            start_ns: start_ms * 1_000_000,
            end_ns: (start_ms + 100) * 1_000_000,
            class,
            tokens: 50,
            ..Attempt::default()
        }
    }

    #[test]
    fn reasks_follow_a_failure_while_they_fail() {
        let failure = SpanValidation {
            trace_id: [1; 16],
            span_id: [1; 8],
            name: "chat gpt-4o".into(),
            model: Some("gpt-4o".into()),
            parent_span_id: Some([9; 8]),
            start_ns: 0,
            end_ns: 100_000_000,
            model_version: None,
            prompt: None,
            service_version: None,
            validated: true,
            failures: Vec::new(),
        };
        let failed: HashSet<SpanId> = [[1; 8], [2; 8]].into_iter().collect();
        let siblings = vec![
            attempt(1, 0, ErrorClass::Ok),
            // Re-asked at once, failed validation again, then re-asked and passed.
            attempt(2, 150, ErrorClass::Ok),
            attempt(3, 400, ErrorClass::Ok),
            // A later call of the same operation: not a re-ask (the one before passed).
            attempt(4, 900, ErrorClass::Ok),
        ];
        let r = reasks(&failure, &siblings, &failed);
        let ids: Vec<SpanId> = r.iter().map(|a| a.span_id).collect();
        assert_eq!(ids, vec![[2; 8], [3; 8]]);
        assert_eq!(r[0].wait_ms, Some(50.0));
        assert_eq!(r.iter().map(|a| a.tokens).sum::<i64>(), 100);
        // Another model, or a call that started before the failure ended, is no re-ask.
        let mut other = attempt(5, 150, ErrorClass::Ok);
        other.model = Some("claude".into());
        let parallel = attempt(6, 50, ErrorClass::Ok);
        assert!(reasks(&failure, &[other, parallel], &failed).is_empty());
        // A re-ask that errored counts as failed and the next attempt continues.
        let siblings = vec![
            attempt(7, 200, ErrorClass::Transient),
            attempt(8, 1_500, ErrorClass::Ok),
        ];
        assert_eq!(reasks(&failure, &siblings, &failed).len(), 2);
    }
}
