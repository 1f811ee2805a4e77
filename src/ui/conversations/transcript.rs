//! The chat rendering of a step: the messages sent (each marked new or changed since the
//! previous model call, so a retry shows what was and was not repaired), the response, tool
//! calls with pretty-printed arguments, tool results, and a tool execution's run.

use egui::{Color32, RichText, Stroke, Ui};

use crate::analysis::conversation::{Finding, Message, Part, Payload, Role, Step, StepKind};

/// How a sent message compares with the previous model call's request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    /// Sent before, identical.
    Same,
    /// Sent before at this position, different now.
    Changed,
    /// Not in the previous request.
    New,
}

/// Compares messages by role and content (where they sit in the payload does not matter).
fn same_message(a: &Message, b: &Message) -> bool {
    a.role == b.role && a.parts == b.parts
}

/// Marks each of `current` against `previous` position by position; with no previous request
/// every message is new.
pub fn message_changes(previous: Option<&[Message]>, current: &[Message]) -> Vec<Change> {
    current
        .iter()
        .enumerate()
        .map(|(i, m)| match previous.and_then(|p| p.get(i)) {
            Some(before) if same_message(before, m) => Change::Same,
            Some(_) => Change::Changed,
            None => Change::New,
        })
        .collect()
}

/// Requests longer than this fold their run of unchanged messages.
const FOLD_MIN_MESSAGES: usize = 24;
/// The first messages (instructions, the question) and the last ones always show.
const KEEP_FIRST: usize = 2;
const KEEP_LAST: usize = 6;

/// Which messages of a long request to fold: the unchanged, unflagged run after the first
/// ones, up to the first change or finding, leaving the last ones shown.
pub fn fold_range(changes: &[Change], flagged: &[bool]) -> Option<std::ops::Range<usize>> {
    let len = changes.len();
    if len <= FOLD_MIN_MESSAGES {
        return None;
    }
    let first_interesting = (KEEP_FIRST..len)
        .find(|i| {
            changes.get(*i) != Some(&Change::Same) || flagged.get(*i).copied().unwrap_or(false)
        })
        .unwrap_or(len);
    let end = first_interesting.min(len.saturating_sub(KEEP_LAST));
    (end >= KEEP_FIRST + 4).then_some(KEEP_FIRST..end)
}

/// The nearest model call before step `index`.
pub fn previous_model_call(steps: &[Step], index: usize) -> Option<&Step> {
    steps
        .get(..index.min(steps.len()))?
        .iter()
        .rev()
        .find(|s| s.kind == StepKind::ModelCall)
}

pub fn role_label(role: &Role) -> &str {
    match role {
        Role::System => "system",
        Role::User => "user",
        Role::Assistant => "assistant",
        Role::Tool => "tool",
        Role::Other(name) => name.as_str(),
    }
}

fn role_fill(ui: &Ui, role: &Role) -> Color32 {
    let dark = ui.visuals().dark_mode;
    let (r, g, b) = match role {
        Role::System => (128, 128, 128),
        Role::User => (60, 120, 220),
        Role::Assistant => (40, 160, 100),
        Role::Tool => (170, 110, 200),
        Role::Other(_) => (150, 150, 90),
    };
    Color32::from_rgba_unmultiplied(r, g, b, if dark { 40 } else { 28 })
}

/// Pretty JSON when the text parses, the text as recorded otherwise.
pub fn pretty_json(text: &str) -> Option<String> {
    let value: serde_json::Value = serde_json::from_str(text).ok()?;
    serde_json::to_string_pretty(&value).ok()
}

/// What the user did in the transcript.
#[derive(Clone, Debug, PartialEq)]
pub enum TranscriptAction {
    /// Focus this finding (its index in the conversation's findings).
    FocusFinding(usize),
    /// Go to this step.
    GoToStep(usize),
}

/// Draws one message: role, position, change mark, its parts, and the findings about it.
#[allow(clippy::too_many_arguments)]
pub fn message_ui(
    ui: &mut Ui,
    index: usize,
    message: &Message,
    change: Option<(Change, Option<usize>)>,
    findings: &[(usize, &Finding)],
    focused_finding: Option<usize>,
    scroll_to_focused: bool,
) -> Option<TranscriptAction> {
    let mut action = None;
    let flagged = !findings.is_empty();
    let focused_here = findings.iter().any(|(i, _)| Some(*i) == focused_finding);
    let changed = matches!(change, Some((Change::Changed | Change::New, _)));
    let stroke = if flagged {
        Stroke::new(
            if focused_here { 2.5 } else { 1.5 },
            super::replay::FINDING_COLOR,
        )
    } else if changed {
        Stroke::new(1.5, super::replay::CHANGED_COLOR)
    } else {
        Stroke::new(0.5, ui.visuals().widgets.noninteractive.bg_stroke.color)
    };
    let frame = egui::Frame::group(ui.style())
        .fill(role_fill(ui, &message.role))
        .stroke(stroke)
        .inner_margin(egui::Margin::same(6));
    let response = frame.show(ui, |ui| {
        ui.set_width(ui.available_width());
        ui.horizontal_wrapped(|ui| {
            ui.label(RichText::new(format!("#{index}")).weak().monospace());
            ui.label(RichText::new(role_label(&message.role)).strong());
            match change {
                Some((Change::New, _)) => {
                    ui.label(RichText::new("new").color(super::replay::CHANGED_COLOR));
                }
                Some((Change::Changed, previous_step)) => {
                    let text = match previous_step {
                        Some(step) => format!("changed since step {}", step + 1),
                        None => "changed".to_owned(),
                    };
                    ui.label(
                        RichText::new(text)
                            .color(super::replay::CHANGED_COLOR)
                            .strong(),
                    );
                }
                Some((Change::Same, _)) | None => {}
            }
            if let Some(reason) = &message.finish_reason {
                ui.label(RichText::new(format!("finish: {reason}")).weak());
            }
        });
        for part in &message.parts {
            part_ui(ui, part);
        }
        if message.parts.is_empty() {
            ui.weak("(no content)");
        }
        for (i, finding) in findings {
            let text = RichText::new(format!("{}: {}", finding.rule.as_str(), finding.detail))
                .color(super::replay::FINDING_COLOR);
            if ui
                .add(egui::Label::new(text).wrap().sense(egui::Sense::click()))
                .on_hover_text("Show this finding in the payload")
                .clicked()
            {
                action = Some(TranscriptAction::FocusFinding(*i));
            }
        }
    });
    if focused_here && scroll_to_focused {
        ui.scroll_to_rect(response.response.rect, Some(egui::Align::Center));
    }
    action
}

fn part_ui(ui: &mut Ui, part: &Part) {
    match part {
        Part::Text { text } => {
            if text.is_empty() {
                ui.weak("(empty text)");
            } else {
                ui.add(egui::Label::new(text.as_str()).wrap().selectable(true));
            }
        }
        Part::ToolCall {
            id,
            name,
            arguments,
        } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("Tool call").strong());
                ui.label(RichText::new(name).monospace());
                if let Some(id) = id {
                    ui.label(RichText::new(format!("id {id}")).weak().monospace());
                }
            });
            arguments_ui(ui, arguments);
        }
        Part::ToolResult { id, content } => {
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new("Tool result").strong());
                match id {
                    Some(id) => ui.label(RichText::new(format!("for {id}")).weak().monospace()),
                    None => ui.label(RichText::new("(no call id)").weak()),
                };
            });
            let shown = pretty_json(content).unwrap_or_else(|| content.clone());
            ui.add(
                egui::Label::new(RichText::new(shown).monospace())
                    .wrap()
                    .selectable(true),
            );
        }
        Part::Reasoning { text } => {
            ui.label(RichText::new("Reasoning").weak());
            ui.add(
                egui::Label::new(RichText::new(text).italics().weak())
                    .wrap()
                    .selectable(true),
            );
        }
        Part::Other { kind, raw } => {
            ui.label(RichText::new(format!("({kind})")).weak());
            ui.add(
                egui::Label::new(RichText::new(raw).monospace().weak())
                    .wrap()
                    .selectable(true),
            );
        }
    }
}

/// Tool arguments, pretty-printed; arguments that are not JSON are shown as recorded, flagged.
pub fn arguments_ui(ui: &mut Ui, arguments: &str) {
    match pretty_json(arguments) {
        Some(pretty) => {
            ui.add(
                egui::Label::new(RichText::new(pretty).monospace())
                    .wrap()
                    .selectable(true),
            );
        }
        None => {
            ui.label(
                RichText::new("arguments are not valid JSON:")
                    .color(super::replay::FINDING_COLOR)
                    .small(),
            );
            ui.add(
                egui::Label::new(RichText::new(arguments).monospace())
                    .wrap()
                    .selectable(true),
            );
        }
    }
}

/// The text of `gen_ai.system_instructions`: its parts' contents when it is the usual JSON list
/// of parts, the text as recorded otherwise.
pub fn instructions_text(recorded: &str) -> String {
    let parts: Option<Vec<serde_json::Value>> = serde_json::from_str(recorded).ok();
    let texts: Option<Vec<&str>> = parts.as_ref().and_then(|parts| {
        parts
            .iter()
            .map(|p| p.get("content").and_then(serde_json::Value::as_str))
            .collect()
    });
    match texts {
        Some(texts) if !texts.is_empty() => texts.join("\n"),
        _ => recorded.to_owned(),
    }
}

fn system_instructions_ui(ui: &mut Ui, recorded: &str) {
    egui::Frame::group(ui.style())
        .fill(role_fill(ui, &Role::System))
        .inner_margin(egui::Margin::same(6))
        .show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.label(RichText::new("system instructions").strong());
            ui.add(
                egui::Label::new(instructions_text(recorded))
                    .wrap()
                    .selectable(true),
            );
        });
}

/// The findings of `payload` about message `index`, with their indices in `all`.
pub fn findings_for(
    all: &[Finding],
    step: usize,
    payload: Payload,
    index: usize,
) -> Vec<(usize, &Finding)> {
    all.iter()
        .enumerate()
        .filter(|(_, f)| f.step == step && f.payload == payload && f.message_index == Some(index))
        .collect()
}

/// A step in chat form: the request (marked against the previous model call), then the
/// response, or the tool run of a tool execution.
pub fn step_ui(
    ui: &mut Ui,
    steps: &[Step],
    step: &Step,
    findings: &[Finding],
    focused_finding: Option<usize>,
    scroll_to_focused: bool,
) -> Option<TranscriptAction> {
    let mut action = None;
    match step.kind {
        StepKind::ModelCall => {
            let previous = previous_model_call(steps, step.index);
            let changes = message_changes(previous.map(|p| p.request.as_slice()), &step.request);
            let changed = changes.iter().filter(|c| **c != Change::Same).count();
            ui.horizontal_wrapped(|ui| {
                ui.label(RichText::new(format!("Sent ({} messages)", step.request.len())).strong());
                if let Some(p) = previous {
                    let removed = p.request.len().saturating_sub(step.request.len());
                    if changed == 0 && removed == 0 {
                        ui.label(
                            RichText::new(format!(
                                "the same messages as step {}: re-sent unchanged",
                                p.index + 1
                            ))
                            .color(super::replay::CHANGED_COLOR),
                        );
                    } else {
                        let mut text =
                            format!("{changed} new or changed since step {}", p.index + 1);
                        if removed > 0 {
                            text.push_str(&format!(", {removed} dropped"));
                        }
                        ui.weak(text);
                    }
                }
            });
            if let Some(instructions) = &step.system_instructions {
                system_instructions_ui(ui, instructions);
            }
            if step.request.is_empty() {
                ui.weak("(the span recorded no request messages)");
            }
            let flagged: Vec<bool> = (0..step.request.len())
                .map(|i| !findings_for(findings, step.index, Payload::Request, i).is_empty())
                .collect();
            let folded = fold_range(&changes, &flagged);
            let mut draw = |ui: &mut Ui, i: usize, message: &Message| {
                let change = changes.get(i).map(|c| (*c, previous.map(|p| p.index)));
                let about = findings_for(findings, step.index, Payload::Request, i);
                if let Some(a) = message_ui(
                    ui,
                    i,
                    message,
                    change,
                    &about,
                    focused_finding,
                    scroll_to_focused,
                ) {
                    action = Some(a);
                }
            };
            for (i, message) in step.request.iter().enumerate() {
                if let Some(fold) = &folded
                    && fold.contains(&i)
                {
                    if i == fold.start {
                        let title = format!(
                            "#{}..#{}: {} messages unchanged since step {}",
                            fold.start,
                            fold.end - 1,
                            fold.len(),
                            previous.map_or(0, |p| p.index + 1)
                        );
                        egui::CollapsingHeader::new(title)
                            .id_salt(("unchanged_messages", step.index))
                            .default_open(false)
                            .show(ui, |ui| {
                                for j in fold.clone() {
                                    if let Some(m) = step.request.get(j) {
                                        draw(ui, j, m);
                                    }
                                }
                            });
                    }
                    continue;
                }
                draw(ui, i, message);
            }
            ui.add_space(6.0);
            ui.label(RichText::new("Response").strong());
            if step.response.is_empty() {
                if step.failed {
                    ui.label(
                        RichText::new(format!("no response: {}", step.status_message))
                            .color(super::replay::FINDING_COLOR),
                    );
                } else {
                    ui.weak("(the span recorded no response)");
                }
            }
            for (i, message) in step.response.iter().enumerate() {
                let about = findings_for(findings, step.index, Payload::Response, i);
                if let Some(a) = message_ui(
                    ui,
                    i,
                    message,
                    None,
                    &about,
                    focused_finding,
                    scroll_to_focused,
                ) {
                    action = Some(a);
                }
            }
        }
        StepKind::ToolExecution => {
            let Some(tool) = &step.tool else {
                ui.weak("(the span names no tool)");
                return None;
            };
            egui::Frame::group(ui.style())
                .fill(role_fill(ui, &Role::Tool))
                .show(ui, |ui| {
                    ui.set_width(ui.available_width());
                    ui.horizontal_wrapped(|ui| {
                        ui.label(RichText::new("Tool run").strong());
                        ui.label(RichText::new(&tool.name).monospace());
                        if let Some(id) = &tool.call_id {
                            ui.label(RichText::new(format!("call id {id}")).weak().monospace());
                        }
                    });
                    ui.label(RichText::new("Arguments").weak());
                    match &tool.arguments {
                        Some(a) => arguments_ui(ui, a),
                        None => {
                            ui.weak("(not recorded)");
                        }
                    }
                    ui.label(RichText::new("Result").weak());
                    match &tool.result {
                        Some(r) => {
                            let shown = pretty_json(r).unwrap_or_else(|| r.clone());
                            ui.add(
                                egui::Label::new(RichText::new(shown).monospace())
                                    .wrap()
                                    .selectable(true),
                            );
                        }
                        None if step.failed => {
                            ui.label(
                                RichText::new(format!("failed: {}", step.status_message))
                                    .color(super::replay::FINDING_COLOR),
                            );
                        }
                        None => {
                            ui.weak("(not recorded)");
                        }
                    }
                });
        }
    }
    action
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(role: Role, t: &str) -> Message {
        Message {
            role,
            parts: vec![Part::Text { text: t.to_owned() }],
            finish_reason: None,
            raw_range: None,
        }
    }

    #[test]
    fn changes_against_the_previous_request() {
        let before = vec![text(Role::User, "hi"), text(Role::Assistant, "calling")];
        let mut after = before.clone();
        if let Some(m) = after.get_mut(1) {
            m.raw_range = Some(3..9);
        }
        after.push(text(Role::User, "again"));
        assert_eq!(
            message_changes(Some(&before), &after),
            [Change::Same, Change::Same, Change::New]
        );
        let repaired = vec![text(Role::User, "hi"), text(Role::Assistant, "fixed")];
        assert_eq!(
            message_changes(Some(&before), &repaired),
            [Change::Same, Change::Changed]
        );
        assert_eq!(message_changes(None, &before), [Change::New, Change::New]);
        assert!(message_changes(Some(&before), &[]).is_empty());
    }

    #[test]
    fn system_instructions_read_as_text() {
        assert_eq!(
            instructions_text(
                r#"[{"type":"text","content":"Be brief."},{"type":"text","content":"No PII."}]"#
            ),
            "Be brief.\nNo PII."
        );
        assert_eq!(instructions_text("Be brief."), "Be brief.");
        assert_eq!(instructions_text("[]"), "[]");
    }

    #[test]
    fn long_requests_fold_their_unchanged_start() {
        let same = |n| vec![Change::Same; n];
        assert_eq!(fold_range(&same(10), &[false; 10]), None);
        assert_eq!(fold_range(&same(40), &[false; 40]), Some(2..34));
        let mut changes = same(40);
        changes[20] = Change::Changed;
        assert_eq!(fold_range(&changes, &[false; 40]), Some(2..20));
        let mut flagged = [false; 40];
        flagged[3] = true;
        assert_eq!(fold_range(&same(40), &flagged), None);
        assert_eq!(fold_range(&[], &[]), None);
    }

    #[test]
    fn arguments_pretty_print_only_when_json() {
        assert_eq!(
            pretty_json(r#"{"a":1}"#).as_deref(),
            Some("{\n  \"a\": 1\n}")
        );
        assert_eq!(pretty_json(r#"{"a":"#), None);
    }
}
