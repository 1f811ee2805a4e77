//! OTLP protobuf: one `ExportTraceServiceRequest` decoded with prost (opentelemetry-proto's
//! generated types) and mapped onto the model. Ids of the wrong length are reported, not stored.

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as pc;
use opentelemetry_proto::tonic::trace::v1 as pt;
use prost::Message as _;

use super::diagnostics::{Diagnostic, Location, SpanPath};
use super::parsed::Parsed;
use crate::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    SpanLink, StatusCode,
};

/// Decodes a protobuf message; `None` with no diagnostics when it is not one.
pub fn decode(bytes: &[u8]) -> Result<ExportTraceServiceRequest, prost::DecodeError> {
    ExportTraceServiceRequest::decode(bytes)
}

fn convert_value(v: pc::AnyValue) -> AnyValue {
    use pc::any_value::Value;
    match v.value {
        None => AnyValue::Empty,
        Some(Value::StringValue(s)) => AnyValue::String(s),
        Some(Value::BoolValue(b)) => AnyValue::Bool(b),
        Some(Value::IntValue(i)) => AnyValue::Int(i),
        Some(Value::DoubleValue(d)) => AnyValue::Double(d),
        Some(Value::BytesValue(b)) => AnyValue::Bytes(b),
        Some(Value::ArrayValue(a)) => {
            AnyValue::Array(a.values.into_iter().map(convert_value).collect())
        }
        Some(Value::KvlistValue(kv)) => AnyValue::KvList(convert_attrs(kv.values)),
        #[allow(unreachable_patterns)]
        Some(_) => AnyValue::Empty,
    }
}

fn convert_attrs(attrs: Vec<pc::KeyValue>) -> Vec<KeyValue> {
    attrs
        .into_iter()
        .map(|kv| KeyValue {
            key: kv.key,
            value: kv.value.map_or(AnyValue::Empty, convert_value),
        })
        .collect()
}

fn fixed<const N: usize>(bytes: &[u8]) -> Option<[u8; N]> {
    bytes.try_into().ok()
}

/// Maps a decoded request onto the model; `at` locates the message in its file.
pub fn convert(req: ExportTraceServiceRequest, at: &Location, out: &mut Parsed) {
    out.documents += 1;
    let field = |path: String| match at {
        Location::Frame { frame, offset } => Location::Field {
            path: format!("frame {frame} at byte {offset}: {path}"),
            line: None,
        },
        _ => Location::Field { path, line: None },
    };
    for (ri, rs) in req.resource_spans.into_iter().enumerate() {
        let resource = rs.resource.map_or_else(Resource::default, |r| Resource {
            attributes: convert_attrs(r.attributes),
            dropped_attributes_count: r.dropped_attributes_count,
            schema_url: rs.schema_url.clone(),
        });
        let mut block = ResourceSpans {
            resource,
            scope_spans: Vec::new(),
        };
        for (si, ss) in rs.scope_spans.into_iter().enumerate() {
            let scope = ss.scope.map_or_else(Scope::default, |s| Scope {
                name: s.name,
                version: s.version,
                attributes: convert_attrs(s.attributes),
                dropped_attributes_count: s.dropped_attributes_count,
                schema_url: ss.schema_url.clone(),
            });
            let mut spans = Vec::with_capacity(ss.spans.len());
            for (pi, s) in ss.spans.into_iter().enumerate() {
                let path = SpanPath {
                    resource: ri,
                    scope: si,
                    span: pi,
                };
                if let Some(span) = convert_span(s, &path, &field, out) {
                    super::warn_anomalies(&span, || field(path.to_string()), out);
                    spans.push(span);
                }
            }
            block.scope_spans.push(ScopeSpans { scope, spans });
        }
        out.push_block(block);
    }
}

fn convert_span(
    s: pt::Span,
    path: &SpanPath,
    field: &dyn Fn(String) -> Location,
    out: &mut Parsed,
) -> Option<Span> {
    let hex = |b: &[u8]| crate::model::hex_lower(b);
    let Some(trace_id) = fixed::<16>(&s.trace_id) else {
        out.diagnostics.push(Diagnostic::error(
            field(format!("{path}.traceId")),
            format!(
                "invalid traceId '{}' ({} bytes, expected 16)",
                hex(&s.trace_id),
                s.trace_id.len()
            ),
        ));
        return None;
    };
    let Some(span_id) = fixed::<8>(&s.span_id) else {
        out.diagnostics.push(Diagnostic::error(
            field(format!("{path}.spanId")),
            format!(
                "invalid spanId '{}' ({} bytes, expected 8)",
                hex(&s.span_id),
                s.span_id.len()
            ),
        ));
        return None;
    };
    let parent_span_id = if s.parent_span_id.is_empty() {
        None
    } else if let Some(p) = fixed::<8>(&s.parent_span_id) {
        Some(p)
    } else {
        out.diagnostics.push(Diagnostic::error(
            field(format!("{path}.parentSpanId")),
            format!("invalid parentSpanId '{}'", hex(&s.parent_span_id)),
        ));
        return None;
    };
    for (field_name, v) in [
        ("startTimeUnixNano", s.start_time_unix_nano),
        ("endTimeUnixNano", s.end_time_unix_nano),
    ] {
        if v > i64::MAX as u64 {
            out.diagnostics.push(Diagnostic::error(
                field(path.to_string()),
                format!("{field_name} {v} is out of range"),
            ));
            return None;
        }
    }
    let mut links = Vec::with_capacity(s.links.len());
    for (li, l) in s.links.into_iter().enumerate() {
        match (fixed::<16>(&l.trace_id), fixed::<8>(&l.span_id)) {
            (Some(trace_id), Some(span_id)) => links.push(SpanLink {
                trace_id,
                span_id,
                trace_state: l.trace_state,
                attributes: convert_attrs(l.attributes),
                dropped_attributes_count: l.dropped_attributes_count,
                flags: l.flags,
            }),
            _ => out.diagnostics.push(Diagnostic::error(
                field(format!("{path}.links[{li}]")),
                "invalid link ids".to_owned(),
            )),
        }
    }
    let (status_code, status_message) = s.status.map_or((StatusCode::Unset, String::new()), |st| {
        (
            StatusCode::from_i32(st.code).unwrap_or_default(),
            st.message,
        )
    });
    Some(Span {
        trace_id,
        span_id,
        parent_span_id,
        trace_state: s.trace_state,
        flags: s.flags,
        name: s.name,
        kind: SpanKind::from_i32(s.kind).unwrap_or_default(),
        start_ns: s.start_time_unix_nano,
        end_ns: s.end_time_unix_nano,
        attributes: convert_attrs(s.attributes),
        dropped_attributes_count: s.dropped_attributes_count,
        events: s
            .events
            .into_iter()
            .map(|e| SpanEvent {
                time_ns: e.time_unix_nano,
                name: e.name,
                attributes: convert_attrs(e.attributes),
                dropped_attributes_count: e.dropped_attributes_count,
            })
            .collect(),
        dropped_events_count: s.dropped_events_count,
        links,
        dropped_links_count: s.dropped_links_count,
        status_code,
        status_message,
    })
}
