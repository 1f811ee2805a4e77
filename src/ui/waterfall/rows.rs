//! Drawing the waterfall's visible rows: names indented by depth with their disclosure
//! triangles, bars on the shared time axis (sub-pixel spans as 1 px lines, error marks, event
//! markers, duration labels), row tooltips, and what a click on a row asks for.

use std::collections::HashSet;

use egui::{
    Align2, Color32, FontId, Id, Pos2, Rect, Role, Sense, Stroke, Ui, WidgetInfo, pos2, vec2,
};

use super::axis::{self, TimeToUi};
use super::palette;
use super::{INDENT_PX, LoadedTrace, ROW_HEIGHT, RowAction, SCROLLBAR_ROOM};
use crate::analysis::trace_tree::{NodeFlags, NodeId, RowRef};
use crate::ui::format;
/// Everything a frame needs to draw the rows in view.
pub(super) struct RowPainter<'a> {
    pub(super) loaded: &'a LoadedTrace,
    pub(super) rows: &'a [RowRef],
    pub(super) collapsed: &'a HashSet<NodeId>,
    pub(super) selected: Option<NodeId>,
    pub(super) map: TimeToUi,
    pub(super) name_left: f32,
    pub(super) name_right: f32,
    pub(super) bar_right: f32,
    pub(super) base_id: Id,
}

impl RowPainter<'_> {
    pub(super) fn draw(&self, ui: &mut Ui, range: std::ops::Range<usize>) -> Option<RowAction> {
        let tree = &self.loaded.tree;
        let visuals = ui.visuals().clone();
        let clip = ui.clip_rect();
        let top = ui.max_rect().top();
        let first = range.start;
        let rows_bottom = top + (range.end - first) as f32 * ROW_HEIGHT;
        let painter = ui.painter().clone();
        let bar_clip = clip.intersect(Rect::from_x_y_ranges(
            self.map.left_x - 1.0..=self.bar_right + 1.0,
            clip.y_range(),
        ));
        let bar_painter = painter.with_clip_rect(bar_clip);
        let name_painter = painter.with_clip_rect(clip.intersect(Rect::from_x_y_ranges(
            self.name_left..=self.name_right,
            clip.y_range(),
        )));
        let grid = Stroke::new(
            1.0,
            visuals
                .widgets
                .noninteractive
                .bg_stroke
                .color
                .gamma_multiply(0.5),
        );
        for t in axis::ticks(self.map.window, self.map.width_px, 90.0) {
            bar_painter.vline(self.map.ui_from_ns(t), top..=rows_bottom, grid);
        }
        let font = FontId::proportional(13.0);
        let small = FontId::proportional(11.0);
        let text_color = visuals.text_color();
        let weak = visuals.weak_text_color();
        let mut action = None;
        for row in range {
            let Some(r) = self.rows.get(row) else { break };
            let Some(node) = tree.node(r.node) else {
                continue;
            };
            let y0 = top + (row - first) as f32 * ROW_HEIGHT;
            let rect = Rect::from_min_max(
                pos2(self.name_left, y0),
                pos2(self.bar_right + SCROLLBAR_ROOM, y0 + ROW_HEIGHT),
            );
            let y_mid = rect.center().y;
            let span = tree.span(r.node);
            let label = tree.label(r.node);
            let is_selected = self.selected == Some(r.node);
            let response = ui.interact(rect, self.base_id.with(("row", r.node.0)), Sense::click());
            response
                .widget_info(|| WidgetInfo::selected(Role::TreeItem, true, is_selected, &label));

            // Background.
            if is_selected {
                painter.rect_filled(rect, 0.0, visuals.selection.bg_fill.gamma_multiply(0.6));
            } else if response.hovered() {
                painter.rect_filled(
                    rect,
                    0.0,
                    visuals.widgets.hovered.weak_bg_fill.gamma_multiply(0.5),
                );
            } else if row % 2 == 1 {
                painter.rect_filled(rect, 0.0, visuals.faint_bg_color);
            }

            // Name column.
            let indent = (r.depth as f32 * INDENT_PX).min((self.name_right - self.name_left) * 0.6);
            let mut x = self.name_left + 4.0 + indent;
            let has_children = tree.has_children(r.node);
            let collapsed = self.collapsed.contains(&r.node);
            if has_children {
                let tri_rect = Rect::from_center_size(pos2(x + 6.0, y_mid), vec2(16.0, ROW_HEIGHT));
                let tri = ui.interact(
                    tri_rect,
                    self.base_id.with(("toggle", r.node.0)),
                    Sense::click(),
                );
                let verb = if collapsed { "Expand" } else { "Collapse" };
                tri.widget_info(|| {
                    WidgetInfo::labeled(Role::DisclosureTriangle, true, format!("{verb} {label}"))
                });
                let tri_color = if tri.hovered() { text_color } else { weak };
                paint_disclosure(&name_painter, pos2(x + 6.0, y_mid), !collapsed, tri_color);
                if collapsed {
                    name_painter.text(
                        pos2(self.name_right - 2.0, y_mid),
                        Align2::RIGHT_CENTER,
                        format!("+{}", node.subtree_len.saturating_sub(1)),
                        small.clone(),
                        weak,
                    );
                }
                if tri.clicked() {
                    action = Some(RowAction::Toggle(r.node));
                }
            }
            x += 14.0;
            let service_color = palette::service_color(
                self.loaded
                    .service_color
                    .get(r.node.index())
                    .copied()
                    .unwrap_or(0),
            );
            name_painter.rect_filled(
                Rect::from_min_max(pos2(x, y0 + 5.0), pos2(x + 3.0, y0 + ROW_HEIGHT - 5.0)),
                1.0,
                if span.is_some() { service_color } else { weak },
            );
            x += 8.0;
            let flags = node.flags;
            if flags.is_error() {
                name_painter.circle_filled(pos2(x + 4.0, y_mid), 4.0, palette::ERROR);
                x += 11.0;
            }
            if flags.is_anomalous() || flags.has(NodeFlags::SYNTHETIC) {
                paint_warning(&name_painter, pos2(x + 6.0, y_mid));
                x += 16.0;
            }
            let name_color = if flags.is_error() {
                palette::ERROR
            } else if span.is_none() {
                weak
            } else {
                text_color
            };
            let name_rect = name_painter.text(
                pos2(x, y_mid),
                Align2::LEFT_CENTER,
                &label,
                font.clone(),
                name_color,
            );
            if let Some(span) = span {
                name_painter.text(
                    pos2(name_rect.right() + 6.0, y_mid),
                    Align2::LEFT_CENTER,
                    &span.service,
                    small.clone(),
                    weak,
                );
            }

            // Bar.
            let start_rel = (node.start_ns - tree.start_ns) as f64;
            let end_rel = (node.end_ns - tree.start_ns) as f64;
            let x0 = self.map.ui_from_ns(start_rel);
            let x1 = self.map.ui_from_ns(end_rel);
            let bar_color = if flags.is_error() {
                palette::ERROR
            } else if span.is_none() {
                weak.gamma_multiply(0.5)
            } else {
                service_color
            };
            let bar_y = (y0 + 5.0)..=(y0 + ROW_HEIGHT - 5.0);
            if x1 - x0 < 1.0 {
                // Sub-pixel span: a 1 px line, no label.
                bar_painter.rect_filled(
                    Rect::from_x_y_ranges(x0..=x0 + 1.0, bar_y.clone()),
                    0.0,
                    bar_color,
                );
            } else {
                let bar = Rect::from_x_y_ranges(x0..=x1, bar_y.clone());
                bar_painter.rect_filled(bar, 2.0, bar_color);
                if flags.is_error() {
                    bar_painter.text(
                        pos2(x0.max(self.map.left_x) + 2.0, y_mid),
                        Align2::LEFT_CENTER,
                        "!",
                        small.clone(),
                        Color32::WHITE,
                    );
                }
                if let Some(span) = span {
                    let marker = if visuals.dark_mode {
                        Color32::from_white_alpha(220)
                    } else {
                        Color32::from_black_alpha(200)
                    };
                    let mut last_x = f32::NEG_INFINITY;
                    for &t in &span.event_times_ns {
                        let ex = self.map.ui_from_ns((t - tree.start_ns) as f64);
                        if (ex - last_x).abs() < 3.0 || ex < self.map.left_x || ex > self.bar_right
                        {
                            continue;
                        }
                        last_x = ex;
                        bar_painter.vline(
                            ex,
                            y0 + 3.0..=y0 + ROW_HEIGHT - 3.0,
                            Stroke::new(1.5, marker),
                        );
                    }
                }
                let dur_text = format::duration_ns(node.end_ns - node.start_ns);
                let approx_w = dur_text.len() as f32 * 6.5 + 6.0;
                let (pos, anchor) = if x1 + approx_w < self.bar_right {
                    (pos2(x1 + 4.0, y_mid), Align2::LEFT_CENTER)
                } else if x0 - approx_w > self.map.left_x {
                    (pos2(x0 - 4.0, y_mid), Align2::RIGHT_CENTER)
                } else {
                    (pos2(self.bar_right - 4.0, y_mid), Align2::RIGHT_CENTER)
                };
                bar_painter.text(pos, anchor, dur_text, small.clone(), weak);
            }

            let response = response.on_hover_ui(|ui| self.tooltip(ui, r.node));
            if response.clicked() {
                action = Some(RowAction::Select(r.node));
            }
            if response.double_clicked() {
                action = Some(RowAction::ResetZoom);
            }
        }
        action
    }

    fn tooltip(&self, ui: &mut Ui, node_id: NodeId) {
        let tree = &self.loaded.tree;
        let Some(node) = tree.node(node_id) else {
            return;
        };
        ui.strong(tree.label(node_id));
        if let Some(span) = tree.span(node_id) {
            ui.label(format!("{} · {}", span.service, span.kind.label()));
            if let Some(model) = &span.model {
                ui.label(format!("model {model}"));
            }
            if let Some(status) = span.http_status {
                ui.label(format!("HTTP {status}"));
            }
        }
        ui.label(format!(
            "starts at +{} · lasts {}",
            format::duration_ns(node.start_ns - tree.start_ns),
            format::duration_ns(node.end_ns - node.start_ns),
        ));
        if node.flags.is_error() {
            ui.colored_label(palette::ERROR, "error");
        }
        for line in node.flags.describe() {
            ui.colored_label(palette::WARNING, format!("Warning: {line}"));
        }
    }
}

/// A disclosure triangle: pointing down when open, right when closed.
fn paint_disclosure(painter: &egui::Painter, center: Pos2, open: bool, color: Color32) {
    let r = 4.0;
    let points = if open {
        vec![
            pos2(center.x - r, center.y - r * 0.6),
            pos2(center.x + r, center.y - r * 0.6),
            pos2(center.x, center.y + r * 0.7),
        ]
    } else {
        vec![
            pos2(center.x - r * 0.6, center.y - r),
            pos2(center.x + r * 0.7, center.y),
            pos2(center.x - r * 0.6, center.y + r),
        ]
    };
    painter.add(egui::Shape::convex_polygon(points, color, Stroke::NONE));
}

/// A warning sign: an amber triangle with an exclamation mark.
pub(crate) fn paint_warning(painter: &egui::Painter, center: Pos2) {
    let r = 6.5;
    let points = vec![
        pos2(center.x, center.y - r),
        pos2(center.x + r, center.y + r * 0.8),
        pos2(center.x - r, center.y + r * 0.8),
    ];
    painter.add(egui::Shape::convex_polygon(
        points,
        palette::WARNING,
        Stroke::NONE,
    ));
    painter.text(
        pos2(center.x, center.y + 1.5),
        Align2::CENTER_CENTER,
        "!",
        FontId::proportional(10.0),
        Color32::BLACK,
    );
}
