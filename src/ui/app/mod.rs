//! The app shell: its state, what is remembered between runs, navigation between views, and
//! the frame (left panel, tabs, the views). Which store is shown lives in `stores`, imports in
//! `imports`, menus, shortcuts and the status bar in `chrome`.

use std::path::{Path, PathBuf};

use crate::share::CheckedFile;
use crate::share::merge::MergeSummary;
use crate::store::SpanFilter;

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

mod chrome;
mod imports;
mod stores;

use imports::drop_hint_ui;

const SETTINGS_KEY: &str = "tracedeck.settings";

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

    /// The view state of the Drift tab (for tests).
    pub fn drift_view(&self) -> &DriftView {
        &self.drift
    }

    pub fn drift_view_mut(&mut self) -> &mut DriftView {
        &mut self.drift
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

fn empty_store_hint_ui(ui: &mut egui::Ui) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading("This store is empty");
        ui.label("Drop OTLP trace files or folders onto this window, or use File > Import files… (Ctrl+I).");
        ui.weak("OTLP JSON / JSON Lines / protobuf (gzip or zstd), Jaeger JSON.");
    });
}

impl eframe::App for TracedeckApp {
    fn ui(&mut self, ui: &mut egui::Ui, _frame: &mut eframe::Frame) {
        self.frame_ui(ui);
    }

    fn save(&mut self, storage: &mut dyn eframe::Storage) {
        eframe::set_value(storage, SETTINGS_KEY, &self.settings);
    }
}
