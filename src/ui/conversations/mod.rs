//! The Conversations tab: the conversation list on the left, the replay of the open one on the
//! right, navigation into it (from an overview card, a span in the waterfall, a snapshot), and
//! the tab's overview card. Conversations are listed, loaded and located through the query
//! pool; the drawing lives in `list`, `replay`, `transcript`, `payload` and `step_bar`.

pub mod list;
pub mod payload;
pub mod replay;
pub mod step_bar;
pub mod transcript;

use std::sync::Arc;

use crate::analysis::conversation::{self, Conversation, ConversationSummary};
use crate::model::{SpanId, TraceId};
use crate::store::{SpanFilter, Store, StoreError};

use super::overview::{Card, Tone};
use super::query::{Pending, Query};
use super::view_ctx::{Nav, ViewCtx};
use list::ConversationList;
use replay::Replay;

type LoadKey = (String, u64);

#[derive(Default)]
pub struct ConversationsView {
    findings_only: bool,
    list: ConversationList,
    summaries: Query<(SpanFilter, u64), Arc<Vec<ConversationSummary>>>,
    /// The conversation open in the replay.
    open: Option<String>,
    /// Where to go once the open conversation arrives: a step, or (`None`) its first finding.
    pending_step: Option<Option<usize>>,
    conversation: Query<LoadKey, Option<Arc<Conversation>>>,
    /// A span to find the conversation of (asked for by the waterfall).
    open_span: Option<(TraceId, SpanId)>,
    locating: Option<Pending<Option<(String, usize)>>>,
    locate_error: Option<String>,
    replay: Replay,
}

impl ConversationsView {
    /// Lists only conversations with lint findings (or all of them).
    pub fn set_findings_only(&mut self, findings_only: bool) {
        self.findings_only = findings_only;
    }

    /// Opens a conversation at a step (0-based), or at its first finding when `None`.
    pub fn open(&mut self, key: String, step: Option<usize>) {
        if self.open.as_deref() != Some(key.as_str()) {
            self.replay = self.replay.for_another_conversation();
        }
        self.open = Some(key);
        self.pending_step = Some(step);
        self.list.scroll_to_selected = true;
    }

    /// Opens the conversation this span belongs to, at the span's step.
    pub fn open_at_span(&mut self, trace_id: TraceId, span_id: SpanId) {
        self.open_span = Some((trace_id, span_id));
        self.locate_error = None;
    }

    /// The conversation open in the replay and its current step (0-based), for a snapshot's
    /// "start here" pointer.
    pub fn current_step(&self) -> Option<(String, usize)> {
        let key = self.open.as_ref()?;
        let step = match self.pending_step {
            Some(Some(step)) => step,
            _ => self.replay.step,
        };
        Some((key.clone(), step))
    }

    fn poll_locate(&mut self, ctx: &ViewCtx, repaint: &egui::Context) {
        if let Some((trace_id, span_id)) = self.open_span.take() {
            self.locating = Some(ctx.queries.run(repaint, move |store| {
                conversation::locate_span(store, &trace_id, &span_id)
            }));
        }
        let Some(result) = self.locating.as_ref().and_then(Pending::poll) else {
            return;
        };
        self.locating = None;
        match result {
            Ok(Some((key, step))) => self.open(key, Some(step)),
            Ok(None) => {
                self.locate_error =
                    Some("This span belongs to no conversation the store knows.".to_owned());
            }
            Err(e) => self.locate_error = Some(format!("Could not find the conversation: {e}")),
        }
    }

    /// The open conversation, once loaded.
    fn loaded(&self) -> Option<Arc<Conversation>> {
        let key = self.open.as_ref()?;
        self.conversation.value()?.clone().filter(|c| &c.key == key)
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let repaint = ui.ctx().clone();
        self.poll_locate(ctx, &repaint);
        let filter = ctx.filter.clone();
        self.summaries.ensure(
            ctx.queries,
            &repaint,
            (filter.clone(), ctx.generation),
            move |store| Ok(Arc::new(conversation::list(store, &filter)?)),
        );
        if let Some(key) = self.open.clone() {
            let load_key = key.clone();
            self.conversation
                .ensure(ctx.queries, &repaint, (key, ctx.generation), move |store| {
                    Ok(conversation::load(store, &load_key)?.map(Arc::new))
                });
        }
        let loaded = self.loaded();
        if let Some(conv) = &loaded
            && let Some(step) = self.pending_step.take()
        {
            match step {
                Some(step) => self.replay.go_to(conv, step),
                None => match conv.findings.first().map(|f| f.step) {
                    Some(_) => self.replay.focus_finding(conv, 0),
                    None => self.replay.go_to(conv, 0),
                },
            }
        }
        egui::Panel::left("conversation_list_panel")
            .resizable(true)
            .default_size(480.0)
            .size_range(260.0..=(ui.available_width() - 300.0).max(260.0))
            .show(ui, |ui| self.list_ui(ui));
        egui::CentralPanel::no_frame().show(ui, |ui| self.replay_ui(ui, ctx, loaded.as_deref()));
    }

    fn list_ui(&mut self, ui: &mut egui::Ui) {
        let rows = self.summaries.value().cloned().unwrap_or_default();
        let with_findings = rows.iter().filter(|r| r.findings > 0).count();
        ui.horizontal_wrapped(|ui| {
            ui.checkbox(&mut self.findings_only, "Has findings")
                .on_hover_text("List only conversations the payload lint found problems in");
            ui.label(format!(
                "{} of {} conversations, {with_findings} with findings",
                self.list.shown(),
                rows.len()
            ));
            if self.summaries.is_loading() {
                ui.spinner();
            }
        });
        if let Some(e) = self.summaries.error() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        if rows.is_empty() && self.summaries.value().is_some() {
            ui.weak(
                "No conversations: no span in the store (or the filter) carries GenAI messages.",
            );
        }
        let selected = self.open.clone();
        if let Some(key) = self
            .list
            .ui(ui, &rows, self.findings_only, selected.as_deref())
            && self.open.as_deref() != Some(key.as_str())
        {
            self.open(key, None);
            self.list.scroll_to_selected = false;
        }
    }

    fn replay_ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, loaded: Option<&Conversation>) {
        if self.locating.is_some() {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Finding the span's conversation...");
            });
        }
        if let Some(e) = &self.locate_error {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(key) = self.open.clone() else {
            ui.add_space(12.0);
            ui.label("Pick a conversation on the left to replay it step by step.");
            ui.weak(
                "Left/Right step, Home/End jump to the first/last step, Space plays. Red marks \
                 on the step bar are lint findings, amber marks steps that failed.",
            );
            return;
        };
        if let Some(e) = self.conversation.error() {
            ui.colored_label(
                ui.visuals().error_fg_color,
                format!("Could not load conversation {key}: {e}"),
            );
            return;
        }
        match loaded {
            Some(conv) => self.replay.ui(ui, ctx, conv),
            None if self.conversation.is_loading() => {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label(format!("Loading conversation {key}..."));
                });
            }
            None => {
                ui.label(format!("Conversation {key} is not in the store."));
            }
        }
    }
}

/// This view's overview cards, computed off the UI thread with the other cards: how many
/// conversations the payload lint found problems in; clicking lists them.
pub fn overview_cards(store: &Store, filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    let all = conversation::list(store, filter)?;
    Ok(malformed_card(&all).into_iter().collect())
}

fn malformed_card(all: &[ConversationSummary]) -> Option<Card> {
    if all.is_empty() {
        return None;
    }
    let malformed = all.iter().filter(|c| c.findings > 0).count();
    let findings: usize = all.iter().map(|c| c.findings).sum();
    Some(Card {
        title: "Malformed conversations",
        value: format!("{malformed} / {}", all.len()),
        detail: if malformed > 0 {
            format!("{findings} payload findings — click to replay them")
        } else {
            "no payload finding".to_owned()
        },
        tone: if malformed > 0 { Tone::Bad } else { Tone::Good },
        opens: vec![Nav::ShowConversations {
            findings_only: true,
        }],
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn card_counts_conversations_with_findings() {
        assert!(malformed_card(&[]).is_none());
        let row = |findings| ConversationSummary {
            key: "k".to_owned(),
            start_ns: 0,
            end_ns: 1,
            steps: 3,
            findings,
            errors: 0,
            trace_ids: Vec::new(),
            first_rule: None,
        };
        let card = malformed_card(&[row(0), row(2), row(1)]);
        let Some(card) = card else {
            panic!("a card");
        };
        assert_eq!(card.value, "2 / 3");
        assert_eq!(card.tone, Tone::Bad);
        assert_eq!(
            card.opens,
            vec![Nav::ShowConversations {
                findings_only: true
            }]
        );
        let clean = malformed_card(&[row(0)]);
        assert!(clean.is_some_and(|c| c.tone == Tone::Good));
    }
}
