//! Prediction logs (DESIGN.md §2): JSON Lines or CSV with a header, one prediction a record,
//! with the common aliases (`ts`/`time`, `inputs`, `output`/`prediction`, `score`/`confidence`,
//! `version`/`model_version`). [`detect`] tells one from its first bytes; [`import`] streams it
//! like the trace pipeline (reader thread, parse workers, the store's writer on the calling
//! thread) with the same progress, cancellation and `file:line: what` errors.

use std::io::BufRead;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use crossbeam_channel::{Sender, bounded};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use super::diagnostics::{Diagnostic, Location};
use super::{FileReport, ImportControl, Outcome, sniff};
use crate::store::{
    ImportStatus, ImportTotals, PredictionRecord, PredictionWriter, Scalar, Store, StoreError,
};
use std::path::PathBuf;

/// Bytes of lines per work item.
const CHUNK_BYTES: usize = 1 << 20;
/// Diagnostics kept per file (all are counted).
const MAX_KEPT_DIAGNOSTICS: usize = 500;
/// How many bytes [`detect`] wants to see.
pub(crate) const SNIFF_BYTES: u64 = 64 * 1024;

const TIMESTAMP_KEYS: [&str; 3] = ["timestamp", "ts", "time"];
const MODEL_KEYS: [&str; 1] = ["model"];
const MODEL_VERSION_KEYS: [&str; 2] = ["model_version", "version"];
const PREDICTION_KEYS: [&str; 2] = ["prediction", "output"];
const CONFIDENCE_KEYS: [&str; 2] = ["confidence", "score"];
const FEATURES_KEYS: [&str; 2] = ["features", "inputs"];
/// Keys that mark a JSON record as OpenTelemetry or Jaeger, never a prediction.
pub(super) const TRACE_KEYS: [&str; 9] = [
    "resourceSpans",
    "resource_spans",
    "batches",
    "resourceMetrics",
    "resource_metrics",
    "resourceLogs",
    "resource_logs",
    "data",
    "traceID",
];

/// The two spellings of a prediction log.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    JsonLines,
    Csv { delimiter: u8 },
}

impl Kind {
    fn label(self) -> &'static str {
        match self {
            Self::JsonLines => "predictions-jsonl",
            Self::Csv { .. } => "predictions-csv",
        }
    }
}

/// Whether a JSON object looks like one prediction record.
pub(crate) fn is_prediction_object(map: &Map<String, Value>) -> bool {
    if TRACE_KEYS.iter().any(|k| map.contains_key(*k)) {
        return false;
    }
    let has = |keys: &[&str]| keys.iter().any(|k| map.contains_key(*k));
    let output = has(&PREDICTION_KEYS) || has(&CONFIDENCE_KEYS);
    (has(&FEATURES_KEYS) && output) || (has(&MODEL_KEYS) && has(&TIMESTAMP_KEYS) && output)
}

/// Tells a prediction log from the first bytes of the (decompressed) content.
pub fn detect(head: &[u8]) -> Option<Kind> {
    let body = head.strip_prefix(&sniff::UTF8_BOM[..]).unwrap_or(head);
    // Only complete lines count (the last one when the head is the whole file).
    let complete = if (body.len() as u64) < SNIFF_BYTES {
        body
    } else {
        let end = body.iter().rposition(|b| *b == b'\n')?;
        body.get(..end)?
    };
    let text = std::str::from_utf8(complete).ok()?;
    let first = text.lines().map(str::trim).find(|l| !l.is_empty())?;
    if first.starts_with('{') {
        let Ok(Value::Object(map)) = serde_json::from_str::<Value>(first) else {
            return None;
        };
        return is_prediction_object(&map).then_some(Kind::JsonLines);
    }
    if first.starts_with('[') {
        return None;
    }
    let delimiter = [b',', b'\t', b';']
        .into_iter()
        .max_by_key(|d| first.bytes().filter(|b| b == d).count())?;
    let columns = split_csv(first, delimiter).ok()?;
    let names: Vec<String> = columns.iter().map(|c| c.trim().to_lowercase()).collect();
    let has = |keys: &[&str]| names.iter().any(|n| keys.contains(&n.as_str()));
    (names.len() >= 2 && has(&TIMESTAMP_KEYS) && (has(&MODEL_KEYS) || has(&MODEL_VERSION_KEYS)))
        .then_some(Kind::Csv { delimiter })
}

/// Where each CSV column goes.
#[derive(Clone, Debug, PartialEq)]
enum Column {
    Timestamp,
    Model,
    ModelVersion,
    PipelineVersion,
    RequestId,
    TraceId,
    Prediction,
    Confidence,
    LatencyMs,
    Label,
    Feature(String),
}

fn column_of(name: &str) -> Column {
    let trimmed = name.trim();
    match trimmed.to_lowercase().as_str() {
        "timestamp" | "ts" | "time" => Column::Timestamp,
        "model" => Column::Model,
        "model_version" | "version" => Column::ModelVersion,
        "pipeline_version" => Column::PipelineVersion,
        "request_id" => Column::RequestId,
        "trace_id" => Column::TraceId,
        "prediction" | "output" => Column::Prediction,
        "confidence" | "score" => Column::Confidence,
        "latency_ms" => Column::LatencyMs,
        "label" => Column::Label,
        _ => {
            let feature = trimmed
                .strip_prefix("feature.")
                .or_else(|| trimmed.strip_prefix("features."))
                .or_else(|| trimmed.strip_prefix("inputs."))
                .unwrap_or(trimmed);
            Column::Feature(feature.to_owned())
        }
    }
}

/// Splits one CSV line (RFC 4180 quoting; a field cannot span lines).
fn split_csv(line: &str, delimiter: u8) -> Result<Vec<String>, String> {
    let delimiter = char::from(delimiter);
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut chars = line.chars().peekable();
    let mut quoted = false;
    let mut at_start = true;
    while let Some(c) = chars.next() {
        if quoted {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    field.push('"');
                    chars.next();
                } else {
                    quoted = false;
                }
            } else {
                field.push(c);
            }
        } else if c == '"' && at_start {
            quoted = true;
            at_start = false;
        } else if c == delimiter {
            fields.push(std::mem::take(&mut field));
            at_start = true;
        } else {
            field.push(c);
            at_start = false;
        }
    }
    if quoted {
        return Err("a quoted field is not closed on this line".to_owned());
    }
    fields.push(field);
    Ok(fields)
}

/// A CSV cell as a JSON value: empty is null, then booleans, numbers, text.
fn csv_value(cell: &str) -> Value {
    let t = cell.trim();
    if t.is_empty() || t.eq_ignore_ascii_case("null") || t.eq_ignore_ascii_case("nan") {
        return Value::Null;
    }
    match t {
        "true" | "True" | "TRUE" => return Value::Bool(true),
        "false" | "False" | "FALSE" => return Value::Bool(false),
        _ => {}
    }
    if let Ok(i) = t.parse::<i64>() {
        return Value::from(i);
    }
    if let Ok(f) = t.parse::<f64>()
        && f.is_finite()
    {
        return Value::from(f);
    }
    Value::String(cell.to_owned())
}

/// Reads a timestamp: RFC 3339, or Unix seconds, milliseconds, microseconds or nanoseconds told
/// apart by magnitude. Returns nanoseconds.
pub fn parse_timestamp(value: &Value) -> Result<i64, String> {
    match value {
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                unix_int_to_ns(i)
            } else {
                n.as_f64()
                    .ok_or_else(|| "timestamp is not a number".to_owned())
                    .and_then(unix_float_to_ns)
            }
        }
        Value::String(s) => {
            let t = s.trim();
            if let Ok(i) = t.parse::<i64>() {
                return unix_int_to_ns(i);
            }
            if let Ok(f) = t.parse::<f64>() {
                return unix_float_to_ns(f);
            }
            let parsed = chrono::DateTime::parse_from_rfc3339(t)
                .or_else(|_| chrono::DateTime::parse_from_rfc3339(&t.replacen(' ', "T", 1)))
                .map_err(|e| format!("timestamp '{t}' is not RFC 3339 nor a Unix time: {e}"))?;
            parsed
                .timestamp_nanos_opt()
                .ok_or_else(|| format!("timestamp '{t}' is out of range"))
        }
        Value::Null => Err("timestamp is null".to_owned()),
        other => Err(format!("timestamp is {}, not a time", json_kind(other))),
    }
}

fn unix_int_to_ns(i: i64) -> Result<i64, String> {
    let a = i.unsigned_abs();
    let scaled = if a < 100_000_000_000 {
        i.checked_mul(1_000_000_000)
    } else if a < 100_000_000_000_000 {
        i.checked_mul(1_000_000)
    } else if a < 100_000_000_000_000_000 {
        i.checked_mul(1_000)
    } else {
        Some(i)
    };
    scaled.ok_or_else(|| format!("timestamp {i} is out of range"))
}

fn unix_float_to_ns(f: f64) -> Result<i64, String> {
    if !f.is_finite() {
        return Err(format!("timestamp {f} is not a time"));
    }
    let a = f.abs();
    let ns = if a < 1e11 {
        f * 1e9
    } else if a < 1e14 {
        f * 1e6
    } else if a < 1e17 {
        f * 1e3
    } else {
        f
    };
    if ns.abs() < 9.2e18 {
        Ok(ns.round() as i64)
    } else {
        Err(format!("timestamp {f} is out of range"))
    }
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn text_of(v: &Value) -> Option<String> {
    match v {
        Value::Null => None,
        Value::String(s) => Some(s.clone()),
        other => Some(other.to_string()),
    }
}

fn scalar_of(v: &Value) -> Option<Scalar> {
    match v {
        Value::Null => None,
        Value::Number(n) => n.as_f64().map(Scalar::Number),
        Value::String(s) => Some(Scalar::Text(s.clone())),
        other => Some(Scalar::Text(other.to_string())),
    }
}

fn number_of(v: &Value, what: &str) -> Result<Option<f64>, String> {
    match v {
        Value::Null => Ok(None),
        Value::Number(n) => Ok(n.as_f64()),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => s
            .trim()
            .parse::<f64>()
            .map(Some)
            .map_err(|_| format!("{what} '{s}' is not a number")),
        other => Err(format!("{what} is {}, not a number", json_kind(other))),
    }
}

/// FNV-1a, 64 bits: stable across runs and builds (the dedupe key is stored).
fn fnv1a(parts: &[&[u8]]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for part in parts {
        for b in *part {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h ^= 0x1f;
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h as i64
}

/// The fields of one record, from JSON or a CSV row.
#[derive(Default)]
struct Fields<'v> {
    timestamp: Option<&'v Value>,
    model: Option<&'v Value>,
    model_version: Option<&'v Value>,
    pipeline_version: Option<&'v Value>,
    request_id: Option<&'v Value>,
    trace_id: Option<&'v Value>,
    prediction: Option<&'v Value>,
    confidence: Option<&'v Value>,
    latency_ms: Option<&'v Value>,
    label: Option<&'v Value>,
}

/// Builds the record; `Ok((record, warning))`.
fn build_record(
    f: &Fields<'_>,
    features_json: String,
    raw: &[u8],
) -> Result<(PredictionRecord, Option<String>), String> {
    let timestamp_ns = parse_timestamp(f.timestamp.ok_or("no timestamp (timestamp, ts or time)")?)?;
    let model = f
        .model
        .and_then(text_of)
        .unwrap_or_else(|| "unknown".to_owned());
    let mut warning = None;
    let trace_id = match f.trace_id.and_then(text_of) {
        Some(text) if !text.is_empty() => {
            let id = super::ids::decode_id::<16>(&text);
            if id.is_none() {
                warning = Some(format!(
                    "trace_id '{text}' is not a 16-byte id; the prediction is kept without a trace link"
                ));
            }
            id
        }
        _ => None,
    };
    let request_id = f.request_id.and_then(text_of);
    let ts_text = timestamp_ns.to_string();
    let dedupe_key = match &request_id {
        Some(r) => fnv1a(&[model.as_bytes(), r.as_bytes(), ts_text.as_bytes()]),
        None => fnv1a(&[b"content", raw]),
    };
    let record = PredictionRecord {
        dedupe_key,
        model,
        model_version: f.model_version.and_then(text_of).unwrap_or_default(),
        pipeline_version: f.pipeline_version.and_then(text_of).unwrap_or_default(),
        request_id,
        timestamp_ns,
        trace_id,
        prediction: f.prediction.and_then(scalar_of),
        confidence: match f.confidence {
            Some(v) => number_of(v, "confidence")?,
            None => None,
        },
        latency_ms: match f.latency_ms {
            Some(v) => number_of(v, "latency_ms")?,
            None => None,
        },
        label: f.label.and_then(scalar_of),
        features_json,
    };
    Ok((record, warning))
}

/// One JSON record with every spelling as its own field, values left raw (only the scalars
/// are parsed; the features are stored as written).
#[derive(serde::Deserialize)]
struct RawRecord<'a> {
    #[serde(borrow)]
    timestamp: Option<&'a RawValue>,
    #[serde(borrow)]
    ts: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Option<&'a RawValue>,
    #[serde(borrow)]
    model: Option<&'a RawValue>,
    #[serde(borrow)]
    model_version: Option<&'a RawValue>,
    #[serde(borrow)]
    version: Option<&'a RawValue>,
    #[serde(borrow)]
    pipeline_version: Option<&'a RawValue>,
    #[serde(borrow)]
    request_id: Option<&'a RawValue>,
    #[serde(borrow)]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow)]
    prediction: Option<&'a RawValue>,
    #[serde(borrow)]
    output: Option<&'a RawValue>,
    #[serde(borrow)]
    confidence: Option<&'a RawValue>,
    #[serde(borrow)]
    score: Option<&'a RawValue>,
    #[serde(borrow)]
    latency_ms: Option<&'a RawValue>,
    #[serde(borrow)]
    label: Option<&'a RawValue>,
    #[serde(borrow)]
    features: Option<&'a RawValue>,
    #[serde(borrow)]
    inputs: Option<&'a RawValue>,
}

fn raw_value(raw: Option<&RawValue>) -> Result<Option<Value>, String> {
    raw.map(|r| serde_json::from_str::<Value>(r.get()).map_err(|e| format!("not JSON: {e}")))
        .transpose()
}

fn parse_json_line(line: &[u8]) -> Result<(PredictionRecord, Option<String>), String> {
    let raw: RawRecord<'_> = serde_json::from_slice(line).map_err(|e| {
        if e.is_data() {
            format!("not a prediction record: {e}")
        } else {
            format!("not JSON: {e}")
        }
    })?;
    let features_json = match raw.features.or(raw.inputs) {
        None => "{}".to_owned(),
        Some(v) => {
            let text = v.get().trim();
            if text == "null" {
                "{}".to_owned()
            } else if text.starts_with('{') {
                text.to_owned()
            } else {
                let kind = serde_json::from_str::<Value>(text)
                    .map(|v| json_kind(&v))
                    .unwrap_or("not JSON");
                return Err(format!("features is {kind}, not an object of name: value"));
            }
        }
    };
    let values = [
        raw_value(raw.timestamp.or(raw.ts).or(raw.time))?,
        raw_value(raw.model)?,
        raw_value(raw.model_version.or(raw.version))?,
        raw_value(raw.pipeline_version)?,
        raw_value(raw.request_id)?,
        raw_value(raw.trace_id)?,
        raw_value(raw.prediction.or(raw.output))?,
        raw_value(raw.confidence.or(raw.score))?,
        raw_value(raw.latency_ms)?,
        raw_value(raw.label)?,
    ];
    let [
        timestamp,
        model,
        model_version,
        pipeline_version,
        request_id,
        trace_id,
        prediction,
        confidence,
        latency_ms,
        label,
    ] = &values;
    let fields = Fields {
        timestamp: timestamp.as_ref(),
        model: model.as_ref(),
        model_version: model_version.as_ref(),
        pipeline_version: pipeline_version.as_ref(),
        request_id: request_id.as_ref(),
        trace_id: trace_id.as_ref(),
        prediction: prediction.as_ref(),
        confidence: confidence.as_ref(),
        latency_ms: latency_ms.as_ref(),
        label: label.as_ref(),
    };
    build_record(&fields, features_json, line)
}

fn parse_csv_line(
    line: &[u8],
    columns: &[Column],
    delimiter: u8,
) -> Result<(PredictionRecord, Option<String>), String> {
    let text = std::str::from_utf8(line).map_err(|_| "not UTF-8 text".to_owned())?;
    let cells = split_csv(text, delimiter)?;
    if cells.len() != columns.len() {
        return Err(format!(
            "has {} fields, the header has {}",
            cells.len(),
            columns.len()
        ));
    }
    let values: Vec<Value> = cells.iter().map(|c| csv_value(c)).collect();
    let mut fields = Fields::default();
    let mut features = Map::new();
    for (column, value) in columns.iter().zip(&values) {
        match column {
            Column::Timestamp => fields.timestamp = Some(value),
            Column::Model => fields.model = Some(value),
            Column::ModelVersion => fields.model_version = Some(value),
            Column::PipelineVersion => fields.pipeline_version = Some(value),
            Column::RequestId => fields.request_id = Some(value),
            Column::TraceId => fields.trace_id = Some(value),
            Column::Prediction => fields.prediction = Some(value),
            Column::Confidence => fields.confidence = Some(value),
            Column::LatencyMs => fields.latency_ms = Some(value),
            Column::Label => fields.label = Some(value),
            Column::Feature(name) => {
                features.insert(name.clone(), value.clone());
            }
        }
    }
    // Versions are names, not numbers: keep "2.30" as written.
    let raw_text = |c: &Column| {
        columns
            .iter()
            .position(|x| x == c)
            .and_then(|i| cells.get(i))
            .filter(|s| !s.trim().is_empty())
            .map(|s| Value::String(s.trim().to_owned()))
    };
    let model_version = raw_text(&Column::ModelVersion);
    let pipeline_version = raw_text(&Column::PipelineVersion);
    let request_id = raw_text(&Column::RequestId);
    fields.model_version = model_version.as_ref();
    fields.pipeline_version = pipeline_version.as_ref();
    fields.request_id = request_id.as_ref();
    build_record(&fields, Value::Object(features).to_string(), line)
}

/// One work item: a run of lines.
struct Chunk {
    first_line: u64,
    buf: Vec<u8>,
    ends: Vec<usize>,
}

/// What a worker made of a chunk.
#[derive(Default)]
struct Parsed {
    rows: Vec<PredictionRecord>,
    read: u64,
    diagnostics: Vec<Diagnostic>,
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn parse_chunk(chunk: &Chunk, kind: Kind, columns: &[Column]) -> Parsed {
    let mut out = Parsed::default();
    let mut start = 0;
    for (i, end) in chunk.ends.iter().enumerate() {
        let line_no = chunk.first_line + i as u64;
        let line = trim_eol(chunk.buf.get(start..*end).unwrap_or_default());
        start = *end;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let at = Location::Line { line: line_no };
        let parsed = match kind {
            Kind::JsonLines => parse_json_line(line),
            Kind::Csv { delimiter } => parse_csv_line(line, columns, delimiter),
        };
        match parsed {
            Ok((row, warning)) => {
                if let Some(w) = warning {
                    out.diagnostics.push(Diagnostic::warning(at, w));
                }
                out.read += 1;
                out.rows.push(row);
            }
            Err(e) => out.diagnostics.push(Diagnostic::error(at, e)),
        }
    }
    out
}

/// Reads lines into chunks until the end, an error or a cancel.
fn feed(
    mut reader: impl BufRead,
    mut line_no: u64,
    tx: &Sender<Result<Chunk, Diagnostic>>,
    cancel: &AtomicBool,
) {
    let mut chunk = Chunk {
        first_line: line_no,
        buf: Vec::with_capacity(CHUNK_BYTES + 4096),
        ends: Vec::new(),
    };
    loop {
        match sniff::read_line(&mut reader, &mut chunk.buf) {
            Ok(0) => break,
            Ok(_) => {
                chunk.ends.push(chunk.buf.len());
                line_no += 1;
            }
            Err(e) => {
                let _ = tx.send(Ok(chunk));
                let _ = tx.send(Err(Diagnostic::error(
                    Location::Line { line: line_no },
                    format!("read failed (truncated or corrupt file?): {e}"),
                )));
                return;
            }
        }
        if chunk.buf.len() >= CHUNK_BYTES {
            let next = Chunk {
                first_line: line_no,
                buf: Vec::with_capacity(CHUNK_BYTES + 4096),
                ends: Vec::new(),
            };
            if cancel.load(Ordering::Relaxed)
                || tx.send(Ok(std::mem::replace(&mut chunk, next))).is_err()
            {
                return;
            }
        }
    }
    if !chunk.ends.is_empty() {
        let _ = tx.send(Ok(chunk));
    }
}

/// Imports a prediction log whose (decompressed) content `reader` yields.
pub fn import(
    store: &mut Store,
    path: &Path,
    mut reader: impl BufRead + Send,
    kind: Kind,
    compression_suffix: &str,
    bytes: u64,
    control: &ImportControl,
) -> Result<FileReport, StoreError> {
    let format = format!("{}{compression_suffix}", kind.label());
    let mut report = FileReport::new(path, &format);
    // CSV: the header (first non-blank line) names the columns.
    let mut line_no = 1u64;
    let mut columns: Vec<Column> = Vec::new();
    if let Kind::Csv { delimiter } = kind {
        let mut header = Vec::new();
        loop {
            header.clear();
            match sniff::read_line(&mut reader, &mut header) {
                Ok(0) => break,
                Ok(_) => {}
                Err(e) => {
                    report.push_diagnostic(Diagnostic::error(
                        Location::Line { line: line_no },
                        format!("read failed: {e}"),
                    ));
                    break;
                }
            }
            line_no += 1;
            let body = header.strip_prefix(&sniff::UTF8_BOM[..]).unwrap_or(&header);
            let text = String::from_utf8_lossy(trim_eol(body)).into_owned();
            if text.trim().is_empty() {
                continue;
            }
            match split_csv(&text, delimiter) {
                Ok(names) => columns = names.iter().map(|n| column_of(n)).collect(),
                Err(e) => report.push_diagnostic(Diagnostic::error(
                    Location::Line { line: line_no - 1 },
                    format!("CSV header: {e}"),
                )),
            }
            break;
        }
    }
    let mut writer = PredictionWriter::begin(store, &path.display().to_string(), &format, bytes)?;
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .clamp(1, 4);
    let columns = Arc::new(columns);
    let cancel = &control.cancel;
    std::thread::scope(|scope| -> Result<(), StoreError> {
        let (chunk_tx, chunk_rx) = bounded::<Result<Chunk, Diagnostic>>(workers * 2);
        let (parsed_tx, parsed_rx) = bounded::<Parsed>(workers * 2);
        let spawned = std::thread::Builder::new()
            .name("predictions-reader".into())
            .spawn_scoped(scope, move || feed(reader, line_no, &chunk_tx, cancel));
        if let Err(e) = spawned {
            report.push_diagnostic(Diagnostic::error(
                Location::File,
                format!("cannot start reader thread: {e}"),
            ));
            return Ok(());
        }
        for i in 0..workers {
            let rx = chunk_rx.clone();
            let tx = parsed_tx.clone();
            let columns = Arc::clone(&columns);
            let spawned = std::thread::Builder::new()
                .name(format!("predictions-parse-{i}"))
                .spawn_scoped(scope, move || {
                    for item in rx {
                        let parsed = match item {
                            Ok(chunk) => parse_chunk(&chunk, kind, &columns),
                            Err(d) => Parsed {
                                diagnostics: vec![d],
                                ..Parsed::default()
                            },
                        };
                        if tx.send(parsed).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = spawned {
                report.push_diagnostic(Diagnostic::error(
                    Location::File,
                    format!("cannot start parse thread: {e}"),
                ));
            }
        }
        drop(chunk_rx);
        drop(parsed_tx);
        for parsed in parsed_rx.iter() {
            if cancel.load(Ordering::Relaxed) {
                break;
            }
            let stats = writer.write(&parsed.rows)?;
            report.predictions_read += parsed.read;
            report.predictions_new += stats.inserted;
            report.duplicates += stats.duplicates;
            for d in parsed.diagnostics {
                report.push_diagnostic(d);
            }
            control
                .progress
                .spans_done
                .fetch_add(parsed.read, Ordering::Relaxed);
        }
        drop(parsed_rx);
        Ok(())
    })?;
    report.finish_outcome(cancel.load(Ordering::Relaxed));
    let status = match report.outcome {
        Outcome::Ok => ImportStatus::Ok,
        Outcome::Partial => ImportStatus::Partial,
        Outcome::Rejected => ImportStatus::Rejected,
        Outcome::Cancelled => ImportStatus::Cancelled,
    };
    let totals = ImportTotals {
        format: report.format.clone(),
        spans_read: report.predictions_read,
        traces: 0,
        skipped_lines: 0,
        warnings: report.warnings,
        errors: report.errors,
        diagnostics_json: serde_json::to_string(&report.diagnostics)
            .unwrap_or_else(|_| "[]".to_owned()),
    };
    let import_id = writer.finish(status, &totals)?;
    report.import_id =
        (report.outcome != Outcome::Rejected || report.predictions_new > 0).then_some(import_id);
    Ok(report)
}

impl FileReport {
    fn push_diagnostic(&mut self, d: Diagnostic) {
        match d.severity {
            super::Severity::Error => self.errors += 1,
            super::Severity::Warning => self.warnings += 1,
        }
        if self.diagnostics.len() < MAX_KEPT_DIAGNOSTICS {
            self.diagnostics.push(d);
        }
    }
}

/// Imports prediction logs as the drift reference (`tracedeck import --reference`, the Drift
/// tab's "Import reference file..."): each import that kept predictions is marked `reference`.
/// Predictions already in the store (from an import without the role) stay where they were;
/// the file's report warns about them.
pub fn import_reference(
    store: &mut Store,
    paths: &[PathBuf],
    control: &ImportControl,
) -> Result<Vec<FileReport>, StoreError> {
    let mut reports = super::import_paths(store, paths, control)?;
    for report in &mut reports {
        let Some(id) = report.import_id else {
            continue;
        };
        if report.predictions_read == 0 {
            report.warnings += 1;
            report.diagnostics.push(Diagnostic::warning(
                Location::File,
                "no predictions in this file: it is not a reference",
            ));
            continue;
        }
        store.set_import_role(id, "reference")?;
        let already = report
            .predictions_read
            .saturating_sub(report.predictions_new);
        if already > 0 {
            report.warnings += 1;
            report.diagnostics.push(Diagnostic::warning(
                Location::File,
                format!(
                    "{already} predictions were already in the store: they keep the role of the import that stored them"
                ),
            ));
        }
    }
    Ok(reports)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_jsonl_and_csv() {
        let jsonl = br#"{"ts": 1700000000, "model": "m", "inputs": {"a": 1}, "output": 1}
"#;
        assert_eq!(detect(jsonl), Some(Kind::JsonLines));
        let traces = br#"{"resourceSpans": []}
"#;
        assert_eq!(detect(traces), None);
        let csv = b"time,model,version,feature.a,score\n2026-01-01T00:00:00Z,m,1,2,0.5\n";
        assert_eq!(detect(csv), Some(Kind::Csv { delimiter: b',' }));
        assert_eq!(detect(b"hello world\n"), None);
    }

    #[test]
    fn timestamps_by_magnitude() -> Result<(), String> {
        let s = 1_700_000_000i64;
        let ns = s * 1_000_000_000;
        assert_eq!(parse_timestamp(&Value::from(s))?, ns);
        assert_eq!(parse_timestamp(&Value::from(s * 1000))?, ns);
        assert_eq!(parse_timestamp(&Value::from(ns))?, ns);
        assert_eq!(
            parse_timestamp(&Value::from(1_700_000_000.5))?,
            ns + 500_000_000
        );
        assert_eq!(parse_timestamp(&Value::from("2023-11-14T22:13:20Z"))?, ns);
        assert!(parse_timestamp(&Value::from("yesterday")).is_err());
        Ok(())
    }

    #[test]
    fn csv_quoting() -> Result<(), String> {
        assert_eq!(
            split_csv(r#"a,"b,c","d""e""#, b',')?,
            vec!["a", "b,c", "d\"e"]
        );
        assert!(split_csv(r#"a,"b"#, b',').is_err());
        Ok(())
    }
}
