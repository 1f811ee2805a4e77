//! The Retries tab's timeline: every attempt of the listed chains as a point (x = time, one lane
//! per operation and model, coloured by error class with a legend), storms shaded as bands over
//! their chain's time, the selected chain ringed and joined; hovering shows the attempt, a click
//! selects its chain. Only attempts inside the visible time range are drawn.

use std::collections::BTreeMap;

use egui_plot::{
    GridInput, GridMark, Legend, Line, MarkerShape, Plot, PlotPoints, Points, Polygon,
};

use crate::analysis::retries::ChainAttempt;
use crate::model::error_class::ErrorClass;
use crate::ui::format;
use crate::ui::time_axis::time_x_axis;
use crate::ui::view_ctx::ChainFocus;

use super::{RetriesData, chain_in_focus, class_color, lane_name};

/// Pixels within which the pointer is on an attempt.
const PICK_RADIUS: f32 = 10.0;

/// The lanes of the listed chains, by name, and each listed chain's lane.
fn lanes(data: &RetriesData, focus: ChainFocus) -> (Vec<String>, Vec<Option<usize>>) {
    let mut names: BTreeMap<String, usize> = BTreeMap::new();
    for c in data.chains.iter().filter(|c| chain_in_focus(c, focus)) {
        names.insert(lane_name(&c.operation, c.model.as_deref()), 0);
    }
    for (i, v) in names.values_mut().enumerate() {
        *v = i;
    }
    let of_chain = data
        .chains
        .iter()
        .map(|c| {
            chain_in_focus(c, focus)
                .then(|| {
                    names
                        .get(&lane_name(&c.operation, c.model.as_deref()))
                        .copied()
                })
                .flatten()
        })
        .collect();
    (names.into_keys().collect(), of_chain)
}

/// Grid marks on whole lanes.
fn lane_grid_spacer(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    let first = lo.ceil().max(0.0) as i64;
    let last = hi.floor() as i64;
    if last - first > 500 {
        return Vec::new();
    }
    (first..=last)
        .map(|k| GridMark {
            value: k as f64,
            step_size: 1.0,
        })
        .collect()
}

/// Draws the timeline; returns the chain (index into `data.chains`) the user clicked.
pub fn timeline_ui(
    ui: &mut egui::Ui,
    data: &RetriesData,
    selected: Option<usize>,
    focus: ChainFocus,
) -> Option<usize> {
    let (lane_names, lane_of_chain) = lanes(data, focus);
    let origin_ns = data.origin_ns;
    let x_of = move |ns: i64| (ns - origin_ns) as f64 / 1e9;
    let names_for_axis = lane_names.clone();
    let ring = ui.visuals().strong_text_color();
    // The whole time span of the listed attempts: drawing culls to the visible bounds, so the
    // bounds must not come from what was drawn.
    let listed = data
        .chains
        .iter()
        .zip(&lane_of_chain)
        .filter(|(_, lane)| lane.is_some())
        .flat_map(|(c, _)| c.attempts.iter());
    let (first_ns, last_ns) = listed.fold((i64::MAX, i64::MIN), |(lo, hi), a| {
        (lo.min(a.start_ns), hi.max(a.end_ns))
    });
    let mut plot = Plot::new("retries_timeline_plot");
    if first_ns <= last_ns {
        plot = plot.include_x(x_of(first_ns)).include_x(x_of(last_ns));
    }
    let plot = time_x_axis(
        plot.legend(Legend::default().follow_insertion_order(true)),
        origin_ns,
        true,
    )
    .y_axis_formatter(move |mark: GridMark, _range| {
        let k = mark.value.round();
        if (mark.value - k).abs() > 1e-6 || k < 0.0 {
            return String::new();
        }
        names_for_axis.get(k as usize).cloned().unwrap_or_default()
    })
    .y_grid_spacer(lane_grid_spacer)
    .y_axis_min_width(150.0)
    .include_y(-0.6)
    .include_y(lane_names.len() as f64 - 0.4)
    .allow_scroll([true, false])
    .label_formatter(|_| None);
    let response = plot.show(ui, |pui| {
        let bounds = pui.plot_bounds();
        let (x_min, x_max) = (bounds.min()[0], bounds.max()[0]);
        let visible = |a: &ChainAttempt| {
            let (x0, x1) = (x_of(a.start_ns), x_of(a.end_ns));
            x1 >= x_min && x0 <= x_max
        };
        // Storm bands under the points.
        for (c, lane) in data.chains.iter().zip(&lane_of_chain) {
            let (Some(lane), true) = (lane, c.storm) else {
                continue;
            };
            let (Some(first), Some(last)) = (c.attempts.first(), c.attempts.last()) else {
                continue;
            };
            let (x0, x1) = (x_of(first.start_ns), x_of(last.end_ns));
            if x1 < x_min || x0 > x_max {
                continue;
            }
            let (y0, y1) = (*lane as f64 - 0.4, *lane as f64 + 0.4);
            pui.polygon(
                Polygon::new(
                    "storm",
                    PlotPoints::new(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]),
                )
                .fill_color(egui::Color32::from_rgba_unmultiplied(220, 60, 60, 40))
                .stroke(egui::Stroke::new(
                    1.0,
                    egui::Color32::from_rgba_unmultiplied(220, 60, 60, 120),
                ))
                .allow_hover(false),
            );
        }
        // One series per error class, so the legend names the colours.
        let mut by_class: BTreeMap<ErrorClass, Vec<[f64; 2]>> = BTreeMap::new();
        for (c, lane) in data.chains.iter().zip(&lane_of_chain) {
            let Some(lane) = lane else {
                continue;
            };
            for a in c.attempts.iter().filter(|a| visible(a)) {
                by_class
                    .entry(a.class)
                    .or_default()
                    .push([x_of(a.start_ns), *lane as f64]);
            }
        }
        for (class, points) in by_class {
            pui.points(
                Points::new(class.as_str(), PlotPoints::new(points))
                    .color(class_color(class))
                    .shape(MarkerShape::Circle)
                    .filled(true)
                    .radius(4.0)
                    .allow_hover(false),
            );
        }
        // The selected chain: its attempts ringed and joined.
        if let Some((c, Some(lane))) =
            selected.and_then(|i| data.chains.get(i).zip(lane_of_chain.get(i).copied()))
        {
            let points: Vec<[f64; 2]> = c
                .attempts
                .iter()
                .map(|a| [x_of(a.start_ns), lane as f64])
                .collect();
            pui.line(
                Line::new("selected chain", PlotPoints::new(points.clone()))
                    .color(ring)
                    .width(1.0)
                    .allow_hover(false),
            );
            pui.points(
                Points::new("selected chain", PlotPoints::new(points))
                    .color(ring)
                    .shape(MarkerShape::Circle)
                    .filled(false)
                    .radius(7.0)
                    .allow_hover(false),
            );
        }
    });
    // The attempt under the pointer, in screen space.
    let transform = response.transform;
    let hovered = response.response.hover_pos().and_then(|pointer| {
        let mut best: Option<(f32, usize, &ChainAttempt)> = None;
        for (i, (c, lane)) in data.chains.iter().zip(&lane_of_chain).enumerate() {
            let Some(lane) = lane else {
                continue;
            };
            for a in &c.attempts {
                let at = transform.position_from_point(&egui_plot::PlotPoint::new(
                    x_of(a.start_ns),
                    *lane as f64,
                ));
                let d = at.distance(pointer);
                if d <= PICK_RADIUS && best.is_none_or(|(bd, _, _)| d < bd) {
                    best = Some((d, i, a));
                }
            }
        }
        best.map(|(_, i, a)| (i, a))
    });
    let mut picked = None;
    if let Some((chain_index, a)) = hovered {
        let clicked = response.response.clicked();
        let chain = data.chains.get(chain_index);
        response.response.on_hover_ui_at_pointer(|ui| {
            if let Some(c) = chain {
                ui.strong(lane_name(&c.operation, c.model.as_deref()));
                let n = c
                    .attempts
                    .iter()
                    .position(|x| x.span_id == a.span_id)
                    .map_or(0, |p| p + 1);
                ui.label(format!("attempt {n} of {}", c.attempts.len()));
            }
            ui.label(format!("{} UTC", format::time_ns(a.start_ns)));
            ui.label(format!(
                "{}{}, {}",
                a.class.as_str(),
                a.http_status.map(|s| format!(" ({s})")).unwrap_or_default(),
                format::duration_ns(a.end_ns - a.start_ns)
            ));
            if let Some(w) = a.wait_ms {
                ui.label(format!(
                    "waited {} after the previous attempt",
                    format::duration_ns((w * 1e6) as i64)
                ));
            }
            if !a.message.is_empty() {
                ui.label(truncate_chars(&a.message, 200));
            }
            ui.weak("click to select the chain");
        });
        if clicked {
            picked = Some(chain_index);
        }
    }
    picked
}

fn truncate_chars(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}...", text.get(..at).unwrap_or(text)),
        None => text.to_owned(),
    }
}
