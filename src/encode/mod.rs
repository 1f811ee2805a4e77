//! Encoders from the span model back to OTLP bytes: OTLP/JSON as the OpenTelemetry Collector's
//! file exporter writes it (one `ExportTraceServiceRequest` per line) and OTLP protobuf (a single
//! message, or the file exporter's `format: proto` length-prefixed framing). Both keep every model
//! field, so reading the output back yields the same model values. Used by the sample generator,
//! the `export` command and round-trip tests.

pub mod otlp_json;
pub mod otlp_proto;
