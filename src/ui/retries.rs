//! The Retries tab (scaffold; being built for issue 4).

use crate::store::{SpanFilter, Store, StoreError};

use super::overview::Card;
use super::view_ctx::{ChainFocus, ViewCtx};

#[derive(Default)]
pub struct RetriesView {
    focus: ChainFocus,
}

impl RetriesView {
    /// Lists only these chains (an overview card's click).
    pub fn focus(&mut self, focus: ChainFocus) {
        self.focus = focus;
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, _ctx: &ViewCtx) {
        ui.label(format!("Retries ({:?})", self.focus));
    }
}

/// This view's overview cards, computed off the UI thread with the other cards.
pub fn overview_cards(_store: &Store, _filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    Ok(Vec::new())
}
