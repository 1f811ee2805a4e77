//! The app shell: menu bar, left panel, tabs, status bar with import progress, the import log,
//! toasts, drag and drop, keyboard shortcuts, and what is remembered between runs.

use std::path::{Path, PathBuf};

use crate::store::{SpanFilter, Store};

use super::conversations::ConversationsView;
use super::drift::DriftView;
use super::format;
use super::import_job::ImportJob;
use super::import_log::ImportLog;
use super::overview::OverviewView;
use super::query::QueryPool;
use super::retries::RetriesView;
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
    db: PathBuf,
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
    import_log: ImportLog,
    toasts: Toasts,
    renderer: String,
    show_about: bool,
    refreshed_at: std::time::Instant,
    refreshed_at_spans: u64,
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
            import_log: ImportLog::default(),
            toasts: Toasts::default(),
            renderer: start.renderer,
            show_about: false,
            refreshed_at: std::time::Instant::now(),
            refreshed_at_spans: 0,
        };
        app.open_store(start.db);
        if !start.import_paths.is_empty() {
            app.start_import(ctx, start.import_paths);
        }
        app
    }

    /// Opens (creating and migrating if needed) a store and points every view at it.
    pub fn open_store(&mut self, db: PathBuf) {
        self.queries = None;
        let opened = Store::open(&db).and_then(|_| QueryPool::new(&db, 2));
        match opened {
            Ok(pool) => {
                self.queries = Some(pool);
                self.store_error = None;
                self.settings.recent_stores.retain(|p| p != &db);
                self.settings.recent_stores.insert(0, db.clone());
                self.settings.recent_stores.truncate(MAX_RECENT);
            }
            Err(e) => {
                self.store_error = Some(e.to_string());
                self.toasts.add(ToastKind::Error, e.to_string());
            }
        }
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
    }

    pub fn db(&self) -> &Path {
        &self.db
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
        self.import.is_some() || !self.queued_imports.is_empty()
    }

    /// Imports files or folders in the background (queued behind a running import).
    pub fn start_import(&mut self, ctx: &egui::Context, paths: Vec<PathBuf>) {
        if self.import.is_some() {
            self.queued_imports.extend(paths);
            return;
        }
        match ImportJob::start(self.db.clone(), paths, ctx.clone()) {
            Ok(job) => self.import = Some(job),
            Err(e) => self.toasts.add(ToastKind::Error, e),
        }
    }

    fn poll_import(&mut self, ctx: &egui::Context) {
        let Some(job) = &mut self.import else {
            if !self.queued_imports.is_empty() {
                let next = std::mem::take(&mut self.queued_imports);
                self.start_import(ctx, next);
            }
            return;
        };
        // New data lands while importing: views refetch about once a second.
        let spans_done = job.progress().spans_done;
        if spans_done != self.refreshed_at_spans
            && self.refreshed_at.elapsed() >= std::time::Duration::from_secs(1)
        {
            self.refreshed_at_spans = spans_done;
            self.refreshed_at = std::time::Instant::now();
            self.generation += 1;
        }
        let Some(result) = job.try_finish() else {
            return;
        };
        self.import = None;
        self.generation += 1;
        match result {
            Ok(reports) => self.imported(reports),
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
        // A store file dropped alone opens it; anything else is imported.
        if let [only] = dropped.as_slice()
            && is_sqlite_file(only)
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
    pub fn navigate(&mut self, nav: Vec<Nav>) {
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
            }
        }
    }

    /// Draws one frame (called by eframe, and by tests through egui_kittest).
    pub fn frame_ui(&mut self, ui: &mut egui::Ui) {
        let ctx = ui.ctx().clone();
        self.poll_import(&ctx);
        self.shortcuts(&ctx);
        self.dropped_files(&ctx);
        egui::Panel::top("menu").show(ui, |ui| self.menu_ui(ui));
        egui::Panel::bottom("status").show(ui, |ui| self.status_bar_ui(ui));
        if self.import_log.open {
            egui::Panel::bottom("import_log")
                .resizable(true)
                .default_size(220.0)
                .show(ui, |ui| self.import_log.ui(ui));
        }
        let Some(queries) = &self.queries else {
            egui::CentralPanel::default_margins().show(ui, |ui| {
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
                        ui.spinner();
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
                if let Some(summary) = self.sidebar.summary()
                    && summary.counts.spans == 0
                    && self.import.is_none()
                {
                    empty_store_hint_ui(ui);
                }
            });
            view_ctx.take_navigation()
        };
        if filter != self.filter {
            self.filter = filter;
        }
        let reference_reports = self.drift.take_finished_import();
        if !reference_reports.is_empty() {
            self.generation += 1;
            self.imported(reference_reports);
        }
        self.navigate(nav);
        self.toasts.ui(&ctx);
        self.about_ui(&ctx);
        drop_hint_ui(&ctx);
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
