//! The features ranked by drift score (drifted first): kind, method, score, p-value, the
//! drifted flag (with missing-value and new-category signals) and a sparkline of the primary
//! measure over rolling windows against the reference. Clicking a row selects the feature.

use egui::{Color32, Stroke};
use egui_extras::{Column, TableBuilder};

use crate::analysis::drift::{FeatureKind, Method};

use super::data::FeatureRow;

const ROW_HEIGHT: f32 = 22.0;
pub const DRIFTED_COLOR: Color32 = Color32::from_rgb(220, 60, 50);

/// Draws the table; returns the feature clicked.
pub fn table_ui(ui: &mut egui::Ui, rows: &[FeatureRow], selected: Option<&str>) -> Option<String> {
    let mut clicked = None;
    TableBuilder::new(ui)
        .id_salt("drift_features")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::initial(150.0).at_least(80.0).clip(true))
        .column(Column::initial(80.0).at_least(50.0))
        .column(Column::initial(100.0).at_least(60.0))
        .column(Column::initial(64.0).at_least(50.0))
        .column(Column::initial(64.0).at_least(50.0))
        .column(Column::initial(110.0).at_least(60.0).clip(true))
        .column(Column::remainder().at_least(80.0))
        .auto_shrink([false, false])
        .min_scrolled_height(0.0)
        .header(22.0, |mut header| {
            for (label, hint) in [
                ("Feature", "Input feature, or the model's prediction and confidence"),
                ("Kind", "numeric or categorical"),
                ("Method", "The measure that decides (KS or chi-square for small references, Wasserstein or Jensen-Shannon for larger ones)"),
                ("Score", "The method's score"),
                ("p-value", "KS and chi-square only"),
                ("Drifted", "The method's verdict, and the missing-value and new-category signals"),
                ("Over time", "The method's score in rolling windows against the reference"),
            ] {
                header.col(|ui| {
                    ui.strong(label).on_hover_text(hint);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, rows.len(), |mut row| {
                let Some(f) = rows.get(row.index()) else {
                    return;
                };
                let d = &f.drift;
                let is_selected = selected == Some(d.feature.as_str());
                row.set_selected(is_selected);
                let primary = d.primary_metric();
                row.col(|ui| {
                    let name = if f.output {
                        format!("{} (output)", d.feature)
                    } else {
                        d.feature.clone()
                    };
                    if ui.selectable_label(is_selected, name).clicked() {
                        clicked = Some(d.feature.clone());
                    }
                });
                row.col(|ui| {
                    ui.label(match d.kind {
                        FeatureKind::Numeric => "numeric",
                        FeatureKind::Categorical => "categorical",
                    });
                });
                row.col(|ui| {
                    ui.label(d.primary.as_str());
                });
                row.col(|ui| {
                    ui.label(primary.map_or_else(String::new, |m| score_text(m.score)));
                });
                row.col(|ui| {
                    ui.label(
                        primary
                            .and_then(|m| m.p_value)
                            .map_or_else(|| "-".to_owned(), p_text),
                    );
                });
                row.col(|ui| {
                    let signals: Vec<&str> = d
                        .metrics
                        .iter()
                        .filter(|m| m.drifted)
                        .filter_map(|m| match m.method {
                            Method::MissingShare => Some("missing"),
                            Method::NewCategories => Some("new categories"),
                            _ => None,
                        })
                        .collect();
                    if d.drifted {
                        ui.colored_label(DRIFTED_COLOR, egui::RichText::new("drifted").strong());
                    } else {
                        ui.weak("no");
                    }
                    if !signals.is_empty() {
                        ui.colored_label(ui.visuals().warn_fg_color, format!("+{}", signals.join(", ")));
                    }
                });
                row.col(|ui| sparkline_ui(ui, f));
                if row.response().clicked() {
                    clicked = Some(d.feature.clone());
                }
            });
        });
    clicked
}

/// A score as it reads in the table.
pub fn score_text(score: f64) -> String {
    if score.is_infinite() {
        "inf".to_owned()
    } else if score.abs() >= 1000.0 {
        format!("{score:.0}")
    } else {
        format!("{score:.3}")
    }
}

/// A p-value as it reads in the table.
pub fn p_text(p: f64) -> String {
    if p.is_nan() {
        "-".to_owned()
    } else if p < 1e-4 {
        format!("{p:.1e}")
    } else {
        format!("{p:.4}")
    }
}

/// The primary measure per rolling window as a small line, drifted windows as red dots.
fn sparkline_ui(ui: &mut egui::Ui, f: &FeatureRow) {
    let size = egui::vec2(ui.available_width().clamp(60.0, 160.0), ROW_HEIGHT - 6.0);
    let (rect, response) = ui.allocate_exact_size(size, egui::Sense::hover());
    let points = &f.series;
    if points.is_empty() || !ui.is_rect_visible(rect) {
        return;
    }
    let finite = |s: f64| if s.is_finite() { s } else { 0.0 };
    let max = points
        .iter()
        .map(|p| finite(p.score))
        .fold(0.0f64, f64::max)
        .max(1e-9);
    let n = points.len().max(2) - 1;
    let pos = |i: usize, score: f64| {
        egui::pos2(
            rect.left() + rect.width() * i as f32 / n as f32,
            rect.bottom() - rect.height() * (finite(score) / max) as f32,
        )
    };
    let line: Vec<egui::Pos2> = points
        .iter()
        .enumerate()
        .map(|(i, p)| pos(i, p.score))
        .collect();
    let painter = ui.painter_at(rect.expand(2.0));
    painter.line(line, Stroke::new(1.2, ui.visuals().text_color()));
    for (i, p) in points.iter().enumerate().filter(|(_, p)| p.drifted) {
        painter.circle_filled(pos(i, p.score), 2.2, DRIFTED_COLOR);
    }
    let method = f
        .drift
        .primary_metric()
        .map_or("score", |m| m.method.as_str());
    response.on_hover_ui(|ui| {
        ui.label(format!("{method} per window against the reference"));
        for p in points {
            ui.label(format!(
                "{}  {}{}",
                crate::ui::format::time_ns(p.window_start_ns),
                score_text(p.score),
                if p.drifted { "  drifted" } else { "" }
            ));
        }
    });
}
