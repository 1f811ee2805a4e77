//! Jaeger UI's JSON (`{"data": [trace, ...]}` or one trace object): microsecond times, parents as
//! `references`, tags and logs, services from `processes`. Mapped onto the OTLP-shaped model:
//! tags become attributes, logs become events, `error=true` an error status, the first
//! `CHILD_OF` (else `FOLLOWS_FROM`) reference the parent and any other reference a link.

use std::collections::BTreeMap;

use serde_json::Value;

use super::diagnostics::{Diagnostic, Location};
use super::ids::decode_id;
use super::parsed::Parsed;
use crate::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    SpanLink, StatusCode,
};

/// A Jaeger id: hex, 64-bit trace ids widened to 128 bits with leading zeros (Jaeger's rule).
fn jaeger_id<const N: usize>(v: Option<&Value>) -> Option<[u8; N]> {
    let s = v?.as_str()?.trim();
    if s.len() < N * 2 && !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit()) {
        let padded = format!("{s:0>width$}", width = N * 2);
        return decode_id::<N>(&padded);
    }
    decode_id::<N>(s)
}

fn tag_value(tag: &Value) -> AnyValue {
    let value = tag.get("value");
    let ty = tag.get("type").and_then(Value::as_str).unwrap_or("string");
    match (ty, value) {
        ("bool", Some(Value::Bool(b))) => AnyValue::Bool(*b),
        ("bool", Some(Value::String(s))) => AnyValue::Bool(s == "true"),
        ("int64", Some(v)) => v
            .as_i64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map_or_else(|| AnyValue::String(v.to_string()), AnyValue::Int),
        ("float64", Some(v)) => v
            .as_f64()
            .or_else(|| v.as_str().and_then(|s| s.parse().ok()))
            .map_or_else(|| AnyValue::String(v.to_string()), AnyValue::Double),
        (_, Some(Value::String(s))) => AnyValue::String(s.clone()),
        (_, Some(Value::Bool(b))) => AnyValue::Bool(*b),
        (_, Some(v @ Value::Number(_))) => v
            .as_i64()
            .map(AnyValue::Int)
            .or_else(|| v.as_f64().map(AnyValue::Double))
            .unwrap_or(AnyValue::Empty),
        (_, Some(v)) => AnyValue::String(v.to_string()),
        (_, None) => AnyValue::Empty,
    }
}

fn tags(list: Option<&Value>) -> Vec<KeyValue> {
    list.and_then(Value::as_array)
        .map(|tags| {
            tags.iter()
                .filter_map(|t| {
                    let key = t.get("key")?.as_str()?;
                    Some(KeyValue::new(key, tag_value(t)))
                })
                .collect()
        })
        .unwrap_or_default()
}

fn micros_to_ns(v: Option<&Value>) -> u64 {
    v.and_then(|v| v.as_u64().or_else(|| v.as_f64().map(|f| f.max(0.0) as u64)))
        .unwrap_or(0)
        .saturating_mul(1000)
}

/// Converts a Jaeger document (one trace, or the `data` envelope) into blocks.
pub fn convert(doc: &Value, out: &mut Parsed) {
    let traces: Vec<&Value> = match doc.get("data").and_then(Value::as_array) {
        Some(list) => list.iter().collect(),
        None => vec![doc],
    };
    for (ti, trace) in traces.into_iter().enumerate() {
        out.documents += 1;
        convert_trace(trace, ti, out);
    }
}

fn convert_trace(trace: &Value, ti: usize, out: &mut Parsed) {
    let processes = trace.get("processes").and_then(Value::as_object);
    // One block per process, in a stable order.
    let mut by_process: BTreeMap<String, Vec<Span>> = BTreeMap::new();
    let spans = trace
        .get("spans")
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or_default();
    for (si, s) in spans.iter().enumerate() {
        let path = format!("data[{ti}].spans[{si}]");
        let field = |name: &str| Location::Field {
            path: format!("{path}.{name}"),
            line: None,
        };
        let Some(trace_id) = jaeger_id::<16>(s.get("traceID").or_else(|| trace.get("traceID")))
        else {
            out.diagnostics.push(Diagnostic::error(
                field("traceID"),
                format!(
                    "invalid traceID {}",
                    s.get("traceID").unwrap_or(&Value::Null)
                ),
            ));
            continue;
        };
        let Some(span_id) = jaeger_id::<8>(s.get("spanID")) else {
            out.diagnostics.push(Diagnostic::error(
                field("spanID"),
                format!("invalid spanID {}", s.get("spanID").unwrap_or(&Value::Null)),
            ));
            continue;
        };
        let mut refs: Vec<(&str, [u8; 16], [u8; 8])> = Vec::new();
        for r in s
            .get("references")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or_default()
        {
            let ty = r
                .get("refType")
                .and_then(Value::as_str)
                .unwrap_or("CHILD_OF");
            match (
                jaeger_id::<16>(r.get("traceID")),
                jaeger_id::<8>(r.get("spanID")),
            ) {
                (Some(t), Some(p)) => refs.push((ty, t, p)),
                _ => out.diagnostics.push(Diagnostic::error(
                    field("references"),
                    "invalid reference ids".to_owned(),
                )),
            }
        }
        let parent_index = refs
            .iter()
            .position(|r| r.0 == "CHILD_OF" && r.1 == trace_id)
            .or_else(|| refs.iter().position(|r| r.1 == trace_id));
        let parent_span_id = parent_index.and_then(|i| refs.get(i)).map(|r| r.2);
        let links = refs
            .iter()
            .enumerate()
            .filter(|(i, _)| Some(*i) != parent_index)
            .map(|(_, r)| SpanLink {
                trace_id: r.1,
                span_id: r.2,
                attributes: vec![KeyValue::new(
                    "jaeger.ref_type",
                    AnyValue::String(r.0.to_owned()),
                )],
                ..SpanLink::default()
            })
            .collect();
        let mut attributes = tags(s.get("tags"));
        let mut kind = SpanKind::Unspecified;
        let mut status_code = StatusCode::Unset;
        let mut status_message = String::new();
        attributes.retain(|kv| match kv.key.as_str() {
            "span.kind" => {
                kind = kv
                    .value
                    .as_str()
                    .and_then(SpanKind::from_name)
                    .unwrap_or_default();
                false
            }
            "error" => {
                if matches!(kv.value, AnyValue::Bool(true)) || kv.value.as_str() == Some("true") {
                    status_code = StatusCode::Error;
                }
                true
            }
            "otel.status_code" => {
                if let Some(code) = kv.value.as_str().and_then(StatusCode::from_name) {
                    status_code = code;
                }
                false
            }
            "otel.status_description" => {
                status_message = kv.value.as_str().unwrap_or_default().to_owned();
                false
            }
            _ => true,
        });
        let start_ns = micros_to_ns(s.get("startTime"));
        let events = s
            .get("logs")
            .and_then(Value::as_array)
            .map(|logs| {
                logs.iter()
                    .map(|log| {
                        let mut attributes = tags(log.get("fields"));
                        let name = attributes
                            .iter()
                            .position(|kv| kv.key == "event")
                            .map(|i| attributes.remove(i))
                            .and_then(|kv| kv.value.as_str().map(str::to_owned))
                            .unwrap_or_else(|| "log".to_owned());
                        SpanEvent {
                            time_ns: micros_to_ns(log.get("timestamp")),
                            name,
                            attributes,
                            dropped_attributes_count: 0,
                        }
                    })
                    .collect()
            })
            .unwrap_or_default();
        let span = Span {
            trace_id,
            span_id,
            parent_span_id,
            name: s
                .get("operationName")
                .and_then(Value::as_str)
                .unwrap_or_default()
                .to_owned(),
            kind,
            start_ns,
            end_ns: start_ns.saturating_add(micros_to_ns(s.get("duration"))),
            attributes,
            events,
            links,
            status_code,
            status_message,
            ..Span::default()
        };
        super::warn_anomalies(
            &span,
            || Location::Field {
                path: path.clone(),
                line: None,
            },
            out,
        );
        let process = s
            .get("processID")
            .and_then(Value::as_str)
            .unwrap_or_default()
            .to_owned();
        by_process.entry(process).or_default().push(span);
    }
    for (process_id, spans) in by_process {
        let process = processes.and_then(|p| p.get(&process_id));
        let mut attributes = vec![KeyValue::new(
            "service.name",
            AnyValue::String(
                process
                    .and_then(|p| p.get("serviceName"))
                    .and_then(Value::as_str)
                    .unwrap_or("unknown")
                    .to_owned(),
            ),
        )];
        attributes.extend(tags(process.and_then(|p| p.get("tags"))));
        out.push_block(ResourceSpans {
            resource: Resource {
                attributes,
                ..Resource::default()
            },
            scope_spans: vec![ScopeSpans {
                scope: Scope::default(),
                spans,
            }],
        });
    }
}
