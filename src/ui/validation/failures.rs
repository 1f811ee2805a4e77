//! The Validation tab's table of failures (virtualised): time, model, what failed, the re-asks
//! it caused, and the reason. A click selects a failure for the detail panel.

use egui_extras::{Column, TableBuilder};

use crate::analysis::validation::FailureKind;
use crate::ui::format;

use super::ValidationData;

const ROW_HEIGHT: f32 = 22.0;

pub fn kind_label(kind: FailureKind) -> &'static str {
    match kind {
        FailureKind::EvaluationFailed => "evaluation failed",
        FailureKind::ValidationError => "validation error",
        FailureKind::OutputInvalidJson => "invalid JSON output",
        FailureKind::ToolArgsInvalidJson => "invalid tool arguments",
    }
}

/// Draws the table; returns the failure (index into `summary.failures`) the user clicked.
pub fn failures_ui(
    ui: &mut egui::Ui,
    data: &ValidationData,
    selected: Option<usize>,
) -> Option<usize> {
    let failures = &data.summary.failures;
    ui.strong(format!("{} failures", format::count(failures.len() as u64)));
    let mut picked = None;
    TableBuilder::new(ui)
        .id_salt("validation_failures")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(170.0).at_least(80.0))
        .column(Column::initial(130.0).at_least(60.0).clip(true))
        .column(Column::initial(140.0).at_least(60.0).clip(true))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .auto_shrink([false, false])
        .min_scrolled_height(0.0)
        .max_scroll_height(f32::INFINITY)
        .header(22.0, |mut header| {
            for title in ["Time", "Model", "Check", "Re-asks", "Reason"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, failures.len(), |mut row| {
                let i = row.index();
                let Some(f) = failures.get(i) else {
                    return;
                };
                row.set_selected(selected == Some(i));
                row.col(|ui| {
                    ui.add(egui::Label::new(format::time_ns(f.start_ns)).selectable(false));
                });
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(f.model.as_deref().unwrap_or("(no model)"))
                            .selectable(false)
                            .truncate(),
                    );
                });
                row.col(|ui| {
                    let kind = f.failures.first().map_or("", |x| kind_label(x.kind));
                    ui.add(egui::Label::new(kind).selectable(false).truncate());
                });
                row.col(|ui| {
                    let n = data.reasks.get(i).map_or(0, Vec::len);
                    ui.add(egui::Label::new(n.to_string()).selectable(false));
                });
                row.col(|ui| {
                    ui.add(egui::Label::new(f.reason()).selectable(false).truncate());
                });
                if row.response().clicked() {
                    picked = Some(i);
                }
            });
        });
    picked
}
