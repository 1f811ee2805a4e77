//! Import: files or folders in, spans (and predictions) in the store out. Formats are told from
//! the bytes (`sniff`), read by one module per format (`otlp_json`, `otlp_proto`, `jaeger_json`,
//! `predictions` for prediction logs), and
//! streamed through `pipeline` with progress and cancellation. Everything wrong with an input
//! becomes a [`Diagnostic`] naming the file and the line, frame or field.

pub mod diagnostics;
mod ids;
mod jaeger_json;
mod otlp_json;
mod otlp_proto;
mod parsed;
mod pipeline;
mod predictions;
mod sniff;

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use serde::Serialize;

pub use diagnostics::{Diagnostic, Location, Severity};
use parsed::Parsed;
pub use predictions::import_reference;

use crate::model::{Anomalies, Span, hex_lower};
use crate::store::{Store, StoreError};

/// How the import of one file ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Outcome {
    /// Everything imported.
    Ok,
    /// Some data imported, some errors reported.
    Partial,
    /// Nothing imported: not a supported file, or nothing in it could be read.
    Rejected,
    /// Stopped by the user; what was committed stays.
    Cancelled,
}

/// What importing one file did.
#[derive(Clone, Debug, Serialize)]
pub struct FileReport {
    pub path: PathBuf,
    pub format: String,
    pub outcome: Outcome,
    /// Spans read from the file (a span present twice counts twice).
    pub spans_read: u64,
    /// Spans the store did not have before.
    pub spans_new: u64,
    /// Spans already in the store (or earlier in this file), not stored again.
    pub duplicates: u64,
    pub traces: u64,
    pub documents: u64,
    /// Lines holding metrics or logs, skipped on purpose.
    pub skipped_lines: u64,
    /// Prediction records read from a prediction log.
    pub predictions_read: u64,
    /// Predictions the store did not have before.
    pub predictions_new: u64,
    pub errors: u64,
    pub warnings: u64,
    /// The first diagnostics, in file order.
    pub diagnostics: Vec<Diagnostic>,
    /// The `imports` row, when one was kept.
    pub import_id: Option<i64>,
}

impl FileReport {
    pub(crate) fn new(path: &Path, format: &str) -> Self {
        Self {
            path: path.to_owned(),
            format: format.to_owned(),
            outcome: Outcome::Ok,
            spans_read: 0,
            spans_new: 0,
            duplicates: 0,
            traces: 0,
            documents: 0,
            skipped_lines: 0,
            predictions_read: 0,
            predictions_new: 0,
            errors: 0,
            warnings: 0,
            diagnostics: Vec::new(),
            import_id: None,
        }
    }

    fn finish_outcome(&mut self, cancelled: bool) {
        self.diagnostics.sort_by_key(|d| d.location.order_key());
        self.outcome = if cancelled {
            Outcome::Cancelled
        } else if self.spans_read == 0 && self.predictions_read == 0 && self.errors > 0 {
            Outcome::Rejected
        } else if self.errors > 0 {
            Outcome::Partial
        } else {
            Outcome::Ok
        };
    }

    /// Each diagnostic as `file: where: severity: message`.
    pub fn diagnostic_lines(&self) -> impl Iterator<Item = String> + '_ {
        self.diagnostics
            .iter()
            .map(|d| format!("{}: {d}", self.path.display()))
    }
}

/// Shared counters an import updates and a progress display reads.
#[derive(Debug, Default)]
pub struct Progress {
    pub bytes_done: AtomicU64,
    pub bytes_total: AtomicU64,
    pub spans_done: AtomicU64,
    pub files_done: AtomicUsize,
    pub files_total: AtomicUsize,
    current_file: Mutex<String>,
}

/// A copy of the progress at one moment.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ProgressSnapshot {
    pub bytes_done: u64,
    pub bytes_total: u64,
    pub spans_done: u64,
    pub files_done: usize,
    pub files_total: usize,
    pub current_file: String,
    pub elapsed: Duration,
}

impl ProgressSnapshot {
    /// Fraction of bytes read, 0 to 1.
    pub fn fraction(&self) -> f32 {
        if self.bytes_total == 0 {
            0.0
        } else {
            (self.bytes_done as f64 / self.bytes_total as f64).clamp(0.0, 1.0) as f32
        }
    }

    pub fn spans_per_sec(&self) -> f64 {
        let secs = self.elapsed.as_secs_f64();
        if secs > 0.0 {
            self.spans_done as f64 / secs
        } else {
            0.0
        }
    }

    /// Estimated time left, from the byte rate so far.
    pub fn time_left(&self) -> Option<Duration> {
        let secs = self.elapsed.as_secs_f64();
        if self.bytes_done == 0 || secs < 0.2 {
            return None;
        }
        let rate = self.bytes_done as f64 / secs;
        let left = self.bytes_total.saturating_sub(self.bytes_done) as f64 / rate;
        Some(Duration::from_secs_f64(left))
    }
}

/// Progress and cancellation of an import, shared with whoever shows it.
#[derive(Debug)]
pub struct ImportControl {
    pub progress: Arc<Progress>,
    cancel: AtomicBool,
    started: Instant,
}

impl Default for ImportControl {
    fn default() -> Self {
        Self {
            progress: Arc::new(Progress::default()),
            cancel: AtomicBool::new(false),
            started: Instant::now(),
        }
    }
}

impl ImportControl {
    /// Asks the import to stop at the next batch; committed data stays.
    pub fn cancel(&self) {
        self.cancel.store(true, Ordering::Relaxed);
    }

    pub fn is_cancelled(&self) -> bool {
        self.cancel.load(Ordering::Relaxed)
    }

    pub fn snapshot(&self) -> ProgressSnapshot {
        let p = &self.progress;
        ProgressSnapshot {
            bytes_done: p.bytes_done.load(Ordering::Relaxed),
            bytes_total: p.bytes_total.load(Ordering::Relaxed),
            spans_done: p.spans_done.load(Ordering::Relaxed),
            files_done: p.files_done.load(Ordering::Relaxed),
            files_total: p.files_total.load(Ordering::Relaxed),
            current_file: p.current_file.lock().map(|s| s.clone()).unwrap_or_default(),
            elapsed: self.started.elapsed(),
        }
    }
}

/// Every file the paths name: files as given, folders walked (sorted; hidden entries and
/// Markdown files skipped).
pub fn expand_paths(paths: &[PathBuf]) -> Vec<PathBuf> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) {
        let Ok(entries) = std::fs::read_dir(dir) else {
            out.push(dir.to_owned());
            return;
        };
        // Hidden files and Markdown notes (a folder's README) are not trace data.
        let mut children: Vec<PathBuf> = entries
            .filter_map(Result::ok)
            .map(|e| e.path())
            .filter(|p| {
                p.file_name()
                    .and_then(|n| n.to_str())
                    .is_some_and(|n| !n.starts_with('.') && !n.ends_with(".md"))
            })
            .collect();
        children.sort();
        for child in children {
            if child.is_dir() {
                walk(&child, out);
            } else {
                out.push(child);
            }
        }
    }
    let mut out = Vec::new();
    for path in paths {
        if path.is_dir() {
            walk(path, &mut out);
        } else {
            out.push(path.clone());
        }
    }
    out
}

/// Imports every file the paths name into `store`, one report per file. Only a store failure
/// (disk full, a broken store) stops it early; files that cannot be read get a report saying why.
pub fn import_paths(
    store: &mut Store,
    paths: &[PathBuf],
    control: &ImportControl,
) -> Result<Vec<FileReport>, StoreError> {
    let files = expand_paths(paths);
    let total: u64 = files
        .iter()
        .filter_map(|f| std::fs::metadata(f).ok())
        .map(|m| m.len())
        .sum();
    control.progress.bytes_total.store(total, Ordering::Relaxed);
    control
        .progress
        .files_total
        .store(files.len(), Ordering::Relaxed);
    let mut reports = Vec::with_capacity(files.len());
    for file in files {
        if control.is_cancelled() {
            break;
        }
        if let Ok(mut current) = control.progress.current_file.lock() {
            *current = file.display().to_string();
        }
        let before = control.progress.bytes_done.load(Ordering::Relaxed);
        let report = pipeline::import_file(store, &file, control)?;
        // A file read only in part (an error, a cancel) still counts as done for the bar.
        let size = std::fs::metadata(&file).map(|m| m.len()).unwrap_or(0);
        control
            .progress
            .bytes_done
            .store(before + size, Ordering::Relaxed);
        control.progress.files_done.fetch_add(1, Ordering::Relaxed);
        reports.push(report);
    }
    Ok(reports)
}

/// Decodes one OTLP/JSON text (a document or one line) into spans, without a store; problems
/// inside it come back as diagnostics. A text that is not JSON is an `Err`.
pub fn decode_otlp_json_text(
    text: &str,
) -> Result<(Vec<crate::model::ResourceSpans>, Vec<Diagnostic>), String> {
    let mut out = Parsed::default();
    match otlp_json::parse_text(text, 1, false, &mut out) {
        Ok(otlp_json::DocKind::Traces) => Ok((out.blocks, out.diagnostics)),
        Ok(other) => Err(format!("not OTLP traces ({other:?})")),
        Err(e) => Err(otlp_json::describe_json_error(&e, false)),
    }
}

/// Decodes one OTLP protobuf `ExportTraceServiceRequest` into spans, without a store.
pub fn decode_otlp_proto(
    bytes: &[u8],
) -> Result<(Vec<crate::model::ResourceSpans>, Vec<Diagnostic>), String> {
    let req = otlp_proto::decode(bytes).map_err(|e| format!("invalid protobuf: {e}"))?;
    let mut out = Parsed::default();
    otlp_proto::convert(req, &Location::Document, &mut out);
    Ok((out.blocks, out.diagnostics))
}

/// Warns about a span that ends before it starts or is its own parent (imported all the same).
fn warn_anomalies(span: &Span, at: impl Fn() -> Location, out: &mut Parsed) {
    let anomalies = Anomalies::of(span);
    if anomalies.end_before_start() {
        let ms = (span.start_ns - span.end_ns) as f64 / 1e6;
        out.diagnostics.push(Diagnostic::warning(
            at(),
            format!(
                "span {} '{}' ends {ms:.3} ms before it starts (clock skew?); its duration is stored as -{ms:.3} ms",
                hex_lower(&span.span_id),
                span.name
            ),
        ));
    }
    if anomalies.self_parent() {
        out.diagnostics.push(Diagnostic::warning(
            at(),
            format!(
                "span {} '{}' names itself as its parent; shown as a top-level span",
                hex_lower(&span.span_id),
                span.name
            ),
        ));
    }
}
