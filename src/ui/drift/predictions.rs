//! Single predictions: the current window's worst ones (wrong first, then least confident) as a
//! clickable list, and one prediction in full (inputs, output, confidence, label, versions) with
//! "Open trace" when it carries a trace id.

use egui::RichText;
use egui_extras::{Column, TableBuilder};

use crate::model::hex_lower;
use crate::store::PredictionRow;
use crate::ui::format;
use crate::ui::query::Query;
use crate::ui::view_ctx::{Nav, ViewCtx};

use super::feature_table::DRIFTED_COLOR;

fn is_wrong(p: &PredictionRow) -> bool {
    matches!((&p.label, &p.prediction), (Some(l), Some(o)) if l != o)
}

/// The worst predictions; returns the id of the one clicked.
pub fn worst_list_ui(ui: &mut egui::Ui, rows: &[PredictionRow], open: Option<i64>) -> Option<i64> {
    ui.label(RichText::new("Worst predictions of the current window").strong());
    if rows.is_empty() {
        ui.weak("No predictions in the current window.");
        return None;
    }
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("drift_worst")
        .striped(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(170.0).at_least(100.0))
        .column(Column::initial(90.0).at_least(60.0).clip(true))
        .column(Column::initial(70.0).at_least(50.0))
        .column(Column::initial(90.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(40.0))
        .auto_shrink([false, false])
        .min_scrolled_height(0.0)
        .header(20.0, |mut header| {
            for h in ["Time", "Prediction", "Confidence", "Label", "Trace"] {
                header.col(|ui| {
                    ui.strong(h);
                });
            }
        })
        .body(|body| {
            body.rows(20.0, rows.len(), |mut row| {
                let Some(p) = rows.get(row.index()) else {
                    return;
                };
                row.set_selected(open == Some(p.id));
                row.col(|ui| {
                    if ui
                        .selectable_label(open == Some(p.id), format::time_ns(p.timestamp_ns))
                        .on_hover_text("Open this prediction")
                        .clicked()
                    {
                        clicked = Some(p.id);
                    }
                });
                row.col(|ui| {
                    ui.label(p.prediction.as_deref().unwrap_or("-"));
                });
                row.col(|ui| {
                    ui.label(p.confidence.map_or("-".to_owned(), |c| format!("{c:.3}")));
                });
                row.col(|ui| {
                    let text = p.label.as_deref().unwrap_or("-");
                    if is_wrong(p) {
                        ui.colored_label(DRIFTED_COLOR, text);
                    } else {
                        ui.label(text);
                    }
                });
                row.col(|ui| {
                    ui.label(if p.trace_id.is_some() { "yes" } else { "" });
                });
                if row.response().clicked() {
                    clicked = Some(p.id);
                }
            });
        });
    clicked
}

/// One prediction in full, fetched by id.
#[derive(Default)]
pub struct PredictionDetail {
    open: Option<i64>,
    query: Query<(i64, u64), Option<PredictionRow>>,
}

impl PredictionDetail {
    pub fn open(&mut self, id: i64) {
        self.open = Some(id);
    }

    pub fn open_id(&self) -> Option<i64> {
        self.open
    }

    /// The open prediction's id and model, once loaded.
    pub fn loaded_model(&self) -> Option<(i64, &str)> {
        let id = self.open?;
        self.query
            .value()?
            .as_ref()
            .filter(|p| p.id == id)
            .map(|p| (id, p.model.as_str()))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let Some(id) = self.open else { return };
        self.query
            .ensure(ctx.queries, ui.ctx(), (id, ctx.generation), move |store| {
                store.prediction(id)
            });
        ui.horizontal(|ui| {
            ui.heading(format!("Prediction {id}"));
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Close").clicked() {
                    self.open = None;
                }
            });
        });
        if let Some(e) = self.query.error() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Could not load it: {e}"),
            );
            return;
        }
        let Some(row) = self.query.value() else {
            ui.spinner();
            return;
        };
        let Some(p) = row.as_ref().filter(|p| p.id == id) else {
            if self.query.is_loading() {
                ui.spinner();
            } else {
                ui.label("This prediction is not in the store.");
            }
            return;
        };
        egui::ScrollArea::vertical()
            .id_salt("prediction_detail")
            .auto_shrink([false, false])
            .show(ui, |ui| prediction_ui(ui, ctx, p));
    }
}

fn prediction_ui(ui: &mut egui::Ui, ctx: &ViewCtx, p: &PredictionRow) {
    if let Some(trace_id) = p.trace_id {
        if ui
            .button("Open trace")
            .on_hover_text("Open the trace of this prediction in the waterfall")
            .clicked()
        {
            ctx.navigate(Nav::OpenTrace {
                trace_id,
                span_id: None,
            });
        }
    } else {
        ui.weak("No trace id: this prediction links to no trace.");
    }
    egui::Grid::new("prediction_fields")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            let mut field = |name: &str, value: String| {
                ui.weak(name);
                ui.add(egui::Label::new(value).wrap().selectable(true));
                ui.end_row();
            };
            field("Model", p.model.clone());
            field("Model version", p.model_version.clone());
            field("Pipeline version", p.pipeline_version.clone());
            field("Time", format::time_ns(p.timestamp_ns));
            field("Request id", p.request_id.clone().unwrap_or_default());
            field("Prediction", p.prediction.clone().unwrap_or_default());
            field(
                "Confidence",
                p.confidence.map_or(String::new(), |c| format!("{c:.4}")),
            );
            field(
                "Latency",
                p.latency_ms.map_or(String::new(), |l| format!("{l:.1} ms")),
            );
            if let Some(trace_id) = p.trace_id {
                field("Trace id", hex_lower(&trace_id));
            }
        });
    if let Some(label) = &p.label {
        if is_wrong(p) {
            ui.colored_label(
                DRIFTED_COLOR,
                format!("Label: {label} (the prediction was wrong)"),
            );
        } else {
            ui.label(format!("Label: {label}"));
        }
    }
    ui.add_space(6.0);
    ui.label(RichText::new("Inputs").strong());
    let inputs: Vec<(String, String)> =
        match serde_json::from_str::<serde_json::Value>(&p.features_json) {
            Ok(serde_json::Value::Object(map)) => map
                .into_iter()
                .map(|(k, v)| {
                    let text = match v {
                        serde_json::Value::String(s) => s,
                        other => other.to_string(),
                    };
                    (k, text)
                })
                .collect(),
            _ => vec![("(unreadable)".to_owned(), p.features_json.clone())],
        };
    egui::Grid::new("prediction_inputs")
        .num_columns(2)
        .striped(true)
        .spacing([12.0, 3.0])
        .show(ui, |ui| {
            for (k, v) in &inputs {
                ui.label(RichText::new(k).monospace());
                ui.add(egui::Label::new(v).wrap().selectable(true));
                ui.end_row();
            }
        });
}
