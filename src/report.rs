//! The `tracedeck report` summary: what the store holds, latency per service and operation,
//! spans per error class, retry chains, validation failures, prediction drift and version skew,
//! and the conversations whose payloads break a provider rule (`analysis::conversation`).
//! [`build`] computes it from a store;
//! [`Report::json`] gives the stable JSON shape scripts read (`"tracedeck_report": 1`), and
//! [`Report::text`] the summary for people, worst findings first, each with the trace to open.

use std::fmt::Write as _;

use serde::Serialize;

use crate::analysis::conversation::{self, Conversation};
use crate::analysis::latency::summarize_groups;
use crate::analysis::prediction_report::{DriftRow, SkewRow, drift_report, version_skew_report};
use crate::analysis::retries::{self, Amplification, RetryChain};
use crate::analysis::validation::{self, ALERT_RATE, ValidationSummary};
use crate::model::error_class::{ErrorClass, ErrorCounts};
use crate::model::hex_lower;
use crate::store::{SpanFilter, Store, StoreError};

/// Conversations named one by one among the worst findings.
const WORST_CONVERSATIONS: usize = 5;
/// Conversations listed in the text's Conversations section.
const LISTED_CONVERSATIONS: usize = 20;

/// The version of the JSON shape.
pub const REPORT_VERSION: u32 = 1;

/// `store` in the JSON.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StoreJson {
    pub spans: u64,
    pub traces: u64,
    pub services: u64,
    pub error_spans: u64,
}

/// One entry of `latency`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct LatencyJson {
    pub service: String,
    pub operation: String,
    pub count: u64,
    pub p50_ms: f64,
    pub p95_ms: f64,
    pub p99_ms: f64,
}

/// One entry of `retry_chains`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChainJson {
    pub trace_id: String,
    pub operation: String,
    pub model: Option<String>,
    pub attempts: usize,
    pub span_ids: Vec<String>,
    pub error_classes: Vec<String>,
    pub succeeded: bool,
    pub backoff: String,
    pub pointless: bool,
    pub storm: bool,
    pub wasted_ms: f64,
    pub wasted_tokens: i64,
}

/// One entry of `validation.by_model`.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ModelRateJson {
    pub model: String,
    pub validated: u64,
    pub failed: u64,
    pub rate: f64,
}

/// One entry of `validation.failures`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct FailureJson {
    pub trace_id: String,
    pub span_id: String,
    pub reason: String,
}

/// `validation` in the JSON.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ValidationJson {
    pub validated: u64,
    pub failed: u64,
    pub rate: f64,
    pub by_model: Vec<ModelRateJson>,
    pub failures: Vec<FailureJson>,
}

/// One finding of a conversation in `conversations`.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConversationFindingJson {
    pub rule: String,
    pub step: usize,
    pub span_id: String,
    pub message_index: Option<usize>,
    pub detail: String,
}

/// One entry of `conversations`: a conversation with at least one payload finding.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ConversationJson {
    pub id: String,
    pub steps: usize,
    pub trace_ids: Vec<String>,
    pub findings: Vec<ConversationFindingJson>,
}

/// The JSON document, keys in this order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ReportJson {
    pub tracedeck_report: u32,
    pub store: StoreJson,
    pub latency: Vec<LatencyJson>,
    pub errors: ErrorCounts,
    pub retry_chains: Vec<ChainJson>,
    pub validation: ValidationJson,
    /// Prediction drift between the default windows (`analysis::prediction_report`).
    pub drift: Vec<DriftRow>,
    /// Model and pipeline version combinations (`analysis::prediction_report`).
    pub version_skew: Vec<SkewRow>,
    /// Every conversation reconstructed (`analysis::conversation`).
    pub conversation_count: usize,
    /// The conversations with at least one payload finding, in start order.
    pub conversations: Vec<ConversationJson>,
}

/// Everything the report knows: the JSON facts plus the detail the text shows.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Report {
    pub json: ReportJson,
    pub chains: Vec<RetryChain>,
    pub amplification: Vec<Amplification>,
    pub validation: ValidationSummary,
    /// The conversations with findings, in full (the text names the failed steps).
    pub conversations: Vec<Conversation>,
}

fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

fn conversation_json(c: &Conversation) -> ConversationJson {
    ConversationJson {
        id: c.key.clone(),
        steps: c.steps.len(),
        trace_ids: c.trace_ids.iter().map(|t| hex_lower(t)).collect(),
        findings: c
            .findings
            .iter()
            .map(|f| ConversationFindingJson {
                rule: f.rule.as_str().to_owned(),
                step: f.step,
                span_id: hex_lower(&f.span_id),
                message_index: f.message_index,
                detail: f.detail.clone(),
            })
            .collect(),
    }
}

fn chain_json(c: &RetryChain) -> ChainJson {
    ChainJson {
        trace_id: hex_lower(&c.trace_id),
        operation: c.operation.clone(),
        model: c.model.clone(),
        attempts: c.attempts.len(),
        span_ids: c.span_ids().map(|s| hex_lower(s)).collect(),
        error_classes: c
            .attempts
            .iter()
            .map(|a| a.class.as_str().to_owned())
            .collect(),
        succeeded: c.succeeded,
        backoff: c.backoff.as_str().to_owned(),
        pointless: c.pointless,
        storm: c.storm,
        wasted_ms: c.wasted_ms,
        wasted_tokens: c.wasted_tokens,
    }
}

/// Computes the report over the whole store.
pub fn build(store: &Store) -> Result<Report, StoreError> {
    let filter = SpanFilter::default();
    let counts = store.counts()?;
    let by_op = store.durations_by_service_operation(&filter)?;
    let mut latency: Vec<LatencyJson> = summarize_groups(&by_op.durations)
        .into_iter()
        .zip(&by_op.keys)
        .filter(|(s, _)| s.stats.count > 0)
        .map(|(s, (service, operation))| LatencyJson {
            service: service.clone(),
            operation: operation.clone(),
            count: s.stats.count,
            p50_ms: ms(s.stats.p50_ns),
            p95_ms: ms(s.stats.p95_ns),
            p99_ms: ms(s.stats.p99_ns),
        })
        .collect();
    latency.sort_by(|a, b| (&a.service, &a.operation).cmp(&(&b.service, &b.operation)));

    let class_counts = store.error_class_counts(&filter)?;
    let errors = ErrorCounts::from_pairs(class_counts.iter().map(|(c, n)| (c.as_str(), *n)));

    let store_span_ns = store
        .time_bounds_ns()?
        .map_or(0, |(lo, hi)| hi.saturating_sub(lo));
    let chains = retries::find_chains(&store.retry_candidates(&filter)?, store_span_ns);
    let amplification = retries::amplification(&store.operation_model_counts(&filter)?, &chains);

    let validation = validation::summarize(&store.validation_candidates(&filter)?, None);
    let validation_json = ValidationJson {
        validated: validation.overall.validated,
        failed: validation.overall.failed,
        rate: validation.overall.rate,
        by_model: validation
            .by_model
            .iter()
            .map(|(model, r)| ModelRateJson {
                model: model.clone(),
                validated: r.validated,
                failed: r.failed,
                rate: r.rate,
            })
            .collect(),
        failures: validation
            .failures
            .iter()
            .map(|f| FailureJson {
                trace_id: hex_lower(&f.trace_id),
                span_id: hex_lower(&f.span_id),
                reason: f.reason(),
            })
            .collect(),
    };
    let (conversation_count, conversations) = conversation::with_findings(store, &filter)?;
    Ok(Report {
        json: ReportJson {
            tracedeck_report: REPORT_VERSION,
            store: StoreJson {
                spans: counts.spans,
                traces: counts.traces,
                services: counts.services,
                error_spans: counts.error_spans,
            },
            latency,
            errors,
            retry_chains: chains.iter().map(chain_json).collect(),
            validation: validation_json,
            drift: drift_report(store)?,
            version_skew: version_skew_report(store)?,
            conversation_count,
            conversations: conversations.iter().map(conversation_json).collect(),
        },
        chains,
        amplification,
        validation,
        conversations,
    })
}

fn fmt_ms(v: f64) -> String {
    if v >= 1000.0 {
        format!("{:.1} s", v / 1000.0)
    } else {
        format!("{v:.0} ms")
    }
}

/// At most `max_chars` characters of `text`, with `...` when cut.
fn short(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        text.to_owned()
    } else {
        let cut: String = text.chars().take(max_chars).collect();
        format!("{cut}...")
    }
}

fn percent(rate: f64) -> String {
    format!("{:.1}%", rate * 100.0)
}

impl Report {
    /// The JSON document, pretty-printed.
    pub fn json(&self) -> serde_json::Result<String> {
        serde_json::to_string_pretty(&self.json)
    }

    /// The summary for people: worst findings first, each with the trace id to open.
    pub fn text(&self) -> String {
        let mut out = String::new();
        let j = &self.json;
        let _ = writeln!(
            out,
            "{} spans, {} traces, {} services, {} error spans",
            j.store.spans, j.store.traces, j.store.services, j.store.error_spans
        );

        let mut findings: Vec<(u32, String)> = Vec::new();
        for c in &self.chains {
            let (rank, _, _) = c.severity();
            if rank == 0 {
                continue;
            }
            let what = match (c.pointless, c.storm) {
                (true, true) => "pointless retry storm",
                (false, true) => "retry storm",
                (true, false) => "pointless retries",
                (false, false) => "retries that never succeeded",
            };
            let classes: Vec<&str> = {
                let mut v: Vec<&str> = c
                    .attempts
                    .iter()
                    .filter(|a| a.class.is_error())
                    .map(|a| a.class.as_str())
                    .collect();
                v.dedup();
                v
            };
            findings.push((
                u32::from(rank) * 10,
                format!(
                    "{what}: {} x {} ({} error{}), backoff {}, {}; wasted {} and {} tokens\n     trace {}",
                    c.attempts.len(),
                    c.operation,
                    classes.join("/"),
                    if classes.len() == 1 { "" } else { "s" },
                    c.backoff.as_str(),
                    if c.succeeded { "then succeeded" } else { "never succeeded" },
                    fmt_ms(c.wasted_ms),
                    c.wasted_tokens,
                    hex_lower(&c.trace_id)
                ),
            ));
        }
        let v = &self.validation.overall;
        if v.validated > 0 && v.rate >= ALERT_RATE {
            let first = self
                .validation
                .failures
                .first()
                .map(|f| {
                    format!(
                        "\n     first: trace {} ({})",
                        hex_lower(&f.trace_id),
                        f.reason()
                    )
                })
                .unwrap_or_default();
            findings.push((
                45,
                format!(
                    "validation failures at {} (above the {} line): {} of {} structured outputs{first}",
                    percent(v.rate),
                    percent(ALERT_RATE),
                    v.failed,
                    v.validated
                ),
            ));
        }
        let mut conversation_findings: Vec<(u32, String)> = Vec::new();
        for c in &self.conversations {
            let Some(first) = c.findings.first() else {
                continue;
            };
            let failed = c.findings.iter().find(|f| {
                c.steps
                    .get(f.step)
                    .is_some_and(|s| s.failed && s.error_class == ErrorClass::Structural)
            });
            let shown = failed.unwrap_or(first);
            let mut rules: Vec<&str> = c.findings.iter().map(|f| f.rule.as_str()).collect();
            rules.sort_unstable();
            rules.dedup();
            conversation_findings.push((
                if failed.is_some() { 40 } else { 20 },
                format!(
                    "malformed payload in conversation {} ({}): step {}{}{}: {}\n     trace {}",
                    c.key,
                    rules.join(", "),
                    shown.step,
                    shown
                        .message_index
                        .map(|i| format!(", message {i}"))
                        .unwrap_or_default(),
                    if failed.is_some() { " (400)" } else { "" },
                    short(&shown.detail, 200),
                    c.steps
                        .get(shown.step)
                        .map(|s| hex_lower(&s.trace_id))
                        .unwrap_or_default()
                ),
            ));
        }
        // The worst few by name; the rest are listed under Conversations.
        conversation_findings.sort_by_key(|f| std::cmp::Reverse(f.0));
        let more = conversation_findings
            .len()
            .saturating_sub(WORST_CONVERSATIONS);
        findings.extend(conversation_findings.into_iter().take(WORST_CONVERSATIONS));
        if more > 0 {
            findings.push((
                19,
                format!(
                    "{more} more conversations with payload findings (see Conversations below)"
                ),
            ));
        }
        for (class, weight) in [(ErrorClass::Quota, 35), (ErrorClass::Auth, 30)] {
            let n = j.errors.get(class);
            if n > 0 {
                findings.push((
                    weight,
                    format!(
                        "{n} spans failed with {} errors (no retry helps)",
                        class.as_str()
                    ),
                ));
            }
        }
        findings.sort_by_key(|f| std::cmp::Reverse(f.0));
        let _ = writeln!(out, "\nWorst findings");
        if findings.is_empty() {
            let _ = writeln!(out, "  none");
        }
        for (i, (_, text)) in findings.iter().enumerate() {
            let _ = writeln!(out, "  {}. {text}", i + 1);
        }

        let _ = writeln!(out, "\nErrors by class");
        for class in ErrorClass::ERRORS {
            let _ = writeln!(out, "  {:<11} {}", class.as_str(), j.errors.get(class));
        }

        let _ = writeln!(out, "\nRetry chains ({})", self.chains.len());
        let mut chains: Vec<&RetryChain> = self.chains.iter().collect();
        chains.sort_by_key(|c| std::cmp::Reverse(c.severity()));
        for c in chains {
            let _ = writeln!(
                out,
                "  {:>2} attempts  {:<9} {:<10} {:<22} wasted {:>8} {:>6} tok{}{}  trace {}",
                c.attempts.len(),
                c.backoff.as_str(),
                if c.succeeded { "succeeded" } else { "failed" },
                c.operation,
                fmt_ms(c.wasted_ms),
                c.wasted_tokens,
                if c.pointless { "  POINTLESS" } else { "" },
                if c.storm { "  STORM" } else { "" },
                hex_lower(&c.trace_id)
            );
        }
        if !self.amplification.is_empty() {
            let _ = writeln!(out, "\nRetry amplification (attempts per logical call)");
            for a in &self.amplification {
                let _ = writeln!(
                    out,
                    "  {:.3}  {} ({} attempts, {} calls)",
                    a.ratio, a.operation, a.attempts, a.logical_calls
                );
            }
        }

        let _ = writeln!(
            out,
            "\nValidation: {} of {} failed ({})",
            v.failed,
            v.validated,
            percent(v.rate)
        );
        for (model, r) in &self.validation.by_model {
            let _ = writeln!(
                out,
                "  {model:<24} {} of {} ({})",
                r.failed,
                r.validated,
                percent(r.rate)
            );
        }
        for f in self.validation.failures.iter().take(10) {
            let _ = writeln!(out, "  trace {}  {}", hex_lower(&f.trace_id), f.reason());
        }
        if self.validation.failures.len() > 10 {
            let _ = writeln!(
                out,
                "  ... and {} more (all of them with --json)",
                self.validation.failures.len() - 10
            );
        }

        let _ = writeln!(
            out,
            "\nConversations: {} of {} with payload findings",
            self.conversations.len(),
            j.conversation_count
        );
        for c in self.conversations.iter().take(LISTED_CONVERSATIONS) {
            let _ = writeln!(
                out,
                "  {}  {} steps, {} finding{}",
                c.key,
                c.steps.len(),
                c.findings.len(),
                if c.findings.len() == 1 { "" } else { "s" }
            );
            for f in c.findings.iter().take(5) {
                let _ = writeln!(
                    out,
                    "    step {:>3}{}  {:<22} {}",
                    f.step,
                    f.message_index
                        .map(|i| format!(" msg {i:>3}"))
                        .unwrap_or_else(|| "        ".to_owned()),
                    f.rule.as_str(),
                    short(&f.detail, 160)
                );
            }
            if c.findings.len() > 5 {
                let _ = writeln!(
                    out,
                    "    ... and {} more (all of them with --json)",
                    c.findings.len() - 5
                );
            }
        }

        if self.conversations.len() > LISTED_CONVERSATIONS {
            let _ = writeln!(
                out,
                "  ... and {} more (all of them with --json)",
                self.conversations.len() - LISTED_CONVERSATIONS
            );
        }

        let _ = writeln!(out, "\nSlowest operations (p95)");
        let mut latency: Vec<&LatencyJson> = j.latency.iter().collect();
        latency.sort_by(|a, b| b.p95_ms.total_cmp(&a.p95_ms));
        for l in latency.iter().take(10) {
            let _ = writeln!(
                out,
                "  p95 {:>9}  p50 {:>9}  p99 {:>9}  {:>6}x  {} {}",
                fmt_ms(l.p95_ms),
                fmt_ms(l.p50_ms),
                fmt_ms(l.p99_ms),
                l.count,
                l.service,
                l.operation
            );
        }
        out
    }
}
