//! Model -> OTLP/JSON (`ExportTraceServiceRequest`), in the shape the OpenTelemetry Collector's
//! file exporter writes: camelCase keys, lowercase hex ids, 64-bit integers and nanosecond times as
//! decimal strings, `kind` and `status.code` as integers, non-finite doubles as `"NaN"`,
//! `"Infinity"`, `"-Infinity"`, and fields at their default value left out (the span's ids, name,
//! kind, times and status are always written). Lossless for every model field.
//!
//! Serialization goes through borrowing `Serialize` wrappers, so writing a line never builds an
//! intermediate `serde_json::Value`.

use std::io::{self, Write};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use serde::Serialize;
use serde::ser::{SerializeMap, SerializeSeq, Serializer};

use crate::model::{
    AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink, hex_lower,
};

/// The request as a JSON value (object keys may come out sorted; use [`write_jsonl_line`] for
/// the Collector's key order).
pub fn request_value(blocks: &[ResourceSpans]) -> serde_json::Value {
    // Every wrapper below serializes to plain maps, sequences, strings and finite numbers, which
    // `serde_json::to_value` always accepts.
    serde_json::to_value(Request(blocks)).unwrap_or(serde_json::Value::Null)
}

/// The request as one compact JSON string, keys in the Collector's order.
pub fn request_string(blocks: &[ResourceSpans]) -> String {
    serde_json::to_string(&Request(blocks)).unwrap_or_default()
}

/// Writes the request as one compact JSON line followed by `'\n'` (JSON Lines, as the
/// Collector's file exporter does).
pub fn write_jsonl_line(w: &mut impl Write, blocks: &[ResourceSpans]) -> io::Result<()> {
    serde_json::to_writer(&mut *w, &Request(blocks)).map_err(io::Error::from)?;
    w.write_all(b"\n")
}

// ---------------------------------------------------------------------------------------------
// Borrowing wrappers

struct Request<'a>(&'a [ResourceSpans]);
struct Block<'a>(&'a ResourceSpans);
struct ResourceJ<'a>(&'a ResourceSpans);
struct ScopeBlock<'a>(&'a ScopeSpans);
struct ScopeJ<'a>(&'a ScopeSpans);
struct SpanJ<'a>(&'a Span);
struct StatusJ<'a>(&'a Span);
struct EventJ<'a>(&'a SpanEvent);
struct LinkJ<'a>(&'a SpanLink);
struct Attrs<'a>(&'a [KeyValue]);
struct Kv<'a>(&'a KeyValue);
struct Value<'a>(&'a AnyValue);
struct Values<'a>(&'a [AnyValue]);
struct ValuesObj<'a, T: ?Sized>(&'a T);
/// A `u64` written as a decimal string (proto3 JSON for 64-bit integers).
struct U64Str(u64);
/// An `i64` written as a decimal string.
struct I64Str(i64);

fn seq<'a, S: Serializer, T, W: Serialize>(
    s: S,
    items: &'a [T],
    wrap: impl Fn(&'a T) -> W,
) -> Result<S::Ok, S::Error> {
    let mut seq = s.serialize_seq(Some(items.len()))?;
    for item in items {
        seq.serialize_element(&wrap(item))?;
    }
    seq.end()
}

impl Serialize for U64Str {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl Serialize for I64Str {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(&self.0)
    }
}

impl Serialize for Request<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(1))?;
        m.serialize_entry("resourceSpans", &Blocks(self.0))?;
        m.end()
    }
}

struct Blocks<'a>(&'a [ResourceSpans]);

impl Serialize for Blocks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, Block)
    }
}

impl Serialize for Block<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("resource", &ResourceJ(b))?;
        m.serialize_entry("scopeSpans", &ScopeBlocks(&b.scope_spans))?;
        if !b.resource.schema_url.is_empty() {
            m.serialize_entry("schemaUrl", &b.resource.schema_url)?;
        }
        m.end()
    }
}

impl Serialize for ResourceJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let r = &self.0.resource;
        let mut m = s.serialize_map(None)?;
        if !r.attributes.is_empty() {
            m.serialize_entry("attributes", &Attrs(&r.attributes))?;
        }
        if r.dropped_attributes_count != 0 {
            m.serialize_entry("droppedAttributesCount", &r.dropped_attributes_count)?;
        }
        m.end()
    }
}

struct ScopeBlocks<'a>(&'a [ScopeSpans]);

impl Serialize for ScopeBlocks<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, ScopeBlock)
    }
}

impl Serialize for ScopeBlock<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let b = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("scope", &ScopeJ(b))?;
        m.serialize_entry("spans", &SpansJ(&b.spans))?;
        if !b.scope.schema_url.is_empty() {
            m.serialize_entry("schemaUrl", &b.scope.schema_url)?;
        }
        m.end()
    }
}

impl Serialize for ScopeJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sc = &self.0.scope;
        let mut m = s.serialize_map(None)?;
        if !sc.name.is_empty() {
            m.serialize_entry("name", &sc.name)?;
        }
        if !sc.version.is_empty() {
            m.serialize_entry("version", &sc.version)?;
        }
        if !sc.attributes.is_empty() {
            m.serialize_entry("attributes", &Attrs(&sc.attributes))?;
        }
        if sc.dropped_attributes_count != 0 {
            m.serialize_entry("droppedAttributesCount", &sc.dropped_attributes_count)?;
        }
        m.end()
    }
}

struct SpansJ<'a>(&'a [Span]);

impl Serialize for SpansJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, SpanJ)
    }
}

impl Serialize for SpanJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sp = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("traceId", &hex_lower(&sp.trace_id))?;
        m.serialize_entry("spanId", &hex_lower(&sp.span_id))?;
        if !sp.trace_state.is_empty() {
            m.serialize_entry("traceState", &sp.trace_state)?;
        }
        if let Some(parent) = &sp.parent_span_id {
            m.serialize_entry("parentSpanId", &hex_lower(parent))?;
        }
        if sp.flags != 0 {
            m.serialize_entry("flags", &sp.flags)?;
        }
        m.serialize_entry("name", &sp.name)?;
        m.serialize_entry("kind", &(sp.kind as i32))?;
        m.serialize_entry("startTimeUnixNano", &U64Str(sp.start_ns))?;
        m.serialize_entry("endTimeUnixNano", &U64Str(sp.end_ns))?;
        if !sp.attributes.is_empty() {
            m.serialize_entry("attributes", &Attrs(&sp.attributes))?;
        }
        if sp.dropped_attributes_count != 0 {
            m.serialize_entry("droppedAttributesCount", &sp.dropped_attributes_count)?;
        }
        if !sp.events.is_empty() {
            m.serialize_entry("events", &EventsJ(&sp.events))?;
        }
        if sp.dropped_events_count != 0 {
            m.serialize_entry("droppedEventsCount", &sp.dropped_events_count)?;
        }
        if !sp.links.is_empty() {
            m.serialize_entry("links", &LinksJ(&sp.links))?;
        }
        if sp.dropped_links_count != 0 {
            m.serialize_entry("droppedLinksCount", &sp.dropped_links_count)?;
        }
        m.serialize_entry("status", &StatusJ(sp))?;
        m.end()
    }
}

impl Serialize for StatusJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let sp = self.0;
        let mut m = s.serialize_map(None)?;
        if !sp.status_message.is_empty() {
            m.serialize_entry("message", &sp.status_message)?;
        }
        if sp.status_code as i32 != 0 {
            m.serialize_entry("code", &(sp.status_code as i32))?;
        }
        m.end()
    }
}

struct EventsJ<'a>(&'a [SpanEvent]);

impl Serialize for EventsJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, EventJ)
    }
}

impl Serialize for EventJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let e = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("timeUnixNano", &U64Str(e.time_ns))?;
        m.serialize_entry("name", &e.name)?;
        if !e.attributes.is_empty() {
            m.serialize_entry("attributes", &Attrs(&e.attributes))?;
        }
        if e.dropped_attributes_count != 0 {
            m.serialize_entry("droppedAttributesCount", &e.dropped_attributes_count)?;
        }
        m.end()
    }
}

struct LinksJ<'a>(&'a [SpanLink]);

impl Serialize for LinksJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, LinkJ)
    }
}

impl Serialize for LinkJ<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let l = self.0;
        let mut m = s.serialize_map(None)?;
        m.serialize_entry("traceId", &hex_lower(&l.trace_id))?;
        m.serialize_entry("spanId", &hex_lower(&l.span_id))?;
        if !l.trace_state.is_empty() {
            m.serialize_entry("traceState", &l.trace_state)?;
        }
        if !l.attributes.is_empty() {
            m.serialize_entry("attributes", &Attrs(&l.attributes))?;
        }
        if l.dropped_attributes_count != 0 {
            m.serialize_entry("droppedAttributesCount", &l.dropped_attributes_count)?;
        }
        if l.flags != 0 {
            m.serialize_entry("flags", &l.flags)?;
        }
        m.end()
    }
}

impl Serialize for Attrs<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, Kv)
    }
}

impl Serialize for Kv<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(Some(2))?;
        m.serialize_entry("key", &self.0.key)?;
        m.serialize_entry("value", &Value(&self.0.value))?;
        m.end()
    }
}

impl Serialize for Value<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let v = self.0;
        if matches!(v, AnyValue::Empty) {
            return s.serialize_map(Some(0))?.end();
        }
        let mut m = s.serialize_map(Some(1))?;
        match v {
            AnyValue::String(x) => m.serialize_entry("stringValue", x)?,
            AnyValue::Bool(x) => m.serialize_entry("boolValue", x)?,
            AnyValue::Int(x) => m.serialize_entry("intValue", &I64Str(*x))?,
            AnyValue::Double(x) => {
                if x.is_nan() {
                    m.serialize_entry("doubleValue", "NaN")?;
                } else if x.is_infinite() {
                    let name = if *x > 0.0 { "Infinity" } else { "-Infinity" };
                    m.serialize_entry("doubleValue", name)?;
                } else {
                    m.serialize_entry("doubleValue", x)?;
                }
            }
            AnyValue::Bytes(x) => m.serialize_entry("bytesValue", &BASE64.encode(x))?,
            AnyValue::Array(x) => m.serialize_entry("arrayValue", &ValuesObj(&Values(x)))?,
            AnyValue::KvList(x) => m.serialize_entry("kvlistValue", &ValuesObj(&Attrs(x)))?,
            AnyValue::Empty => {}
        }
        m.end()
    }
}

impl Serialize for Values<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        seq(s, self.0, Value)
    }
}

/// `{"values": [...]}`; the Collector leaves the key out when the list is empty.
impl<T: Serialize + IsEmpty + ?Sized> Serialize for ValuesObj<'_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut m = s.serialize_map(None)?;
        if !self.0.is_empty() {
            m.serialize_entry("values", self.0)?;
        }
        m.end()
    }
}

trait IsEmpty {
    fn is_empty(&self) -> bool;
}

impl IsEmpty for Values<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl IsEmpty for Attrs<'_> {
    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::model::{Resource, Scope, SpanKind, StatusCode};

    fn sample_block() -> ResourceSpans {
        let span = Span {
            trace_id: [0xab; 16],
            span_id: [1, 2, 3, 4, 5, 6, 7, 8],
            parent_span_id: None,
            name: "chat gpt-4o".into(),
            kind: SpanKind::Client,
            start_ns: 1_700_000_000_000_000_000,
            end_ns: 1_700_000_000_500_000_000,
            attributes: vec![
                KeyValue::new("s", AnyValue::String("x".into())),
                KeyValue::new("i", AnyValue::Int(-123)),
                KeyValue::new("d", AnyValue::Double(1.5)),
                KeyValue::new("nan", AnyValue::Double(f64::NAN)),
                KeyValue::new("inf", AnyValue::Double(f64::INFINITY)),
                KeyValue::new("ninf", AnyValue::Double(f64::NEG_INFINITY)),
                KeyValue::new("b", AnyValue::Bool(true)),
                KeyValue::new("by", AnyValue::Bytes(vec![0, 1, 2])),
                KeyValue::new(
                    "a",
                    AnyValue::Array(vec![AnyValue::String("stop".into()), AnyValue::Int(2)]),
                ),
                KeyValue::new(
                    "kv",
                    AnyValue::KvList(vec![KeyValue::new("k", AnyValue::Bool(false))]),
                ),
                KeyValue::new("e", AnyValue::Empty),
            ],
            events: vec![SpanEvent {
                time_ns: 1_700_000_000_100_000_000,
                name: "exception".into(),
                attributes: vec![KeyValue::new(
                    "exception.type",
                    AnyValue::String("RateLimitError".into()),
                )],
                dropped_attributes_count: 0,
            }],
            links: vec![SpanLink {
                trace_id: [0xcd; 16],
                span_id: [9; 8],
                trace_state: "a=b".into(),
                attributes: vec![],
                dropped_attributes_count: 0,
                flags: 1,
            }],
            dropped_events_count: 3,
            status_code: StatusCode::Error,
            status_message: "Error code: 429".into(),
            ..Span::default()
        };
        let mut child = span.clone();
        child.span_id = [2; 8];
        child.parent_span_id = Some([1, 2, 3, 4, 5, 6, 7, 8]);
        child.attributes.clear();
        child.events.clear();
        child.links.clear();
        child.dropped_events_count = 0;
        child.status_code = StatusCode::Unset;
        child.status_message.clear();
        ResourceSpans {
            resource: Resource {
                attributes: vec![KeyValue::new(
                    "service.name",
                    AnyValue::String("support-agent".into()),
                )],
                dropped_attributes_count: 0,
                schema_url: "https://opentelemetry.io/schemas/1.37.0".into(),
            },
            scope_spans: vec![ScopeSpans {
                scope: Scope {
                    name: "opentelemetry.instrumentation.openai_v2".into(),
                    version: "2.1b0".into(),
                    ..Scope::default()
                },
                spans: vec![span, child],
            }],
        }
    }

    #[test]
    fn request_has_the_collector_shape() {
        let v = request_value(&[sample_block()]);
        let expected = json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "support-agent"}}]},
            "schemaUrl": "https://opentelemetry.io/schemas/1.37.0",
            "scopeSpans": [{
                "scope": {"name": "opentelemetry.instrumentation.openai_v2", "version": "2.1b0"},
                "spans": [{
                    "traceId": "abababababababababababababababab",
                    "spanId": "0102030405060708",
                    "name": "chat gpt-4o",
                    "kind": 3,
                    "startTimeUnixNano": "1700000000000000000",
                    "endTimeUnixNano": "1700000000500000000",
                    "attributes": [
                        {"key": "s", "value": {"stringValue": "x"}},
                        {"key": "i", "value": {"intValue": "-123"}},
                        {"key": "d", "value": {"doubleValue": 1.5}},
                        {"key": "nan", "value": {"doubleValue": "NaN"}},
                        {"key": "inf", "value": {"doubleValue": "Infinity"}},
                        {"key": "ninf", "value": {"doubleValue": "-Infinity"}},
                        {"key": "b", "value": {"boolValue": true}},
                        {"key": "by", "value": {"bytesValue": "AAEC"}},
                        {"key": "a", "value": {"arrayValue": {"values": [
                            {"stringValue": "stop"}, {"intValue": "2"}]}}},
                        {"key": "kv", "value": {"kvlistValue": {"values": [
                            {"key": "k", "value": {"boolValue": false}}]}}},
                        {"key": "e", "value": {}}
                    ],
                    "events": [{
                        "timeUnixNano": "1700000000100000000",
                        "name": "exception",
                        "attributes": [{"key": "exception.type", "value": {"stringValue": "RateLimitError"}}]
                    }],
                    "droppedEventsCount": 3,
                    "links": [{
                        "traceId": "cdcdcdcdcdcdcdcdcdcdcdcdcdcdcdcd",
                        "spanId": "0909090909090909",
                        "traceState": "a=b",
                        "flags": 1
                    }],
                    "status": {"code": 2, "message": "Error code: 429"}
                }, {
                    "traceId": "abababababababababababababababab",
                    "spanId": "0202020202020202",
                    "parentSpanId": "0102030405060708",
                    "name": "chat gpt-4o",
                    "kind": 3,
                    "startTimeUnixNano": "1700000000000000000",
                    "endTimeUnixNano": "1700000000500000000",
                    "status": {}
                }]
            }]
        }]});
        assert_eq!(v, expected);
    }

    #[test]
    fn jsonl_line_is_one_compact_line_in_collector_key_order() -> anyhow::Result<()> {
        let mut out = Vec::new();
        write_jsonl_line(&mut out, &[sample_block()])?;
        let text = String::from_utf8(out)?;
        assert!(text.ends_with('\n'));
        assert_eq!(text.matches('\n').count(), 1);
        assert!(text.starts_with(r#"{"resourceSpans":[{"resource":{"attributes":"#));
        let parsed: serde_json::Value = serde_json::from_str(text.trim_end())?;
        assert_eq!(parsed, request_value(&[sample_block()]));
        // Key order within a span follows the Collector: ids, name, kind, times, ..., status.
        let span_at = text.find(r#""traceId":"abab"#).unwrap_or(usize::MAX);
        let name_at = text.find(r#""name":"chat gpt-4o""#).unwrap_or(0);
        assert!(span_at < name_at);
        Ok(())
    }

    #[test]
    fn empty_request() {
        assert_eq!(request_value(&[]), json!({"resourceSpans": []}));
    }
}
