//! The selected feature: its verdict, every measure with its value, the missing-value and
//! new-category signals, and the reference and current distributions drawn over each other
//! (histogram bins for numeric features, category bars for categorical ones).

use egui::RichText;
use egui_plot::{Bar, BarChart, GridMark, HoverPosition, Legend, Plot};

use crate::analysis::drift::{FeatureKind, Method};

use super::data::FeatureRow;
use super::feature_table::{DRIFTED_COLOR, p_text, score_text};
use super::windows::{CURRENT_COLOR, REFERENCE_COLOR};

pub fn detail_ui(ui: &mut egui::Ui, f: &FeatureRow) {
    let d = &f.drift;
    ui.horizontal_wrapped(|ui| {
        let verdict = if d.drifted {
            RichText::new(format!("{}: drifted", d.feature))
                .color(DRIFTED_COLOR)
                .strong()
        } else {
            RichText::new(format!("{}: no drift", d.feature)).strong()
        };
        ui.label(verdict.size(16.0));
        ui.weak(format!(
            "{} rows in the reference, {} in the current window",
            crate::ui::format::count(d.reference_rows as u64),
            crate::ui::format::count(d.current_rows as u64)
        ));
    });
    ui.horizontal_wrapped(|ui| {
        for m in &d.metrics {
            let name = match m.method {
                Method::MissingShare => "missing share rise",
                Method::NewCategories => "new-category share",
                other => other.as_str(),
            };
            let mut text = format!("{name} = {}", score_text(m.score));
            if let Some(p) = m.p_value {
                text.push_str(&format!(" (p = {})", p_text(p)));
            }
            if m.method == d.primary {
                text.push_str(" [decides]");
            }
            let rich = RichText::new(text).monospace();
            ui.label(if m.drifted {
                rich.color(DRIFTED_COLOR)
            } else {
                rich
            });
            ui.add_space(8.0);
        }
    });
    ui.horizontal_wrapped(|ui| {
        ui.label(format!(
            "Missing values: {:.1} % in the reference, {:.1} % now",
            d.missing_share_reference * 100.0,
            d.missing_share_current * 100.0
        ));
        if !d.new_categories.is_empty() {
            ui.colored_label(
                ui.visuals().warn_fg_color,
                format!(
                    "Never seen in the reference: {}",
                    d.new_categories.join(", ")
                ),
            );
        }
    });
    histogram_ui(ui, f);
}

fn histogram_ui(ui: &mut egui::Ui, f: &FeatureRow) {
    let h = &f.histogram;
    if h.bins.is_empty() {
        ui.weak("No values in either window.");
        return;
    }
    let numeric_bins = h.kind == FeatureKind::Numeric
        && h.bins
            .iter()
            .any(|b| (b.hi - b.lo - 1.0).abs() > 1e-9 || b.lo.fract() != 0.0);
    let mut reference = Vec::with_capacity(h.bins.len());
    let mut current = Vec::with_capacity(h.bins.len());
    for b in &h.bins {
        let width = (b.hi - b.lo).abs().max(1e-12);
        let mid = (b.lo + b.hi) / 2.0;
        // Side by side within the bin.
        reference.push(
            Bar::new(mid - width * 0.2, b.reference_share * 100.0)
                .width(width * 0.4)
                .name(format!("reference {}", b.label)),
        );
        current.push(
            Bar::new(mid + width * 0.2, b.current_share * 100.0)
                .width(width * 0.4)
                .name(format!("current {}", b.label)),
        );
    }
    let labels: Vec<String> = h.bins.iter().map(|b| b.label.clone()).collect();
    let axis_labels = labels.clone();
    Plot::new(("drift_histogram", &h.feature))
        .legend(Legend::default())
        .y_axis_label("% of rows")
        .include_y(0.0)
        .allow_drag(false)
        .allow_scroll(false)
        .allow_zoom(false)
        .allow_boxed_zoom(false)
        .x_axis_formatter(move |mark: GridMark, _range| {
            if numeric_bins {
                axis_number(mark.value)
            } else {
                let i = mark.value.round();
                if (mark.value - i).abs() < 1e-6 {
                    String::new()
                } else {
                    axis_labels
                        .get(mark.value.floor().max(0.0) as usize)
                        .filter(|_| (mark.value.fract() - 0.5).abs() < 1e-6)
                        .cloned()
                        .unwrap_or_default()
                }
            }
        })
        .x_grid_spacer(move |input| {
            if numeric_bins {
                egui_plot::log_grid_spacer(10)(input)
            } else {
                (0..labels.len())
                    .map(|i| GridMark {
                        value: i as f64 + 0.5,
                        step_size: 1.0,
                    })
                    .collect()
            }
        })
        .label_formatter(|pos: &HoverPosition<'_>| match pos {
            HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } => Some(format!("{plot_name}\n{:.1} %", position.y)),
            HoverPosition::Elsewhere { .. } => None,
        })
        .show(ui, |pui| {
            pui.bar_chart(BarChart::new("reference", reference).color(REFERENCE_COLOR));
            pui.bar_chart(BarChart::new("current", current).color(CURRENT_COLOR));
        });
}

/// A numeric axis mark without float noise.
fn axis_number(x: f64) -> String {
    if x.abs() >= 100.0 {
        format!("{x:.0}")
    } else {
        let text = format!("{x:.3}");
        text.trim_end_matches('0').trim_end_matches('.').to_owned()
    }
}
