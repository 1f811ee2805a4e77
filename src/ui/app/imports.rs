//! Imports from the app: the file and folder pickers, drag and drop, the import job and its
//! queue, and how often the views refresh while it runs.

use std::path::{Path, PathBuf};

use crate::ui::import_job::ImportJob;
use crate::ui::query::QueryPool;
use crate::ui::toasts::ToastKind;

use super::TracedeckApp;

impl TracedeckApp {
    /// Imports files or folders in the background (queued behind a running import).
    pub fn start_import(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        if self.import.is_some() {
            self.queued_imports.extend(paths);
            return;
        }
        self.start_import_job(ctx, paths, false);
    }

    /// Imports a prediction log as the reference drift is measured against, in the background
    /// like any import (queued behind a running one).
    pub fn start_reference_import(&mut self, ctx: &egui::Context, path: PathBuf) {
        if self.import.is_some() {
            self.queued_references.push(path);
            return;
        }
        self.start_import_job(ctx, vec![path], true);
    }

    fn start_import_job(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>, reference: bool) {
        if self.is_read_only() {
            self.toasts.add(
                ToastKind::Info,
                format!(
                    "Importing into your store {} (the open file is read-only)",
                    self.home_db.display()
                ),
            );
        }
        match ImportJob::start(self.home_db.clone(), paths, reference, ctx.clone()) {
            Ok(job) => self.import = Some(job),
            Err(e) => self.toasts.add(ToastKind::Error, e),
        }
    }

    pub(super) fn poll_import(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.import else {
            if !self.queued_imports.is_empty() {
                let next = std::mem::take(&mut self.queued_imports);
                self.start_import(ctx, next);
            } else if !self.queued_references.is_empty() {
                let next = std::mem::take(&mut self.queued_references);
                self.start_import_job(ctx, next, true);
            }
            return;
        };
        // New data lands while importing: views refetch about once a second, less often when
        // their queries are slow, as they share the machine's cores with the import.
        let spans_done = job.progress().spans_done;
        let busy = self
            .queries
            .as_ref()
            .map_or(std::time::Duration::ZERO, QueryPool::busy);
        let spent = busy.saturating_sub(self.refreshed_at_busy);
        if spans_done != self.refreshed_at_spans
            && self.refreshed_at.elapsed() >= refresh_interval_while_importing(spent)
        {
            self.refreshed_at_spans = spans_done;
            self.refreshed_at = std::time::Instant::now();
            self.refreshed_at_busy = busy;
            self.generation += 1;
        }
        let Some(result) = job.try_finish() else {
            return;
        };
        let reference = job.reference;
        self.import = None;
        self.generation += 1;
        match result {
            Ok(reports) => {
                if reference {
                    self.drift.reference_imported(&reports);
                }
                self.imported(reports);
            }
            Err(e) => self
                .toasts
                .add(ToastKind::Error, format!("Import failed: {e}")),
        }
    }

    /// Shows a finished import: a toast with its summary, its reports in the Import log.
    fn imported(&mut self, reports: Vec<crate::ingest::FileReport>) {
        let summary = crate::ui::import_log::summary(&reports);
        if summary.open_log {
            self.import_log.open = true;
        }
        self.import_log.add(reports);
        let kind = if summary.warning {
            ToastKind::Warning
        } else {
            ToastKind::Info
        };
        self.toasts.add(kind, summary.text);
    }

    pub(super) fn pick_files(&mut self, ctx: &egui::Context) {
        if let Some(files) = rfd::FileDialog::new()
            .set_title("Import trace files")
            .pick_files()
        {
            self.start_import(ctx, files);
        }
    }

    pub(super) fn pick_folder(&mut self, ctx: &egui::Context) {
        if let Some(folder) = rfd::FileDialog::new()
            .set_title("Import a folder of trace files")
            .pick_folder()
        {
            self.start_import(ctx, vec![folder]);
        }
    }

    pub(super) fn dropped_files(&mut self, ctx: &egui::Context) {
        let dropped: Vec<PathBuf> = ctx.input(|i| {
            i.raw
                .dropped_files
                .iter()
                .map(|f| f.path().to_owned())
                .filter(|p| !p.as_os_str().is_empty())
                .collect()
        });
        if dropped.is_empty() {
            return;
        }
        // A store file dropped alone opens it (a file named like one goes through the open
        // checks, which say what is wrong with it); anything else is imported.
        if let [only] = dropped.as_slice()
            && (is_sqlite_file(only)
                || only
                    .extension()
                    .is_some_and(|e| e.eq_ignore_ascii_case("sqlite")))
        {
            self.open_store(only.clone());
            return;
        }
        self.start_import(ctx, dropped);
    }
}

/// How long the views wait between refreshes while an import runs, given the query time the
/// last refresh cost (`spent`, summed over the query threads): at least a second, and four times
/// that cost, so the views' queries take no more than about a quarter of one core from the
/// import. On a 2-core laptop, refreshing every second over a million spans slowed a GUI import
/// to about half the speed of the same import in the CLI.
fn refresh_interval_while_importing(spent: std::time::Duration) -> std::time::Duration {
    const MIN_INTERVAL: std::time::Duration = std::time::Duration::from_secs(1);
    const COST_FACTOR: u32 = 4;
    MIN_INTERVAL.max(spent.saturating_mul(COST_FACTOR))
}

/// A file that starts with SQLite's header.
fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"SQLite format 3\0"
}

pub(super) fn drop_hint_ui(ctx: &egui::Context) {
    let hovering = ctx.input(|i| !i.raw.hovered_files.is_empty());
    if !hovering {
        return;
    }
    let screen = ctx.content_rect();
    let painter = ctx.layer_painter(egui::LayerId::new(
        egui::Order::Foreground,
        egui::Id::unique("drop_hint"),
    ));
    painter.rect_filled(screen, 0.0, egui::Color32::from_black_alpha(160));
    painter.text(
        screen.center(),
        egui::Align2::CENTER_CENTER,
        "Drop to import (a .sqlite file opens as a store)",
        egui::FontId::proportional(22.0),
        egui::Color32::WHITE,
    );
}

#[cfg(test)]
mod tests {
    use super::refresh_interval_while_importing;
    use std::time::Duration;

    #[test]
    fn views_refresh_at_most_once_a_second_and_back_off_when_their_queries_are_slow() {
        assert_eq!(
            refresh_interval_while_importing(Duration::ZERO),
            Duration::from_secs(1)
        );
        assert_eq!(
            refresh_interval_while_importing(Duration::from_millis(100)),
            Duration::from_secs(1)
        );
        // A refresh that cost 2.5 s of query time waits 10 s for the next one.
        assert_eq!(
            refresh_interval_while_importing(Duration::from_millis(2_500)),
            Duration::from_secs(10)
        );
    }
}
