//! The window choice: first and last quarter, the reference file, or two ranges brushed on a
//! timeline of prediction counts (drag sets the reference; shift-drag, or the "current" brush,
//! sets the current window); both windows are shaded on the timeline.

use egui::{Color32, Stroke};
use egui_plot::{Bar, BarChart, HoverPosition, Plot, PlotPoints, Polygon};

use crate::analysis::drift::TimeRange;
use crate::analysis::prediction_report::ReferenceChoice;

use super::data::DriftData;
use crate::ui::time_axis::time_x_axis;

pub const REFERENCE_COLOR: Color32 = Color32::from_rgb(70, 130, 220);
pub const CURRENT_COLOR: Color32 = Color32::from_rgb(230, 140, 40);

fn band(color: Color32) -> Color32 {
    Color32::from_rgba_unmultiplied(color.r(), color.g(), color.b(), 50)
}

/// Which window a drag on the timeline sets.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum BrushTarget {
    #[default]
    Reference,
    Current,
}

/// The user's window choice and the brush in progress.
#[derive(Default)]
pub struct WindowChoice {
    pub choice: Option<ReferenceChoice>,
    pub brush: BrushTarget,
    /// Drag start and latest x (seconds after the timeline's origin), and what it sets.
    drag: Option<(f64, f64, BrushTarget)>,
}

impl WindowChoice {
    pub fn choice(&self) -> ReferenceChoice {
        self.choice.unwrap_or(ReferenceChoice::Default)
    }

    /// The radio buttons and the brush toggle.
    pub fn controls_ui(&mut self, ui: &mut egui::Ui, has_reference_file: bool) {
        let current = self.choice();
        let is_quarters = matches!(current, ReferenceChoice::Quarters)
            || (matches!(current, ReferenceChoice::Default) && !has_reference_file);
        let is_file = has_reference_file
            && matches!(
                current,
                ReferenceChoice::Default | ReferenceChoice::ImportAgainst { .. }
            );
        let is_brushed = matches!(current, ReferenceChoice::Ranges { .. });
        ui.label("Windows:");
        if ui
            .radio(is_quarters, "First / last quarter")
            .on_hover_text("Reference: the first quarter of the time span; current: the last")
            .clicked()
        {
            self.choice = Some(ReferenceChoice::Quarters);
        }
        if has_reference_file
            && ui
                .radio(is_file, "Reference file")
                .on_hover_text("Reference: the predictions of the reference import")
                .clicked()
        {
            self.choice = Some(ReferenceChoice::Default);
        }
        ui.add_enabled(false, egui::RadioButton::new(is_brushed, "Brushed"))
            .on_disabled_hover_text("Drag on the timeline below to brush windows");
        ui.separator();
        ui.label("Brush:");
        ui.selectable_value(&mut self.brush, BrushTarget::Reference, "reference")
            .on_hover_text("Dragging on the timeline sets the reference window");
        ui.selectable_value(&mut self.brush, BrushTarget::Current, "current")
            .on_hover_text("Dragging on the timeline sets the current window (or shift-drag)");
    }

    /// The timeline of prediction counts with both windows shaded; drags brush a window.
    pub fn timeline_ui(&mut self, ui: &mut egui::Ui, data: &DriftData) {
        let t = &data.timeline;
        let origin_ns = t.origin_ns;
        let to_x = |ns: i64| (ns.saturating_sub(origin_ns)) as f64 / 1e9;
        let bucket_s = t.bucket_ns as f64 / 1e9;
        let bars: Vec<Bar> = t
            .counts
            .iter()
            .enumerate()
            .map(|(i, c)| Bar::new((i as f64 + 0.5) * bucket_s, *c as f64).width(bucket_s))
            .collect();
        let max_count = t.counts.iter().copied().max().unwrap_or(1).max(1) as f64;
        let span_s = to_x(data.last_ns).max(1.0);
        let shift = ui.input(|i| i.modifiers.shift);
        let target = if shift {
            BrushTarget::Current
        } else {
            self.brush
        };
        let mut bands: Vec<(TimeRange, Color32, &str)> =
            vec![(data.current, CURRENT_COLOR, "current")];
        if !data.reference_import {
            bands.push((data.reference, REFERENCE_COLOR, "reference"));
        }
        let drag = self.drag;
        let response = time_x_axis(Plot::new("drift_timeline"), origin_ns, false)
            .height(110.0)
            .allow_drag(false)
            .allow_zoom(false)
            .allow_scroll(false)
            .allow_boxed_zoom(false)
            .allow_double_click_reset(false)
            .include_x(0.0)
            .include_x(span_s)
            .include_y(0.0)
            .include_y(max_count)
            .y_axis_label("predictions")
            .label_formatter(move |pos: &HoverPosition<'_>| {
                let p = match pos {
                    HoverPosition::NearDataPoint { position, .. }
                    | HoverPosition::Elsewhere { position } => *position,
                };
                let ns = origin_ns.saturating_add((p.x * 1e9) as i64);
                Some(crate::ui::format::time_ns(ns))
            })
            .show(ui, |pui| {
                pui.bar_chart(
                    BarChart::new("predictions", bars)
                        .color(Color32::from_gray(140))
                        .allow_hover(false),
                );
                for (range, color, name) in &bands {
                    let (x0, x1) = (to_x(range.from_ns).max(0.0), to_x(range.to_ns).min(span_s));
                    pui.polygon(
                        Polygon::new(
                            *name,
                            PlotPoints::new(vec![
                                [x0, 0.0],
                                [x1, 0.0],
                                [x1, max_count],
                                [x0, max_count],
                            ]),
                        )
                        .fill_color(band(*color))
                        .stroke(Stroke::new(1.0, *color))
                        .allow_hover(false),
                    );
                }
                if let Some((a, b, which)) = drag {
                    let color = match which {
                        BrushTarget::Reference => REFERENCE_COLOR,
                        BrushTarget::Current => CURRENT_COLOR,
                    };
                    pui.polygon(
                        Polygon::new(
                            "brush",
                            PlotPoints::new(vec![
                                [a.min(b), 0.0],
                                [a.max(b), 0.0],
                                [a.max(b), max_count],
                                [a.min(b), max_count],
                            ]),
                        )
                        .fill_color(band(color))
                        .stroke(Stroke::new(2.0, color))
                        .allow_hover(false),
                    );
                }
            });
        let r = &response.response;
        let transform = response.transform;
        let pointer_x = r
            .interact_pointer_pos()
            .or_else(|| ui.input(|i| i.pointer.latest_pos()))
            .map(|p| transform.value_from_position(p).x);
        if r.drag_started_by(egui::PointerButton::Primary)
            && let Some(x) = pointer_x
        {
            self.drag = Some((x, x, target));
        }
        if let Some((from, last, which)) = self.drag {
            let to = pointer_x.unwrap_or(last);
            self.drag = Some((from, to, which));
            if r.drag_stopped() || !ui.input(|i| i.pointer.primary_down()) {
                self.drag = None;
                let to_ns = |x: f64| origin_ns.saturating_add((x.clamp(0.0, span_s) * 1e9) as i64);
                let range = TimeRange {
                    from_ns: to_ns(from.min(to)),
                    to_ns: to_ns(from.max(to)),
                };
                if range.to_ns > range.from_ns {
                    self.brushed(which, range, data);
                }
            }
        }
    }

    /// A brushed window replaces one window and keeps the other.
    pub fn brushed(&mut self, which: BrushTarget, range: TimeRange, data: &DriftData) {
        self.choice = Some(match (which, data.reference_import) {
            (BrushTarget::Current, true) => ReferenceChoice::ImportAgainst { current: range },
            (BrushTarget::Current, false) => ReferenceChoice::Ranges {
                reference: data.reference,
                current: range,
            },
            (BrushTarget::Reference, _) => ReferenceChoice::Ranges {
                reference: range,
                current: data.current,
            },
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ui::drift::data::{CountTimeline, DriftData, DriftKey};

    fn data(reference_import: bool) -> DriftData {
        DriftData {
            key: DriftKey {
                store_path: "s".into(),
                model: "m".into(),
                choice: ReferenceChoice::Default,
                thresholds: Default::default(),
                generation: 0,
            },
            reference: TimeRange {
                from_ns: 0,
                to_ns: 10,
            },
            current: TimeRange {
                from_ns: 90,
                to_ns: 100,
            },
            reference_import,
            first_ns: 0,
            last_ns: 100,
            reference_rows: 1,
            current_rows: 1,
            features: Vec::new(),
            timeline: CountTimeline::default(),
            skew: Default::default(),
            resource_skew: Vec::new(),
            worst: Vec::new(),
            compute_ms: 0.0,
        }
    }

    #[test]
    fn a_brushed_window_keeps_the_other() {
        let mut w = WindowChoice::default();
        let brushed = TimeRange {
            from_ns: 40,
            to_ns: 60,
        };
        w.brushed(BrushTarget::Reference, brushed, &data(false));
        assert_eq!(
            w.choice(),
            ReferenceChoice::Ranges {
                reference: brushed,
                current: TimeRange {
                    from_ns: 90,
                    to_ns: 100
                }
            }
        );
        w.brushed(BrushTarget::Current, brushed, &data(false));
        assert_eq!(
            w.choice(),
            ReferenceChoice::Ranges {
                reference: TimeRange {
                    from_ns: 0,
                    to_ns: 10
                },
                current: brushed
            }
        );
        // With a reference file, brushing the current window keeps the file as reference.
        w.brushed(BrushTarget::Current, brushed, &data(true));
        assert_eq!(
            w.choice(),
            ReferenceChoice::ImportAgainst { current: brushed }
        );
    }
}
