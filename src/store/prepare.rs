//! Turning parsed spans into rows ready to insert: attribute JSON, derived facts, anomaly flags
//! and resource/scope fingerprints. Pure and connection-free, so import workers do it in
//! parallel and the single writer thread only binds and steps statements.

use super::attrs_json::attributes_to_json;
use crate::model::error_class::{ErrorClass, classify_span};
use crate::model::{Anomalies, Resource, ResourceSpans, Scope, Span, SpanFacts};

/// A span with its stored columns computed.
#[derive(Debug)]
pub struct PreparedSpan {
    pub span: Span,
    pub attributes_json: String,
    pub facts: SpanFacts,
    pub anomalies: Anomalies,
    /// `spans.error_class`: see [`crate::model::error_class`].
    pub error_class: ErrorClass,
    /// `spans.validation_candidate`: see [`is_validation_candidate`].
    pub validation_candidate: bool,
    pub event_attributes_json: Vec<String>,
    pub link_attributes_json: Vec<String>,
}

#[derive(Debug)]
pub struct PreparedScope {
    pub scope: Scope,
    pub attributes_json: String,
    pub fingerprint: Vec<u8>,
    pub spans: Vec<PreparedSpan>,
}

/// The spans of one resource, ready for [`super::SpanWriter::write_prepared`].
#[derive(Debug)]
pub struct PreparedBlock {
    pub resource: Resource,
    pub service: String,
    pub attributes_json: String,
    pub fingerprint: Vec<u8>,
    pub scopes: Vec<PreparedScope>,
}

impl PreparedBlock {
    pub fn span_count(&self) -> usize {
        self.scopes.iter().map(|s| s.spans.len()).sum()
    }
}

fn resource_fingerprint(resource: &Resource, attributes_json: &str) -> Vec<u8> {
    let mut fp = Vec::with_capacity(attributes_json.len() + resource.schema_url.len() + 8);
    fp.extend_from_slice(resource.schema_url.as_bytes());
    fp.push(0);
    fp.extend_from_slice(&resource.dropped_attributes_count.to_le_bytes());
    fp.extend_from_slice(attributes_json.as_bytes());
    fp
}

fn scope_fingerprint(scope: &Scope, attributes_json: &str) -> Vec<u8> {
    let mut fp = Vec::new();
    for part in [&scope.name, &scope.version, &scope.schema_url] {
        fp.extend_from_slice(part.as_bytes());
        fp.push(0);
    }
    fp.extend_from_slice(&scope.dropped_attributes_count.to_le_bytes());
    fp.extend_from_slice(attributes_json.as_bytes());
    fp
}

/// Whether a span carries something `analysis::validation` checks: a declared output type or
/// response format, tool-call arguments, an evaluation result, or a validation record (an
/// attribute or event). A cheap text test on the stored JSON (`alidation` matches `validation`
/// and `Validation`); the analysis decides. The migration that added the column applies the
/// same test in SQL to spans stored before (`failure_queries::flag_validation_candidates`).
pub fn is_validation_candidate<'a>(
    attributes_json: &str,
    events: impl IntoIterator<Item = (&'a str, &'a str)>,
) -> bool {
    let attrs = attributes_json.contains("\"gen_ai.output.type\"")
        || attributes_json.contains("response_format")
        || attributes_json.contains("arguments")
        || attributes_json.contains("alidation");
    attrs
        || events.into_iter().any(|(name, json)| {
            name == "gen_ai.evaluation.result"
                || name.contains("alidation")
                || json.contains("alidation")
                || json.contains("arguments")
        })
}

/// Computes the stored columns of every span of `blocks`.
pub fn prepare_blocks(blocks: Vec<ResourceSpans>) -> Vec<PreparedBlock> {
    blocks
        .into_iter()
        .map(|block| {
            let attributes_json = attributes_to_json(&block.resource.attributes);
            let fingerprint = resource_fingerprint(&block.resource, &attributes_json);
            let service = block.resource.service_name().to_owned();
            let scopes = block
                .scope_spans
                .into_iter()
                .map(|ss| {
                    let scope_json = attributes_to_json(&ss.scope.attributes);
                    PreparedScope {
                        fingerprint: scope_fingerprint(&ss.scope, &scope_json),
                        attributes_json: scope_json,
                        scope: ss.scope,
                        spans: ss
                            .spans
                            .into_iter()
                            .map(|mut span| {
                                let facts = SpanFacts::of(&span, &block.resource);
                                let error_class = classify_span(&span, facts.http_status).class;
                                let attributes_json = attributes_to_json(&span.attributes);
                                // The attributes live on as JSON; drop the parsed copy early.
                                span.attributes = Vec::new();
                                let event_attributes_json: Vec<String> = span
                                    .events
                                    .iter()
                                    .map(|e| attributes_to_json(&e.attributes))
                                    .collect();
                                let validation_candidate = is_validation_candidate(
                                    &attributes_json,
                                    span.events
                                        .iter()
                                        .zip(&event_attributes_json)
                                        .map(|(e, json)| (e.name.as_str(), json.as_str())),
                                );
                                PreparedSpan {
                                    anomalies: Anomalies::of(&span),
                                    error_class,
                                    validation_candidate,
                                    event_attributes_json,
                                    link_attributes_json: span
                                        .links
                                        .iter()
                                        .map(|l| attributes_to_json(&l.attributes))
                                        .collect(),
                                    attributes_json,
                                    facts,
                                    span,
                                }
                            })
                            .collect(),
                    }
                })
                .collect();
            PreparedBlock {
                resource: block.resource,
                service,
                attributes_json,
                fingerprint,
                scopes,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::is_validation_candidate;

    #[test]
    fn validation_candidates_by_attribute_and_event() {
        let none: [(&str, &str); 0] = [];
        assert!(is_validation_candidate(
            r#"{"gen_ai.output.type":"json"}"#,
            none
        ));
        assert!(is_validation_candidate(
            r#"{"llm.invocation_parameters":"{\"response_format\":{}}"}"#,
            none
        ));
        assert!(is_validation_candidate(
            r#"{"gen_ai.tool.call.arguments":"{}"}"#,
            none
        ));
        assert!(is_validation_candidate(
            r#"{"schemaValidation":"ok"}"#,
            none
        ));
        assert!(!is_validation_candidate(
            r#"{"http.request.method":"GET"}"#,
            none
        ));
        assert!(is_validation_candidate(
            "{}",
            [("gen_ai.evaluation.result", "{}")]
        ));
        assert!(is_validation_candidate(
            "{}",
            [("schema_validation_error", "{}")]
        ));
        assert!(!is_validation_candidate(
            "{}",
            [("exception", r#"{"exception.type":"Timeout"}"#)]
        ));
    }
}
