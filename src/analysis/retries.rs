//! Retry chains and storms (DESIGN.md section 4): the attempts of one logical call grouped into
//! a chain, with their waits, backoff shape, outcome, waste, and the `pointless` and `storm`
//! flags; and retry amplification (attempts per logical call) per operation and model.
//!
//! Attempts of one call share trace, parent span, span name, model and peer (`server.address`).
//! An explicit retry counter wins (`http.request.resend_count`, a captured
//! `x-stainless-retry-count` header, any other `retry`/`attempt` attribute): counter 0 starts a
//! chain, a higher one continues the chain whose last attempt had a lower counter. Without one,
//! a span continues a chain when the chain's last attempt failed, the span starts after that
//! attempt ended (parallel calls are never retries of each other) and within
//! [`MAX_WAIT_NS`], and the request is the same (same `gen_ai.input.messages`, when recorded).
//! A span that links to an attempt of a failed chain with the same name, model and peer
//! continues it even from another trace (a retry in a later trace).
//!
//! Backoff is judged on the waits (idle time from the end of one attempt to the start of the
//! next): `none` when every wait is under [`NO_BACKOFF_NS`], `growing` when each wait is at least
//! [`GROWTH_FACTOR`] times the one before (exponential backoff with jitter), `constant` otherwise.
//! A chain is `pointless` when an attempt that was retried failed with a `structural`, `quota` or
//! `auth` error, and a `storm` when it has more than [`STORM_RETRIES`] retries or one of its
//! retries falls in a burst: at least [`BURST_MIN_RETRIES`] retries within [`BURST_WINDOW_NS`]
//! and [`BURST_FACTOR`] times the store's average retry rate.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::error_class::ErrorClass;
use crate::model::{SpanId, TraceId};
use crate::store::{AttemptRow, OperationCount};

/// Waits under this are no backoff at all.
pub const NO_BACKOFF_NS: i64 = 50_000_000;
/// A wait "clearly longer" than the one before is at least this much longer.
pub const GROWTH_FACTOR: f64 = 1.25;
/// Longest wait between attempts of one chain without an explicit counter (SDK backoff is at
/// most 8 s; `retry-after` may ask for up to a minute).
pub const MAX_WAIT_NS: i64 = 120_000_000_000;
/// Longest wait between attempts with explicit counters.
pub const MAX_COUNTED_WAIT_NS: i64 = 600_000_000_000;
/// A span may start this much before the previous attempt's end (clock rounding).
pub const OVERLAP_TOLERANCE_NS: i64 = 1_000_000;
/// More retries than this (5 attempts or more) make a storm.
pub const STORM_RETRIES: usize = 3;
/// Burst detection: the window, the least retries in it, and how far above the average rate.
pub const BURST_WINDOW_NS: i64 = 60_000_000_000;
pub const BURST_MIN_RETRIES: usize = 5;
pub const BURST_FACTOR: f64 = 10.0;

/// How the waits between attempts behave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Backoff {
    /// Every wait under 50 ms: retried at once.
    #[default]
    None,
    Constant,
    Growing,
}

impl Backoff {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::None => "none",
            Self::Constant => "constant",
            Self::Growing => "growing",
        }
    }
}

/// One span as chain detection sees it.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Attempt {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub parent_span_id: Option<SpanId>,
    pub operation: String,
    pub model: Option<String>,
    pub peer: Option<String>,
    pub start_ns: i64,
    pub end_ns: i64,
    pub class: ErrorClass,
    pub http_status: Option<i64>,
    pub message: String,
    /// Input plus output tokens recorded on the span.
    pub tokens: i64,
    /// 0 for the first attempt, from an explicit counter.
    pub retry_index: Option<i64>,
    /// Hash of the request messages, when recorded.
    pub request_fingerprint: Option<u64>,
    pub links: Vec<(TraceId, SpanId)>,
}

fn json_int(v: &serde_json::Value) -> Option<i64> {
    match v {
        serde_json::Value::Number(n) => n.as_i64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        serde_json::Value::Array(items) => items.first().and_then(json_int),
        _ => None,
    }
}

/// The 0-based retry index an attribute states, if any: `resend_count` and `retry` counters
/// count retries (0 first); `attempt` counters count attempts (1 first).
fn retry_index(attrs: &serde_json::Map<String, serde_json::Value>) -> Option<i64> {
    for key in [
        "http.request.resend_count",
        "http.request.header.x-stainless-retry-count",
    ] {
        if let Some(n) = attrs.get(key).and_then(json_int) {
            return Some(n.max(0));
        }
    }
    let mut keys: Vec<&String> = attrs.keys().collect();
    keys.sort();
    for key in keys {
        let lower = key.to_ascii_lowercase();
        let Some(n) = attrs.get(key).and_then(json_int) else {
            continue;
        };
        if lower.contains("retry") && !lower.contains("max") {
            return Some(n.max(0));
        }
        if lower.contains("attempt") && !lower.contains("max") {
            return Some((n - 1).max(0));
        }
    }
    None
}

fn fingerprint(text: &str) -> u64 {
    // FNV-1a: stable across runs and platforms.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in text.as_bytes() {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

impl Attempt {
    /// The attempt view of a stored span.
    pub fn from_row(row: &AttemptRow) -> Self {
        let attrs: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&row.attributes).unwrap_or_default();
        let text = |key: &str| {
            attrs
                .get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.is_empty())
        };
        let peer = ["server.address", "net.peer.name", "http.host", "url.full"]
            .iter()
            .find_map(|k| text(k))
            .map(str::to_owned);
        let request_fingerprint = ["gen_ai.input.messages", "gen_ai.prompt", "input.value"]
            .iter()
            .find_map(|k| text(k))
            .map(fingerprint);
        Self {
            trace_id: row.trace_id,
            span_id: row.span_id,
            parent_span_id: row.parent_span_id,
            operation: row.name.clone(),
            model: row.model.clone(),
            peer,
            start_ns: row.start_ns,
            end_ns: row.end_ns,
            class: ErrorClass::parse(&row.error_class).unwrap_or(ErrorClass::Unknown),
            http_status: row.http_status,
            message: row.status_message.clone(),
            tokens: row.input_tokens.unwrap_or(0).max(0) + row.output_tokens.unwrap_or(0).max(0),
            retry_index: retry_index(&attrs),
            request_fingerprint,
            links: row.links.clone(),
        }
    }

    fn key(&self) -> (&str, Option<&str>, Option<&str>) {
        (&self.operation, self.model.as_deref(), self.peer.as_deref())
    }
}

/// One attempt of a chain, as the report and the Retries view list it.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChainAttempt {
    pub trace_id: TraceId,
    pub span_id: SpanId,
    pub start_ns: i64,
    pub end_ns: i64,
    pub class: ErrorClass,
    pub http_status: Option<i64>,
    pub message: String,
    pub tokens: i64,
    /// Idle time since the previous attempt ended; `None` for the first.
    pub wait_ms: Option<f64>,
}

/// The attempts of one logical call.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RetryChain {
    /// The first attempt's trace.
    pub trace_id: TraceId,
    pub parent_span_id: Option<SpanId>,
    pub operation: String,
    pub model: Option<String>,
    pub peer: Option<String>,
    pub attempts: Vec<ChainAttempt>,
    /// Idle time between consecutive attempts, in ms.
    pub waits_ms: Vec<f64>,
    pub backoff: Backoff,
    /// The last attempt did not fail.
    pub succeeded: bool,
    pub pointless: bool,
    pub storm: bool,
    /// Time spent in failed attempts.
    pub wasted_ms: f64,
    /// Tokens recorded on failed attempts.
    pub wasted_tokens: i64,
    /// The chain spans more than one trace (joined by span links).
    pub cross_trace: bool,
    /// Grouped by explicit retry counters.
    pub explicit: bool,
}

impl RetryChain {
    pub fn retries(&self) -> usize {
        self.attempts.len().saturating_sub(1)
    }

    pub fn span_ids(&self) -> impl Iterator<Item = &SpanId> {
        self.attempts.iter().map(|a| &a.span_id)
    }

    /// How bad the chain is, for "worst first": pointless storms, then storms, then pointless,
    /// then failed chains, then by wasted tokens and attempts.
    pub fn severity(&self) -> (u8, i64, usize) {
        let rank =
            u8::from(self.pointless) * 2 + u8::from(self.storm) * 4 + u8::from(!self.succeeded);
        (rank, self.wasted_tokens, self.attempts.len())
    }
}

/// The backoff shape of a list of waits (ns).
pub fn backoff_of(waits_ns: &[i64]) -> Backoff {
    if waits_ns.iter().all(|w| *w < NO_BACKOFF_NS) {
        return Backoff::None;
    }
    let growing = waits_ns.len() >= 2
        && waits_ns
            .windows(2)
            .all(|w| matches!(w, [a, b] if (*b as f64) >= (*a as f64) * GROWTH_FACTOR && *b >= NO_BACKOFF_NS));
    if growing {
        Backoff::Growing
    } else {
        Backoff::Constant
    }
}

/// Groups attempts into chains. `attempts` in any order; chains come back ordered by their
/// first attempt's start, single attempts included.
pub fn group_attempts(mut attempts: Vec<Attempt>) -> Vec<Vec<Attempt>> {
    attempts.sort_by_key(|a| (a.start_ns, a.end_ns, a.span_id));
    // Chains as lists of indices into `attempts`.
    let mut chains: Vec<Vec<usize>> = Vec::new();
    // Open chains per (trace, parent, operation, model, peer).
    type GroupKey<'a> = (
        TraceId,
        Option<SpanId>,
        (&'a str, Option<&'a str>, Option<&'a str>),
    );
    let mut open: HashMap<GroupKey<'_>, Vec<usize>> = HashMap::new();
    for (i, a) in attempts.iter().enumerate() {
        let key = (a.trace_id, a.parent_span_id, a.key());
        let candidates = open.entry(key).or_default();
        let continues = |chain: &[usize]| -> Option<i64> {
            let last = attempts.get(*chain.last()?)?;
            let wait = a.start_ns - last.end_ns;
            if wait < -OVERLAP_TOLERANCE_NS {
                return None;
            }
            match (a.retry_index, last.retry_index) {
                (Some(0), _) => None,
                (Some(n), Some(m)) if n > m && wait <= MAX_COUNTED_WAIT_NS => Some(last.end_ns),
                (Some(_), Some(_)) => None,
                _ => {
                    let same_request = match (a.request_fingerprint, last.request_fingerprint) {
                        (Some(x), Some(y)) => x == y,
                        _ => true,
                    };
                    (last.class.is_error() && same_request && wait <= MAX_WAIT_NS)
                        .then_some(last.end_ns)
                }
            }
        };
        // The matching open chain whose last attempt ended most recently.
        let best = candidates
            .iter()
            .filter_map(|c| {
                chains
                    .get(*c)
                    .and_then(|ch| continues(ch))
                    .map(|end| (end, *c))
            })
            .max();
        match best {
            Some((_, c)) => {
                if let Some(chain) = chains.get_mut(c) {
                    chain.push(i);
                }
            }
            None => {
                candidates.push(chains.len());
                chains.push(vec![i]);
            }
        }
    }
    // Retries in later traces: a chain whose first attempt links to an attempt of a failed
    // chain of the same call joins it.
    let mut chain_of: HashMap<(TraceId, SpanId), usize> = HashMap::new();
    for (c, chain) in chains.iter().enumerate() {
        for &i in chain {
            if let Some(a) = attempts.get(i) {
                chain_of.insert((a.trace_id, a.span_id), c);
            }
        }
    }
    let mut merged_into: Vec<Option<usize>> = vec![None; chains.len()];
    let root = |mut c: usize, merged_into: &[Option<usize>]| {
        while let Some(Some(next)) = merged_into.get(c) {
            c = *next;
        }
        c
    };
    for c in 0..chains.len() {
        let Some(first) = chains
            .get(c)
            .and_then(|ch| ch.first())
            .and_then(|i| attempts.get(*i))
        else {
            continue;
        };
        let target = first.links.iter().find_map(|link| {
            let t = root(*chain_of.get(link)?, &merged_into);
            let last = attempts.get(*chains.get(t)?.last()?)?;
            let target_first = attempts.get(*chains.get(t)?.first()?)?;
            let ok = t != c
                && target_first.key() == first.key()
                && last.class.is_error()
                && first.start_ns >= last.end_ns - OVERLAP_TOLERANCE_NS;
            ok.then_some(t)
        });
        if let Some(t) = target {
            let moved = chains.get_mut(c).map(std::mem::take).unwrap_or_default();
            if let Some(dest) = chains.get_mut(t) {
                dest.extend(moved);
            }
            if let Some(slot) = merged_into.get_mut(c) {
                *slot = Some(t);
            }
        }
    }
    let mut slots: Vec<Option<Attempt>> = attempts.into_iter().map(Some).collect();
    let mut out: Vec<Vec<Attempt>> = chains
        .into_iter()
        .filter(|ch| !ch.is_empty())
        .map(|ch| {
            ch.into_iter()
                .filter_map(|i| slots.get_mut(i).and_then(Option::take))
                .collect::<Vec<_>>()
        })
        .collect();
    out.sort_by_key(|ch| ch.first().map(|a| (a.start_ns, a.span_id)));
    out
}

fn ms(ns: i64) -> f64 {
    ns as f64 / 1e6
}

/// The chain summary of grouped attempts (in time order); storms from bursts are added by
/// [`find_chains`].
pub fn summarize_chain(attempts: &[Attempt]) -> RetryChain {
    let waits_ns: Vec<i64> = attempts
        .windows(2)
        .filter_map(|w| match w {
            [a, b] => Some((b.start_ns - a.end_ns).max(0)),
            _ => None,
        })
        .collect();
    let failed = attempts.iter().filter(|a| a.class.is_error());
    let wasted_ns: i64 = failed.clone().map(|a| (a.end_ns - a.start_ns).max(0)).sum();
    let wasted_tokens: i64 = failed.map(|a| a.tokens).sum();
    let retried = attempts
        .get(..attempts.len().saturating_sub(1))
        .unwrap_or_default();
    let first = attempts.first();
    let chain_attempts: Vec<ChainAttempt> = attempts
        .iter()
        .enumerate()
        .map(|(i, a)| ChainAttempt {
            trace_id: a.trace_id,
            span_id: a.span_id,
            start_ns: a.start_ns,
            end_ns: a.end_ns,
            class: a.class,
            http_status: a.http_status,
            message: a.message.clone(),
            tokens: a.tokens,
            wait_ms: i
                .checked_sub(1)
                .and_then(|p| waits_ns.get(p))
                .map(|w| ms(*w)),
        })
        .collect();
    RetryChain {
        trace_id: first.map(|a| a.trace_id).unwrap_or_default(),
        parent_span_id: first.and_then(|a| a.parent_span_id),
        operation: first.map(|a| a.operation.clone()).unwrap_or_default(),
        model: first.and_then(|a| a.model.clone()),
        peer: first.and_then(|a| a.peer.clone()),
        waits_ms: waits_ns.iter().map(|w| ms(*w)).collect(),
        backoff: backoff_of(&waits_ns),
        succeeded: attempts.last().is_some_and(|a| !a.class.is_error()),
        pointless: retried.iter().any(|a| a.class.retry_is_pointless()),
        storm: attempts.len().saturating_sub(1) > STORM_RETRIES,
        wasted_ms: ms(wasted_ns),
        wasted_tokens,
        cross_trace: attempts
            .iter()
            .any(|a| Some(a.trace_id) != first.map(|f| f.trace_id)),
        explicit: attempts.iter().any(|a| a.retry_index.is_some()),
        attempts: chain_attempts,
    }
}

/// Retry chains (2 attempts or more) among `rows`, ordered by first attempt. `store_span_ns` is
/// the store's time span, for the baseline retry rate of burst detection.
pub fn find_chains(rows: &[AttemptRow], store_span_ns: i64) -> Vec<RetryChain> {
    let attempts = rows.iter().map(Attempt::from_row).collect();
    let mut chains: Vec<RetryChain> = group_attempts(attempts)
        .iter()
        .filter(|ch| ch.len() >= 2)
        .map(|ch| summarize_chain(ch))
        .collect();
    mark_bursts(&mut chains, store_span_ns);
    chains
}

/// Flags as storms the chains with a retry inside a burst.
fn mark_bursts(chains: &mut [RetryChain], store_span_ns: i64) {
    let mut times: Vec<i64> = chains
        .iter()
        .flat_map(|c| c.attempts.iter().skip(1).map(|a| a.start_ns))
        .collect();
    if times.len() < BURST_MIN_RETRIES {
        return;
    }
    times.sort_unstable();
    let span_ns = store_span_ns.max(BURST_WINDOW_NS);
    let baseline_per_window = times.len() as f64 * BURST_WINDOW_NS as f64 / span_ns as f64;
    let threshold = (baseline_per_window * BURST_FACTOR).max(BURST_MIN_RETRIES as f64);
    // Retries within half a window either side of `t`.
    let in_window = |t: i64| {
        let lo = times.partition_point(|x| *x < t - BURST_WINDOW_NS / 2);
        let hi = times.partition_point(|x| *x <= t + BURST_WINDOW_NS / 2);
        hi - lo
    };
    for chain in chains.iter_mut() {
        if chain
            .attempts
            .iter()
            .skip(1)
            .any(|a| in_window(a.start_ns) as f64 >= threshold)
        {
            chain.storm = true;
        }
    }
}

/// Attempts per logical call of one operation and model.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Amplification {
    pub operation: String,
    pub model: Option<String>,
    pub attempts: u64,
    pub logical_calls: u64,
    /// `attempts / logical_calls`.
    pub ratio: f64,
}

/// Amplification of every operation and model that had retries, highest first.
pub fn amplification(counts: &[OperationCount], chains: &[RetryChain]) -> Vec<Amplification> {
    let mut retries: HashMap<(&str, Option<&str>), u64> = HashMap::new();
    for c in chains {
        *retries
            .entry((c.operation.as_str(), c.model.as_deref()))
            .or_default() += c.retries() as u64;
    }
    let mut out: Vec<Amplification> = counts
        .iter()
        .filter_map(|c| {
            let r = *retries.get(&(c.operation.as_str(), c.model.as_deref()))?;
            let logical = c.spans.saturating_sub(r).max(1);
            Some(Amplification {
                operation: c.operation.clone(),
                model: c.model.clone(),
                attempts: c.spans,
                logical_calls: logical,
                ratio: c.spans as f64 / logical as f64,
            })
        })
        .collect();
    out.sort_by(|a, b| {
        b.ratio
            .total_cmp(&a.ratio)
            .then_with(|| a.operation.cmp(&b.operation))
    });
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const MS: i64 = 1_000_000;

    fn row(span: u8, parent: u8, start_ms: i64, dur_ms: i64, class: &str) -> AttemptRow {
        AttemptRow {
            trace_id: [1; 16],
            span_id: [span; 8],
            parent_span_id: Some([parent; 8]),
            name: "chat gpt-4o".into(),
            service: "agent".into(),
            model: Some("gpt-4o".into()),
            start_ns: start_ms * MS,
            end_ns: (start_ms + dur_ms) * MS,
            error_class: class.into(),
            input_tokens: Some(100),
            attributes: r#"{"server.address": "api.openai.com", "gen_ai.input.messages": "[1]"}"#
                .into(),
            ..AttemptRow::default()
        }
    }

    #[test]
    fn backoff_shapes() {
        assert_eq!(backoff_of(&[MS, 2 * MS, 49 * MS]), Backoff::None);
        assert_eq!(
            backoff_of(&[500 * MS, 1100 * MS, 2300 * MS]),
            Backoff::Growing
        );
        assert_eq!(
            backoff_of(&[500 * MS, 510 * MS, 490 * MS]),
            Backoff::Constant
        );
        assert_eq!(backoff_of(&[700 * MS]), Backoff::Constant);
    }

    #[test]
    fn growing_chain_that_succeeds() {
        let rows = vec![
            row(1, 9, 0, 100, "transient"),
            row(2, 9, 600, 100, "transient"),
            row(3, 9, 1800, 100, "transient"),
            row(4, 9, 4200, 800, "ok"),
        ];
        let chains = find_chains(&rows, 3_600_000 * MS);
        assert_eq!(chains.len(), 1);
        let c = &chains[0];
        assert_eq!(c.attempts.len(), 4);
        assert_eq!(c.backoff, Backoff::Growing);
        assert!(c.succeeded && !c.pointless && !c.storm);
        assert_eq!(c.wasted_ms, 300.0);
        assert_eq!(c.wasted_tokens, 300);
        assert_eq!(c.waits_ms, vec![500.0, 1100.0, 2300.0]);
    }

    #[test]
    fn parallel_calls_under_one_parent_are_not_retries() {
        // Two calls at once, both rate limited; each is then retried once.
        let mut a2 = row(3, 9, 700, 100, "ok");
        let mut b2 = row(4, 9, 720, 100, "ok");
        let mut a1 = row(1, 9, 0, 100, "transient");
        let mut b1 = row(2, 9, 10, 100, "transient");
        for (r, input) in [
            (&mut a1, "[\"a\"]"),
            (&mut a2, "[\"a\"]"),
            (&mut b1, "[\"b\"]"),
            (&mut b2, "[\"b\"]"),
        ] {
            r.attributes = format!(
                r#"{{"server.address": "api.openai.com", "gen_ai.input.messages": {}}}"#,
                serde_json::Value::String(input.into())
            );
        }
        let chains = find_chains(&[a1, b1, a2, b2], 3_600_000 * MS);
        assert_eq!(chains.len(), 2);
        assert_eq!(chains[0].attempts[0].span_id, [1; 8]);
        assert_eq!(chains[0].attempts[1].span_id, [3; 8]);
        assert_eq!(chains[1].attempts[1].span_id, [4; 8]);
        // Overlapping successful calls: no chain at all.
        let chains = find_chains(
            &[
                row(1, 9, 0, 100, "ok"),
                row(2, 9, 5, 100, "ok"),
                row(3, 9, 200, 100, "ok"),
            ],
            3_600_000 * MS,
        );
        assert!(chains.is_empty());
        // Overlapping failed calls are not retries of each other either.
        let chains = find_chains(
            &[
                row(1, 9, 0, 100, "transient"),
                row(2, 9, 5, 100, "transient"),
            ],
            3_600_000 * MS,
        );
        assert!(chains.is_empty());
    }

    #[test]
    fn success_in_the_middle_starts_a_new_chain() {
        let rows = vec![
            row(1, 9, 0, 100, "transient"),
            row(2, 9, 700, 100, "ok"),
            row(3, 9, 900, 100, "structural"),
            row(4, 9, 1002, 100, "structural"),
            row(5, 9, 1104, 100, "structural"),
        ];
        let chains = find_chains(&rows, 3_600_000 * MS);
        assert_eq!(chains.len(), 2);
        assert!(chains[0].succeeded && !chains[0].pointless);
        assert_eq!(chains[1].attempts.len(), 3);
        assert!(!chains[1].succeeded && chains[1].pointless);
        assert_eq!(chains[1].backoff, Backoff::None);
    }

    #[test]
    fn retry_in_a_later_trace_via_a_link() {
        let first = row(1, 9, 0, 100, "quota");
        let mut later = row(2, 7, 40_000, 100, "quota");
        later.trace_id = [2; 16];
        later.links = vec![([1; 16], [1; 8])];
        let mut unrelated = row(3, 7, 41_000, 100, "ok");
        unrelated.trace_id = [2; 16];
        unrelated.name = "chat other".into();
        unrelated.links = vec![([1; 16], [1; 8])];
        let chains = find_chains(&[later, first, unrelated], 3_600_000 * MS);
        assert_eq!(chains.len(), 1);
        let c = &chains[0];
        assert!(c.cross_trace && c.pointless && !c.succeeded);
        assert_eq!(c.trace_id, [1; 16]);
        assert_eq!(c.attempts[1].trace_id, [2; 16]);
    }

    #[test]
    fn explicit_counters_win() {
        // Counters restart at 0: two chains even though the first ended in an error.
        let counted = |span, start, class, n: i64| {
            let mut r = row(span, 9, start, 100, class);
            r.attributes = format!(r#"{{"http.request.resend_count": {n}}}"#);
            r
        };
        let rows = vec![
            counted(1, 0, "transient", 0),
            counted(2, 600, "transient", 1),
            counted(3, 1400, "transient", 0),
            counted(4, 2000, "ok", 1),
        ];
        let chains = find_chains(&rows, 3_600_000 * MS);
        assert_eq!(chains.len(), 2);
        assert!(chains.iter().all(|c| c.explicit && c.attempts.len() == 2));
        // The stainless header, as an array of strings.
        let mut r = row(1, 9, 0, 1, "ok");
        r.attributes = r#"{"http.request.header.x-stainless-retry-count": ["2"]}"#.into();
        assert_eq!(Attempt::from_row(&r).retry_index, Some(2));
        r.attributes = r#"{"llm.request.attempt": 3}"#.into();
        assert_eq!(Attempt::from_row(&r).retry_index, Some(2));
    }

    #[test]
    fn storms_by_count_and_by_burst() {
        let rows: Vec<AttemptRow> = (0..8)
            .map(|k| row(k + 1, 9, i64::from(k) * 103, 100, "structural"))
            .collect();
        let chains = find_chains(&rows, 3_600_000 * MS);
        assert_eq!(chains.len(), 1);
        assert!(chains[0].storm && chains[0].pointless);
        assert_eq!(chains[0].attempts.len(), 8);
        // Three short chains in one minute, in an hour otherwise quiet: a burst.
        let mut rows = Vec::new();
        for c in 0..3u8 {
            let parent = 20 + c;
            let base = i64::from(c) * 5_000;
            rows.push(row(3 * c + 1, parent, base, 100, "transient"));
            rows.push(row(3 * c + 2, parent, base + 1_000, 100, "transient"));
            rows.push(row(3 * c + 3, parent, base + 3_000, 100, "ok"));
        }
        let chains = find_chains(&rows, 3_600_000 * MS);
        assert_eq!(chains.len(), 3);
        assert!(
            chains
                .iter()
                .all(|c| c.storm && !c.pointless && c.succeeded)
        );
    }

    #[test]
    fn amplification_per_operation() {
        let rows = vec![row(1, 9, 0, 100, "transient"), row(2, 9, 600, 100, "ok")];
        let chains = find_chains(&rows, 3_600_000 * MS);
        let counts = vec![OperationCount {
            operation: "chat gpt-4o".into(),
            model: Some("gpt-4o".into()),
            spans: 10,
        }];
        let amp = amplification(&counts, &chains);
        assert_eq!(amp.len(), 1);
        assert_eq!(amp[0].logical_calls, 9);
        assert!((amp[0].ratio - 10.0 / 9.0).abs() < 1e-9);
    }
}
