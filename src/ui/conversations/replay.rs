//! The replay of one conversation: step controls (buttons, Left/Right, Home/End, Space to play
//! at a chosen speed), the step bar, the step's facts (latency, tokens, status, error class),
//! its findings, and the step as chat or as raw JSON with the findings' bytes highlighted.

use std::ops::Range;
use std::sync::Arc;

use egui::{Color32, Key, Modifiers, RichText, Ui};

use super::payload::{self, Highlight, Pretty};
use super::step_bar::{self, StepMark};
use super::transcript::{self, TranscriptAction};
use crate::analysis::conversation::{Conversation, Finding, Part, Payload, Rule, Step, StepKind};
use crate::model::error_class::ErrorClass;
use crate::model::hex_lower;
use crate::ui::view_ctx::{Nav, ViewCtx};
use crate::ui::{format, waterfall::palette};

/// Lint findings and what they highlight.
pub const FINDING_COLOR: Color32 = palette::ERROR;
/// Messages new or changed since the previous model call.
pub const CHANGED_COLOR: Color32 = Color32::from_rgb(40, 140, 220);

/// Playback speeds, in steps per second.
const SPEEDS: [(f64, &str); 5] = [
    (0.5, "0.5 steps/s"),
    (1.0, "1 step/s"),
    (2.0, "2 steps/s"),
    (4.0, "4 steps/s"),
    (10.0, "10 steps/s"),
];
/// Earlier steps listed above the current one in the chat (the latest ones).
const MAX_EARLIER_STEPS: usize = 40;
/// Longest excerpt of a finding's bytes quoted in the findings list.
const EXCERPT_CHARS: usize = 160;

/// How the step is shown.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    #[default]
    Chat,
    Raw,
}

/// The replay's state for the open conversation.
pub struct Replay {
    /// The current step (0-based).
    pub step: usize,
    playing: bool,
    speed_index: usize,
    /// When the last played step was shown (egui's input time, in seconds).
    last_advance_s: f64,
    mode: Mode,
    raw_payload: Payload,
    /// The finding the user picked (its index in the conversation's findings).
    focused_finding: Option<usize>,
    scroll_to_focus: bool,
    /// The step changed: scroll the transcript to its top.
    scroll_to_step: bool,
    /// The pretty payload shown, for the raw text it was made from (its address and length:
    /// a reloaded conversation is a new allocation): re-indenting is done once per change.
    pretty: Option<((usize, usize), Arc<Pretty>)>,
}

impl Default for Replay {
    fn default() -> Self {
        Self {
            step: 0,
            playing: false,
            speed_index: 1,
            last_advance_s: 0.0,
            mode: Mode::Chat,
            raw_payload: Payload::Request,
            focused_finding: None,
            scroll_to_focus: false,
            scroll_to_step: false,
            pretty: None,
        }
    }
}

/// The findings of one step, with their indices in the conversation's findings.
fn step_findings(conv: &Conversation, step: usize) -> Vec<(usize, &Finding)> {
    conv.findings
        .iter()
        .enumerate()
        .filter(|(_, f)| f.step == step)
        .collect()
}

/// Per step: has it lint findings, did it fail (one pass over the findings).
pub fn step_marks(conv: &Conversation) -> Vec<StepMark> {
    let mut marks: Vec<StepMark> = conv
        .steps
        .iter()
        .map(|s| StepMark {
            finding: false,
            error: s.failed,
        })
        .collect();
    for f in &conv.findings {
        if let Some(mark) = marks.get_mut(f.step) {
            mark.finding = true;
        }
    }
    marks
}

/// What became of the previous model call's findings in this one: the rules that are gone
/// (repaired) and those still there.
pub fn repairs(conv: &Conversation, step: &Step) -> Option<(usize, Vec<Rule>, Vec<Rule>)> {
    if step.kind != StepKind::ModelCall {
        return None;
    }
    let previous = transcript::previous_model_call(&conv.steps, step.index)?;
    let mut before: Vec<Rule> = conv
        .findings
        .iter()
        .filter(|f| f.step == previous.index)
        .map(|f| f.rule)
        .collect();
    before.sort_unstable();
    before.dedup();
    if before.is_empty() {
        return None;
    }
    let (still, repaired): (Vec<Rule>, Vec<Rule>) = before.into_iter().partition(|rule| {
        conv.findings
            .iter()
            .any(|f| f.step == step.index && f.rule == *rule)
    });
    Some((previous.index, repaired, still))
}

fn repair_ui(ui: &mut Ui, conv: &Conversation, step: &Step) {
    let Some((previous, repaired, still)) = repairs(conv, step) else {
        return;
    };
    ui.horizontal_wrapped(|ui| {
        ui.weak(format!("Since step {}:", previous + 1));
        for rule in &repaired {
            ui.label(
                RichText::new(format!("repaired {}", rule.as_str()))
                    .color(Color32::from_rgb(60, 170, 90))
                    .strong(),
            );
        }
        for rule in &still {
            ui.label(
                RichText::new(format!("still broken: {}", rule.as_str()))
                    .color(FINDING_COLOR)
                    .strong(),
            );
        }
    });
}

/// The text a finding's range covers (clamped), shortened for a list.
pub fn excerpt(step: &Step, finding: &Finding) -> Option<String> {
    let range = finding.byte_range.clone()?;
    let raw = match finding.payload {
        Payload::Request => &step.raw_request,
        Payload::Response => &step.raw_response,
    };
    let range = payload::snap_to_chars(raw, range);
    let text = raw.get(range)?;
    if text.is_empty() {
        return None;
    }
    let mut short: String = text.chars().take(EXCERPT_CHARS).collect();
    if text.chars().count() > EXCERPT_CHARS {
        short.push_str("...");
    }
    Some(short)
}

/// One line about a step for the list of earlier steps.
fn step_summary(step: &Step) -> String {
    let mut text = format!("{}. ", step.index + 1);
    match step.kind {
        StepKind::ToolExecution => {
            let name = step.tool.as_ref().map_or(step.name.as_str(), |t| &t.name);
            text.push_str(&format!("tool {name}"));
        }
        StepKind::ModelCall => {
            text.push_str(&step.name);
            let last = step.response.iter().flat_map(|m| &m.parts).last();
            match last {
                Some(Part::Text { text: t }) => {
                    let short: String = t.chars().take(80).collect();
                    text.push_str(&format!(": \"{short}\""));
                    if t.chars().count() > 80 {
                        text.push_str("...");
                    }
                }
                Some(Part::ToolCall { name, .. }) => {
                    let calls = step
                        .response
                        .iter()
                        .flat_map(|m| &m.parts)
                        .filter(|p| matches!(p, Part::ToolCall { .. }))
                        .count();
                    if calls > 1 {
                        text.push_str(&format!(": calls {name} and {} more", calls - 1));
                    } else {
                        text.push_str(&format!(": calls {name}"));
                    }
                }
                _ => {}
            }
        }
    }
    if step.failed {
        text.push_str(&format!(" [failed: {}]", step.error_class.as_str()));
    }
    text
}

impl Replay {
    /// A replay for another conversation: the first step, keeping how it is shown and played.
    pub fn for_another_conversation(&self) -> Self {
        Self {
            speed_index: self.speed_index,
            mode: self.mode,
            ..Self::default()
        }
    }

    /// Moves to a step (clamped); playing continues from there.
    pub fn go_to(&mut self, conv: &Conversation, step: usize) {
        let last = conv.steps.len().saturating_sub(1);
        let step = step.min(last);
        if step != self.step {
            self.focused_finding = None;
        }
        self.step = step;
        self.scroll_to_step = true;
        if let Some(first) = conv.findings.iter().find(|f| f.step == step) {
            self.raw_payload = first.payload;
        }
    }

    /// Focuses a finding: its step, its payload, scrolled into view.
    pub fn focus_finding(&mut self, conv: &Conversation, index: usize) {
        let Some(finding) = conv.findings.get(index) else {
            return;
        };
        self.go_to(conv, finding.step);
        self.focused_finding = Some(index);
        self.raw_payload = finding.payload;
        self.scroll_to_focus = true;
        self.scroll_to_step = false;
    }

    fn keys(&mut self, ui: &Ui, conv: &Conversation) {
        // Keys belong to a text field while one is being typed in.
        if ui.ctx().text_edit_focused() {
            return;
        }
        let last = conv.steps.len().saturating_sub(1);
        let (next, back, home, end, space) = ui.input_mut(|i| {
            (
                i.consume_key(Modifiers::NONE, Key::ArrowRight),
                i.consume_key(Modifiers::NONE, Key::ArrowLeft),
                i.consume_key(Modifiers::NONE, Key::Home),
                i.consume_key(Modifiers::NONE, Key::End),
                i.consume_key(Modifiers::NONE, Key::Space),
            )
        });
        if next {
            self.go_to(conv, (self.step + 1).min(last));
        }
        if back {
            self.go_to(conv, self.step.saturating_sub(1));
        }
        if home {
            self.go_to(conv, 0);
        }
        if end {
            self.go_to(conv, last);
        }
        if space {
            self.toggle_play(ui, conv);
        }
    }

    fn toggle_play(&mut self, ui: &Ui, conv: &Conversation) {
        self.playing = !self.playing;
        if self.playing {
            // Playing from the last step starts over.
            if self.step + 1 >= conv.steps.len() {
                self.go_to(conv, 0);
            }
            self.last_advance_s = ui.input(|i| i.time);
        }
    }

    fn play(&mut self, ui: &Ui, conv: &Conversation) {
        if !self.playing {
            return;
        }
        let speed = SPEEDS.get(self.speed_index).map_or(1.0, |(s, _)| *s);
        let period_s = 1.0 / speed;
        let now = ui.input(|i| i.time);
        if now - self.last_advance_s >= period_s {
            self.last_advance_s = now;
            if self.step + 1 >= conv.steps.len() {
                self.playing = false;
                return;
            }
            self.go_to(conv, self.step + 1);
        }
        let wait_s = (period_s - (now - self.last_advance_s)).max(0.01);
        ui.ctx()
            .request_repaint_after(std::time::Duration::from_secs_f64(wait_s));
    }

    /// Draws the replay of `conv`.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewCtx, conv: &Conversation) {
        ui.horizontal_wrapped(|ui| {
            ui.heading(&conv.key);
            ui.weak(format!(
                "{} steps, {} findings, {} trace(s)",
                conv.steps.len(),
                conv.findings.len(),
                conv.trace_ids.len()
            ));
        });
        if conv.steps.is_empty() {
            ui.label("This conversation has no steps to replay.");
            return;
        }
        self.keys(ui, conv);
        self.play(ui, conv);
        if self.step >= conv.steps.len() {
            self.step = conv.steps.len() - 1;
        }
        self.controls_ui(ui, conv);
        let marks = step_marks(conv);
        if let Some(step) = step_bar::step_bar_ui(ui, self.step, &marks) {
            self.go_to(conv, step);
        }
        let Some(step) = conv.steps.get(self.step) else {
            return;
        };
        step_facts_ui(ui, ctx, step);
        let mode_before = self.mode;
        ui.horizontal(|ui| {
            ui.selectable_value(&mut self.mode, Mode::Chat, "Chat");
            ui.selectable_value(&mut self.mode, Mode::Raw, "Raw JSON");
            if self.mode == Mode::Raw {
                ui.separator();
                ui.selectable_value(&mut self.raw_payload, Payload::Request, "Request");
                ui.selectable_value(&mut self.raw_payload, Payload::Response, "Response");
            }
        });
        if self.mode != mode_before {
            // Show the other view where the finding is.
            self.scroll_to_focus = true;
        }
        ui.separator();
        let scroll_to_focus = std::mem::take(&mut self.scroll_to_focus);
        let scroll_to_step = std::mem::take(&mut self.scroll_to_step);
        let mut action = None;
        let mut scroll = egui::ScrollArea::vertical()
            .id_salt(("replay_scroll", self.mode == Mode::Raw))
            .auto_shrink([false, false]);
        if scroll_to_step && !scroll_to_focus {
            scroll = scroll.vertical_scroll_offset(0.0);
        }
        scroll.show(ui, |ui| {
            step_notes_ui(ui, step);
            let findings = step_findings(conv, step.index);
            if !findings.is_empty() {
                ui.add_space(4.0);
                ui.label(
                    RichText::new(format!("Findings at this step ({})", findings.len()))
                        .strong()
                        .color(FINDING_COLOR),
                );
                for (index, finding) in &findings {
                    if let Some(picked) = self.finding_row_ui(ui, step, *index, finding) {
                        action = Some(TranscriptAction::FocusFinding(picked));
                    }
                }
            }
            repair_ui(ui, conv, step);
            ui.separator();
            match self.mode {
                Mode::Chat => {
                    if let Some(a) = self.chat_ui(ui, conv, &marks, step, scroll_to_focus) {
                        action = Some(a);
                    }
                }
                Mode::Raw => self.raw_ui(ui, conv, step, scroll_to_focus),
            }
        });
        match action {
            Some(TranscriptAction::FocusFinding(i)) => self.focus_finding(conv, i),
            Some(TranscriptAction::GoToStep(i)) => self.go_to(conv, i),
            None => {}
        }
    }

    fn controls_ui(&mut self, ui: &mut Ui, conv: &Conversation) {
        let last = conv.steps.len().saturating_sub(1);
        ui.horizontal_wrapped(|ui| {
            if ui
                .add_enabled(self.step > 0, egui::Button::new("First"))
                .on_hover_text("First step (Home)")
                .clicked()
            {
                self.go_to(conv, 0);
            }
            if ui
                .add_enabled(self.step > 0, egui::Button::new("Back"))
                .on_hover_text("Previous step (Left arrow)")
                .clicked()
            {
                self.go_to(conv, self.step.saturating_sub(1));
            }
            let play_label = if self.playing { "Pause" } else { "Play" };
            if ui
                .button(play_label)
                .on_hover_text("Play the steps one after another (Space)")
                .clicked()
            {
                self.toggle_play(ui, conv);
            }
            if ui
                .add_enabled(self.step < last, egui::Button::new("Forward"))
                .on_hover_text("Next step (Right arrow)")
                .clicked()
            {
                self.go_to(conv, self.step + 1);
            }
            if ui
                .add_enabled(self.step < last, egui::Button::new("Last"))
                .on_hover_text("Last step (End)")
                .clicked()
            {
                self.go_to(conv, last);
            }
            ui.label(
                RichText::new(format!("Step {} of {}", self.step + 1, conv.steps.len())).strong(),
            );
            let speed_label = ui.label("Speed");
            let selected = SPEEDS.get(self.speed_index).map_or("", |(_, l)| *l);
            egui::ComboBox::from_id_salt("replay_speed")
                .selected_text(selected)
                .show_ui(ui, |ui| {
                    for (i, (_, label)) in SPEEDS.iter().enumerate() {
                        ui.selectable_value(&mut self.speed_index, i, *label);
                    }
                })
                .response
                .labelled_by(speed_label.id);
            if let Some(first) = conv.findings.first()
                && ui
                    .button("First finding")
                    .on_hover_text(format!("Go to step {}", first.step + 1))
                    .clicked()
            {
                self.focus_finding(conv, 0);
            }
        });
    }

    fn finding_row_ui(
        &self,
        ui: &mut Ui,
        step: &Step,
        index: usize,
        finding: &Finding,
    ) -> Option<usize> {
        let focused = self.focused_finding == Some(index);
        let mut picked = None;
        ui.horizontal_wrapped(|ui| {
            let rule = RichText::new(finding.rule.as_str())
                .monospace()
                .strong()
                .color(FINDING_COLOR);
            let rule = if focused { rule.underline() } else { rule };
            if ui
                .add(egui::Button::new(rule).frame(false))
                .on_hover_text("Show where in the payload")
                .clicked()
            {
                picked = Some(index);
            }
            if let Some(m) = finding.message_index {
                let side = match finding.payload {
                    Payload::Request => "request",
                    Payload::Response => "response",
                };
                ui.weak(format!("{side} message #{m}"));
            }
            ui.add(egui::Label::new(finding.detail.as_str()).wrap());
        });
        if let Some(text) = excerpt(step, finding) {
            ui.horizontal_wrapped(|ui| {
                ui.weak("at");
                ui.add(
                    egui::Label::new(
                        RichText::new(text)
                            .monospace()
                            .small()
                            .background_color(Color32::from_rgba_unmultiplied(220, 50, 47, 70)),
                    )
                    .wrap(),
                );
            });
        }
        picked
    }

    fn chat_ui(
        &self,
        ui: &mut Ui,
        conv: &Conversation,
        marks: &[StepMark],
        step: &Step,
        scroll_to_focus: bool,
    ) -> Option<TranscriptAction> {
        let mut action = None;
        if step.index > 0 {
            let first_listed = step.index.saturating_sub(MAX_EARLIER_STEPS);
            ui.label(RichText::new("Earlier steps").weak());
            if first_listed > 0 {
                ui.weak(format!(
                    "{first_listed} earlier steps not listed (use the step bar)"
                ));
            }
            for earlier in conv.steps.iter().take(step.index).skip(first_listed) {
                let mark = marks.get(earlier.index).copied().unwrap_or_default();
                let mut text = RichText::new(step_summary(earlier)).small();
                if mark.error {
                    text = text.color(palette::WARNING);
                }
                if mark.finding {
                    text = text.color(FINDING_COLOR);
                }
                if ui
                    .add(
                        egui::Label::new(text)
                            .truncate()
                            .sense(egui::Sense::click()),
                    )
                    .on_hover_text("Go to this step")
                    .clicked()
                {
                    action = Some(TranscriptAction::GoToStep(earlier.index));
                }
            }
            ui.separator();
        }
        ui.label(RichText::new(step_summary(step)).strong());
        if let Some(a) = transcript::step_ui(
            ui,
            &conv.steps,
            step,
            &conv.findings,
            self.focused_finding,
            scroll_to_focus,
        ) {
            action = Some(a);
        }
        action
    }

    fn raw_ui(&mut self, ui: &mut Ui, conv: &Conversation, step: &Step, scroll_to_focus: bool) {
        let raw = match self.raw_payload {
            Payload::Request => &step.raw_request,
            Payload::Response => &step.raw_response,
        };
        let cache_key = (raw.as_ptr() as usize, raw.len());
        let pretty = match &self.pretty {
            Some((key, p)) if *key == cache_key => p.clone(),
            _ => {
                let p = Arc::new(payload::pretty(raw));
                self.pretty = Some((cache_key, p.clone()));
                p
            }
        };
        let highlights: Vec<Highlight> = conv
            .findings
            .iter()
            .enumerate()
            .filter(|(_, f)| f.step == step.index && f.payload == self.raw_payload)
            .filter_map(|(i, f)| {
                let range: Range<usize> = f.byte_range.clone()?;
                Some(Highlight {
                    range,
                    explanation: format!("{}: {}", f.rule.as_str(), f.detail),
                    focused: self.focused_finding == Some(i),
                })
            })
            .collect();
        payload::payload_ui(ui, &pretty, &highlights, scroll_to_focus);
    }
}

/// The step's facts: kind, model, time, latency, tokens, status, error class, and the link to
/// its span in the waterfall.
fn step_facts_ui(ui: &mut Ui, ctx: &ViewCtx, step: &Step) {
    ui.horizontal_wrapped(|ui| {
        // Each fact stays on one line; the row wraps between them.
        ui.style_mut().wrap_mode = Some(egui::TextWrapMode::Extend);
        let kind = match step.kind {
            StepKind::ModelCall => "model call",
            StepKind::ToolExecution => "tool execution",
        };
        ui.label(RichText::new(&step.name).strong());
        ui.weak(kind);
        if let Some(model) = &step.model {
            ui.label(RichText::new(model).monospace());
        }
        ui.weak(format::time_ns(step.start_ns));
        ui.label(format!("latency {}", format::duration_ns(step.dur_ns)));
        if step.input_tokens.is_some() || step.output_tokens.is_some() {
            let tokens = |t: Option<i64>| t.map_or("?".to_owned(), |n| n.to_string());
            ui.label(format!(
                "tokens {} in / {} out",
                tokens(step.input_tokens),
                tokens(step.output_tokens)
            ));
        }
        if let Some(reason) = &step.finish_reason {
            ui.label(format!("finish {reason}"));
        }
        if let Some(status) = step.http_status {
            let text = RichText::new(format!("HTTP {status}"));
            ui.label(if status >= 400 {
                text.color(palette::WARNING).strong()
            } else {
                text
            });
        }
        if step.failed || step.error_class != ErrorClass::Ok {
            let class = step.error_class.as_str();
            ui.label(
                RichText::new(format!("error ({class})"))
                    .color(palette::WARNING)
                    .strong(),
            );
        } else {
            ui.label(RichText::new("ok").color(Color32::from_rgb(60, 170, 90)));
        }
        if ui
            .button("Open span in waterfall")
            .on_hover_text(format!(
                "trace {} span {}",
                hex_lower(&step.trace_id),
                hex_lower(&step.span_id)
            ))
            .clicked()
        {
            ctx.navigate(Nav::OpenTrace {
                trace_id: step.trace_id,
                span_id: Some(step.span_id),
            });
        }
    });
}

/// What the step's span says went wrong: its status message, exceptions, telemetry cuts.
fn step_notes_ui(ui: &mut Ui, step: &Step) {
    for (what, cut_at) in [
        ("request", step.request_cut_at),
        ("response", step.response_cut_at),
    ] {
        if let Some(at) = cut_at {
            ui.label(
                RichText::new(format!(
                    "The recorded {what} was cut at byte {at} (a telemetry size limit): what \
                     follows is incomplete in the trace, not necessarily in what was sent."
                ))
                .color(palette::WARNING),
            );
        }
    }
    if !step.status_message.is_empty() {
        ui.add(
            egui::Label::new(
                RichText::new(&step.status_message)
                    .monospace()
                    .color(palette::WARNING),
            )
            .wrap(),
        );
    }
    for message in &step.exception_messages {
        if message != &step.status_message {
            ui.add(
                egui::Label::new(
                    RichText::new(format!("exception: {message}"))
                        .monospace()
                        .color(palette::WARNING),
                )
                .wrap(),
            );
        }
    }
}
