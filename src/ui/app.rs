//! The app shell: menu bar, left panel, tabs, status bar with import progress, the import log,
//! toasts, drag and drop, keyboard shortcuts, and what is remembered between runs. Also which
//! file is open: the user's own store (writable), or a file from someone else, checked off the
//! UI thread first and shown read-only with a banner, "Import into my store", and its
//! "start here" pointer followed.

use std::path::{Path, PathBuf};

use crate::share::merge::MergeSummary;
use crate::share::{CheckedFile, StartHere};
use crate::store::{SpanFilter, Store};

use super::conversations::ConversationsView;
use super::drift::DriftView;
use super::export_dialog::{ExportContext, ExportDialog};
use super::format;
use super::import_job::ImportJob;
use super::import_log::ImportLog;
use super::overview::OverviewView;
use super::query::QueryPool;
use super::retries::RetriesView;
use super::share_job::ShareJob;
use super::sidebar::Sidebar;
use super::toasts::{ToastKind, Toasts};
use super::traces_view::TracesView;
use super::validation::ValidationView;
use super::view_ctx::{Nav, Tab, ViewCtx};

const SETTINGS_KEY: &str = "tracedeck.settings";
const MAX_RECENT: usize = 10;

/// What is remembered between runs (window size and panel widths are eframe's and egui's).
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Settings {
    pub tab: Tab,
    pub theme: ThemeChoice,
    pub recent_stores: Vec<PathBuf>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum ThemeChoice {
    #[default]
    System,
    Light,
    Dark,
}

impl ThemeChoice {
    fn preference(self) -> egui::ThemePreference {
        match self {
            ThemeChoice::System => egui::ThemePreference::System,
            ThemeChoice::Light => egui::ThemePreference::Light,
            ThemeChoice::Dark => egui::ThemePreference::Dark,
        }
    }
}

/// How the app starts.
pub struct StartOptions {
    pub db: PathBuf,
    pub import_paths: Vec<PathBuf>,
    /// Which renderer eframe uses, for the About box.
    pub renderer: String,
}

pub struct TracedeckApp {
    settings: Settings,
    /// The file shown.
    db: PathBuf,
    /// The user's own store: imports go here, and "Import into my store".
    home_db: PathBuf,
    /// Set when the file shown is someone else's: it is open read-only.
    foreign: Option<CheckedFile>,
    /// The open checks of a file from someone else, running.
    checking: Option<(PathBuf, ShareJob<CheckedFile>)>,
    /// The user's own store being opened (created or migrated) off the UI thread.
    opening_own: Option<(PathBuf, ShareJob<QueryPool>)>,
    /// Where to go once the own store being opened is shown: a navigation asked for before it
    /// was ready (a link at start-up) would otherwise be wiped by the views' reset.
    navigation_while_opening: Vec<Nav>,
    /// A file with an older schema, waiting for the user to accept upgrading a copy.
    upgrade_offer: Option<CheckedFile>,
    /// Why the last file could not be opened.
    refusal: Option<String>,
    export_dialog: ExportDialog,
    merge: Option<ShareJob<MergeSummary>>,
    title: String,
    egui_ctx: egui::Context,
    queries: Option<QueryPool>,
    store_error: Option<String>,
    filter: SpanFilter,
    generation: u64,
    sidebar: Sidebar,
    overview: OverviewView,
    traces: TracesView,
    latency: super::latency::LatencyView,
    retries: RetriesView,
    validation: ValidationView,
    conversations: ConversationsView,
    drift: DriftView,
    import: Option<ImportJob>,
    queued_imports: Vec<PathBuf>,
    /// Reference prediction logs waiting for the running import.
    queued_references: Vec<PathBuf>,
    import_log: ImportLog,
    toasts: Toasts,
    renderer: String,
    show_about: bool,
    refreshed_at: std::time::Instant,
    refreshed_at_spans: u64,
    /// [`QueryPool::busy`] at the last refresh during an import.
    refreshed_at_busy: std::time::Duration,
}

impl TracedeckApp {
    /// Builds the app; `storage` is eframe's persistence, when there is one.
    pub fn new(
        ctx: &egui::Context,
        storage: Option<&dyn eframe::Storage>,
        start: StartOptions,
    ) -> Self {
        let settings: Settings = storage
            .and_then(|s| eframe::get_value(s, SETTINGS_KEY))
            .unwrap_or_default();
        ctx.set_theme(settings.theme.preference());
        let mut app = Self {
            settings,
            db: start.db.clone(),
            home_db: start.db.clone(),
            foreign: None,
            checking: None,
            opening_own: None,
            navigation_while_opening: Vec::new(),
            upgrade_offer: None,
            refusal: None,
            export_dialog: ExportDialog::default(),
            merge: None,
            title: String::new(),
            egui_ctx: ctx.clone(),
            queries: None,
            store_error: None,
            filter: SpanFilter::default(),
            generation: 0,
            sidebar: Sidebar::default(),
            overview: OverviewView::default(),
            traces: TracesView::default(),
            latency: super::latency::LatencyView::default(),
            retries: RetriesView::default(),
            validation: ValidationView::default(),
            conversations: ConversationsView::default(),
            drift: DriftView::default(),
            import: None,
            queued_imports: Vec::new(),
            queued_references: Vec::new(),
            import_log: ImportLog::default(),
            toasts: Toasts::default(),
            renderer: start.renderer,
            show_about: false,
            refreshed_at: std::time::Instant::now(),
            refreshed_at_spans: 0,
            refreshed_at_busy: std::time::Duration::ZERO,
        };
        app.open_store(start.db);
        if !start.import_paths.is_empty() {
            app.start_import(ctx, start.import_paths);
        }
        app
    }

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

    /// Goes where a view, a link or a snapshot's start-here pointer asks.
    pub fn navigate_to(&mut self, nav: Nav) {
        self.navigate(vec![nav]);
    }

    /// The conversation open in the Conversations tab and its step (0-based).
    pub fn open_conversation(&self) -> Option<(String, usize)> {
        self.conversations.current_step()
    }

    /// The trace open in the Traces tab and its selected span.
    pub fn selected_span(&self) -> Option<(crate::model::TraceId, Option<crate::model::SpanId>)> {
        self.traces.selected_span()
    }

    /// Whether the file shown is someone else's (open read-only).
    pub fn is_read_only(&self) -> bool {
        self.foreign.is_some()
    }

    /// Whether a file's open checks are running.
    pub fn is_checking(&self) -> bool {
        self.checking.is_some()
    }

    /// Why the last file could not be opened.
    pub fn refusal(&self) -> Option<&str> {
        self.refusal.as_deref()
    }

    /// The window title: the file shown, and "read-only" for someone else's file.
    pub fn window_title(&self) -> String {
        let name = self
            .db
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        if self.is_read_only() {
            format!("tracedeck - {name} (read-only)")
        } else {
            format!("tracedeck - {name}")
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
        self.latency = super::latency::LatencyView::default();
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

    pub fn db(&self) -> &Path {
        &self.db
    }

    /// Whether the store is open and the views can ask it questions (it opens on another
    /// thread).
    pub fn store_ready(&self) -> bool {
        self.queries.is_some()
    }

    pub fn tab(&self) -> Tab {
        self.settings.tab
    }

    pub fn set_tab(&mut self, tab: Tab) {
        self.settings.tab = tab;
    }

    pub fn import_log(&self) -> &ImportLog {
        &self.import_log
    }

    pub fn is_importing(&self) -> bool {
        self.import.is_some()
            || !self.queued_imports.is_empty()
            || !self.queued_references.is_empty()
    }

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

    fn poll_import(&mut self, ctx: &egui::Context) {
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
        let summary = super::import_log::summary(&reports);
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

    /// The view state of the Drift tab (for tests).
    pub fn drift_view(&self) -> &DriftView {
        &self.drift
    }

    pub fn drift_view_mut(&mut self) -> &mut DriftView {
        &mut self.drift
    }

    fn pick_files(&mut self, ctx: &egui::Context) {
        if let Some(files) = rfd::FileDialog::new()
            .set_title("Import trace files")
            .pick_files()
        {
            self.start_import(ctx, files);
        }
    }

    fn pick_folder(&mut self, ctx: &egui::Context) {
        if let Some(folder) = rfd::FileDialog::new()
            .set_title("Import a folder of trace files")
            .pick_folder()
        {
            self.start_import(ctx, vec![folder]);
        }
    }

    fn pick_store(&mut self) {
        if let Some(file) = rfd::FileDialog::new()
            .set_title("Open a tracedeck store")
            .add_filter("tracedeck store", &["sqlite", "db"])
            .pick_file()
        {
            self.open_store(file);
        }
    }

    fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let import = KeyboardShortcut::new(Modifiers::COMMAND, Key::I);
        let quit = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
        let log = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
        let export = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);
        if ctx.input_mut(|i| i.consume_shortcut(&export)) && self.queries.is_some() {
            self.export_dialog.show(&self.db);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.pick_store();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&import)) {
            self.pick_files(ctx);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&quit)) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&log)) {
            self.import_log.open = !self.import_log.open;
        }
        let nothing_focused = ctx.memory(|m| m.focused().is_none());
        if nothing_focused && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Slash)) {
            self.sidebar.focus_search = true;
        }
        const TAB_KEYS: [Key; 7] = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
        ];
        for (tab, key) in Tab::ALL.iter().zip(TAB_KEYS) {
            if ctx
                .input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)))
            {
                self.settings.tab = *tab;
            }
        }
    }

    fn dropped_files(&mut self, ctx: &egui::Context) {
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

    fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Open store…").shortcut_text("Ctrl+O"))
                    .clicked()
                {
                    self.pick_store();
                }
                if ui
                    .add(egui::Button::new("Import files…").shortcut_text("Ctrl+I"))
                    .clicked()
                {
                    let ctx = ui.ctx().clone();
                    self.pick_files(&ctx);
                }
                if ui.button("Import folder…").clicked() {
                    let ctx = ui.ctx().clone();
                    self.pick_folder(&ctx);
                }
                if ui
                    .button("Import reference prediction log…")
                    .on_hover_text("A prediction log drift is measured against")
                    .clicked()
                    && let Some(file) = rfd::FileDialog::new()
                        .set_title("Import a reference prediction log")
                        .pick_file()
                {
                    let ctx = ui.ctx().clone();
                    self.start_reference_import(&ctx, file);
                }
                if ui
                    .add_enabled(
                        self.queries.is_some(),
                        egui::Button::new("Export snapshot…").shortcut_text("Ctrl+E"),
                    )
                    .clicked()
                {
                    self.export_dialog.show(&self.db);
                }
                if self.is_read_only() && ui.button("Back to my store").clicked() {
                    self.open_store(self.home_db.clone());
                }
                ui.menu_button("Recent stores", |ui| {
                    let recent = self.settings.recent_stores.clone();
                    if recent.is_empty() {
                        ui.weak("none yet");
                    }
                    for path in recent {
                        if ui.button(path.display().to_string()).clicked() {
                            self.open_store(path);
                        }
                    }
                });
                ui.separator();
                if ui
                    .add(egui::Button::new("Quit").shortcut_text("Ctrl+Q"))
                    .clicked()
                {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                for tab in Tab::ALL {
                    if ui
                        .selectable_label(self.settings.tab == tab, tab.label())
                        .clicked()
                    {
                        self.settings.tab = tab;
                    }
                }
                ui.separator();
                if ui
                    .add(egui::Button::new("Import log").shortcut_text("Ctrl+L"))
                    .clicked()
                {
                    self.import_log.open = !self.import_log.open;
                }
                ui.separator();
                ui.label("Theme");
                let before = self.settings.theme;
                ui.radio_value(
                    &mut self.settings.theme,
                    ThemeChoice::System,
                    "Follow system",
                );
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Light, "Light");
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Dark, "Dark");
                if before != self.settings.theme {
                    ui.ctx().set_theme(self.settings.theme.preference());
                }
            });
            ui.menu_button("Help", |ui| {
                if ui.button("About tracedeck").clicked() {
                    self.show_about = true;
                }
            });
        });
    }

    fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.import {
                let p = job.progress();
                let eta = p
                    .time_left()
                    .map(|d| format!(", {:.0} s left", d.as_secs_f64().ceil()))
                    .unwrap_or_default();
                ui.add(
                    egui::ProgressBar::new(p.fraction())
                        .desired_width(220.0)
                        .show_percentage(),
                );
                ui.label(format!(
                    "Importing {} of {} files — {} / {}, {} spans, {:.0} spans/s{eta}",
                    (p.files_done + 1).min(p.files_total.max(1)),
                    p.files_total,
                    format::bytes(p.bytes_done),
                    format::bytes(p.bytes_total),
                    format::count(p.spans_done),
                    p.spans_per_sec()
                ))
                .on_hover_text(p.current_file.clone());
                if job.is_cancelling() {
                    ui.weak("cancelling…");
                } else if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            } else if let Some(err) = &self.store_error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            } else if self.is_read_only() {
                ui.weak(format!("{} (read-only)", self.db.display()));
            } else {
                ui.weak(self.db.display().to_string());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let errors = self.import_log.error_count();
                let warnings = self.import_log.warning_count();
                let text = format!("Import log: {errors} errors, {warnings} warnings");
                let text = if errors > 0 {
                    egui::RichText::new(text).color(ui.visuals().error_fg_color)
                } else {
                    egui::RichText::new(text)
                };
                if ui.button(text).clicked() {
                    self.import_log.open = !self.import_log.open;
                }
            });
        });
    }

    fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_about;
        egui::Window::new("About tracedeck")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.heading(format!("tracedeck {}", env!("CARGO_PKG_VERSION")));
                ui.label("See where an AI system failed, offline, from its trace files.");
                ui.label(format!("Renderer: {}", self.renderer));
                ui.label(format!(
                    "Store schema version: {}",
                    crate::store::SCHEMA_VERSION
                ));
                ui.label(format!("Store: {}", self.db.display()));
            });
        self.show_about = open;
    }

    /// Carries out navigation requests (views make them through `ViewCtx::navigate`).
    fn navigate(&mut self, nav: Vec<Nav>) {
        if self.opening_own.is_some() {
            self.navigation_while_opening.extend(nav);
            return;
        }
        for n in nav {
            match n {
                Nav::Tab(tab) => self.settings.tab = tab,
                Nav::OpenTrace { trace_id, span_id } => {
                    self.settings.tab = Tab::Traces;
                    self.traces.open(trace_id, span_id);
                }
                Nav::SetFilter(filter) => {
                    self.filter = filter;
                }
                Nav::ShowRetries(focus) => {
                    self.settings.tab = Tab::Retries;
                    self.retries.focus(focus);
                }
                Nav::ShowConversations { findings_only } => {
                    self.settings.tab = Tab::Conversations;
                    self.conversations.set_findings_only(findings_only);
                }
                Nav::OpenConversation { key, step } => {
                    self.settings.tab = Tab::Conversations;
                    self.conversations.open(key, step);
                }
                Nav::OpenConversationAtSpan { trace_id, span_id } => {
                    self.settings.tab = Tab::Conversations;
                    self.conversations.open_at_span(trace_id, span_id);
                }
                Nav::OpenPrediction { id } => {
                    self.settings.tab = Tab::Drift;
                    self.drift.open_prediction(id);
                }
                Nav::ImportReference { path } => {
                    let ctx = self.egui_ctx.clone();
                    self.start_reference_import(&ctx, path);
                }
            }
        }
    }

    /// Takes in the answers of opening the own store, of the open checks, and of an import
    /// from another store.
    fn poll_sharing(&mut self) {
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
    fn opening_ui(&mut self, ctx: &egui::Context) {
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
    fn read_only_banner_ui(&mut self, ui: &mut egui::Ui) {
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

    /// Draws one frame (called by eframe, and by tests through egui_kittest).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll_sharing();
        let title = self.window_title();
        if title != self.title {
            ctx.send_viewport_cmd(egui::ViewportCommand::Title(title.clone()));
            self.title = title;
        }
        self.poll_import(&ctx);
        self.shortcuts(&ctx);
        self.dropped_files(&ctx);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if self.is_read_only() {
            egui::Panel::top("read_only_banner").show(ui, |ui| self.read_only_banner_ui(ui));
        }
        self.opening_ui(&ctx);
        if self.import_log.open {
            egui::Panel::bottom("import_log")
                .resizable(true)
                .default_size(220.0)
                .show(ui, |ui| self.import_log.ui(ui));
        }
        let Some(queries) = &self.queries else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
                if let Some((path, _)) = &self.opening_own {
                    ui.horizontal(|ui| {
                        ui.spinner();
                        ui.heading(format!("Opening {}...", path.display()));
                    });
                    return;
                }
                ui.heading("No store open");
                if let Some(e) = &self.store_error {
                    ui.colored_label(ui.visuals().error_fg_color, e);
                }
                ui.label("Use File > Open store… (Ctrl+O) to pick another file.");
            });
            self.toasts.ui(&ctx);
            self.about_ui(&ctx);
            return;
        };
        let finished = self.export_dialog.ui(
            &ctx,
            &ExportContext {
                store_path: &self.db,
                filter: &self.filter,
                selected: self.traces.selected_span(),
                conversation: self.conversations.current_step(),
            },
        );
        if let Some(summary) = finished {
            let redacted = match &summary.redaction {
                Some(stats) => format!("; {} values redacted", format::count(stats.total())),
                None => "; not redacted".to_owned(),
            };
            self.toasts.add(
                ToastKind::Info,
                format!(
                    "Exported {} spans to {}{redacted}",
                    format::count(summary.spans),
                    summary.out.display()
                ),
            );
        }
        let mut filter = self.filter.clone();
        let nav = {
            let view_ctx = ViewCtx::new(queries, &self.db, &self.filter, self.generation);
            egui::Panel::left("sidebar")
                .resizable(true)
                .default_size(260.0)
                .size_range(180.0..=480.0)
                .show(ui, |ui| self.sidebar.ui(ui, &view_ctx, &mut filter));
            egui::CentralPanel::default_margins().show(ui, |ui| {
                ui.horizontal(|ui| {
                    for tab in Tab::ALL {
                        let selected = self.settings.tab == tab;
                        let response = ui
                            .selectable_label(selected, egui::RichText::new(tab.label()).heading());
                        response.widget_info(|| {
                            egui::WidgetInfo::selected(egui::Role::Tab, true, selected, tab.label())
                        });
                        if response.clicked() {
                            self.settings.tab = tab;
                        }
                    }
                    if self.import.is_some() {
                        // Not a spinner: it repaints the whole window every frame for as long
                        // as the import runs (the status bar's progress bar moves on its own
                        // few repaints a second).
                        ui.weak("importing…")
                            .on_hover_text("The views refresh as new spans land");
                    }
                });
                ui.separator();
                match self.settings.tab {
                    Tab::Overview => self.overview.ui(ui, &view_ctx),
                    Tab::Traces => self.traces.ui(ui, &view_ctx),
                    Tab::Latency => self.latency.ui(ui, &view_ctx),
                    Tab::Retries => self.retries.ui(ui, &view_ctx),
                    Tab::Validation => self.validation.ui(ui, &view_ctx),
                    Tab::Conversations => self.conversations.ui(ui, &view_ctx),
                    Tab::Drift => self.drift.ui(ui, &view_ctx),
                }
                if self.sidebar.store_is_empty() && self.import.is_none() {
                    empty_store_hint_ui(ui);
                }
            });
            view_ctx.take_navigation()
        };
        if filter != self.filter {
            self.filter = filter;
        }
        self.navigate(nav);
        self.toasts.ui(&ctx);
        self.about_ui(&ctx);
        drop_hint_ui(&ctx);
    }
}

/// Where a start-here pointer leads in the app.
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

fn start_nav(pointer: StartHere) -> Nav {
    match pointer {
        StartHere::Trace { trace_id, span_id } => Nav::OpenTrace { trace_id, span_id },
        StartHere::Conversation { key, step } => Nav::OpenConversation {
            key,
            step: Some(step.saturating_sub(1)),
        },
    }
}

fn empty_store_hint_ui(ui: &mut egui::Ui) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading("This store is empty");
        ui.label("Drop OTLP trace files or folders onto this window, or use File > Import files… (Ctrl+I).");
        ui.weak("OTLP JSON / JSON Lines / protobuf (gzip or zstd), Jaeger JSON.");
    });
}

fn drop_hint_ui(ctx: &egui::Context) {
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

/// A file that starts with SQLite's header.
fn is_sqlite_file(path: &Path) -> bool {
    use std::io::Read as _;
    let mut head = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && &head == b"SQLite format 3\0"
}

impl eframe::App for TracedeckApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
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
