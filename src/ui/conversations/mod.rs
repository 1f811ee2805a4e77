//! The Conversations tab (scaffold; being built for issue 5).

use crate::model::{SpanId, TraceId};
use crate::store::{SpanFilter, Store, StoreError};

use super::overview::Card;
use super::view_ctx::ViewCtx;

#[derive(Default)]
pub struct ConversationsView {
    findings_only: bool,
    open: Option<(String, Option<usize>)>,
    open_span: Option<(TraceId, SpanId)>,
}

impl ConversationsView {
    /// Lists only conversations with lint findings (or all of them).
    pub fn set_findings_only(&mut self, findings_only: bool) {
        self.findings_only = findings_only;
    }

    /// Opens a conversation at a step (0-based), or at its first finding when `None`.
    pub fn open(&mut self, key: String, step: Option<usize>) {
        self.open = Some((key, step));
    }

    /// Opens the conversation this span belongs to, at the span's step.
    pub fn open_at_span(&mut self, trace_id: TraceId, span_id: SpanId) {
        self.open_span = Some((trace_id, span_id));
    }

    /// The conversation open in the replay and its current step (0-based), for a snapshot's
    /// "start here" pointer.
    pub fn current_step(&self) -> Option<(String, usize)> {
        let (key, step) = self.open.as_ref()?;
        Some((key.clone(), step.unwrap_or(0)))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, _ctx: &ViewCtx) {
        ui.label(format!(
            "Conversations {} {:?} {:?}",
            self.findings_only, self.open, self.open_span
        ));
    }
}

/// This view's overview cards, computed off the UI thread with the other cards.
pub fn overview_cards(_store: &Store, _filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    Ok(Vec::new())
}
