//! OTLP/JSON (`ExportTraceServiceRequest`) in every spelling real files use: `resourceSpans` or
//! Tempo's `batches`, `scopeSpans` or `instrumentationLibrarySpans`, camelCase or snake_case keys,
//! hex or base64 ids, enum numbers or names, nanos as strings or numbers (exact above 2^53),
//! `"NaN"`/`"Infinity"` doubles. Parsing borrows from the input; ids are kept as raw JSON so an
//! invalid one can be reported with its line.

use std::borrow::Cow;

use serde::Deserialize;
use serde::de::{self, Deserializer, IgnoredAny, Visitor};
use serde_json::value::RawValue;

use super::diagnostics::{Diagnostic, Location, SpanPath};
use super::ids::{decode_id, decode_parent};
use super::parsed::Parsed;
use crate::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    SpanLink, StatusCode,
};

/// What a JSON document turned out to be.
#[derive(Debug, PartialEq, Eq)]
pub enum DocKind {
    /// OTLP traces (possibly with no spans in them).
    Traces,
    /// Metrics or logs only: skipped, not an error.
    NonTrace,
    /// Jaeger UI's JSON: handled by the Jaeger reader.
    Jaeger,
    /// JSON, but none of the above.
    Unknown,
}

// ---------------------------------------------------------------------------------------------
// Borrowed wire structs

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(
        borrow,
        default,
        rename = "resourceSpans",
        alias = "resource_spans",
        alias = "batches"
    )]
    resource_spans: Option<Vec<ResourceSpansJson<'a>>>,
    #[serde(default, rename = "resourceMetrics", alias = "resource_metrics")]
    resource_metrics: Option<IgnoredAny>,
    #[serde(default, rename = "resourceLogs", alias = "resource_logs")]
    resource_logs: Option<IgnoredAny>,
    #[serde(default, rename = "traceID")]
    jaeger_trace_id: Option<IgnoredAny>,
    #[serde(default)]
    data: Option<IgnoredAny>,
}

#[derive(Deserialize)]
struct ResourceSpansJson<'a> {
    #[serde(borrow, default)]
    resource: Option<ResourceJson<'a>>,
    #[serde(
        borrow,
        default,
        rename = "scopeSpans",
        alias = "scope_spans",
        alias = "instrumentationLibrarySpans",
        alias = "instrumentation_library_spans"
    )]
    scope_spans: Option<Vec<ScopeSpansJson<'a>>>,
    #[serde(borrow, default, rename = "schemaUrl", alias = "schema_url")]
    schema_url: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ResourceJson<'a> {
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValueJson<'a>>>,
    #[serde(
        default,
        rename = "droppedAttributesCount",
        alias = "dropped_attributes_count"
    )]
    dropped_attributes_count: Option<u32>,
}

#[derive(Deserialize)]
struct ScopeSpansJson<'a> {
    #[serde(
        borrow,
        default,
        alias = "instrumentationLibrary",
        alias = "instrumentation_library"
    )]
    scope: Option<ScopeJson<'a>>,
    #[serde(borrow, default)]
    spans: Option<Vec<SpanJson<'a>>>,
    #[serde(borrow, default, rename = "schemaUrl", alias = "schema_url")]
    schema_url: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ScopeJson<'a> {
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    version: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValueJson<'a>>>,
    #[serde(
        default,
        rename = "droppedAttributesCount",
        alias = "dropped_attributes_count"
    )]
    dropped_attributes_count: Option<u32>,
}

#[derive(Deserialize)]
struct SpanJson<'a> {
    #[serde(borrow, default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "spanId", alias = "span_id")]
    span_id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "parentSpanId", alias = "parent_span_id")]
    parent_span_id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "traceState", alias = "trace_state")]
    trace_state: Option<Cow<'a, str>>,
    #[serde(default)]
    flags: Option<u32>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(default)]
    kind: Option<EnumJson>,
    #[serde(default, rename = "startTimeUnixNano", alias = "start_time_unix_nano")]
    start: Option<Nanos>,
    #[serde(default, rename = "endTimeUnixNano", alias = "end_time_unix_nano")]
    end: Option<Nanos>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValueJson<'a>>>,
    #[serde(
        default,
        rename = "droppedAttributesCount",
        alias = "dropped_attributes_count"
    )]
    dropped_attributes_count: Option<u32>,
    #[serde(borrow, default)]
    events: Option<Vec<EventJson<'a>>>,
    #[serde(default, rename = "droppedEventsCount", alias = "dropped_events_count")]
    dropped_events_count: Option<u32>,
    #[serde(borrow, default)]
    links: Option<Vec<LinkJson<'a>>>,
    #[serde(default, rename = "droppedLinksCount", alias = "dropped_links_count")]
    dropped_links_count: Option<u32>,
    #[serde(borrow, default)]
    status: Option<StatusJson<'a>>,
}

#[derive(Deserialize)]
struct EventJson<'a> {
    #[serde(default, rename = "timeUnixNano", alias = "time_unix_nano")]
    time: Option<Nanos>,
    #[serde(borrow, default)]
    name: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValueJson<'a>>>,
    #[serde(
        default,
        rename = "droppedAttributesCount",
        alias = "dropped_attributes_count"
    )]
    dropped_attributes_count: Option<u32>,
}

#[derive(Deserialize)]
struct LinkJson<'a> {
    #[serde(borrow, default, rename = "traceId", alias = "trace_id")]
    trace_id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "spanId", alias = "span_id")]
    span_id: Option<&'a RawValue>,
    #[serde(borrow, default, rename = "traceState", alias = "trace_state")]
    trace_state: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    attributes: Option<Vec<KeyValueJson<'a>>>,
    #[serde(
        default,
        rename = "droppedAttributesCount",
        alias = "dropped_attributes_count"
    )]
    dropped_attributes_count: Option<u32>,
    #[serde(default)]
    flags: Option<u32>,
}

#[derive(Deserialize)]
struct StatusJson<'a> {
    #[serde(default)]
    code: Option<EnumJson>,
    #[serde(borrow, default)]
    message: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct KeyValueJson<'a> {
    #[serde(borrow)]
    key: Cow<'a, str>,
    #[serde(borrow, default)]
    value: Option<AnyValueJson<'a>>,
}

/// An `AnyValue`: an object with one of `stringValue`, `boolValue`, `intValue`, `doubleValue`,
/// `bytesValue`, `arrayValue`, `kvlistValue` (or their snake_case names); when it has several,
/// the first in that order wins, and `{}` or only nulls is empty. An enum rather than a struct
/// of options: a file holds millions, and their size was most of the parse's memory copying.
enum AnyValueJson<'a> {
    String(Cow<'a, str>),
    Bool(bool),
    Int(IntJson),
    Double(DoubleJson),
    Bytes(Cow<'a, str>),
    Array(Vec<AnyValueJson<'a>>),
    KvList(Vec<KeyValueJson<'a>>),
    Empty,
}

impl AnyValueJson<'_> {
    /// Which one wins when an object holds several (lower wins).
    fn rank(&self) -> u8 {
        match self {
            Self::String(_) => 0,
            Self::Bool(_) => 1,
            Self::Int(_) => 2,
            Self::Double(_) => 3,
            Self::Bytes(_) => 4,
            Self::Array(_) => 5,
            Self::KvList(_) => 6,
            Self::Empty => 7,
        }
    }
}

/// The keys of an `AnyValue` object (the derive matches them without allocating).
#[derive(Deserialize)]
enum AnyValueKey {
    #[serde(rename = "stringValue", alias = "string_value")]
    String,
    #[serde(rename = "boolValue", alias = "bool_value")]
    Bool,
    #[serde(rename = "intValue", alias = "int_value")]
    Int,
    #[serde(rename = "doubleValue", alias = "double_value")]
    Double,
    #[serde(rename = "bytesValue", alias = "bytes_value")]
    Bytes,
    #[serde(rename = "arrayValue", alias = "array_value")]
    Array,
    #[serde(rename = "kvlistValue", alias = "kvlist_value")]
    KvList,
    #[serde(other)]
    Other,
}

/// A string borrowed from the input when it has no escapes.
#[derive(Deserialize)]
struct Text<'a>(#[serde(borrow)] Cow<'a, str>);

impl<'de: 'a, 'a> Deserialize<'de> for AnyValueJson<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> Visitor<'de> for V<'a> {
            type Value = AnyValueJson<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an AnyValue object")
            }
            fn visit_map<M: de::MapAccess<'de>>(self, mut map: M) -> Result<Self::Value, M::Error> {
                let mut best = AnyValueJson::Empty;
                while let Some(key) = map.next_key::<AnyValueKey>()? {
                    let value = match key {
                        AnyValueKey::String => map
                            .next_value::<Option<Text<'a>>>()?
                            .map(|t| AnyValueJson::String(t.0)),
                        AnyValueKey::Bool => {
                            map.next_value::<Option<bool>>()?.map(AnyValueJson::Bool)
                        }
                        AnyValueKey::Int => {
                            map.next_value::<Option<IntJson>>()?.map(AnyValueJson::Int)
                        }
                        AnyValueKey::Double => map
                            .next_value::<Option<DoubleJson>>()?
                            .map(AnyValueJson::Double),
                        AnyValueKey::Bytes => map
                            .next_value::<Option<Text<'a>>>()?
                            .map(|t| AnyValueJson::Bytes(t.0)),
                        AnyValueKey::Array => map
                            .next_value::<Option<ValuesJson<'a, AnyValueJson<'a>>>>()?
                            .map(|v| AnyValueJson::Array(v.values)),
                        AnyValueKey::KvList => map
                            .next_value::<Option<ValuesJson<'a, KeyValueJson<'a>>>>()?
                            .map(|v| AnyValueJson::KvList(v.values)),
                        AnyValueKey::Other => {
                            map.next_value::<IgnoredAny>()?;
                            None
                        }
                    };
                    if let Some(value) = value
                        && value.rank() < best.rank()
                    {
                        best = value;
                    }
                }
                Ok(best)
            }
        }
        d.deserialize_map(V(std::marker::PhantomData))
    }
}

#[derive(Deserialize)]
#[serde(bound(deserialize = "T: Deserialize<'de>, 'de: 'a"))]
struct ValuesJson<'a, T> {
    #[serde(default = "Vec::new")]
    values: Vec<T>,
    #[serde(skip)]
    _marker: std::marker::PhantomData<&'a ()>,
}

// ---------------------------------------------------------------------------------------------
// Scalars that come as numbers or strings

/// Nanoseconds since the epoch: a JSON number (exact, no float) or a decimal string.
struct Nanos(Result<u64, String>);

impl<'de> Deserialize<'de> for Nanos {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = Nanos;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("nanoseconds as a number or a decimal string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Nanos, E> {
                Ok(Nanos(Ok(v)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Nanos, E> {
                Ok(Nanos(u64::try_from(v).map_err(|_| v.to_string())))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Nanos, E> {
                if v.fract() == 0.0 && (0.0..1.8e19).contains(&v) {
                    Ok(Nanos(Ok(v as u64)))
                } else {
                    Ok(Nanos(Err(v.to_string())))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Nanos, E> {
                let t = v.trim();
                if t.is_empty() {
                    return Ok(Nanos(Ok(0)));
                }
                Ok(Nanos(t.parse::<u64>().map_err(|_| v.to_owned())))
            }
            fn visit_unit<E: de::Error>(self) -> Result<Nanos, E> {
                Ok(Nanos(Ok(0)))
            }
        }
        d.deserialize_any(V)
    }
}

/// An enum as its number or its name (`2`, `"SPAN_KIND_SERVER"`).
enum EnumJson {
    Number(i64),
    Name(String),
}

impl<'de> Deserialize<'de> for EnumJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = EnumJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an enum number or name")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<EnumJson, E> {
                Ok(EnumJson::Number(i64::try_from(v).unwrap_or(i64::MAX)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<EnumJson, E> {
                Ok(EnumJson::Number(v))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<EnumJson, E> {
                Ok(match v.trim().parse::<i64>() {
                    Ok(n) => EnumJson::Number(n),
                    Err(_) => EnumJson::Name(v.to_owned()),
                })
            }
        }
        d.deserialize_any(V)
    }
}

/// `intValue`: a number or a decimal string.
struct IntJson(Result<i64, String>);

impl<'de> Deserialize<'de> for IntJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = IntJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("an integer as a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<IntJson, E> {
                Ok(IntJson(i64::try_from(v).map_err(|_| v.to_string())))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<IntJson, E> {
                Ok(IntJson(Ok(v)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<IntJson, E> {
                if v.fract() == 0.0 && v.abs() < 9.2e18 {
                    Ok(IntJson(Ok(v as i64)))
                } else {
                    Ok(IntJson(Err(v.to_string())))
                }
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<IntJson, E> {
                Ok(IntJson(v.trim().parse().map_err(|_| v.to_owned())))
            }
        }
        d.deserialize_any(V)
    }
}

/// `doubleValue`: a number, or `"NaN"`, `"Infinity"`, `"-Infinity"` or a numeric string.
struct DoubleJson(Result<f64, String>);

impl<'de> Deserialize<'de> for DoubleJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = DoubleJson;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a double as a number or a string")
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<DoubleJson, E> {
                Ok(DoubleJson(Ok(v as f64)))
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<DoubleJson, E> {
                Ok(DoubleJson(Ok(v as f64)))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<DoubleJson, E> {
                Ok(DoubleJson(Ok(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<DoubleJson, E> {
                let parsed = match v.trim() {
                    "NaN" => Ok(f64::NAN),
                    "Infinity" | "+Infinity" => Ok(f64::INFINITY),
                    "-Infinity" => Ok(f64::NEG_INFINITY),
                    t => t.parse().map_err(|_| v.to_owned()),
                };
                Ok(DoubleJson(parsed))
            }
        }
        d.deserialize_any(V)
    }
}

// ---------------------------------------------------------------------------------------------
// Conversion to the model

/// Where the text being converted sits in its file, to turn raw-value positions into lines.
struct Ctx<'t> {
    text: &'t str,
    first_line: u64,
    /// In JSON Lines mode every field is on the line itself.
    single_line: bool,
}

impl Ctx<'_> {
    fn line_of(&self, raw: &RawValue) -> u64 {
        if self.single_line {
            return self.first_line;
        }
        let offset = (raw.get().as_ptr() as usize).saturating_sub(self.text.as_ptr() as usize);
        let before = self.text.get(..offset).unwrap_or("");
        self.first_line + before.bytes().filter(|b| *b == b'\n').count() as u64
    }

    fn field(&self, path: String, raw: Option<&RawValue>) -> Location {
        Location::Field {
            path,
            line: Some(raw.map_or(self.first_line, |r| self.line_of(r))),
        }
    }
}

/// The string inside a raw JSON value, or `None` when it is not a string.
fn raw_str(raw: &RawValue) -> Option<Cow<'_, str>> {
    serde_json::from_str::<Cow<'_, str>>(raw.get()).ok()
}

fn convert_value(v: AnyValueJson<'_>) -> AnyValue {
    match v {
        AnyValueJson::String(s) => AnyValue::String(s.into_owned()),
        AnyValueJson::Bool(b) => AnyValue::Bool(b),
        AnyValueJson::Int(i) => match i.0 {
            Ok(i) => AnyValue::Int(i),
            Err(text) => AnyValue::String(text),
        },
        AnyValueJson::Double(d) => match d.0 {
            Ok(d) => AnyValue::Double(d),
            Err(text) => AnyValue::String(text),
        },
        AnyValueJson::Bytes(b) => {
            use base64::Engine as _;
            match base64::engine::general_purpose::STANDARD.decode(b.as_bytes()) {
                Ok(bytes) => AnyValue::Bytes(bytes),
                Err(_) => AnyValue::String(b.into_owned()),
            }
        }
        AnyValueJson::Array(values) => {
            AnyValue::Array(values.into_iter().map(convert_value).collect())
        }
        AnyValueJson::KvList(kvs) => AnyValue::KvList(convert_attrs(Some(kvs))),
        AnyValueJson::Empty => AnyValue::Empty,
    }
}

fn convert_attrs(attrs: Option<Vec<KeyValueJson<'_>>>) -> Vec<KeyValue> {
    attrs
        .unwrap_or_default()
        .into_iter()
        .map(|kv| KeyValue {
            key: kv.key.into_owned(),
            value: kv.value.map_or(AnyValue::Empty, convert_value),
        })
        .collect()
}

fn kind_of(k: Option<EnumJson>) -> Result<SpanKind, String> {
    match k {
        None => Ok(SpanKind::Unspecified),
        Some(EnumJson::Number(n)) => i32::try_from(n)
            .ok()
            .and_then(SpanKind::from_i32)
            .ok_or_else(|| n.to_string()),
        Some(EnumJson::Name(s)) => SpanKind::from_name(&s).ok_or(s),
    }
}

fn status_of(k: Option<EnumJson>) -> Result<StatusCode, String> {
    match k {
        None => Ok(StatusCode::Unset),
        Some(EnumJson::Number(n)) => i32::try_from(n)
            .ok()
            .and_then(StatusCode::from_i32)
            .ok_or_else(|| n.to_string()),
        Some(EnumJson::Name(s)) => StatusCode::from_name(&s).ok_or(s),
    }
}

/// Reads one id field; on failure reports it and returns `None`.
fn read_id<const N: usize>(
    ctx: &Ctx<'_>,
    raw: Option<&RawValue>,
    path: &dyn std::fmt::Display,
    field: &str,
    out: &mut Parsed,
) -> Option<[u8; N]> {
    let Some(raw) = raw else {
        out.diagnostics.push(Diagnostic::error(
            ctx.field(format!("{path}.{field}"), None),
            format!("missing {field}"),
        ));
        return None;
    };
    let text = raw_str(raw);
    match text.as_deref().and_then(decode_id::<N>) {
        Some(id) => Some(id),
        None => {
            let shown = text.map_or_else(|| raw.get().to_owned(), Cow::into_owned);
            out.diagnostics.push(Diagnostic::error(
                ctx.field(format!("{path}.{field}"), Some(raw)),
                format!("invalid {field} '{shown}' (expected {N} bytes as hex or base64)"),
            ));
            None
        }
    }
}

fn convert_span(ctx: &Ctx<'_>, s: SpanJson<'_>, path: &SpanPath, out: &mut Parsed) -> Option<Span> {
    let trace_id = read_id::<16>(ctx, s.trace_id, path, "traceId", out);
    let span_id = read_id::<8>(ctx, s.span_id, path, "spanId", out);
    let parent_span_id = match s.parent_span_id {
        None => None,
        Some(raw) => match raw_str(raw).as_deref().map(decode_parent) {
            Some(Ok(parent)) => parent,
            _ => {
                out.diagnostics.push(Diagnostic::error(
                    ctx.field(format!("{path}.parentSpanId"), Some(raw)),
                    format!("invalid parentSpanId {}", raw.get()),
                ));
                return None;
            }
        },
    };
    let (trace_id, span_id) = (trace_id?, span_id?);
    let here = || ctx.field(path.to_string(), s.trace_id);
    let time = |n: Option<Nanos>, field: &str, out: &mut Parsed| -> Option<u64> {
        match n.map(|n| n.0) {
            None => Some(0),
            Some(Ok(v)) if v <= i64::MAX as u64 => Some(v),
            Some(Ok(v)) => {
                out.diagnostics.push(Diagnostic::error(
                    here(),
                    format!("{field} {v} is out of range"),
                ));
                None
            }
            Some(Err(text)) => {
                out.diagnostics.push(Diagnostic::error(
                    here(),
                    format!("invalid {field} '{text}'"),
                ));
                None
            }
        }
    };
    let start_ns = time(s.start, "startTimeUnixNano", out)?;
    let end_ns = time(s.end, "endTimeUnixNano", out)?;
    let kind = match kind_of(s.kind) {
        Ok(k) => k,
        Err(bad) => {
            out.diagnostics.push(Diagnostic::warning(
                here(),
                format!("unknown span kind '{bad}', stored as unspecified"),
            ));
            SpanKind::Unspecified
        }
    };
    let (status_code, status_message) = match s.status {
        None => (StatusCode::Unset, String::new()),
        Some(st) => {
            let code = match status_of(st.code) {
                Ok(c) => c,
                Err(bad) => {
                    out.diagnostics.push(Diagnostic::warning(
                        here(),
                        format!("unknown status code '{bad}', stored as unset"),
                    ));
                    StatusCode::Unset
                }
            };
            (code, st.message.map(Cow::into_owned).unwrap_or_default())
        }
    };
    let events = s
        .events
        .unwrap_or_default()
        .into_iter()
        .map(|e| SpanEvent {
            time_ns: e.time.and_then(|t| t.0.ok()).unwrap_or(0),
            name: e.name.map(Cow::into_owned).unwrap_or_default(),
            attributes: convert_attrs(e.attributes),
            dropped_attributes_count: e.dropped_attributes_count.unwrap_or(0),
        })
        .collect();
    let mut links = Vec::new();
    for (li, l) in s.links.unwrap_or_default().into_iter().enumerate() {
        let link_path = format!("{path}.links[{li}]");
        let trace = read_id::<16>(ctx, l.trace_id, &link_path, "traceId", out);
        let span = read_id::<8>(ctx, l.span_id, &link_path, "spanId", out);
        let (Some(trace_id), Some(span_id)) = (trace, span) else {
            continue;
        };
        links.push(SpanLink {
            trace_id,
            span_id,
            trace_state: l.trace_state.map(Cow::into_owned).unwrap_or_default(),
            attributes: convert_attrs(l.attributes),
            dropped_attributes_count: l.dropped_attributes_count.unwrap_or(0),
            flags: l.flags.unwrap_or(0),
        });
    }
    Some(Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: s.trace_state.map(Cow::into_owned).unwrap_or_default(),
        flags: s.flags.unwrap_or(0),
        name: s.name.map(Cow::into_owned).unwrap_or_default(),
        kind,
        start_ns,
        end_ns,
        attributes: convert_attrs(s.attributes),
        dropped_attributes_count: s.dropped_attributes_count.unwrap_or(0),
        events,
        dropped_events_count: s.dropped_events_count.unwrap_or(0),
        links,
        dropped_links_count: s.dropped_links_count.unwrap_or(0),
        status_code,
        status_message,
    })
}

fn convert_request(ctx: &Ctx<'_>, req: Request<'_>, out: &mut Parsed) -> DocKind {
    let Some(resource_spans) = req.resource_spans else {
        if req.jaeger_trace_id.is_some() || req.data.is_some() {
            return DocKind::Jaeger;
        }
        if req.resource_metrics.is_some() || req.resource_logs.is_some() {
            return DocKind::NonTrace;
        }
        return DocKind::Unknown;
    };
    out.documents += 1;
    for (ri, rs) in resource_spans.into_iter().enumerate() {
        let resource = rs.resource.map_or_else(Resource::default, |r| Resource {
            attributes: convert_attrs(r.attributes),
            dropped_attributes_count: r.dropped_attributes_count.unwrap_or(0),
            schema_url: rs.schema_url.map(Cow::into_owned).unwrap_or_default(),
        });
        let mut block = ResourceSpans {
            resource,
            scope_spans: Vec::new(),
        };
        for (si, ss) in rs.scope_spans.unwrap_or_default().into_iter().enumerate() {
            let scope = ss.scope.map_or_else(Scope::default, |s| Scope {
                name: s.name.map(Cow::into_owned).unwrap_or_default(),
                version: s.version.map(Cow::into_owned).unwrap_or_default(),
                attributes: convert_attrs(s.attributes),
                dropped_attributes_count: s.dropped_attributes_count.unwrap_or(0),
                schema_url: ss.schema_url.map(Cow::into_owned).unwrap_or_default(),
            });
            let mut spans = Vec::new();
            for (pi, span) in ss.spans.unwrap_or_default().into_iter().enumerate() {
                let path = SpanPath {
                    resource: ri,
                    scope: si,
                    span: pi,
                };
                let anchor = span.span_id.or(span.trace_id);
                if let Some(span) = convert_span(ctx, span, &path, out) {
                    super::warn_anomalies(&span, || ctx.field(path.to_string(), anchor), out);
                    spans.push(span);
                }
            }
            block.scope_spans.push(ScopeSpans { scope, spans });
        }
        out.push_block(block);
    }
    DocKind::Traces
}

/// A serde error as a short message with the column when useful.
pub fn describe_json_error(e: &serde_json::Error, single_line: bool) -> String {
    let text = e.to_string();
    let bare = text
        .rsplit_once(" at line ")
        .map_or(text.as_str(), |(head, _)| head);
    if single_line {
        format!("invalid JSON at column {}: {bare}", e.column())
    } else {
        format!(
            "invalid JSON at line {} column {}: {bare}",
            e.line(),
            e.column()
        )
    }
}

/// Parses one JSON text (a line, or a whole document starting at `first_line`) holding an
/// OTLP request or an array of them. Spans go to `out`; problems inside become diagnostics.
/// Returns what kind of document it was, or the JSON error.
pub fn parse_text(
    text: &str,
    first_line: u64,
    single_line: bool,
    out: &mut Parsed,
) -> Result<DocKind, serde_json::Error> {
    let ctx = Ctx {
        text,
        first_line,
        single_line,
    };
    let trimmed = text.trim_start();
    if trimmed.starts_with('[') {
        let items: Vec<&RawValue> = serde_json::from_str(text)?;
        let mut kind = DocKind::Unknown;
        for item in items {
            let req: Request<'_> = serde_json::from_str(item.get())?;
            let this = convert_request(&ctx, req, out);
            if kind != DocKind::Traces {
                kind = this;
            }
        }
        Ok(kind)
    } else {
        let req: Request<'_> = serde_json::from_str(text)?;
        Ok(convert_request(&ctx, req, out))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The attributes of the one span in a JSON line whose span has `attributes`.
    fn span_attributes(attributes: &str) -> Vec<KeyValue> {
        let line = format!(
            r#"{{"resourceSpans":[{{"scopeSpans":[{{"spans":[{{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","name":"s","startTimeUnixNano":"1","endTimeUnixNano":"2","attributes":{attributes}}}]}}]}}]}}"#
        );
        let mut out = Parsed::default();
        let kind = parse_text(&line, 1, true, &mut out);
        assert!(matches!(kind, Ok(DocKind::Traces)), "{kind:?}");
        assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
        let Some(span) = out
            .blocks
            .into_iter()
            .flat_map(|b| b.scope_spans)
            .flat_map(|s| s.spans)
            .next()
        else {
            panic!("no span parsed");
        };
        span.attributes
    }

    fn value_of<'a>(attrs: &'a [KeyValue], key: &str) -> &'a AnyValue {
        let Some(kv) = attrs.iter().find(|kv| kv.key == key) else {
            panic!("no attribute {key}");
        };
        &kv.value
    }

    #[test]
    fn attribute_values_in_every_spelling() {
        let attrs = span_attributes(
            r#"[
            {"key":"s","value":{"stringValue":"x"}},
            {"key":"snake","value":{"string_value":"y"}},
            {"key":"escaped","value":{"stringValue":"a\"b\u00e9"}},
            {"key":"int_text","value":{"intValue":"42"}},
            {"key":"int_big","value":{"intValue":"9223372036854775808"}},
            {"key":"double_nan","value":{"doubleValue":"NaN"}},
            {"key":"bytes","value":{"bytesValue":"AQID"}},
            {"key":"arr","value":{"arrayValue":{"values":[{"intValue":1},{"boolValue":false}]}}},
            {"key":"kv","value":{"kvlistValue":{"values":[{"key":"a","value":{"boolValue":true}}]}}},
            {"key":"empty","value":{}},
            {"key":"missing"},
            {"key":"unknown","value":{"futureValue":{"x":1}}}
        ]"#,
        );
        assert_eq!(value_of(&attrs, "s"), &AnyValue::String("x".into()));
        assert_eq!(value_of(&attrs, "snake"), &AnyValue::String("y".into()));
        assert_eq!(
            value_of(&attrs, "escaped"),
            &AnyValue::String("a\"bé".into())
        );
        assert_eq!(value_of(&attrs, "int_text"), &AnyValue::Int(42));
        assert_eq!(
            value_of(&attrs, "int_big"),
            &AnyValue::String("9223372036854775808".into())
        );
        assert!(matches!(value_of(&attrs, "double_nan"), AnyValue::Double(d) if d.is_nan()));
        assert_eq!(value_of(&attrs, "bytes"), &AnyValue::Bytes(vec![1, 2, 3]));
        assert_eq!(
            value_of(&attrs, "arr"),
            &AnyValue::Array(vec![AnyValue::Int(1), AnyValue::Bool(false)])
        );
        assert_eq!(
            value_of(&attrs, "kv"),
            &AnyValue::KvList(vec![KeyValue::new("a", AnyValue::Bool(true))])
        );
        for key in ["empty", "missing", "unknown"] {
            assert_eq!(value_of(&attrs, key), &AnyValue::Empty, "{key}");
        }
    }

    #[test]
    fn a_value_with_several_kinds_keeps_the_first_in_field_order_and_skips_nulls() {
        let attrs = span_attributes(
            r#"[
            {"key":"int_then_string","value":{"intValue":"5","stringValue":"z"}},
            {"key":"null_string","value":{"stringValue":null,"boolValue":true}},
            {"key":"all_null","value":{"stringValue":null,"intValue":null}}
        ]"#,
        );
        assert_eq!(
            value_of(&attrs, "int_then_string"),
            &AnyValue::String("z".into())
        );
        assert_eq!(value_of(&attrs, "null_string"), &AnyValue::Bool(true));
        assert_eq!(value_of(&attrs, "all_null"), &AnyValue::Empty);
    }

    #[test]
    fn a_value_that_is_no_object_is_reported_not_guessed() {
        let line = r#"{"resourceSpans":[{"scopeSpans":[{"spans":[{"traceId":"0102030405060708090a0b0c0d0e0f10","spanId":"0102030405060708","attributes":[{"key":"k","value":"plain"}]}]}]}]}"#;
        let mut out = Parsed::default();
        let Err(e) = parse_text(line, 7, true, &mut out) else {
            panic!("a bare string value must not parse");
        };
        let message = describe_json_error(&e, true);
        assert!(message.contains("AnyValue"), "{message}");
    }
}
