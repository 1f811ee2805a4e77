//! The Drift tab (scaffold; being built for issue 6).

use crate::store::{SpanFilter, Store, StoreError};

use super::overview::Card;
use super::view_ctx::ViewCtx;

#[derive(Default)]
pub struct DriftView {
    open_prediction: Option<i64>,
}

impl DriftView {
    /// Shows one prediction's detail.
    pub fn open_prediction(&mut self, id: i64) {
        self.open_prediction = Some(id);
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, _ctx: &ViewCtx) {
        ui.label(format!("Drift {:?}", self.open_prediction));
    }
}

/// This view's overview cards, computed off the UI thread with the other cards.
pub fn overview_cards(_store: &Store, _filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    Ok(Vec::new())
}
