//! Which store the app shows: the user's own (opened and migrated off the UI thread), or a
//! file from someone else (checked off the UI thread, then read-only with a banner, "Import into
//! my store", and its start-here pointer followed); the windows of opening and upgrading one.

use std::path::{Path, PathBuf};

use crate::share::{CheckedFile, StartHere};
use crate::store::{SpanFilter, Store};
use crate::ui::conversations::ConversationsView;
use crate::ui::drift::DriftView;
use crate::ui::format;
use crate::ui::overview::OverviewView;
use crate::ui::query::QueryPool;
use crate::ui::retries::RetriesView;
use crate::ui::share_job::ShareJob;
use crate::ui::sidebar::Sidebar;
use crate::ui::toasts::ToastKind;
use crate::ui::traces_view::TracesView;
use crate::ui::validation::ValidationView;
use crate::ui::view_ctx::Nav;

use super::TracedeckApp;

/// Stores remembered in File > Open recent.
const MAX_RECENT: usize = 10;

impl TracedeckApp {
    /// Opens a store file. The user's own store opens (created and migrated if needed) for
    /// writing; any other file is checked off the UI thread first and opens read-only.
    pub fn open_store(&mut self, db: PathBuf) {
        if self.is_home(&db) {
            self.open_own(db);
            return;
        }
        self.refusal = None;
        self.upgrade_offer = None;
        self.opening_own = None;
        self.navigation_while_opening.clear();
        let path = db.clone();
        match ShareJob::start("open-check", &self.egui_ctx, move |_| {
            crate::share::check_file(&path).map_err(|e| e.to_string())
        }) {
            Ok(job) => self.checking = Some((db, job)),
            Err(e) => self.refusal = Some(e),
        }
    }

    fn is_home(&self, db: &Path) -> bool {
        match (
            std::fs::canonicalize(db),
            std::fs::canonicalize(&self.home_db),
        ) {
            (Ok(a), Ok(b)) => a == b,
            _ => db == self.home_db,
        }
    }

    /// Opens the user's own store on another thread (creating or migrating a large store takes
    /// a while); `poll_sharing` shows it when it is ready.
    fn open_own(&mut self, db: PathBuf) {
        self.queries = None;
        self.checking = None;
        let path = db.clone();
        match ShareJob::start("open-store", &self.egui_ctx, move |_| {
            Store::open(&path)
                .and_then(|_| QueryPool::new(&path, 2))
                .map_err(|e| e.to_string())
        }) {
            Ok(job) => self.opening_own = Some((db, job)),
            Err(e) => self.opened(db, Err(e), None),
        }
    }

    /// Shows a checked file from someone else, read-only, at its start-here pointer.
    fn open_checked(&mut self, checked: CheckedFile) {
        self.queries = None;
        let db = checked.path.clone();
        let opened = QueryPool::new_untrusted(&db, 2).map_err(|e| e.to_string());
        let start_here = checked
            .snapshot
            .as_ref()
            .and_then(|s| s.start_here.as_deref())
            .and_then(|p| p.parse::<StartHere>().ok());
        let ok = opened.is_ok();
        self.opened(db, opened, Some(checked));
        if ok && let Some(pointer) = start_here {
            self.navigate(vec![start_nav(pointer)]);
        }
    }

    fn opened(
        &mut self,
        db: PathBuf,
        opened: Result<QueryPool, String>,
        foreign: Option<CheckedFile>,
    ) {
        match opened {
            Ok(pool) => {
                self.queries = Some(pool);
                self.store_error = None;
                self.settings.recent_stores.retain(|p| p != &db);
                self.settings.recent_stores.insert(0, db.clone());
                self.settings.recent_stores.truncate(MAX_RECENT);
            }
            Err(e) => {
                self.toasts.add(ToastKind::Error, e.clone());
                self.store_error = Some(e);
            }
        }
        self.foreign = foreign;
        self.db = db;
        self.filter = SpanFilter::default();
        self.sidebar = Sidebar::default();
        self.overview = OverviewView::default();
        self.traces = TracesView::default();
        self.latency = crate::ui::latency::LatencyView::default();
        self.retries = RetriesView::default();
        self.validation = ValidationView::default();
        self.conversations = ConversationsView::default();
        self.drift = DriftView::default();
        self.generation += 1;
        let waiting = std::mem::take(&mut self.navigation_while_opening);
        if self.queries.is_some() && self.foreign.is_none() {
            self.navigate(waiting);
        }
    }

    /// Takes in the answers of opening the own store, of the open checks, and of an import
    /// from another store.
    pub(super) fn poll_sharing(&mut self) {
        if let Some((_, job)) = &self.opening_own
            && let Some(result) = job.try_finish()
            && let Some((db, _)) = self.opening_own.take()
        {
            self.opened(db, result, None);
        }
        if let Some((_, job)) = &self.checking
            && let Some(result) = job.try_finish()
        {
            self.checking = None;
            match result {
                Ok(checked) if checked.upgrade_from.is_some() => self.upgrade_offer = Some(checked),
                Ok(checked) => self.open_checked(checked),
                Err(refusal) => self.refusal = Some(refusal),
            }
        }
        if let Some(job) = &self.merge
            && let Some(result) = job.try_finish()
        {
            self.merge = None;
            match result {
                Ok(m) => self.toasts.add(
                    ToastKind::Info,
                    format!(
                        "Imported into your store: {} new spans ({} already there), {} new predictions",
                        format::count(m.spans_new),
                        format::count(m.spans_read - m.spans_new),
                        format::count(m.predictions_new)
                    ),
                ),
                Err(e) => self
                    .toasts
                    .add(ToastKind::Error, format!("Import into your store failed: {e}")),
            }
        }
    }

    /// Copies the data of the read-only file shown into the user's own store.
    pub fn import_into_my_store(&mut self) {
        if self.merge.is_some() || !self.is_read_only() {
            return;
        }
        let from = self.db.clone();
        let home = self.home_db.clone();
        match ShareJob::start("import-into-store", &self.egui_ctx, move |control| {
            let mut store = Store::open(&home).map_err(|e| e.to_string())?;
            crate::share::merge::import_into(&from, &mut store, control).map_err(|e| e.to_string())
        }) {
            Ok(job) => self.merge = Some(job),
            Err(e) => self.toasts.add(ToastKind::Error, e),
        }
    }

    fn upgrade_copy(&mut self, checked: CheckedFile) {
        let stem = checked
            .path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "store".to_owned());
        let dest = self
            .home_db
            .parent()
            .map(Path::to_path_buf)
            .unwrap_or_default()
            .join("upgraded")
            .join(format!(
                "{stem}-schema{}.sqlite",
                crate::store::SCHEMA_VERSION
            ));
        let result = crate::share::open_check::upgrade_copy(&checked, &dest)
            .map_err(|e| e.to_string())
            .and_then(|copy| crate::share::check_file(&copy).map_err(|e| e.to_string()));
        match result {
            Ok(upgraded) => {
                self.toasts.add(
                    ToastKind::Info,
                    format!("Opened an upgraded copy: {}", dest.display()),
                );
                self.open_checked(upgraded);
            }
            Err(e) => self.refusal = Some(format!("Upgrading a copy failed: {e}")),
        }
    }

    /// The windows of opening a file: checks running, an upgrade offer, a refusal.
    pub(super) fn opening_ui(&mut self, ctx: &egui::Context) {
        if let Some((path, _)) = &self.checking {
            egui::Window::new("Opening")
                .collapsible(false)
                .resizable(false)
                .show(ctx, |ui| {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.label(format!("Checking {}...", path.display()));
                    });
                });
        }
        if let Some(checked) = self.upgrade_offer.clone() {
            let mut choice = None;
            egui::Window::new("Older store")
                .collapsible(false)
                .resizable(false)
                .show(ctx, |ui| {
                    ui.label(format!(
                        "{} has schema version {}, older than this tracedeck's {}.",
                        checked.path.display(),
                        checked.upgrade_from.unwrap_or_default(),
                        crate::store::SCHEMA_VERSION
                    ));
                    ui.label(
                        "tracedeck can open an upgraded copy; the file itself stays as it is.",
                    );
                    ui.horizontal(|ui| {
                        if ui.button("Upgrade a copy").clicked() {
                            choice = Some(true);
                        }
                        if ui.button("Cancel").clicked() {
                            choice = Some(false);
                        }
                    });
                });
            if let Some(accept) = choice {
                self.upgrade_offer = None;
                if accept {
                    self.upgrade_copy(checked);
                }
            }
        }
        if let Some(refusal) = self.refusal.clone() {
            egui::Window::new("Cannot open this file")
                .collapsible(false)
                .resizable(false)
                .show(ctx, |ui| {
                    ui.colored_label(ui.visuals().error_fg_color, refusal);
                    ui.label("Nothing was opened or changed.");
                    if ui.button("OK").clicked() {
                        self.refusal = None;
                    }
                });
        }
    }

    /// The banner over a file from someone else: what it is, read-only, import into my store.
    pub(super) fn read_only_banner_ui(&mut self, ui: &mut egui::Ui) {
        let Some(checked) = &self.foreign else {
            return;
        };
        let name = checked
            .path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let what = match &checked.snapshot {
            Some(s) => {
                let redacted = s
                    .redaction
                    .get("enabled")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                format!(
                    "Read-only: snapshot {name}, made {} by tracedeck {} from {}{}",
                    s.made_at.get(..16).unwrap_or(&s.made_at).replace('T', " "),
                    s.tracedeck_version,
                    s.source,
                    if redacted {
                        ", redacted"
                    } else {
                        ", not redacted"
                    }
                )
            }
            None => format!("Read-only: {name}, a tracedeck store that is not yours"),
        };
        let mut import = false;
        let mut back = false;
        ui.horizontal(|ui| {
            ui.colored_label(ui.visuals().warn_fg_color, what);
            if self.merge.is_some() {
                ui.spinner();
                ui.label("importing into your store...");
            } else if ui.button("Import into my store").clicked() {
                import = true;
            }
            if ui.button("Back to my store").clicked() {
                back = true;
            }
        });
        if import {
            self.import_into_my_store();
        }
        if back {
            self.open_store(self.home_db.clone());
        }
    }

    pub(super) fn pick_store(&mut self) {
        if let Some(file) = rfd::FileDialog::new()
            .set_title("Open a tracedeck store")
            .add_filter("tracedeck store", &["sqlite", "db"])
            .pick_file()
        {
            self.open_store(file);
        }
    }
}

/// Where a start-here pointer leads in the app.
fn start_nav(pointer: StartHere) -> Nav {
    match pointer {
        StartHere::Trace { trace_id, span_id } => Nav::OpenTrace { trace_id, span_id },
        StartHere::Conversation { key, step } => Nav::OpenConversation {
            key,
            step: Some(step.saturating_sub(1)),
        },
    }
}
