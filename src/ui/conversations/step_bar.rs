//! The step slider: one notch per step, red marks above steps with lint findings, amber marks
//! below steps that ended in error, a handle on the current step; click or drag to move.

use egui::{Color32, Sense, Stroke, Ui, pos2, vec2};

use super::replay::FINDING_COLOR;
use crate::ui::waterfall::palette::WARNING;

/// What the bar marks at one step.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StepMark {
    pub finding: bool,
    pub error: bool,
}

const HEIGHT: f32 = 30.0;
const MARGIN_X: f32 = 8.0;

/// The x of step `index` of `count` across `[left, right]`.
fn step_x(index: usize, count: usize, left: f32, right: f32) -> f32 {
    if count <= 1 {
        return (left + right) / 2.0;
    }
    left + (right - left) * index as f32 / (count - 1) as f32
}

/// The step nearest to `x`.
pub fn step_at(x: f32, count: usize, left: f32, right: f32) -> usize {
    if count <= 1 || right <= left {
        return 0;
    }
    let t = ((x - left) / (right - left)).clamp(0.0, 1.0);
    ((t * (count - 1) as f32).round() as usize).min(count - 1)
}

/// Draws the bar; returns the step the user moved to.
pub fn step_bar_ui(ui: &mut Ui, current: usize, marks: &[StepMark]) -> Option<usize> {
    let width = ui.available_width().max(60.0);
    let (rect, response) = ui.allocate_exact_size(vec2(width, HEIGHT), Sense::click_and_drag());
    let count = marks.len();
    response.widget_info(|| egui::WidgetInfo::slider(true, current as f64 + 1.0, "Step bar"));
    let left = rect.left() + MARGIN_X;
    let right = rect.right() - MARGIN_X;
    let mid_y = rect.center().y;
    let painter = ui.painter_at(rect.expand(2.0));
    let track = ui.visuals().widgets.inactive.bg_fill;
    painter.line_segment(
        [pos2(left, mid_y), pos2(right, mid_y)],
        Stroke::new(4.0, track),
    );
    // Notches only while they stay apart; markers always (they are what the bar is for).
    let spacing = if count > 1 {
        (right - left) / (count - 1) as f32
    } else {
        f32::INFINITY
    };
    let notch = ui.visuals().weak_text_color();
    for (i, mark) in marks.iter().enumerate() {
        let x = step_x(i, count, left, right);
        if spacing >= 4.0 {
            painter.line_segment(
                [pos2(x, mid_y - 3.0), pos2(x, mid_y + 3.0)],
                Stroke::new(1.0, notch),
            );
        }
        if mark.finding {
            painter.add(egui::Shape::convex_polygon(
                vec![
                    pos2(x - 4.0, rect.top() + 1.0),
                    pos2(x + 4.0, rect.top() + 1.0),
                    pos2(x, rect.top() + 8.0),
                ],
                FINDING_COLOR,
                Stroke::NONE,
            ));
        }
        if mark.error {
            painter.add(egui::Shape::convex_polygon(
                vec![
                    pos2(x - 4.0, rect.bottom() - 1.0),
                    pos2(x + 4.0, rect.bottom() - 1.0),
                    pos2(x, rect.bottom() - 8.0),
                ],
                WARNING,
                Stroke::NONE,
            ));
        }
    }
    if count > 0 {
        let x = step_x(current.min(count - 1), count, left, right);
        let handle = if response.hovered() || response.dragged() {
            ui.visuals().widgets.hovered.fg_stroke.color
        } else {
            ui.visuals().widgets.inactive.fg_stroke.color
        };
        painter.circle(
            pos2(x, mid_y),
            6.0,
            handle,
            Stroke::new(1.0, Color32::from_black_alpha(80)),
        );
    }
    if let Some(pointer) = response.hover_pos() {
        let at = step_at(pointer.x, count, left, right);
        if let Some(mark) = marks.get(at) {
            let mut text = format!("Step {}", at + 1);
            if mark.finding {
                text.push_str(": lint findings");
            }
            if mark.error {
                text.push_str(if mark.finding {
                    ", ended in error"
                } else {
                    ": ended in error"
                });
            }
            response.clone().on_hover_text_at_pointer(text);
        }
    }
    if count > 0
        && (response.clicked() || response.dragged())
        && let Some(pointer) = response.interact_pointer_pos()
    {
        let at = step_at(pointer.x, count, left, right);
        if at != current {
            return Some(at);
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn positions_map_to_steps() {
        assert_eq!(step_at(0.0, 0, 0.0, 100.0), 0);
        assert_eq!(step_at(50.0, 1, 0.0, 100.0), 0);
        assert_eq!(step_at(-10.0, 5, 0.0, 100.0), 0);
        assert_eq!(step_at(49.0, 5, 0.0, 100.0), 2);
        assert_eq!(step_at(1000.0, 5, 0.0, 100.0), 4);
        assert_eq!(step_at(10.0, 5, 50.0, 50.0), 0);
        assert_eq!(step_x(4, 5, 0.0, 100.0), 100.0);
    }
}
