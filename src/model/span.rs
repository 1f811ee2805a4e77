//! The span model, shaped like OTLP's `ResourceSpans -> ScopeSpans -> Span` so every input
//! format (OTLP JSON, OTLP protobuf, Jaeger JSON) maps onto it without loss.

use super::ids::{SpanId, TraceId};

/// An attribute value, as OTLP's `AnyValue`.
#[derive(Clone, Debug, PartialEq)]
pub enum AnyValue {
    String(String),
    Bool(bool),
    Int(i64),
    Double(f64),
    Bytes(Vec<u8>),
    Array(Vec<AnyValue>),
    KvList(Vec<KeyValue>),
    /// A value with none of the variants set.
    Empty,
}

impl AnyValue {
    /// The value as a string when it is one.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            AnyValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as an integer: ints, and strings or doubles that hold a whole number.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            AnyValue::Int(i) => Some(*i),
            AnyValue::Double(d) if d.fract() == 0.0 && d.is_finite() => Some(*d as i64),
            AnyValue::String(s) => s.trim().parse().ok(),
            _ => None,
        }
    }
}

/// One attribute.
#[derive(Clone, Debug, PartialEq)]
pub struct KeyValue {
    pub key: String,
    pub value: AnyValue,
}

impl KeyValue {
    pub fn new(key: impl Into<String>, value: AnyValue) -> Self {
        Self {
            key: key.into(),
            value,
        }
    }
}

/// What produced the spans: a service instance and its attributes.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Resource {
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
}

impl Resource {
    /// The `service.name` attribute, or `"unknown"` when there is none.
    pub fn service_name(&self) -> &str {
        self.attributes
            .iter()
            .find(|kv| kv.key == "service.name")
            .and_then(|kv| kv.value.as_str())
            .unwrap_or("unknown")
    }
}

/// The instrumentation scope (library) that recorded the spans.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Scope {
    pub name: String,
    pub version: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub schema_url: String,
}

/// OTLP span kind; numbers as in the protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum SpanKind {
    #[default]
    Unspecified = 0,
    Internal = 1,
    Server = 2,
    Client = 3,
    Producer = 4,
    Consumer = 5,
}

impl SpanKind {
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            0 => Self::Unspecified,
            1 => Self::Internal,
            2 => Self::Server,
            3 => Self::Client,
            4 => Self::Producer,
            5 => Self::Consumer,
            _ => return None,
        })
    }

    /// Accepts `SPAN_KIND_SERVER`, `SERVER` and `server`.
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim();
        let n = n.strip_prefix("SPAN_KIND_").unwrap_or(n);
        Some(match n.to_ascii_uppercase().as_str() {
            "UNSPECIFIED" => Self::Unspecified,
            "INTERNAL" => Self::Internal,
            "SERVER" => Self::Server,
            "CLIENT" => Self::Client,
            "PRODUCER" => Self::Producer,
            "CONSUMER" => Self::Consumer,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unspecified => "unspecified",
            Self::Internal => "internal",
            Self::Server => "server",
            Self::Client => "client",
            Self::Producer => "producer",
            Self::Consumer => "consumer",
        }
    }
}

/// OTLP status code; numbers as in the protocol.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub enum StatusCode {
    #[default]
    Unset = 0,
    Ok = 1,
    Error = 2,
}

impl StatusCode {
    pub fn from_i32(v: i32) -> Option<Self> {
        Some(match v {
            0 => Self::Unset,
            1 => Self::Ok,
            2 => Self::Error,
            _ => return None,
        })
    }

    /// Accepts `STATUS_CODE_ERROR`, `ERROR` and `error`.
    pub fn from_name(name: &str) -> Option<Self> {
        let n = name.trim();
        let n = n.strip_prefix("STATUS_CODE_").unwrap_or(n);
        Some(match n.to_ascii_uppercase().as_str() {
            "UNSET" => Self::Unset,
            "OK" => Self::Ok,
            "ERROR" => Self::Error,
            _ => return None,
        })
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Unset => "unset",
            Self::Ok => "ok",
            Self::Error => "error",
        }
    }
}

/// A timed event on a span (exceptions, messages, evaluation results...).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanEvent {
    pub time_ns: u64,
    pub name: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
}

/// A link from a span to another span, possibly in another trace.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SpanLink {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub trace_state: String,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub flags: u32,
}

/// One span.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Span {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// `None` for a root span (absent or empty parent id).
    pub parent_span_id: Option<SpanId>,
    pub trace_state: String,
    pub flags: u32,
    pub name: String,
    pub kind: SpanKind,
    pub start_ns: u64,
    pub end_ns: u64,
    pub attributes: Vec<KeyValue>,
    pub dropped_attributes_count: u32,
    pub events: Vec<SpanEvent>,
    pub dropped_events_count: u32,
    pub links: Vec<SpanLink>,
    pub dropped_links_count: u32,
    pub status_code: StatusCode,
    pub status_message: String,
}

impl Span {
    /// Duration in nanoseconds; negative when the span ends before it starts (clock skew).
    pub fn dur_ns(&self) -> i64 {
        (i128::from(self.end_ns) - i128::from(self.start_ns))
            .clamp(i128::from(i64::MIN), i128::from(i64::MAX)) as i64
    }

    /// The first attribute with this key.
    pub fn attr(&self, key: &str) -> Option<&AnyValue> {
        self.attributes
            .iter()
            .find(|kv| kv.key == key)
            .map(|kv| &kv.value)
    }
}

/// Spans recorded by one scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ScopeSpans {
    pub scope: Scope,
    pub spans: Vec<Span>,
}

/// Spans of one resource, grouped by scope.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResourceSpans {
    pub resource: Resource,
    pub scope_spans: Vec<ScopeSpans>,
}

impl ResourceSpans {
    pub fn span_count(&self) -> usize {
        self.scope_spans.iter().map(|s| s.spans.len()).sum()
    }
}
