//! Deterministic sample data and its ground truth. `generate` writes a "bad night" of an AI support
//! system as OTLP/JSON Lines (ordinary traffic in `agent-service.otlp.jsonl`, the incidents in
//! `incident-night.otlp.jsonl`), a two-week prediction log with drift and version skew
//! (`predictions.jsonl`), and a README, and returns the manifest: what tests and
//! views should find (retry chains, the 400 storm, invalid structured outputs, the out-of-order
//! conversation, drifted features). `generate_bench_spans` builds bulk spans for benchmarks.
//! Everything comes from the seed; nothing reads the clock.

mod batch;
mod bench;
mod build;
mod content;
mod incidents;
mod predictions;
mod rng;
mod traffic;

use std::collections::BTreeMap;
use std::fs::{self, File};
use std::io::{BufWriter, Write};
use std::path::Path;

use anyhow::Context as _;
use serde::Serialize;

pub use bench::BenchBatches;

use crate::model::ResourceSpans;

/// Ordinary traffic.
pub const AGENT_FILE: &str = "agent-service.otlp.jsonl";
/// The incidents.
pub const INCIDENT_FILE: &str = "incident-night.otlp.jsonl";
/// The prediction log.
pub const PREDICTIONS_FILE: &str = "predictions.jsonl";
/// What the files are.
pub const README_FILE: &str = "README.md";

/// Three hours of trace traffic.
const NIGHT_NS: u64 = 3 * 3_600_000_000_000;
/// Rows in the prediction log.
const PREDICTION_ROWS: usize = 3000;

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SampleOptions {
    /// About how many trace spans in all (incidents included). The default, 2600, keeps the
    /// files under 5 MB (OTLP/JSON with GenAI content runs about 1.3 KB a span).
    pub spans: usize,
    pub seed: u64,
    /// Start of the night, Unix nanoseconds; the prediction log covers the 14 days before it.
    pub start_unix_ns: u64,
}

impl Default for SampleOptions {
    fn default() -> Self {
        Self {
            spans: 2600,
            seed: 20_261_120,
            // 2026-11-20T22:00:00Z
            start_unix_ns: 1_795_212_000_000_000_000,
        }
    }
}

/// One written file.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleFile {
    pub name: String,
    /// `otlp-json-lines`, `prediction-jsonl` or `markdown`.
    pub format: String,
    pub spans: usize,
    pub traces: usize,
    /// JSON lines (requests or predictions).
    pub lines: usize,
    pub bytes: u64,
}

/// Attempts of one logical model call.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct RetryChain {
    pub file: String,
    pub trace_id: String,
    pub parent_span_id: String,
    /// In time order.
    pub attempt_span_ids: Vec<String>,
    pub model: String,
    /// Per attempt; 200 for the one that succeeded.
    pub http_statuses: Vec<i64>,
    /// Idle time from the end of one attempt to the start of the next, in ms.
    pub waits_ms: Vec<f64>,
    pub succeeded: bool,
    /// Input tokens recorded on failed attempts.
    pub wasted_input_tokens: i64,
}

/// The conversation whose tool results came back out of order.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct OutOfOrder {
    pub file: String,
    pub conversation_id: String,
    pub trace_id: String,
    /// The request Anthropic refused with a 400.
    pub failed_span_id: String,
    /// The same step, re-sent with the results in order; it succeeds.
    pub repaired_span_id: String,
    /// Index in the failed request's `gen_ai.input.messages` of the assistant message with the
    /// tool calls; the next message starts with text, then B's result, then A's.
    pub tool_call_message_index: usize,
    /// The tool call ids, in call order (A, B).
    pub tool_call_ids: Vec<String>,
    pub http_status: i64,
}

/// Model calls that declared JSON output (`gen_ai.output.type = json`).
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct StructuredOutputs {
    pub declared_json: usize,
    /// Output text that does not parse as JSON (truncated, trailing prose, single quotes).
    pub invalid_json: usize,
    pub invalid_span_ids: Vec<String>,
    /// `gen_ai.evaluation.result` events labelled `pass` / `fail` (fail exactly on invalid ones).
    pub eval_pass: usize,
    pub eval_fail: usize,
}

/// A version change in the prediction log.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VersionSwitch {
    pub at: String,
    pub from: String,
    pub to: String,
}

/// What the prediction log holds.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct PredictionTruth {
    pub file: String,
    pub model: String,
    pub rows: usize,
    pub first_timestamp: String,
    pub last_timestamp: String,
    /// `[start, end)` RFC 3339: the first week.
    pub reference_window: [String; 2],
    /// `[start, end)`: the second week.
    pub current_window: [String; 2],
    pub drifted_features: Vec<String>,
    pub stable_features: Vec<String>,
    pub model_version_switch: VersionSwitch,
    pub pipeline_version_switch: VersionSwitch,
    /// `[model_version, pipeline_version]` never seen together before the switch.
    pub skew_combination: [String; 2],
    pub skew_rows: usize,
    pub labeled_rows: usize,
    pub amount_mean_reference: f64,
    pub amount_mean_current: f64,
    pub country_share_reference: BTreeMap<String, f64>,
    pub country_share_current: BTreeMap<String, f64>,
}

/// Everything `generate` wrote, and the ground truth tests assert.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct SampleManifest {
    pub seed: u64,
    pub start_unix_ns: u64,
    /// End of the trace night (start + 3 h); a few spans may end just after.
    pub night_end_unix_ns: u64,
    pub files: Vec<SampleFile>,
    pub total_spans: usize,
    pub total_traces: usize,
    /// Distinct conversation keys (`session.id`, else `gen_ai.conversation.id`).
    pub conversations: usize,
    /// (a) `chat gpt-4o`: 429, 429, 429, then 200, growing waits.
    pub rate_limit_chain: RetryChain,
    /// (b) `chat claude-sonnet-4`: the same invalid request 8 times, waits under 5 ms.
    pub invalid_request_storm: RetryChain,
    /// Every retry chain in the files (the two above and a few 529-then-200 pairs).
    pub retry_chains: Vec<RetryChain>,
    /// (d) tool results out of order.
    pub out_of_order: OutOfOrder,
    /// (c) declared-JSON outputs.
    pub structured_outputs: StructuredOutputs,
    /// Spans with an `exception` event.
    pub exception_spans: usize,
    pub spans_with_links: usize,
    pub predictions: PredictionTruth,
}

impl SampleManifest {
    pub fn file(&self, name: &str) -> Option<&SampleFile> {
        self.files.iter().find(|f| f.name == name)
    }
}

/// Counters shared by the generators.
#[derive(Default)]
pub(crate) struct Truth {
    pub(crate) conversations: usize,
    pub(crate) exception_spans: usize,
    pub(crate) spans_with_links: usize,
    pub(crate) retry_chains: Vec<RetryChain>,
    pub(crate) structured: StructuredOutputs,
    /// Accumulator behind the 8% of invalid JSON outputs.
    pub(crate) json_invalid_acc: f64,
}

/// Writes the sample files into `out_dir` (created if missing) and returns their manifest.
pub fn generate(opts: &SampleOptions, out_dir: &Path) -> anyhow::Result<SampleManifest> {
    fs::create_dir_all(out_dir).with_context(|| format!("cannot create {}", out_dir.display()))?;
    let create = |name: &str| -> anyhow::Result<BufWriter<File>> {
        let path = out_dir.join(name);
        let file =
            File::create(&path).with_context(|| format!("cannot create {}", path.display()))?;
        Ok(BufWriter::with_capacity(1 << 20, file))
    };
    let catalog = batch::Catalog::new();
    let mut truth = Truth {
        json_invalid_acc: 0.5,
        ..Truth::default()
    };
    let t0 = opts.start_unix_ns;
    let mut files = Vec::new();

    // The incidents first: their size is fixed, the ordinary traffic fills the rest.
    let (batcher, featured) =
        incidents::write_incidents(create(INCIDENT_FILE)?, &catalog, opts.seed, t0, &mut truth)?;
    let incident_spans = otlp_file(INCIDENT_FILE, batcher, &mut files)?;

    let budget = opts.spans.saturating_sub(incident_spans);
    let batcher = traffic::write_traffic(
        create(AGENT_FILE)?,
        &catalog,
        opts.seed,
        t0,
        NIGHT_NS,
        budget,
        &mut truth,
    )?;
    otlp_file(AGENT_FILE, batcher, &mut files)?;

    let mut out = create(PREDICTIONS_FILE)?;
    let predictions = predictions::write_predictions(&mut out, opts.seed, t0, PREDICTION_ROWS)?;
    out.flush()?;
    files.push(SampleFile {
        name: PREDICTIONS_FILE.to_owned(),
        format: "prediction-jsonl".to_owned(),
        lines: predictions.rows,
        ..SampleFile::default()
    });

    let mut manifest = SampleManifest {
        seed: opts.seed,
        start_unix_ns: t0,
        night_end_unix_ns: t0 + NIGHT_NS,
        total_spans: files.iter().map(|f| f.spans).sum(),
        total_traces: files.iter().map(|f| f.traces).sum(),
        files,
        conversations: truth.conversations,
        rate_limit_chain: featured.rate_limit_chain,
        invalid_request_storm: featured.invalid_request_storm,
        retry_chains: truth.retry_chains,
        out_of_order: featured.out_of_order,
        structured_outputs: truth.structured,
        exception_spans: truth.exception_spans,
        spans_with_links: truth.spans_with_links,
        predictions,
    };

    let mut readme = create(README_FILE)?;
    readme.write_all(readme_text(opts, &manifest).as_bytes())?;
    readme.flush()?;
    drop(readme);
    manifest.files.push(SampleFile {
        name: README_FILE.to_owned(),
        format: "markdown".to_owned(),
        ..SampleFile::default()
    });
    for f in &mut manifest.files {
        f.bytes = fs::metadata(out_dir.join(&f.name))
            .map(|m| m.len())
            .unwrap_or(0);
    }
    Ok(manifest)
}

fn otlp_file<W: Write>(
    name: &str,
    batcher: batch::Batcher<'_, W>,
    files: &mut Vec<SampleFile>,
) -> anyhow::Result<usize> {
    let counts = batcher.finish()?;
    files.push(SampleFile {
        name: name.to_owned(),
        format: "otlp-json-lines".to_owned(),
        spans: counts.spans,
        traces: counts.traces,
        lines: counts.lines,
        bytes: 0,
    });
    Ok(counts.spans)
}

/// Realistic spans for benchmarks: about `n` spans in traces of 5-50 spans, in Collector-like
/// batches of whole traces (about 512 spans each, grouped by service). Use [`BenchBatches`] to
/// stream them instead of holding all in memory (about 1.5 KB per span).
pub fn generate_bench_spans(n: usize, seed: u64) -> Vec<ResourceSpans> {
    BenchBatches::new(n, seed, 512).flatten().collect()
}

fn readme_text(opts: &SampleOptions, m: &SampleManifest) -> String {
    let count = |name: &str| m.file(name).map(|f| f.spans).unwrap_or(0);
    let lines = |name: &str| m.file(name).map(|f| f.lines).unwrap_or(0);
    format!(
        r#"# Sample traces

Generated by `tracedeck gen-samples` (seed {seed}, {spans} spans requested); every id, time and
value comes from the seed, so the same command writes the same bytes. A "bad night" of an AI
support system, starting {start} (Unix ns {start_ns}), three hours long.

| file | what it holds |
| --- | --- |
| `{agent}` | OTLP/JSON Lines as the Collector file exporter writes them ({agent_lines} requests, {agent_spans} spans): ordinary traffic of `api-gateway`, `support-agent`, `vector-store`, `billing-api`. Multi-turn support conversations (3-8 turns, `gen_ai.conversation.id`, some `session.id`) with `invoke_agent`, `chat claude-sonnet-4` / `chat gpt-4o` (GenAI semantic conventions, messages in `gen_ai.input.messages` / `gen_ai.output.messages`), `execute_tool` spans and the HTTP and database spans they cause; account page requests; queued conversation summaries linked to the conversation. Triage and summary calls declare `gen_ai.output.type = json`; about 8% of their outputs are not valid JSON. A few 529 overloaded errors retried once, a few tool timeouts with exception events. |
| `{incident}` | The incidents ({incident_spans} spans): a `chat gpt-4o` call rate limited (429) three times and retried with growing backoff until it succeeds; a conversation whose tool results come back out of order (Anthropic 400, then repaired); an agent that drops a failed tool's result and sends the same invalid request 8 times without waiting (400 `invalid_request_error` storm), and the user's retry in a later trace linking back to it. |
| `{pred}` | {rows} predictions of `fraud-scorer` over the 14 days before the night. In the second week `amount` and `country` drift; `account_age_days`, `device` and `hour` do not. Model 3.2.0 -> 3.3.0 at {model_at}, pipeline 2.3 -> 2.4 at {pipe_at}: model 3.3.0 with pipeline 2.3 is a skew window. |

Regenerate (from the repository root):

    cargo run --release -- gen-samples --out sample_traces

Bench-size data (about a million spans; the prediction log keeps its size):

    cargo run --release -- gen-samples --out /tmp/bench_traces --spans 1000000
"#,
        seed = opts.seed,
        spans = opts.spans,
        start = predictions::rfc3339_ms(opts.start_unix_ns),
        start_ns = opts.start_unix_ns,
        agent = AGENT_FILE,
        agent_lines = lines(AGENT_FILE),
        agent_spans = count(AGENT_FILE),
        incident = INCIDENT_FILE,
        incident_spans = count(INCIDENT_FILE),
        pred = PREDICTIONS_FILE,
        rows = m.predictions.rows,
        model_at = m.predictions.model_version_switch.at,
        pipe_at = m.predictions.pipeline_version_switch.at,
    )
}

#[cfg(test)]
mod tests;
