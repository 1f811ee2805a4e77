//! The predictions linked to a trace, as a section of the span detail: each opens in the
//! Drift tab's prediction detail.

use crate::model::TraceId;
use crate::store::PredictionRow;
use crate::ui::format;
use crate::ui::query::Query;
use crate::ui::view_ctx::{Nav, ViewCtx};

/// Fetches and lists one trace's predictions.
#[derive(Default)]
pub struct TracePredictions {
    query: Query<(TraceId, u64), Vec<PredictionRow>>,
}

impl TracePredictions {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, trace_id: TraceId) {
        self.query.ensure(
            ctx.queries,
            ui.ctx(),
            (trace_id, ctx.generation),
            move |store| store.predictions_of_trace(&trace_id),
        );
        if let Some(e) = self.query.error() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Could not load the trace's predictions: {e}"),
            );
        }
        let Some(rows) = self.query.value() else {
            return;
        };
        if rows.is_empty() {
            return;
        }
        egui::CollapsingHeader::new(format!("Predictions of this trace ({})", rows.len()))
            .id_salt("trace_predictions")
            .default_open(true)
            .show(ui, |ui| {
                for p in rows {
                    let text = format!(
                        "{} {} -> {}{}",
                        format::clock_ns(p.timestamp_ns),
                        p.model,
                        p.prediction.as_deref().unwrap_or("-"),
                        p.confidence.map_or(String::new(), |c| format!(" ({c:.2})"))
                    );
                    if ui
                        .link(text)
                        .on_hover_text("Open this prediction in the Drift tab")
                        .clicked()
                    {
                        ctx.navigate(Nav::OpenPrediction { id: p.id });
                    }
                }
            });
    }
}
