//! The Drift tab: pick a model and two windows (first and last quarter, the reference file, or
//! ranges brushed on the timeline), see its features ranked by drift score with their trend,
//! one feature's distributions, the model's version timeline with flagged skew, the current
//! window's worst predictions, and one prediction in full with its trace. Everything is fetched
//! and computed on the query threads (`data`); a frame only draws.
//!
//! Modules: `data` (the fetch), `windows` (window choice and brushing), `feature_table`,
//! `feature_detail`, `versions`, `predictions` (worst list, detail), `thresholds` (popup),
//! `trace_predictions` (the span detail's section), `cards` (overview).

mod cards;
pub mod data;
mod feature_detail;
mod feature_table;
mod predictions;
mod thresholds;
mod trace_predictions;
mod versions;
mod windows;

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::drift::Thresholds;
use crate::ingest::FileReport;
use crate::ui::format;
use crate::ui::query::Query;
use crate::ui::view_ctx::{Nav, ViewCtx};

pub use cards::overview_cards;
pub use data::{DriftData, FeatureRow};
pub use trace_predictions::TracePredictions;

use data::{DriftKey, ModelList};

/// The Drift tab.
#[derive(Default)]
pub struct DriftView {
    models: Query<(PathBuf, u64), ModelList>,
    model: Option<String>,
    windows: windows::WindowChoice,
    thresholds: Option<Thresholds>,
    data: Query<DriftKey, Option<Arc<DriftData>>>,
    selected: Option<String>,
    detail: predictions::PredictionDetail,
    reference_error: Option<String>,
    /// The prediction whose model the picker last switched to.
    followed_prediction: Option<i64>,
}

impl DriftView {
    /// Shows one prediction's detail.
    pub fn open_prediction(&mut self, id: i64) {
        self.detail.open(id);
    }

    /// The prediction shown in the detail, if any.
    pub fn open_prediction_id(&self) -> Option<i64> {
        self.detail.open_id()
    }

    /// The drift shown (once computed).
    pub fn data(&self) -> Option<&DriftData> {
        self.data.value().and_then(|d| d.as_deref())
    }

    /// The selected feature.
    pub fn selected_feature(&self) -> Option<&str> {
        self.selected.as_deref()
    }

    pub fn select_feature(&mut self, name: &str) {
        self.selected = Some(name.to_owned());
    }

    /// A reference import has finished (the app ran it): back to the default windows, which
    /// use the new reference, or say why there is none.
    pub fn reference_imported(&mut self, reports: &[FileReport]) {
        if reports.iter().all(|r| r.predictions_read == 0) {
            self.reference_error =
                Some("The reference file held no predictions (see Import log)".to_owned());
        } else {
            self.reference_error = None;
        }
        self.windows.choice = None;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let thresholds = *self
            .thresholds
            .get_or_insert_with(|| thresholds::load(ui.ctx()));
        self.models.ensure(
            ctx.queries,
            ui.ctx(),
            (ctx.store_path.to_owned(), ctx.generation),
            data::model_list,
        );
        let list = self.models.value().cloned().unwrap_or_default();
        // An opened prediction shows its own model's drift (once; the user may pick another).
        if let Some((id, model)) = self.detail.loaded_model()
            && self.followed_prediction != Some(id)
        {
            self.followed_prediction = Some(id);
            if self.model.as_deref() != Some(model) && list.models.iter().any(|m| m.model == model)
            {
                self.model = Some(model.to_owned());
                self.windows.choice = None;
                self.selected = None;
            }
        }
        if self
            .model
            .as_ref()
            .is_none_or(|m| list.models.iter().all(|x| &x.model != m))
        {
            self.model = list.models.first().map(|m| m.model.clone());
        }
        if let Some(model) = self.model.clone() {
            let key = DriftKey {
                store_path: ctx.store_path.to_owned(),
                model,
                choice: self.windows.choice(),
                thresholds,
                generation: ctx.generation,
            };
            self.data
                .ensure(ctx.queries, ui.ctx(), key.clone(), move |store| {
                    data::compute(store, key)
                });
        }
        self.controls_ui(ui, ctx, &list);
        if let Some(e) = self.models.error().or(self.data.error()) {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if let Some(e) = &self.reference_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if self.detail.open_id().is_some() {
            egui::Panel::right("drift_prediction_detail")
                .resizable(true)
                .default_size(360.0)
                .min_size(220.0)
                .show(ui, |ui| self.detail.ui(ui, ctx));
        }
        if list.models.is_empty() {
            if self.models.value().is_none() {
                ui.spinner();
            } else {
                empty_ui(ui);
            }
            return;
        }
        let data = match self.data.value() {
            Some(Some(data)) => Arc::clone(data),
            Some(None) if !self.data.is_loading() => {
                ui.label("This model has no predictions besides its reference file.");
                return;
            }
            _ => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Computing drift...");
                });
                return;
            }
        };
        self.windows.timeline_ui(ui, &data);
        windows_summary_ui(ui, &data, &list, self.data.is_loading());
        if self
            .selected
            .as_ref()
            .is_none_or(|s| data.features.iter().all(|f| &f.drift.feature != s))
        {
            self.selected = data.features.first().map(|f| f.drift.feature.clone());
        }
        egui::Panel::bottom("drift_versions_panel")
            .resizable(true)
            .default_size(300.0)
            .min_size(120.0)
            .show(ui, |ui| {
                egui::Panel::right("drift_worst_panel")
                    .resizable(true)
                    .default_size(520.0)
                    .show(ui, |ui| {
                        if let Some(id) =
                            predictions::worst_list_ui(ui, &data.worst, self.detail.open_id())
                        {
                            self.detail.open(id);
                        }
                    });
                egui::CentralPanel::no_frame().show(ui, |ui| {
                    egui::ScrollArea::vertical()
                        .id_salt("drift_versions_scroll")
                        .show(ui, |ui| {
                            versions::timeline_ui(ui, &data.skew, data.first_ns);
                            versions::combinations_ui(ui, &data.skew);
                            versions::resources_ui(ui, &data.resource_skew);
                        });
                });
            });
        egui::Panel::left("drift_features_panel")
            .resizable(true)
            .default_size(660.0)
            .min_size(300.0)
            .show(ui, |ui| {
                if let Some(name) =
                    feature_table::table_ui(ui, &data.features, self.selected.as_deref())
                {
                    self.selected = Some(name);
                }
            });
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let selected = data
                .features
                .iter()
                .find(|f| Some(&f.drift.feature) == self.selected.as_ref());
            match selected {
                Some(f) => feature_detail::detail_ui(ui, f),
                None => {
                    ui.weak("Select a feature to see its distributions.");
                }
            }
        });
    }

    fn controls_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, list: &ModelList) {
        ui.horizontal_wrapped(|ui| {
            let label = ui.label("Model");
            let selected = self.model.clone().unwrap_or_default();
            egui::ComboBox::from_id_salt("drift_model")
                .selected_text(if selected.is_empty() {
                    "(none)"
                } else {
                    selected.as_str()
                })
                .show_ui(ui, |ui| {
                    for m in &list.models {
                        let text = format!("{} ({})", m.model, format::count(m.rows));
                        if ui
                            .selectable_label(self.model.as_ref() == Some(&m.model), text)
                            .clicked()
                            && self.model.as_ref() != Some(&m.model)
                        {
                            self.model = Some(m.model.clone());
                            self.windows.choice = None;
                            self.selected = None;
                        }
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            self.windows.controls_ui(ui, !list.references.is_empty());
            ui.separator();
            if let Some(t) = &mut self.thresholds {
                thresholds::button_ui(ui, t);
            }
            if ui
                .button("Import reference file...")
                .on_hover_text("Import a prediction log as the reference drift is measured against")
                .clicked()
                && let Some(file) = rfd::FileDialog::new()
                    .set_title("Import a reference prediction log")
                    .pick_file()
            {
                ctx.navigate(Nav::ImportReference { path: file });
            }
        });
    }
}

fn windows_summary_ui(ui: &mut egui::Ui, data: &DriftData, list: &ModelList, loading: bool) {
    ui.horizontal_wrapped(|ui| {
        let reference = if data.reference_import {
            let names: Vec<String> = list
                .references
                .iter()
                .map(|r| {
                    std::path::Path::new(&r.path)
                        .file_name()
                        .map_or_else(|| r.path.clone(), |n| n.to_string_lossy().into_owned())
                })
                .collect();
            format!("reference file {}", names.join(", "))
        } else {
            format!(
                "{} to {}",
                format::time_ns(data.reference.from_ns),
                format::time_ns(data.reference.to_ns)
            )
        };
        ui.colored_label(
            windows::REFERENCE_COLOR,
            format!(
                "Reference: {reference} ({} rows)",
                format::count(data.reference_rows as u64)
            ),
        );
        ui.colored_label(
            windows::CURRENT_COLOR,
            format!(
                "Current: {} to {} ({} rows)",
                format::time_ns(data.current.from_ns),
                format::time_ns(data.current.to_ns),
                format::count(data.current_rows as u64)
            ),
        );
        let drifted = data.features.iter().filter(|f| f.drift.drifted).count();
        ui.label(format!("{drifted} of {} drifted", data.features.len()));
        ui.weak(format!("computed in {:.0} ms", data.compute_ms));
        if loading {
            ui.spinner();
        }
    });
}

fn empty_ui(ui: &mut egui::Ui) {
    ui.add_space(24.0);
    ui.vertical_centered(|ui| {
        ui.heading("No predictions in this store");
        ui.label(
            "Import a prediction log (JSON Lines or CSV: timestamp, model, features, prediction, \
             confidence, versions) with File > Import files..., or drop it onto the window.",
        );
        ui.label(
            "Use Import reference file... above to add the predictions drift is measured against.",
        );
    });
}
