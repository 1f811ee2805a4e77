//! The app's chrome: menu bar, keyboard shortcuts, status bar with import progress, About.

use crate::ui::format;
use crate::ui::view_ctx::Tab;

use super::{ThemeChoice, TracedeckApp};

impl TracedeckApp {
    pub(super) fn shortcuts(&mut self, ctx: &egui::Context) {
        use egui::{Key, KeyboardShortcut, Modifiers};
        let open = KeyboardShortcut::new(Modifiers::COMMAND, Key::O);
        let import = KeyboardShortcut::new(Modifiers::COMMAND, Key::I);
        let quit = KeyboardShortcut::new(Modifiers::COMMAND, Key::Q);
        let log = KeyboardShortcut::new(Modifiers::COMMAND, Key::L);
        let export = KeyboardShortcut::new(Modifiers::COMMAND, Key::E);
        if ctx.input_mut(|i| i.consume_shortcut(&export)) && self.queries.is_some() {
            self.export_dialog.show(&self.db);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&open)) {
            self.pick_store();
        }
        if ctx.input_mut(|i| i.consume_shortcut(&import)) {
            self.pick_files(ctx);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&quit)) {
            ctx.send_viewport_cmd(egui::ViewportCommand::Close);
        }
        if ctx.input_mut(|i| i.consume_shortcut(&log)) {
            self.import_log.open = !self.import_log.open;
        }
        let nothing_focused = ctx.memory(|m| m.focused().is_none());
        if nothing_focused && ctx.input_mut(|i| i.consume_key(Modifiers::NONE, Key::Slash)) {
            self.sidebar.focus_search = true;
        }
        const TAB_KEYS: [Key; 7] = [
            Key::Num1,
            Key::Num2,
            Key::Num3,
            Key::Num4,
            Key::Num5,
            Key::Num6,
            Key::Num7,
        ];
        for (tab, key) in Tab::ALL.iter().zip(TAB_KEYS) {
            if ctx
                .input_mut(|i| i.consume_shortcut(&KeyboardShortcut::new(Modifiers::COMMAND, key)))
            {
                self.settings.tab = *tab;
            }
        }
    }

    pub(super) fn menu_ui(&mut self, ui: &mut egui::Ui) {
        egui::MenuBar::new().ui(ui, |ui| {
            ui.menu_button("File", |ui| {
                if ui
                    .add(egui::Button::new("Open store…").shortcut_text("Ctrl+O"))
                    .clicked()
                {
                    self.pick_store();
                }
                if ui
                    .add(egui::Button::new("Import files…").shortcut_text("Ctrl+I"))
                    .clicked()
                {
                    let ctx = ui.ctx().clone();
                    self.pick_files(&ctx);
                }
                if ui.button("Import folder…").clicked() {
                    let ctx = ui.ctx().clone();
                    self.pick_folder(&ctx);
                }
                if ui
                    .button("Import reference prediction log…")
                    .on_hover_text("A prediction log drift is measured against")
                    .clicked()
                    && let Some(file) = rfd::FileDialog::new()
                        .set_title("Import a reference prediction log")
                        .pick_file()
                {
                    let ctx = ui.ctx().clone();
                    self.start_reference_import(&ctx, file);
                }
                if ui
                    .add_enabled(
                        self.queries.is_some(),
                        egui::Button::new("Export snapshot…").shortcut_text("Ctrl+E"),
                    )
                    .clicked()
                {
                    self.export_dialog.show(&self.db);
                }
                if self.is_read_only() && ui.button("Back to my store").clicked() {
                    self.open_store(self.home_db.clone());
                }
                ui.menu_button("Recent stores", |ui| {
                    let recent = self.settings.recent_stores.clone();
                    if recent.is_empty() {
                        ui.weak("none yet");
                    }
                    for path in recent {
                        if ui.button(path.display().to_string()).clicked() {
                            self.open_store(path);
                        }
                    }
                });
                ui.separator();
                if ui
                    .add(egui::Button::new("Quit").shortcut_text("Ctrl+Q"))
                    .clicked()
                {
                    ui.ctx().send_viewport_cmd(egui::ViewportCommand::Close);
                }
            });
            ui.menu_button("View", |ui| {
                for tab in Tab::ALL {
                    if ui
                        .selectable_label(self.settings.tab == tab, tab.label())
                        .clicked()
                    {
                        self.settings.tab = tab;
                    }
                }
                ui.separator();
                if ui
                    .add(egui::Button::new("Import log").shortcut_text("Ctrl+L"))
                    .clicked()
                {
                    self.import_log.open = !self.import_log.open;
                }
                ui.separator();
                ui.label("Theme");
                let before = self.settings.theme;
                ui.radio_value(
                    &mut self.settings.theme,
                    ThemeChoice::System,
                    "Follow system",
                );
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Light, "Light");
                ui.radio_value(&mut self.settings.theme, ThemeChoice::Dark, "Dark");
                if before != self.settings.theme {
                    ui.ctx().set_theme(self.settings.theme.preference());
                }
            });
            ui.menu_button("Help", |ui| {
                if ui.button("About tracedeck").clicked() {
                    self.show_about = true;
                }
            });
        });
    }

    pub(super) fn status_bar_ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.import {
                let p = job.progress();
                let eta = p
                    .time_left()
                    .map(|d| format!(", {:.0} s left", d.as_secs_f64().ceil()))
                    .unwrap_or_default();
                ui.add(
                    egui::ProgressBar::new(p.fraction())
                        .desired_width(220.0)
                        .show_percentage(),
                );
                ui.label(format!(
                    "Importing {} of {} files — {} / {}, {} spans, {:.0} spans/s{eta}",
                    (p.files_done + 1).min(p.files_total.max(1)),
                    p.files_total,
                    format::bytes(p.bytes_done),
                    format::bytes(p.bytes_total),
                    format::count(p.spans_done),
                    p.spans_per_sec()
                ))
                .on_hover_text(p.current_file.clone());
                if job.is_cancelling() {
                    ui.weak("cancelling…");
                } else if ui.button("Cancel").clicked() {
                    job.cancel();
                }
            } else if let Some(err) = &self.store_error {
                ui.colored_label(ui.visuals().error_fg_color, err);
            } else if self.is_read_only() {
                ui.weak(format!("{} (read-only)", self.db.display()));
            } else {
                ui.weak(self.db.display().to_string());
            }
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                let errors = self.import_log.error_count();
                let warnings = self.import_log.warning_count();
                let text = format!("Import log: {errors} errors, {warnings} warnings");
                let text = if errors > 0 {
                    egui::RichText::new(text).color(ui.visuals().error_fg_color)
                } else {
                    egui::RichText::new(text)
                };
                if ui.button(text).clicked() {
                    self.import_log.open = !self.import_log.open;
                }
            });
        });
    }

    pub(super) fn about_ui(&mut self, ctx: &egui::Context) {
        let mut open = self.show_about;
        egui::Window::new("About tracedeck")
            .open(&mut open)
            .collapsible(false)
            .resizable(false)
            .show(ctx, |ui| {
                ui.heading(format!("tracedeck {}", env!("CARGO_PKG_VERSION")));
                ui.label("See where an AI system failed, offline, from its trace files.");
                ui.label(format!("Renderer: {}", self.renderer));
                ui.label(format!(
                    "Store schema version: {}",
                    crate::store::SCHEMA_VERSION
                ));
                ui.label(format!("Store: {}", self.db.display()));
            });
        self.show_about = open;
    }
}
