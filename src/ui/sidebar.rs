//! The left panel: which store is open and what it holds, the list of imports, and the global
//! filters every view honours (time range, service, model, errors only, error class, free-text
//! search).

use crate::model::error_class::ErrorClass;
use crate::store::{ImportRow, SpanFilter, StoreCounts};

use super::format;
use super::query::Query;
use super::view_ctx::ViewCtx;

/// What the sidebar shows about the store, fetched together.
#[derive(Clone, Debug, Default)]
pub struct StoreSummary {
    pub counts: StoreCounts,
    pub predictions: u64,
    pub bytes: u64,
    pub imports: Vec<ImportRow>,
    pub services: Vec<String>,
    pub models: Vec<String>,
    pub time_bounds_ns: Option<(i64, i64)>,
}

/// Quick picks for the time range, relative to the data (not the wall clock).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum TimePick {
    #[default]
    All,
    LastHourOfData,
    LastDayOfData,
}

impl TimePick {
    fn label(self) -> &'static str {
        match self {
            TimePick::All => "All",
            TimePick::LastHourOfData => "Last hour of data",
            TimePick::LastDayOfData => "Last day of data",
        }
    }

    fn range(self, bounds: Option<(i64, i64)>) -> Option<(i64, i64)> {
        let (_, end) = bounds?;
        let span_ns = match self {
            TimePick::All => return None,
            TimePick::LastHourOfData => 3_600_000_000_000,
            TimePick::LastDayOfData => 86_400_000_000_000,
        };
        Some((end - span_ns, end + 1))
    }
}

#[derive(Default)]
pub struct Sidebar {
    summary: Query<u64, StoreSummary>,
    pub time_pick: TimePick,
    search_text: String,
    /// Set by the `/` shortcut: focus the search box on the next frame.
    pub focus_search: bool,
}

impl Sidebar {
    /// Draws the panel; edits `filter` in place (the app notices the change).
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, filter: &mut SpanFilter) {
        let path = ctx.store_path.to_owned();
        self.summary
            .ensure(ctx.queries, ui.ctx(), ctx.generation, move |store| {
                Ok(StoreSummary {
                    counts: store.counts()?,
                    predictions: store.prediction_count()?,
                    bytes: std::fs::metadata(&path).map(|m| m.len()).unwrap_or(0),
                    imports: store.imports()?,
                    services: store.service_names()?,
                    models: store.model_names()?,
                    time_bounds_ns: store.time_bounds_ns()?,
                })
            });
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.store_ui(ui, ctx);
                ui.separator();
                self.filters_ui(ui, filter);
                ui.separator();
                self.imports_ui(ui);
            });
    }

    /// Whether the store holds nothing yet (no spans, no predictions).
    pub fn store_is_empty(&self) -> bool {
        self.summary
            .value()
            .is_some_and(|s| s.counts.spans == 0 && s.predictions == 0)
    }

    fn store_ui(&self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        ui.heading("Store");
        let name = ctx
            .store_path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        ui.label(egui::RichText::new(name).strong())
            .on_hover_text(ctx.store_path.display().to_string());
        let Some(s) = self.summary.value() else {
            ui.spinner();
            return;
        };
        egui::Grid::new("store_counts")
            .num_columns(2)
            .spacing([12.0, 2.0])
            .show(ui, |ui| {
                let rows = [
                    ("Size", format::bytes(s.bytes)),
                    ("Spans", format::count(s.counts.spans)),
                    ("Traces", format::count(s.counts.traces)),
                    ("Services", format::count(s.counts.services)),
                    ("Error spans", format::count(s.counts.error_spans)),
                    ("Events", format::count(s.counts.events)),
                    ("Links", format::count(s.counts.links)),
                    ("Predictions", format::count(s.predictions)),
                ];
                for (k, v) in rows {
                    ui.weak(k);
                    ui.label(v);
                    ui.end_row();
                }
            });
        if let Some((from, to)) = s.time_bounds_ns {
            ui.weak(format!("first {} UTC", format::time_ns(from)));
            ui.weak(format!("last  {} UTC", format::time_ns(to)));
        }
    }

    fn filters_ui(&mut self, ui: &mut egui::Ui, filter: &mut SpanFilter) {
        ui.horizontal(|ui| {
            ui.heading("Filters");
            if !filter.is_empty() && ui.small_button("Clear").clicked() {
                *filter = SpanFilter::default();
                self.time_pick = TimePick::All;
                self.search_text.clear();
            }
        });
        let bounds = self.summary.value().and_then(|s| s.time_bounds_ns);
        ui.label("Time");
        ui.horizontal_wrapped(|ui| {
            for pick in [
                TimePick::All,
                TimePick::LastHourOfData,
                TimePick::LastDayOfData,
            ] {
                if ui
                    .selectable_label(self.time_pick == pick, pick.label())
                    .clicked()
                {
                    self.time_pick = pick;
                }
            }
        });
        filter.time_range_ns = self.time_pick.range(bounds);
        // Borrowed, not cloned: this runs every frame.
        let summary = self.summary.value();
        let services = summary.map_or(&[][..], |s| s.services.as_slice());
        let models = summary.map_or(&[][..], |s| s.models.as_slice());
        choice_ui(
            ui,
            "Service",
            "filter_service",
            services,
            &mut filter.service,
        );
        choice_ui(ui, "Model", "filter_model", models, &mut filter.model);
        ui.checkbox(&mut filter.errors_only, "Errors only");
        error_class_ui(ui, &mut filter.error_class);
        ui.label("Search (/)");
        if self.search_text.is_empty() && !filter.search.is_empty() {
            self.search_text = filter.search.clone();
        }
        let response = ui.add(
            egui::TextEdit::singleline(&mut self.search_text)
                .hint_text("span name or attribute value")
                .desired_width(f32::INFINITY),
        );
        if self.focus_search {
            response.request_focus();
            self.focus_search = false;
        }
        // Search on Enter or when the box loses focus, not on every key stroke.
        if response.lost_focus() || (response.changed() && self.search_text.is_empty()) {
            filter.search = self.search_text.trim().to_owned();
        }
    }

    fn imports_ui(&self, ui: &mut egui::Ui) {
        ui.heading("Imports");
        let Some(s) = self.summary.value() else {
            return;
        };
        if s.imports.is_empty() {
            ui.weak("Nothing imported yet. Drop files here or use File > Import files… (Ctrl+I).");
            return;
        }
        for row in s.imports.iter().take(200) {
            let name = std::path::Path::new(&row.path)
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_else(|| row.path.clone());
            let color = match row.status.as_str() {
                "ok" => ui.visuals().text_color(),
                "running" => ui.visuals().weak_text_color(),
                "partial" | "cancelled" | "interrupted" => ui.visuals().warn_fg_color,
                _ => ui.visuals().error_fg_color,
            };
            ui.colored_label(color, name).on_hover_text(format!(
                "{}\n{} · {}\n{} spans read, {} new, {} traces\n{} errors, {} warnings\nstarted {}",
                row.path,
                row.format,
                row.status,
                row.spans_read,
                row.spans_new,
                row.traces,
                row.errors,
                row.warnings,
                row.started_at
            ));
        }
    }
}

fn choice_ui(
    ui: &mut egui::Ui,
    label: &str,
    id: &str,
    choices: &[String],
    value: &mut Option<String>,
) {
    ui.horizontal(|ui| {
        let label = ui.label(label);
        let shown = value.clone().unwrap_or_else(|| "all".to_owned());
        let combo = egui::ComboBox::from_id_salt(id)
            .selected_text(shown)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "all");
                for c in choices {
                    ui.selectable_value(value, Some(c.clone()), c);
                }
            });
        combo.response.labelled_by(label.id);
    });
}

/// The error-class filter: all spans, or one class (the classes of `model::error_class`).
fn error_class_ui(ui: &mut egui::Ui, value: &mut Option<ErrorClass>) {
    ui.horizontal(|ui| {
        let label = ui.label("Error class");
        let shown = value.map_or("all", ErrorClass::as_str);
        let combo = egui::ComboBox::from_id_salt("filter_error_class")
            .selected_text(shown)
            .width(ui.available_width() - 8.0)
            .show_ui(ui, |ui| {
                ui.selectable_value(value, None, "all");
                for class in ErrorClass::ERRORS.into_iter().chain([ErrorClass::Ok]) {
                    ui.selectable_value(value, Some(class), class.as_str());
                }
            });
        combo.response.labelled_by(label.id);
    });
}
