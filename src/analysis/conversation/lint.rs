//! The payload lint (DESIGN.md section 4): per step, the request as sent and the response as
//! received, checked against the rules providers enforce. Each finding names the message and
//! the bytes to highlight; when the step's own error is the provider's 400 for the same rule,
//! the explanation quotes it, and a `messages.N` in it points the finding at message `N`.

use std::collections::{HashMap, HashSet};
use std::ops::Range;

use super::dialects::message_range;
use super::model::{Finding, Message, Part, Payload, Role, Rule, Step, StepKind};
use crate::analysis::validation::check_json;

/// Phrases of the providers' 400 messages (research-notes.md), lower case, per rule.
const PROVIDER_PHRASES: &[(Rule, &str)] = &[
    (Rule::ToolResultMissing, "without `tool_result` blocks"),
    (Rule::ToolResultMissing, "without tool_result blocks"),
    (Rule::ToolResultMissing, "did not have response messages"),
    (Rule::ToolResultMissing, "must be followed by tool messages"),
    (Rule::ToolResultOrphan, "unexpected `tool_use_id`"),
    (Rule::ToolResultOrphan, "unexpected tool_use_id"),
    (
        Rule::ToolResultOrphan,
        "must be a response to a preceeding message",
    ),
    (
        Rule::ToolResultOrphan,
        "must be a response to a preceding message",
    ),
    (Rule::ToolResultOrder, "at the beginning of this message"),
    (Rule::ToolResultOrder, "blocks immediately after"),
    (Rule::RoleAlternation, "roles must alternate"),
    (Rule::EmptyMessage, "non-empty content"),
    (Rule::EmptyMessage, "must not be empty"),
    (Rule::ToolArgsInvalidJson, "not valid json"),
    (Rule::ToolArgsInvalidJson, "invalid json"),
];

/// Finish reasons that mean the model stopped at its token limit.
const LENGTH_REASONS: [&str; 4] = ["length", "max_tokens", "max_output_tokens", "model_length"];

/// The message index a provider error names (`messages.48.content.1: ...` names 48).
fn named_message_index(text: &str) -> Option<usize> {
    let mut rest = text;
    while let Some(at) = rest.find("messages.") {
        let after = rest.get(at + "messages.".len()..).unwrap_or("");
        let digits: String = after.chars().take_while(char::is_ascii_digit).collect();
        if let Ok(index) = digits.parse() {
            return Some(index);
        }
        rest = after;
    }
    None
}

/// What the step's own error says: its text, the rules its phrases match, the message index
/// it names, and the provider's message to quote.
#[derive(Debug, Default)]
struct ProviderError {
    rules: HashSet<Rule>,
    message_index: Option<usize>,
    quote: Option<String>,
}

/// The provider's own message inside a status message (`'message': '...'` in a Python repr,
/// `"message": "..."` in JSON), else the whole text.
fn provider_message(text: &str) -> String {
    for key in ["'message': ", "\"message\": ", "\"message\":"] {
        let Some(at) = text.find(key) else { continue };
        let rest = text.get(at + key.len()..).unwrap_or("");
        let Some(quote) = rest.chars().next().filter(|c| *c == '\'' || *c == '"') else {
            continue;
        };
        let body = rest.get(1..).unwrap_or("");
        let mut end = body.len();
        let mut escaped = false;
        for (i, c) in body.char_indices() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == quote {
                end = i;
                break;
            }
        }
        return body.get(..end).unwrap_or(body).to_owned();
    }
    text.trim().to_owned()
}

fn one_line(text: &str, max_chars: usize) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    if flat.chars().count() <= max_chars {
        flat
    } else {
        let cut: String = flat.chars().take(max_chars).collect();
        format!("{cut}...")
    }
}

fn provider_error(step: &Step) -> ProviderError {
    let mut texts: Vec<&str> = Vec::new();
    if !step.status_message.is_empty() {
        texts.push(&step.status_message);
    }
    texts.extend(step.exception_messages.iter().map(String::as_str));
    let mut out = ProviderError::default();
    for text in texts {
        let lower = text.to_ascii_lowercase();
        let matched: Vec<Rule> = PROVIDER_PHRASES
            .iter()
            .filter(|(_, phrase)| lower.contains(phrase))
            .map(|(rule, _)| *rule)
            .collect();
        if out.message_index.is_none() {
            out.message_index = named_message_index(text);
        }
        if !matched.is_empty() && out.quote.is_none() {
            out.quote = Some(one_line(&provider_message(text), 240));
        }
        out.rules.extend(matched);
    }
    out
}

fn call_ids(message: &Message) -> Vec<(String, String)> {
    message
        .parts
        .iter()
        .filter_map(|p| match p {
            Part::ToolCall {
                id: Some(id), name, ..
            } => Some((id.clone(), name.clone())),
            _ => None,
        })
        .collect()
}

fn is_blank(message: &Message) -> bool {
    message.parts.iter().all(|p| match p {
        Part::Text { text } => text.trim().is_empty(),
        _ => false,
    })
}

/// Findings of one step before the provider's error is applied.
struct StepLint<'a> {
    step: &'a Step,
    findings: Vec<Finding>,
}

impl<'a> StepLint<'a> {
    fn push(&mut self, rule: Rule, message_index: Option<usize>, payload: Payload, detail: String) {
        let messages = match payload {
            Payload::Request => &self.step.request,
            Payload::Response => &self.step.response,
        };
        let byte_range = message_index.and_then(|i| message_range(messages, i));
        self.push_range(rule, message_index, payload, byte_range, detail);
    }

    fn push_range(
        &mut self,
        rule: Rule,
        message_index: Option<usize>,
        payload: Payload,
        byte_range: Option<Range<usize>>,
        detail: String,
    ) {
        self.findings.push(Finding {
            rule,
            step: self.step.index,
            span_id: self.step.span_id,
            message_index,
            payload,
            byte_range,
            detail,
        });
    }

    /// Missing, out-of-order and orphan results in the request.
    fn tool_results(&mut self) {
        let messages = &self.step.request;
        let mut called: HashSet<String> = HashSet::new();
        for (i, message) in messages.iter().enumerate() {
            // Orphans: a result whose id no earlier call made.
            for part in &message.parts {
                if let Part::ToolResult { id: Some(id), .. } = part
                    && !called.contains(id)
                {
                    self.push(
                        Rule::ToolResultOrphan,
                        Some(i),
                        Payload::Request,
                        format!("tool result {id} answers no earlier tool call"),
                    );
                }
            }
            let calls = call_ids(message);
            called.extend(calls.iter().map(|(id, _)| id.clone()));
            if message.role != Role::Assistant || calls.is_empty() {
                continue;
            }
            // The messages that answer: up to the next assistant message.
            let window: Vec<(usize, &Message)> = messages
                .iter()
                .enumerate()
                .skip(i + 1)
                .take_while(|(_, m)| m.role != Role::Assistant)
                .collect();
            let call_set: HashSet<&str> = calls.iter().map(|(id, _)| id.as_str()).collect();
            let mut result_ids: Vec<&str> = Vec::new();
            let mut misplaced: Option<usize> = None;
            let mut seen_other = false;
            for (j, m) in &window {
                for part in &m.parts {
                    match part {
                        Part::ToolResult { id, .. } => {
                            if let Some(id) = id.as_deref()
                                && call_set.contains(id)
                            {
                                result_ids.push(id);
                            }
                            if seen_other && misplaced.is_none() {
                                misplaced = Some(*j);
                            }
                        }
                        _ => seen_other = true,
                    }
                }
            }
            let answered: HashSet<&str> = result_ids.iter().copied().collect();
            let missing: Vec<String> = calls
                .iter()
                .filter(|(id, _)| !answered.contains(id.as_str()))
                .map(|(id, name)| format!("{id} ({name})"))
                .collect();
            if !missing.is_empty() {
                self.push(
                    Rule::ToolResultMissing,
                    Some(i),
                    Payload::Request,
                    format!(
                        "tool call{} {} without a result in the next message",
                        if missing.len() == 1 { "" } else { "s" },
                        missing.join(", ")
                    ),
                );
            }
            let call_order: Vec<&str> = calls
                .iter()
                .map(|(id, _)| id.as_str())
                .filter(|id| answered.contains(id))
                .collect();
            let mut dedup_results = result_ids.clone();
            {
                let mut once = HashSet::new();
                dedup_results.retain(|id| once.insert(*id));
            }
            let reordered = dedup_results != call_order;
            if misplaced.is_some() || reordered {
                let at = misplaced.or_else(|| window.first().map(|(j, _)| *j));
                let mut why = Vec::new();
                if misplaced.is_some() {
                    why.push("tool results are not the leading run of the message (other content comes first)".to_owned());
                }
                if reordered {
                    why.push(format!(
                        "results come as {} but the calls were {}",
                        dedup_results.join(", "),
                        call_order.join(", ")
                    ));
                }
                self.push(Rule::ToolResultOrder, at, Payload::Request, why.join("; "));
            }
        }
    }

    fn role_alternation(&mut self) {
        let mut previous: Option<(&Role, usize)> = None;
        let mut found = Vec::new();
        for (i, message) in self.step.request.iter().enumerate() {
            match &message.role {
                Role::System => continue,
                role @ (Role::User | Role::Assistant) => {
                    if let Some((prev, _)) = previous
                        && prev == role
                    {
                        found.push((i, role.as_str().to_owned()));
                    }
                    previous = Some((role, i));
                }
                role => previous = Some((role, i)),
            }
        }
        for (i, role) in found {
            self.push(
                Rule::RoleAlternation,
                Some(i),
                Payload::Request,
                format!(
                    "two {role} messages in a row (roles must alternate between user and assistant)"
                ),
            );
        }
    }

    fn empty_messages(&mut self) {
        let blank: Vec<usize> = self
            .step
            .request
            .iter()
            .enumerate()
            .filter(|(_, m)| is_blank(m))
            .map(|(i, _)| i)
            .collect();
        for i in blank {
            self.push(
                Rule::EmptyMessage,
                Some(i),
                Payload::Request,
                "message with empty content".to_owned(),
            );
        }
    }

    /// Tool-call arguments that do not parse; a call already flagged in an earlier step (the
    /// same id and arguments re-sent in the history) is not flagged again.
    fn tool_arguments(&mut self, flagged: &mut HashSet<(Option<String>, String)>) {
        for payload in [Payload::Response, Payload::Request] {
            let messages = match payload {
                Payload::Request => &self.step.request,
                Payload::Response => &self.step.response,
            };
            let mut found = Vec::new();
            for (i, message) in messages.iter().enumerate() {
                for part in &message.parts {
                    let Part::ToolCall {
                        id,
                        name,
                        arguments,
                    } = part
                    else {
                        continue;
                    };
                    if arguments.trim().is_empty() {
                        continue;
                    }
                    if let Err((error, _)) = check_json(arguments) {
                        let key = (id.clone(), arguments.clone());
                        if flagged.insert(key) {
                            found.push((
                                i,
                                format!(
                                    "arguments of {name}{} are not valid JSON: {}",
                                    id.as_deref()
                                        .map(|id| format!(" ({id})"))
                                        .unwrap_or_default(),
                                    one_line(&error, 120)
                                ),
                            ));
                        }
                    }
                }
            }
            for (i, detail) in found {
                self.push(Rule::ToolArgsInvalidJson, Some(i), payload, detail);
            }
        }
    }

    fn output(&mut self) {
        let step = self.step;
        if step.output_json_declared && step.response_cut_at.is_none() {
            let text_message = step.response.iter().position(|m| {
                m.parts
                    .iter()
                    .any(|p| matches!(p, Part::Text { text } if !text.trim().is_empty()))
            });
            if let Some(i) = text_message {
                let text: String = step
                    .response
                    .iter()
                    .flat_map(|m| &m.parts)
                    .filter_map(|p| match p {
                        Part::Text { text } => Some(text.as_str()),
                        _ => None,
                    })
                    .collect();
                if let Err((error, _)) = check_json(&text) {
                    self.push(
                        Rule::OutputInvalidJson,
                        Some(i),
                        Payload::Response,
                        format!(
                            "output declared JSON does not parse: {}",
                            one_line(&error, 120)
                        ),
                    );
                }
            }
        }
        let by_message = step.response.iter().position(|m| {
            m.finish_reason
                .as_deref()
                .is_some_and(|r| LENGTH_REASONS.contains(&r.to_ascii_lowercase().as_str()))
        });
        let by_step = step
            .finish_reason
            .as_deref()
            .is_some_and(|r| LENGTH_REASONS.contains(&r.to_ascii_lowercase().as_str()));
        if by_message.is_some() || by_step {
            let reason = step
                .finish_reason
                .clone()
                .or_else(|| {
                    by_message
                        .and_then(|i| step.response.get(i))
                        .and_then(|m| m.finish_reason.clone())
                })
                .unwrap_or_default();
            let at = by_message.or((!step.response.is_empty()).then_some(0));
            self.push(
                Rule::OutputTruncated,
                at,
                Payload::Response,
                format!("the model stopped at its token limit (finish reason `{reason}`)"),
            );
        }
    }

    fn telemetry(&mut self) {
        let step = self.step;
        for (payload, cut, raw, count) in [
            (
                Payload::Request,
                step.request_cut_at,
                &step.raw_request,
                step.request.len(),
            ),
            (
                Payload::Response,
                step.response_cut_at,
                &step.raw_response,
                step.response.len(),
            ),
        ] {
            if let Some(at) = cut {
                self.push_range(
                    Rule::TelemetryTruncated,
                    Some(count),
                    payload,
                    Some(at.min(raw.len())..raw.len()),
                    format!(
                        "the recorded {} was cut mid-value after {} bytes (a telemetry limit, not what was sent)",
                        match payload {
                            Payload::Request => "request",
                            Payload::Response => "response",
                        },
                        raw.len()
                    ),
                );
            }
        }
    }

    /// Quotes the provider's error on the findings it matches, and points them at the message
    /// it names.
    fn apply_provider_error(&mut self) {
        let error = provider_error(self.step);
        if error.rules.is_empty() && error.message_index.is_none() {
            return;
        }
        let structural = |rule: Rule| {
            matches!(
                rule,
                Rule::ToolResultMissing
                    | Rule::ToolResultOrphan
                    | Rule::ToolResultOrder
                    | Rule::RoleAlternation
                    | Rule::EmptyMessage
            )
        };
        let any_matched = self.findings.iter().any(|f| error.rules.contains(&f.rule));
        let request = &self.step.request;
        for finding in &mut self.findings {
            let matched = error.rules.contains(&finding.rule);
            if matched && let Some(quote) = &error.quote {
                finding.detail = format!("{}; the provider said: {quote}", finding.detail);
            }
            let points = finding.payload == Payload::Request
                && structural(finding.rule)
                && (matched || !any_matched);
            if points
                && let Some(index) = error.message_index
                && index < request.len()
            {
                finding.message_index = Some(index);
                finding.byte_range = message_range(request, index);
            }
        }
    }
}

/// The findings of every step of a conversation, in step order.
pub fn lint(steps: &[Step]) -> Vec<Finding> {
    let mut flagged_args = HashSet::new();
    let mut out = Vec::new();
    for step in steps {
        out.extend(lint_step(step, &mut flagged_args));
    }
    out
}

/// One step's findings; `flagged_args` remembers tool calls already flagged in earlier steps.
pub fn lint_step(
    step: &Step,
    flagged_args: &mut HashSet<(Option<String>, String)>,
) -> Vec<Finding> {
    let mut lint = StepLint {
        step,
        findings: Vec::new(),
    };
    match step.kind {
        StepKind::ModelCall => {
            lint.tool_results();
            lint.role_alternation();
            lint.empty_messages();
            lint.tool_arguments(flagged_args);
            lint.output();
            lint.telemetry();
            lint.apply_provider_error();
        }
        StepKind::ToolExecution => {
            if let Some(run) = &step.tool
                && let Some(args) = &run.arguments
                && !args.trim().is_empty()
                && let Err((error, _)) = check_json(args)
                && flagged_args.insert((run.call_id.clone(), args.clone()))
            {
                lint.push_range(
                    Rule::ToolArgsInvalidJson,
                    None,
                    Payload::Request,
                    Some(0..step.raw_request.len()),
                    format!(
                        "arguments of {} are not valid JSON: {}",
                        run.name,
                        one_line(&error, 120)
                    ),
                );
            }
        }
    }
    lint.findings
}

/// Findings per rule, for summaries.
pub fn count_by_rule(findings: &[Finding]) -> HashMap<Rule, usize> {
    let mut counts = HashMap::new();
    for f in findings {
        *counts.entry(f.rule).or_insert(0) += 1;
    }
    counts
}
