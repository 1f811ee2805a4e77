//! The Import log: every file of every import this session (and earlier ones from the store),
//! its outcome and counts, and each error or warning with its file, line or frame.

use crate::ingest::{FileReport, Outcome, Severity};

#[derive(Default)]
pub struct ImportLog {
    reports: Vec<FileReport>,
    pub open: bool,
    errors_only: bool,
}

impl ImportLog {
    pub fn add(&mut self, reports: Vec<FileReport>) {
        self.reports.extend(reports);
    }

    pub fn error_count(&self) -> u64 {
        self.reports.iter().map(|r| r.errors).sum()
    }

    pub fn warning_count(&self) -> u64 {
        self.reports.iter().map(|r| r.warnings).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.reports.is_empty()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui) {
        ui.horizontal(|ui| {
            ui.heading("Import log");
            ui.checkbox(&mut self.errors_only, "Problems only");
            ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
                if ui.button("Close").clicked() {
                    self.open = false;
                }
                if ui.button("Clear").clicked() {
                    self.reports.clear();
                }
            });
        });
        ui.separator();
        if self.reports.is_empty() {
            ui.weak("Nothing imported in this session yet.");
            return;
        }
        egui::ScrollArea::vertical()
            .auto_shrink([false, false])
            .show(ui, |ui| {
                for report in self.reports.iter().rev() {
                    if self.errors_only && report.errors == 0 && report.warnings == 0 {
                        continue;
                    }
                    report_ui(ui, report);
                }
            });
    }
}

fn report_ui(ui: &mut egui::Ui, r: &FileReport) {
    let visuals = ui.visuals().clone();
    let (badge, color) = match r.outcome {
        Outcome::Ok if r.warnings > 0 => ("ok", visuals.warn_fg_color),
        Outcome::Ok => ("ok", egui::Color32::from_rgb(80, 170, 90)),
        Outcome::Partial => ("partial", visuals.warn_fg_color),
        Outcome::Rejected => ("refused", visuals.error_fg_color),
        Outcome::Cancelled => ("cancelled", visuals.weak_text_color()),
    };
    ui.horizontal_wrapped(|ui| {
        ui.colored_label(color, egui::RichText::new(badge).strong());
        ui.label(egui::RichText::new(r.path.display().to_string()).monospace());
        ui.weak(format!(
            "[{}] {} spans ({} new), {} traces{}",
            r.format,
            r.spans_read,
            r.spans_new,
            r.traces,
            if r.skipped_lines > 0 {
                format!(", {} metrics/logs lines skipped", r.skipped_lines)
            } else {
                String::new()
            }
        ));
    });
    for d in &r.diagnostics {
        let color = match d.severity {
            Severity::Error => visuals.error_fg_color,
            Severity::Warning => visuals.warn_fg_color,
        };
        ui.horizontal_wrapped(|ui| {
            ui.add_space(16.0);
            ui.colored_label(color, d.location.to_string());
            ui.label(&d.message);
        });
    }
    let hidden = (r.errors + r.warnings).saturating_sub(r.diagnostics.len() as u64);
    if hidden > 0 {
        ui.weak(format!("    … and {hidden} more"));
    }
    ui.add_space(4.0);
}
