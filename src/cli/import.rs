//! `tracedeck import`: imports files with a progress bar on a terminal, then one line per file.

use super::outln;
use std::io::IsTerminal as _;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::Context as _;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use tracedeck::ingest::{self, FileReport, ImportControl, Outcome};
use tracedeck::store::Store;

/// Errors and warnings printed per file; `--json` has them all (up to the importer's cap).
const SHOWN_DIAGNOSTICS: usize = 20;

/// Imports `paths`, then `reference` files, whose imports are marked as the drift reference.
pub fn run(
    db: &Path,
    paths: &[PathBuf],
    reference: &[PathBuf],
    json: bool,
) -> anyhow::Result<ExitCode> {
    let mut store = Store::open(db).with_context(|| format!("opening store {}", db.display()))?;
    let control = ImportControl::default();
    let bar = progress_bar();
    let reports = std::thread::scope(|scope| {
        // The job drops `finished` when it ends, which wakes the progress loop at once.
        let (finished, ended) = crossbeam_channel::bounded::<()>(0);
        let job = std::thread::Builder::new()
            .name("import".into())
            .spawn_scoped(scope, || -> anyhow::Result<Vec<FileReport>> {
                let _finished = finished;
                let mut reports = ingest::import_paths(&mut store, paths, &control)?;
                if !reference.is_empty() {
                    let marked = ingest::import_reference(&mut store, reference, &control)?;
                    reports.extend(marked);
                }
                Ok(reports)
            })?;
        loop {
            let p = control.snapshot();
            bar.set_length(p.bytes_total.max(1));
            bar.set_position(p.bytes_done);
            bar.set_message(format!(
                "{} spans, {:.0} spans/s  {}",
                p.spans_done,
                p.spans_per_sec(),
                short_name(&p.current_file)
            ));
            match ended.recv_timeout(Duration::from_millis(100)) {
                Err(crossbeam_channel::RecvTimeoutError::Timeout) => {}
                Ok(()) | Err(crossbeam_channel::RecvTimeoutError::Disconnected) => break,
            }
        }
        job.join()
            .map_err(|_| anyhow::anyhow!("the import thread panicked"))
    })??;
    let references: Vec<&Path> = reports
        .iter()
        .filter(|r| r.import_id.is_some() && r.predictions_read > 0 && is_reference(r, reference))
        .map(|r| r.path.as_path())
        .collect();
    bar.finish_and_clear();
    let counts = store.counts()?;
    if json {
        let out = serde_json::json!({
            "store": db,
            "files": reports,
            "counts": counts,
            "reference": references,
            "peak_rss_kb": peak_rss_kb(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        for report in &reports {
            print_report(report)?;
        }
        for path in &references {
            outln!(
                "reference: {} (drift is measured against it)",
                path.display()
            )?;
        }
        outln!(
            "store {}: {} spans, {} traces, {} services, {} predictions",
            db.display(),
            counts.spans,
            counts.traces,
            counts.services,
            store.prediction_count()?
        )?;
    }
    let refused = reports.iter().any(|r| r.outcome == Outcome::Rejected);
    let nothing = reports
        .iter()
        .all(|r| r.spans_read == 0 && r.predictions_read == 0);
    Ok(if refused || nothing {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

/// This process's peak resident memory in kB (`VmHWM`), where the OS reports it (Linux).
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status
        .lines()
        .find_map(|line| line.strip_prefix("VmHWM:"))?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn is_reference(report: &FileReport, reference: &[PathBuf]) -> bool {
    ingest::expand_paths(reference).contains(&report.path)
}

fn progress_bar() -> ProgressBar {
    let bar = ProgressBar::new(1);
    if !std::io::stderr().is_terminal() {
        bar.set_draw_target(ProgressDrawTarget::hidden());
        return bar;
    }
    let style =
        ProgressStyle::with_template("{bar:30.cyan/blue} {bytes}/{total_bytes} {msg} (eta {eta})")
            .unwrap_or_else(|_| ProgressStyle::default_bar());
    bar.set_style(style);
    bar
}

fn short_name(path: &str) -> &str {
    Path::new(path)
        .file_name()
        .and_then(|n| n.to_str())
        .unwrap_or(path)
}

fn print_report(r: &FileReport) -> std::io::Result<()> {
    let outcome = match r.outcome {
        Outcome::Ok => "ok",
        Outcome::Partial => "partial",
        Outcome::Rejected => "REFUSED",
        Outcome::Cancelled => "cancelled",
    };
    let mut line = if r.predictions_read > 0 {
        format!(
            "{outcome:<9} {} [{}]: {} predictions ({} new)",
            r.path.display(),
            r.format,
            r.predictions_read,
            r.predictions_new
        )
    } else {
        format!(
            "{outcome:<9} {} [{}]: {} spans ({} new), {} traces",
            r.path.display(),
            r.format,
            r.spans_read,
            r.spans_new,
            r.traces
        )
    };
    if r.skipped_lines > 0 {
        line.push_str(&format!(", {} metrics/logs lines skipped", r.skipped_lines));
    }
    line.push_str(&format!(", {} warnings, {} errors", r.warnings, r.errors));
    outln!("{line}")?;
    for d in r.diagnostics.iter().take(SHOWN_DIAGNOSTICS) {
        outln!("    {}: {d}", r.path.display())?;
    }
    let shown = r.diagnostics.len().min(SHOWN_DIAGNOSTICS) as u64;
    let hidden = (r.errors + r.warnings).saturating_sub(shown);
    if hidden > 0 {
        outln!("    ... and {hidden} more (all of them with --json)")?;
    }
    Ok(())
}
