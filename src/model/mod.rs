//! Plain data shared by every layer: spans, their resources and scopes, attribute values, ids,
//! and the facts derived from a span that views filter and group on.

mod derived;
pub mod error_class;
mod ids;
mod span;

pub use derived::{Anomalies, SpanFacts};
pub use ids::{SpanId, TraceId, hex_lower};
pub use span::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    SpanLink, StatusCode,
};
