//! Model -> OTLP protobuf: the `ExportTraceServiceRequest` message (opentelemetry-proto's prost
//! types), its encoded bytes, and the Collector file exporter's `format: proto` framing (each
//! message preceded by its length as a 4-byte big-endian integer). Lossless for every model field:
//! a root span has an empty `parent_span_id`, `AnyValue::Empty` is an `AnyValue` with no value set.

use std::io::{self, Write};

use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1 as pc;
use opentelemetry_proto::tonic::resource::v1 as pr;
use opentelemetry_proto::tonic::trace::v1 as pt;
use prost::Message as _;

use crate::model::{AnyValue, KeyValue, ResourceSpans, ScopeSpans, Span, SpanEvent, SpanLink};

/// The request as prost message.
pub fn request_proto(blocks: &[ResourceSpans]) -> ExportTraceServiceRequest {
    ExportTraceServiceRequest {
        resource_spans: blocks.iter().map(block).collect(),
    }
}

/// The request's protobuf bytes.
pub fn encode_request(blocks: &[ResourceSpans]) -> Vec<u8> {
    request_proto(blocks).encode_to_vec()
}

/// Writes one length-prefixed message (4-byte big-endian length, then the bytes), as the
/// Collector's file exporter does with `format: proto`.
pub fn write_framed(w: &mut impl Write, blocks: &[ResourceSpans]) -> io::Result<()> {
    let bytes = encode_request(blocks);
    let len = u32::try_from(bytes.len()).map_err(|_| {
        io::Error::new(
            io::ErrorKind::InvalidInput,
            "OTLP message larger than 4 GiB cannot be framed",
        )
    })?;
    w.write_all(&len.to_be_bytes())?;
    w.write_all(&bytes)
}

fn block(b: &ResourceSpans) -> pt::ResourceSpans {
    pt::ResourceSpans {
        resource: Some(pr::Resource {
            attributes: attrs(&b.resource.attributes),
            dropped_attributes_count: b.resource.dropped_attributes_count,
            ..Default::default()
        }),
        scope_spans: b.scope_spans.iter().map(scope_block).collect(),
        schema_url: b.resource.schema_url.clone(),
    }
}

fn scope_block(s: &ScopeSpans) -> pt::ScopeSpans {
    pt::ScopeSpans {
        scope: Some(pc::InstrumentationScope {
            name: s.scope.name.clone(),
            version: s.scope.version.clone(),
            attributes: attrs(&s.scope.attributes),
            dropped_attributes_count: s.scope.dropped_attributes_count,
        }),
        spans: s.spans.iter().map(span).collect(),
        schema_url: s.scope.schema_url.clone(),
    }
}

fn span(s: &Span) -> pt::Span {
    pt::Span {
        trace_id: s.trace_id.to_vec(),
        span_id: s.span_id.to_vec(),
        trace_state: s.trace_state.clone(),
        parent_span_id: s.parent_span_id.map(|p| p.to_vec()).unwrap_or_default(),
        flags: s.flags,
        name: s.name.clone(),
        kind: s.kind as i32,
        start_time_unix_nano: s.start_ns,
        end_time_unix_nano: s.end_ns,
        attributes: attrs(&s.attributes),
        dropped_attributes_count: s.dropped_attributes_count,
        events: s.events.iter().map(event).collect(),
        dropped_events_count: s.dropped_events_count,
        links: s.links.iter().map(link).collect(),
        dropped_links_count: s.dropped_links_count,
        status: Some(pt::Status {
            message: s.status_message.clone(),
            code: s.status_code as i32,
        }),
    }
}

fn event(e: &SpanEvent) -> pt::span::Event {
    pt::span::Event {
        time_unix_nano: e.time_ns,
        name: e.name.clone(),
        attributes: attrs(&e.attributes),
        dropped_attributes_count: e.dropped_attributes_count,
    }
}

fn link(l: &SpanLink) -> pt::span::Link {
    pt::span::Link {
        trace_id: l.trace_id.to_vec(),
        span_id: l.span_id.to_vec(),
        trace_state: l.trace_state.clone(),
        attributes: attrs(&l.attributes),
        dropped_attributes_count: l.dropped_attributes_count,
        flags: l.flags,
    }
}

fn attrs(kvs: &[KeyValue]) -> Vec<pc::KeyValue> {
    kvs.iter().map(kv).collect()
}

fn kv(k: &KeyValue) -> pc::KeyValue {
    pc::KeyValue {
        key: k.key.clone(),
        value: Some(any(&k.value)),
        ..Default::default()
    }
}

fn any(v: &AnyValue) -> pc::AnyValue {
    use pc::any_value::Value as V;
    let value = match v {
        AnyValue::String(s) => Some(V::StringValue(s.clone())),
        AnyValue::Bool(b) => Some(V::BoolValue(*b)),
        AnyValue::Int(i) => Some(V::IntValue(*i)),
        AnyValue::Double(d) => Some(V::DoubleValue(*d)),
        AnyValue::Bytes(b) => Some(V::BytesValue(b.clone())),
        AnyValue::Array(items) => Some(V::ArrayValue(pc::ArrayValue {
            values: items.iter().map(any).collect(),
        })),
        AnyValue::KvList(kvs) => Some(V::KvlistValue(pc::KeyValueList { values: attrs(kvs) })),
        AnyValue::Empty => None,
    };
    pc::AnyValue { value }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{Resource, Scope, SpanKind, StatusCode};

    fn block_with(n: usize) -> ResourceSpans {
        let spans = (0..n)
            .map(|i| Span {
                trace_id: [7; 16],
                span_id: [i as u8 + 1; 8],
                parent_span_id: (i > 0).then_some([1; 8]),
                name: format!("execute_tool step_{i}"),
                kind: SpanKind::Internal,
                start_ns: 10 + i as u64,
                end_ns: 20 + i as u64,
                attributes: vec![
                    KeyValue::new("x", AnyValue::Double(f64::NAN)),
                    KeyValue::new("e", AnyValue::Empty),
                ],
                status_code: StatusCode::Ok,
                ..Span::default()
            })
            .collect();
        ResourceSpans {
            resource: Resource {
                attributes: vec![KeyValue::new("service.name", AnyValue::String("a".into()))],
                ..Resource::default()
            },
            scope_spans: vec![ScopeSpans {
                scope: Scope {
                    name: "s".into(),
                    schema_url: "u".into(),
                    ..Scope::default()
                },
                spans,
            }],
        }
    }

    #[test]
    fn framed_has_big_endian_length_prefix() -> anyhow::Result<()> {
        let blocks = [block_with(3)];
        let mut out = Vec::new();
        write_framed(&mut out, &blocks)?;
        write_framed(&mut out, &[block_with(1)])?;
        let first_len = u32::from_be_bytes([out[0], out[1], out[2], out[3]]) as usize;
        let body = &out[4..4 + first_len];
        assert_eq!(body, encode_request(&blocks).as_slice());
        // NaN != NaN, so compare the re-encoded bytes rather than the messages.
        let decoded = ExportTraceServiceRequest::decode(body)?;
        assert_eq!(decoded.encode_to_vec(), body);
        assert_eq!(decoded.resource_spans[0].scope_spans[0].spans.len(), 3);
        let rest = &out[4 + first_len..];
        let second_len = u32::from_be_bytes([rest[0], rest[1], rest[2], rest[3]]) as usize;
        assert_eq!(rest.len(), 4 + second_len);
        Ok(())
    }

    #[test]
    fn roots_have_empty_parent_and_empty_values_have_no_variant() {
        let req = request_proto(&[block_with(2)]);
        let spans = &req.resource_spans[0].scope_spans[0].spans;
        assert!(spans[0].parent_span_id.is_empty());
        assert_eq!(spans[1].parent_span_id, vec![1; 8]);
        assert_eq!(
            spans[0].attributes[1].value,
            Some(pc::AnyValue { value: None })
        );
        assert_eq!(req.resource_spans[0].scope_spans[0].schema_url, "u");
    }
}
