//! The version timeline: one lane per (model version x pipeline version) combination of the
//! model, its traffic per time bucket as bars along the lane, flagged skew in red; under it
//! each combination with when it appeared, its share of traffic and the change in confidence
//! and error rate that came with it.

use egui::{Color32, RichText};
use egui_plot::{GridMark, HoverPosition, Plot, PlotPoints, Polygon};

use crate::analysis::version_skew::{Combination, ResourceCombination, VersionSkew};
use crate::ui::format;
use crate::ui::time_axis::time_x_axis;

use super::feature_table::DRIFTED_COLOR;

const LANE_COLOR: Color32 = Color32::from_rgb(90, 150, 110);

/// "3.3.0 x 2.3": how a combination reads.
pub fn combination_label(c: &Combination) -> String {
    let pipeline = if c.pipeline_version.is_empty() {
        "(none)"
    } else {
        c.pipeline_version.as_str()
    };
    let model = if c.model_version.is_empty() {
        "(none)"
    } else {
        c.model_version.as_str()
    };
    format!("{model} x {pipeline}")
}

pub fn timeline_ui(ui: &mut egui::Ui, skew: &VersionSkew, origin_ns: i64) {
    ui.label(RichText::new("Versions: model x pipeline").strong());
    let combos = &skew.combinations;
    if combos.is_empty() {
        ui.weak("No version facts.");
        return;
    }
    let lane_of = |mv: &str, pv: &str| {
        combos
            .iter()
            .position(|c| c.model_version == mv && c.pipeline_version == pv)
            .unwrap_or(0)
    };
    let bucket_s = skew.bucket_ns as f64 / 1e9;
    // The largest bucket fills its lane.
    let max_rows = skew
        .timeline
        .iter()
        .map(|p| p.rows)
        .max()
        .unwrap_or(1)
        .max(1) as f64;
    let labels: Vec<String> = combos.iter().map(combination_label).collect();
    let y_labels = labels.clone();
    let lanes = combos.len();
    time_x_axis(Plot::new("drift_versions"), origin_ns, false)
        .height((34.0 + 26.0 * lanes as f32).min(220.0))
        .allow_drag(false)
        .allow_zoom(false)
        .allow_scroll(false)
        .allow_boxed_zoom(false)
        .include_y(-0.6)
        .include_y(lanes as f64 - 0.4)
        .y_axis_formatter(move |mark: GridMark, _range| {
            y_labels
                .get(mark.value.round().max(0.0) as usize)
                .filter(|_| (mark.value - mark.value.round()).abs() < 1e-6)
                .cloned()
                .unwrap_or_default()
        })
        .y_grid_spacer(move |_input| {
            (0..lanes)
                .map(|i| GridMark {
                    value: i as f64,
                    step_size: 1.0,
                })
                .collect()
        })
        .y_axis_min_width(70.0)
        .label_formatter(|pos: &HoverPosition<'_>| match pos {
            HoverPosition::NearDataPoint { plot_name, .. } => Some((*plot_name).to_owned()),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |pui| {
            for p in &skew.timeline {
                let lane = lane_of(&p.model_version, &p.pipeline_version);
                let Some(c) = combos.get(lane) else { continue };
                let x0 = (p.bucket_start_ns - origin_ns) as f64 / 1e9;
                let x1 = x0 + bucket_s;
                let half = 0.1 + 0.3 * (p.rows as f64 / max_rows);
                let y = lane as f64;
                let color = if c.flagged { DRIFTED_COLOR } else { LANE_COLOR };
                pui.polygon(
                    Polygon::new(
                        format!(
                            "{}: {} predictions from {}",
                            labels.get(lane).map_or("", String::as_str),
                            p.rows,
                            format::time_ns(p.bucket_start_ns)
                        ),
                        PlotPoints::new(vec![
                            [x0, y - half],
                            [x1, y - half],
                            [x1, y + half],
                            [x0, y + half],
                        ]),
                    )
                    .fill_color(color)
                    .stroke(egui::Stroke::NONE),
                );
            }
        });
}

/// The combinations with their facts, flagged ones highlighted.
pub fn combinations_ui(ui: &mut egui::Ui, skew: &VersionSkew) {
    egui::Grid::new("drift_combinations")
        .striped(true)
        .num_columns(7)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for h in ["Combination", "First seen", "Predictions", "Share", "Confidence change", "Error-rate change", ""] {
                ui.strong(h);
            }
            ui.end_row();
            for c in &skew.combinations {
                let label = RichText::new(combination_label(c)).monospace();
                ui.label(if c.flagged {
                    label.color(DRIFTED_COLOR).strong()
                } else {
                    label
                });
                ui.label(format::time_ns(c.first_seen_ns));
                ui.label(format::count(c.rows));
                ui.label(format!("{:.1} %", c.share * 100.0))
                    .on_hover_text(format!(
                        "{:.1} % of the traffic while it served",
                        c.share_while_active * 100.0
                    ));
                ui.label(signed(c.confidence_change, 1.0, ""));
                ui.label(signed(c.error_rate_change, 100.0, " pt"));
                if c.flagged {
                    ui.colored_label(DRIFTED_COLOR, "skew")
                        .on_hover_text("This model version mostly ran with another pipeline: served with one it was not built for");
                } else if c.baseline {
                    ui.weak("baseline");
                } else {
                    ui.label("");
                }
                ui.end_row();
            }
        });
}

/// Traced services' versions: which `service.version` ran with which `*.model.version` when;
/// pairs of versions each seen before, never together, are flagged.
pub fn resources_ui(ui: &mut egui::Ui, combos: &[ResourceCombination]) {
    if combos.is_empty() {
        return;
    }
    ui.add_space(8.0);
    ui.label(RichText::new("Traced services: service version x model versions").strong());
    egui::Grid::new("drift_resource_combinations")
        .striped(true)
        .num_columns(5)
        .spacing([14.0, 3.0])
        .show(ui, |ui| {
            for h in [
                "Service",
                "Service version",
                "Model versions",
                "First seen",
                "Spans",
            ] {
                ui.strong(h);
            }
            ui.end_row();
            for c in combos {
                let service = RichText::new(&c.service);
                ui.label(if c.flagged {
                    service.color(DRIFTED_COLOR).strong()
                } else {
                    service
                });
                ui.label(&c.service_version);
                ui.label(if c.model_versions.is_empty() {
                    "-"
                } else {
                    c.model_versions.as_str()
                });
                ui.label(format::time_ns(c.first_seen_ns));
                ui.horizontal(|ui| {
                    ui.label(format::count(c.spans));
                    if c.flagged {
                        ui.colored_label(DRIFTED_COLOR, "never together before");
                    }
                });
                ui.end_row();
            }
        });
}

fn signed(v: Option<f64>, scale: f64, unit: &str) -> String {
    let decimals = if unit.is_empty() { 3 } else { 1 };
    match v {
        Some(x) => format!("{:+.decimals$}{unit}", x * scale),
        None => "-".to_owned(),
    }
}
