//! Property test: random spans written as OTLP/JSON and as OTLP protobuf read back identical,
//! whatever their attributes, events, links, ids and times (including nanos above 2^53).

use proptest::prelude::*;
use tracedeck::encode::{otlp_json, otlp_proto};
use tracedeck::ingest::{decode_otlp_json_text, decode_otlp_proto};
use tracedeck::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    SpanLink, StatusCode,
};

fn leaf_value() -> impl Strategy<Value = AnyValue> {
    prop_oneof![
        ".{0,20}".prop_map(AnyValue::String),
        any::<bool>().prop_map(AnyValue::Bool),
        any::<i64>().prop_map(AnyValue::Int),
        // NaN never equals itself; finite doubles and infinities must survive exactly.
        prop_oneof![
            (-1e300f64..1e300).boxed(),
            Just(f64::INFINITY).boxed(),
            Just(f64::NEG_INFINITY).boxed()
        ]
        .prop_map(AnyValue::Double),
        prop::collection::vec(any::<u8>(), 0..12).prop_map(AnyValue::Bytes),
        Just(AnyValue::Empty),
    ]
}

fn any_value() -> impl Strategy<Value = AnyValue> {
    leaf_value().prop_recursive(2, 12, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(AnyValue::Array),
            prop::collection::vec(("[a-z.]{1,8}", inner), 0..4).prop_map(|kvs| {
                AnyValue::KvList(kvs.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect())
            }),
        ]
    })
}

fn attributes() -> impl Strategy<Value = Vec<KeyValue>> {
    prop::collection::vec(("[a-z_.]{1,16}", any_value()), 0..6)
        .prop_map(|kvs| kvs.into_iter().map(|(k, v)| KeyValue::new(k, v)).collect())
}

/// Times up to i64::MAX (what the store can hold), often above 2^53.
fn nanos() -> impl Strategy<Value = u64> {
    prop_oneof![0u64..=i64::MAX as u64, (1u64 << 53)..(1u64 << 62)]
}

fn span() -> impl Strategy<Value = Span> {
    (
        (
            any::<[u8; 16]>(),
            any::<[u8; 8]>(),
            any::<Option<[u8; 8]>>(),
        ),
        (".{0,24}", 0usize..6, nanos(), nanos()),
        attributes(),
        prop::collection::vec((nanos(), "[a-z ]{0,10}", attributes()), 0..3),
        prop::collection::vec(
            (
                any::<[u8; 16]>(),
                any::<[u8; 8]>(),
                attributes(),
                any::<u32>(),
            ),
            0..3,
        ),
        (0i32..3, ".{0,16}", any::<u32>(), "[a-z=,]{0,12}"),
    )
        .prop_map(
            |(
                (trace_id, span_id, parent),
                (name, kind, start, end),
                attrs,
                events,
                links,
                status,
            )| {
                Span {
                    trace_id,
                    span_id,
                    parent_span_id: parent,
                    trace_state: status.3,
                    flags: status.2,
                    name,
                    kind: SpanKind::from_i32(kind as i32).unwrap_or_default(),
                    start_ns: start,
                    end_ns: end,
                    attributes: attrs,
                    dropped_attributes_count: 0,
                    events: events
                        .into_iter()
                        .map(|(t, name, attributes)| SpanEvent {
                            time_ns: t,
                            name,
                            attributes,
                            dropped_attributes_count: 0,
                        })
                        .collect(),
                    dropped_events_count: 0,
                    links: links
                        .into_iter()
                        .map(|(trace_id, span_id, attributes, flags)| SpanLink {
                            trace_id,
                            span_id,
                            trace_state: String::new(),
                            attributes,
                            dropped_attributes_count: 0,
                            flags,
                        })
                        .collect(),
                    dropped_links_count: 0,
                    status_code: StatusCode::from_i32(status.0).unwrap_or_default(),
                    status_message: status.1,
                }
            },
        )
}

fn blocks() -> impl Strategy<Value = Vec<ResourceSpans>> {
    prop::collection::vec(
        (
            attributes(),
            prop::collection::vec(
                (
                    "[a-z.]{0,10}",
                    "[0-9.]{0,6}",
                    attributes(),
                    prop::collection::vec(span(), 1..4),
                ),
                1..3,
            ),
        ),
        1..3,
    )
    .prop_map(|resources| {
        resources
            .into_iter()
            .map(|(attrs, scopes)| ResourceSpans {
                resource: Resource {
                    attributes: attrs,
                    ..Resource::default()
                },
                scope_spans: scopes
                    .into_iter()
                    .map(|(name, version, attributes, spans)| ScopeSpans {
                        scope: Scope {
                            name,
                            version,
                            attributes,
                            ..Scope::default()
                        },
                        spans,
                    })
                    .collect(),
            })
            .collect()
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn otlp_json_round_trips(original in blocks()) {
        let text = otlp_json::request_string(&original);
        let (read, diagnostics) = decode_otlp_json_text(&text).map_err(TestCaseError::fail)?;
        prop_assert!(diagnostics.iter().all(|d| d.severity == tracedeck::ingest::Severity::Warning), "{diagnostics:?}");
        prop_assert_eq!(read, original);
    }

    #[test]
    fn otlp_protobuf_round_trips(original in blocks()) {
        let bytes = otlp_proto::encode_request(&original);
        let (read, diagnostics) = decode_otlp_proto(&bytes).map_err(TestCaseError::fail)?;
        prop_assert!(diagnostics.iter().all(|d| d.severity == tracedeck::ingest::Severity::Warning), "{diagnostics:?}");
        prop_assert_eq!(read, original);
    }
}
