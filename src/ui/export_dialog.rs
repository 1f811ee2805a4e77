//! `File > Export snapshot...` (Ctrl+E): what to export (everything, the current filter, the
//! selected trace, the open conversation), where the snapshot starts, redaction (on by default)
//! with extra keys to drop and patterns, a preview of what would be redacted, the output path,
//! and the export itself on a background thread with progress and cancel.

use std::path::PathBuf;

use crate::model::{SpanId, TraceId};
use crate::share::{
    ExportOptions, ExportSummary, RedactOptions, RedactionStats, Selection, StartHere,
};
use crate::store::SpanFilter;

use super::format;
use super::share_job::ShareJob;

/// What the app knows this frame that the dialog offers.
pub struct ExportContext<'a> {
    pub store_path: &'a std::path::Path,
    pub filter: &'a SpanFilter,
    /// The trace open in the Traces tab and its selected span.
    pub selected: Option<(TraceId, Option<SpanId>)>,
    /// The open conversation and its step (0-based).
    pub conversation: Option<(String, usize)>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Scope {
    #[default]
    Everything,
    CurrentFilter,
    SelectedTrace,
    OpenConversation,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum StartChoice {
    #[default]
    Nowhere,
    SelectedSpan,
    ConversationStep,
}

pub struct ExportDialog {
    pub open: bool,
    scope: Scope,
    start: StartChoice,
    redact: bool,
    drop_keys: String,
    patterns: String,
    out_path: String,
    preview: Option<ShareJob<RedactionStats>>,
    preview_result: Option<(PreviewKey, RedactionStats)>,
    job: Option<ShareJob<ExportSummary>>,
    error: Option<String>,
}

impl Default for ExportDialog {
    fn default() -> Self {
        Self {
            open: false,
            scope: Scope::Everything,
            start: StartChoice::Nowhere,
            redact: true,
            drop_keys: String::new(),
            patterns: String::new(),
            out_path: String::new(),
            preview: None,
            preview_result: None,
            job: None,
            error: None,
        }
    }
}

/// What a preview was computed for (it is shown only while these stay the same).
#[derive(Clone, Debug, PartialEq, Eq)]
struct PreviewKey {
    scope: Scope,
    drop_keys: String,
    patterns: String,
}

impl ExportDialog {
    /// Opens the dialog with a suggested output path.
    pub fn show(&mut self, store_path: &std::path::Path) {
        self.open = true;
        self.error = None;
        if self.out_path.is_empty() {
            let dir = store_path.parent().map(PathBuf::from).unwrap_or_default();
            let name = format!(
                "snapshot-{}.sqlite",
                chrono::Utc::now().format("%Y%m%d-%H%M%S")
            );
            self.out_path = dir.join(name).display().to_string();
        }
    }

    pub fn is_running(&self) -> bool {
        self.job.is_some()
    }

    fn redact_options(&self) -> RedactOptions {
        RedactOptions {
            drop_keys: self
                .drop_keys
                .split([',', '\n'])
                .map(str::trim)
                .filter(|k| !k.is_empty())
                .map(str::to_owned)
                .collect(),
            patterns: self
                .patterns
                .lines()
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(str::to_owned)
                .collect(),
        }
    }

    fn selection(&self, ctx: &ExportContext) -> Selection {
        match self.scope {
            Scope::Everything => Selection::default(),
            Scope::CurrentFilter => Selection {
                filter: Some(ctx.filter.clone()),
                ..Selection::default()
            },
            Scope::SelectedTrace => Selection {
                trace_ids: ctx.selected.iter().map(|(t, _)| *t).collect(),
                ..Selection::default()
            },
            Scope::OpenConversation => Selection {
                conversations: ctx.conversation.iter().map(|(k, _)| k.clone()).collect(),
                ..Selection::default()
            },
        }
    }

    fn start_here(&self, ctx: &ExportContext) -> Option<StartHere> {
        match self.start {
            StartChoice::Nowhere => None,
            StartChoice::SelectedSpan => ctx
                .selected
                .map(|(trace_id, span_id)| StartHere::Trace { trace_id, span_id }),
            StartChoice::ConversationStep => {
                ctx.conversation
                    .as_ref()
                    .map(|(key, step)| StartHere::Conversation {
                        key: key.clone(),
                        step: step + 1,
                    })
            }
        }
    }

    fn preview_key(&self) -> PreviewKey {
        PreviewKey {
            scope: self.scope,
            drop_keys: self.drop_keys.clone(),
            patterns: self.patterns.clone(),
        }
    }

    /// Draws the dialog; returns a finished export.
    pub fn ui(&mut self, egui_ctx: &egui::Context, ctx: &ExportContext) -> Option<ExportSummary> {
        let mut finished = None;
        if let Some(job) = &self.job
            && let Some(result) = job.try_finish()
        {
            self.job = None;
            match result {
                Ok(summary) => {
                    self.open = false;
                    finished = Some(summary);
                }
                Err(e) => self.error = Some(e),
            }
        }
        if let Some(job) = &self.preview
            && let Some(result) = job.try_finish()
        {
            self.preview = None;
            match result {
                Ok(stats) => self.preview_result = Some((self.preview_key(), stats)),
                Err(e) => self.error = Some(e),
            }
        }
        if !self.open {
            return finished;
        }
        let mut open = self.open;
        egui::Window::new("Export snapshot")
            .open(&mut open)
            .collapsible(false)
            .resizable(true)
            .default_width(520.0)
            .show(egui_ctx, |ui| self.body_ui(ui, ctx));
        // Closing the window while exporting keeps the export running in the background.
        self.open = open || self.job.is_some();
        finished
    }

    fn body_ui(&mut self, ui: &mut egui::Ui, ctx: &ExportContext) {
        let running = self.job.is_some();
        ui.add_enabled_ui(!running, |ui| {
            ui.strong("What to export");
            ui.radio_value(&mut self.scope, Scope::Everything, "Everything in this store");
            ui.add_enabled_ui(!ctx.filter.is_empty(), |ui| {
                ui.radio_value(&mut self.scope, Scope::CurrentFilter, "The current filter");
            });
            ui.add_enabled_ui(ctx.selected.is_some(), |ui| {
                ui.radio_value(&mut self.scope, Scope::SelectedTrace, "The selected trace");
            });
            ui.add_enabled_ui(ctx.conversation.is_some(), |ui| {
                ui.radio_value(
                    &mut self.scope,
                    Scope::OpenConversation,
                    "The open conversation",
                );
            });
            ui.add_space(6.0);
            ui.strong("Start here");
            ui.radio_value(&mut self.start, StartChoice::Nowhere, "Nowhere in particular");
            ui.add_enabled_ui(ctx.selected.is_some(), |ui| {
                ui.radio_value(
                    &mut self.start,
                    StartChoice::SelectedSpan,
                    "The selected trace and span",
                );
            });
            let step_label = match &ctx.conversation {
                Some((_, step)) => format!("The open conversation at step {}", step + 1),
                None => "The open conversation step".to_owned(),
            };
            ui.add_enabled_ui(ctx.conversation.is_some(), |ui| {
                ui.radio_value(&mut self.start, StartChoice::ConversationStep, step_label);
            });
            ui.add_space(6.0);
            ui.checkbox(&mut self.redact, "Redact secrets and personal data");
            if self.redact {
                ui.weak("API keys and tokens, Authorization values, private keys, e-mail addresses, phone and card numbers, IP addresses become [REDACTED:kind] markers.");
                let label = ui.label("Attribute keys to drop (comma separated)");
                ui.add(
                    egui::TextEdit::singleline(&mut self.drop_keys)
                        .desired_width(f32::INFINITY)
                        .hint_text("user.id, customer.name"),
                )
                .labelled_by(label.id);
                let label = ui.label("Extra patterns to redact (one regular expression per line)");
                ui.add(
                    egui::TextEdit::multiline(&mut self.patterns)
                        .desired_rows(2)
                        .desired_width(f32::INFINITY)
                        .hint_text(r"ACME-\d{6}"),
                )
                .labelled_by(label.id);
                self.preview_ui(ui, ctx);
            } else {
                ui.colored_label(
                    ui.visuals().warn_fg_color,
                    "Without redaction, keys and personal data in the traces travel with the file.",
                );
            }
            ui.add_space(6.0);
            ui.horizontal(|ui| {
                let label = ui.label("Save to");
                ui.add(egui::TextEdit::singleline(&mut self.out_path).desired_width(340.0))
                    .labelled_by(label.id);
                if ui.button("Browse...").clicked()
                    && let Some(path) = rfd::FileDialog::new()
                        .set_title("Export snapshot")
                        .add_filter("tracedeck snapshot", &["sqlite"])
                        .set_file_name("snapshot.sqlite")
                        .save_file()
                {
                    self.out_path = path.display().to_string();
                }
            });
        });
        if let Some(job) = &self.job {
            let control = job.control();
            ui.horizontal(|ui| {
                ui.add(
                    egui::ProgressBar::new(control.fraction())
                        .desired_width(260.0)
                        .show_percentage(),
                );
                ui.label(format!("Exporting: {}", control.stage()));
                if control.is_cancelled() {
                    ui.weak("cancelling...");
                } else if ui.button("Cancel export").clicked() {
                    control.cancel();
                }
            });
        } else {
            let ready = !self.out_path.trim().is_empty();
            if ui.add_enabled(ready, egui::Button::new("Export")).clicked() {
                self.start_export(ui.ctx(), ctx);
            }
        }
        if let Some(e) = &self.error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
    }

    fn preview_ui(&mut self, ui: &mut egui::Ui, ctx: &ExportContext) {
        ui.horizontal(|ui| {
            if let Some(job) = &self.preview {
                ui.spinner();
                ui.label(format!(
                    "Scanning for secrets... {:.0}%",
                    job.control().fraction() * 100.0
                ));
            } else if ui.button("Preview redaction").clicked() {
                let source = ctx.store_path.to_owned();
                let selection = self.selection(ctx);
                let options = self.redact_options();
                self.error = None;
                match ShareJob::start("redaction-preview", ui.ctx(), move |control| {
                    crate::share::preview_redaction(&source, &selection, &options, control)
                        .map_err(|e| e.to_string())
                }) {
                    Ok(job) => self.preview = Some(job),
                    Err(e) => self.error = Some(e),
                }
            }
        });
        let key = self.preview_key();
        let Some((_, stats)) = self.preview_result.as_ref().filter(|(k, _)| *k == key) else {
            return;
        };
        if stats.total() == 0 {
            ui.label("Redaction preview: nothing to redact found.");
            return;
        }
        ui.label(format!(
            "Redaction preview: {} values to redact",
            format::count(stats.counts.values().sum())
        ));
        egui::Grid::new("redaction_preview")
            .striped(true)
            .show(ui, |ui| {
                ui.strong("kind");
                ui.strong("count");
                ui.strong("examples");
                ui.end_row();
                for (kind, count) in &stats.counts {
                    ui.label(kind);
                    ui.label(format::count(*count));
                    let examples = stats
                        .examples
                        .get(kind)
                        .map(|e| {
                            e.iter()
                                .map(|(secret, marker)| format!("{secret} -> {marker}"))
                                .collect::<Vec<_>>()
                                .join("\n")
                        })
                        .unwrap_or_default();
                    ui.label(examples);
                    ui.end_row();
                }
                if stats.dropped_keys > 0 {
                    ui.label("dropped keys");
                    ui.label(format::count(stats.dropped_keys));
                    ui.label("");
                    ui.end_row();
                }
            });
    }

    fn start_export(&mut self, egui_ctx: &egui::Context, ctx: &ExportContext) {
        self.error = None;
        let source = ctx.store_path.to_owned();
        let out = PathBuf::from(self.out_path.trim());
        let options = ExportOptions {
            selection: self.selection(ctx),
            redact: self.redact.then(|| self.redact_options()),
            start_here: self.start_here(ctx),
        };
        match ShareJob::start("export", egui_ctx, move |control| {
            crate::share::export(&source, &out, &options, control).map_err(|e| e.to_string())
        }) {
            Ok(job) => self.job = Some(job),
            Err(e) => self.error = Some(e),
        }
    }
}
