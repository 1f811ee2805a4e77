//! The Import log: every file of every import this session (and earlier ones from the store),
//! its outcome and counts (spans or predictions), and each error or warning with its file, line
//! or frame; and the one-line summary a finished import shows as a toast.

use crate::ingest::{FileReport, Outcome, Severity};

use super::format;

/// What a finished import says in its toast.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ImportSummary {
    pub text: String,
    /// Something was refused or had errors.
    pub warning: bool,
    /// The Import log should open (errors, warnings or refused files).
    pub open_log: bool,
}

/// The summary of a finished import: files, new spans and predictions, refusals and problems.
pub fn summary(reports: &[FileReport]) -> ImportSummary {
    let files = reports.len();
    let spans_new: u64 = reports.iter().map(|r| r.spans_new).sum();
    let predictions_read: u64 = reports.iter().map(|r| r.predictions_read).sum();
    let predictions_new: u64 = reports.iter().map(|r| r.predictions_new).sum();
    let errors: u64 = reports.iter().map(|r| r.errors).sum();
    let warnings: u64 = reports.iter().map(|r| r.warnings).sum();
    let refused = reports
        .iter()
        .filter(|r| r.outcome == Outcome::Rejected)
        .count();
    let cancelled = reports.iter().any(|r| r.outcome == Outcome::Cancelled);
    let mut parts = Vec::new();
    if spans_new > 0 || predictions_read == 0 {
        parts.push(format!("{} new spans", format::count(spans_new)));
    }
    if predictions_read > 0 {
        parts.push(format!(
            "{} new predictions",
            format::count(predictions_new)
        ));
    }
    let mut text = format!(
        "Imported {files} file{}: {}",
        if files == 1 { "" } else { "s" },
        parts.join(", ")
    );
    if refused > 0 {
        text.push_str(&format!(", {refused} refused"));
    }
    if errors + warnings > 0 {
        text.push_str(&format!(
            ", {errors} errors, {warnings} warnings (see Import log)"
        ));
    }
    if cancelled {
        text.push_str(" — cancelled; what was imported before stays");
    }
    ImportSummary {
        text,
        warning: refused > 0 || errors > 0,
        open_log: errors + warnings > 0 || refused > 0,
    }
}

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
        let counts = if r.predictions_read > 0 {
            format!(
                "{} predictions ({} new)",
                r.predictions_read, r.predictions_new
            )
        } else {
            format!(
                "{} spans ({} new), {} traces",
                r.spans_read, r.spans_new, r.traces
            )
        };
        ui.weak(format!(
            "[{}] {counts}{}",
            r.format,
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

#[cfg(test)]
mod tests {
    use super::*;

    fn report(spans_new: u64, predictions: u64) -> FileReport {
        let mut r = FileReport::new(std::path::Path::new("f"), "x");
        r.spans_new = spans_new;
        r.predictions_read = predictions;
        r.predictions_new = predictions;
        r
    }

    #[test]
    fn summary_mentions_predictions() {
        let s = summary(&[report(0, 3002)]);
        assert!(
            s.text.contains("3\u{202f}002 new predictions"),
            "{}",
            s.text
        );
        assert!(!s.text.contains("spans"), "{}", s.text);
        let s = summary(&[report(10, 0), report(0, 5)]);
        assert!(
            s.text.contains("10 new spans, 5 new predictions"),
            "{}",
            s.text
        );
        assert!(!s.warning);
    }
}
