//! The selected validation failure: where it happened (with a button to the waterfall), each
//! failed check's reason, the offending output with the parse error's character on a red
//! background and its line and column, and the re-asks the failure caused with their tokens.

use egui::text::{LayoutJob, TextFormat};
use egui_extras::{Column, TableBuilder};

use crate::analysis::retries::ChainAttempt;
use crate::analysis::validation::{Failure, SpanValidation, line_column};
use crate::ui::format;
use crate::ui::retries::{ATTEMPT_COLUMNS, attempt_row_ui};
use crate::ui::view_ctx::{Nav, ViewCtx};

use super::failures::kind_label;

/// Outputs longer than this are shown around the error position only.
const MAX_SHOWN_BYTES: usize = 16_000;

pub fn detail_ui(
    ui: &mut egui::Ui,
    ctx: &ViewCtx,
    selected: Option<(&SpanValidation, &[ChainAttempt])>,
) {
    let Some((failure, reasks)) = selected else {
        ui.weak("Select a failure to see its output and the re-asks it caused.");
        return;
    };
    egui::ScrollArea::vertical()
        .id_salt("validation_detail_scroll")
        .auto_shrink([false, false])
        .show(ui, |ui| {
            ui.horizontal(|ui| {
                ui.strong(&failure.name);
                if ui
                    .button("Open in waterfall")
                    .on_hover_text("Open the failed span in the Traces tab")
                    .clicked()
                {
                    ctx.navigate(Nav::OpenTrace {
                        trace_id: failure.trace_id,
                        span_id: Some(failure.span_id),
                    });
                }
            });
            ui.weak(format!(
                "{} UTC · {}",
                format::time_ns(failure.start_ns),
                failure.model.as_deref().unwrap_or("(no model)")
            ));
            for f in &failure.failures {
                ui.separator();
                failure_ui(ui, f);
            }
            ui.separator();
            reasks_ui(ui, ctx, reasks);
        });
}

fn failure_ui(ui: &mut egui::Ui, f: &Failure) {
    ui.label(egui::RichText::new(kind_label(f.kind)).strong());
    ui.add(egui::Label::new(&f.reason).wrap());
    let (Some(text), Some(offset)) = (&f.text, f.error_offset) else {
        return;
    };
    let (line, column) = line_column(text, offset);
    ui.colored_label(
        ui.visuals().error_fg_color,
        format!("parse error at line {line}, column {column}"),
    );
    let job = highlighted(ui, text, offset);
    egui::Frame::group(ui.style()).show(ui, |ui| {
        egui::ScrollArea::vertical()
            .id_salt(("validation_output", offset))
            .max_height(260.0)
            .show(ui, |ui| {
                ui.add(egui::Label::new(job).wrap());
            });
    });
}

/// The nearest char boundary at or before `at`.
fn floor_boundary(text: &str, at: usize) -> usize {
    let mut at = at.min(text.len());
    while at > 0 && !text.is_char_boundary(at) {
        at -= 1;
    }
    at
}

/// `text` in monospace with the character at byte `offset` on a red background (a highlighted
/// space when the error is at the end of the input or at a line break).
fn highlighted(ui: &egui::Ui, text: &str, offset: usize) -> LayoutJob {
    let at = floor_boundary(text, offset);
    // Long outputs: a window around the error.
    let from = floor_boundary(text, at.saturating_sub(MAX_SHOWN_BYTES / 2));
    let to = floor_boundary(text, at.saturating_add(MAX_SHOWN_BYTES / 2));
    let font = egui::FontId::monospace(12.0);
    let normal = TextFormat {
        font_id: font.clone(),
        color: ui.visuals().text_color(),
        ..TextFormat::default()
    };
    let marked = TextFormat {
        font_id: font,
        color: egui::Color32::WHITE,
        background: egui::Color32::from_rgb(200, 40, 40),
        ..TextFormat::default()
    };
    let mut job = LayoutJob::default();
    if from > 0 {
        job.append("...", 0.0, normal.clone());
    }
    job.append(text.get(from..at).unwrap_or_default(), 0.0, normal.clone());
    let rest = text.get(at..to).unwrap_or_default();
    let mut chars = rest.chars();
    match chars.next() {
        Some(c) if c != '\n' && c != '\r' => {
            job.append(&c.to_string(), 0.0, marked);
            job.append(chars.as_str(), 0.0, normal.clone());
        }
        Some(_) => {
            job.append(" ", 0.0, marked);
            job.append(rest, 0.0, normal.clone());
        }
        None => job.append(" ", 0.0, marked),
    }
    if to < text.len() {
        job.append("...", 0.0, normal);
    }
    job
}

fn reasks_ui(ui: &mut egui::Ui, ctx: &ViewCtx, reasks: &[ChainAttempt]) {
    if reasks.is_empty() {
        ui.label("Re-asks: none (no later attempt of the same call).");
        return;
    }
    let tokens: i64 = reasks.iter().map(|a| a.tokens).sum();
    ui.strong(format!(
        "Re-asks: {} costing {} tokens",
        reasks.len(),
        format::count(tokens.max(0) as u64)
    ));
    let mut open = None;
    TableBuilder::new(ui)
        .id_salt("validation_reasks")
        .striped(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(30.0))
        .column(Column::initial(100.0))
        .column(Column::initial(70.0))
        .column(Column::initial(50.0))
        .column(Column::initial(80.0))
        .column(Column::initial(60.0))
        .column(Column::initial(60.0))
        .column(Column::remainder().clip(true))
        .vscroll(false)
        .header(22.0, |mut header| {
            for title in ATTEMPT_COLUMNS {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(22.0, reasks.len(), |mut row| {
                let i = row.index();
                if let Some(a) = reasks.get(i) {
                    attempt_row_ui(&mut row, i, a, &mut open);
                }
            });
        });
    if let Some(a) = open {
        ctx.navigate(Nav::OpenTrace {
            trace_id: a.trace_id,
            span_id: Some(a.span_id),
        });
    }
}
