//! Short-lived notices in the corner (an import finished, an error happened), each shown once.

use std::time::{Duration, Instant};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ToastKind {
    Info,
    Warning,
    Error,
}

struct Toast {
    kind: ToastKind,
    text: String,
    shown_at: Instant,
}

#[derive(Default)]
pub struct Toasts {
    items: Vec<Toast>,
}

const LIFETIME: Duration = Duration::from_secs(6);

impl Toasts {
    pub fn add(&mut self, kind: ToastKind, text: impl Into<String>) {
        self.items.push(Toast {
            kind,
            text: text.into(),
            shown_at: Instant::now(),
        });
    }

    /// The texts currently shown (for tests and the status bar).
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.items.iter().map(|t| t.text.as_str())
    }

    pub fn ui(&mut self, ctx: &egui::Context) {
        self.items.retain(|t| t.shown_at.elapsed() < LIFETIME);
        if self.items.is_empty() {
            return;
        }
        ctx.request_repaint_after(Duration::from_millis(500));
        egui::Area::new(egui::Id::unique("toasts"))
            .anchor(egui::Align2::RIGHT_BOTTOM, egui::vec2(-12.0, -36.0))
            .order(egui::Order::Foreground)
            .show(ctx, |ui| {
                let mut close = None;
                for (i, toast) in self.items.iter().enumerate() {
                    let color = match toast.kind {
                        ToastKind::Info => ui.visuals().hyperlink_color,
                        ToastKind::Warning => ui.visuals().warn_fg_color,
                        ToastKind::Error => ui.visuals().error_fg_color,
                    };
                    egui::Frame::popup(ui.style())
                        .stroke(egui::Stroke::new(1.5, color))
                        .show(ui, |ui| {
                            ui.set_max_width(420.0);
                            ui.horizontal(|ui| {
                                ui.add(egui::Label::new(&toast.text).wrap());
                                if ui.small_button("Close").clicked() {
                                    close = Some(i);
                                }
                            });
                        });
                }
                if let Some(i) = close {
                    self.items.remove(i);
                }
            });
    }
}
