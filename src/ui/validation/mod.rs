//! The Validation tab (scaffold; being built for issue 4).

use crate::store::{SpanFilter, Store, StoreError};

use super::overview::Card;
use super::view_ctx::ViewCtx;

#[derive(Default)]
pub struct ValidationView {}

impl ValidationView {
    pub fn ui(&mut self, ui: &mut egui::Ui, _ctx: &ViewCtx) {
        ui.label("Validation");
    }
}

/// This view's overview cards, computed off the UI thread with the other cards.
pub fn overview_cards(_store: &Store, _filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    Ok(Vec::new())
}
