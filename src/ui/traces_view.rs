//! The Traces tab: the trace list above, the selected trace's waterfall (with its span detail)
//! below, split by a draggable divider.

use crate::model::{SpanId, TraceId};

use super::traces_table::TracesTable;
use super::view_ctx::ViewCtx;
use super::waterfall::WaterfallView;

#[derive(Default)]
pub struct TracesView {
    table: TracesTable,
    waterfall: WaterfallView,
    open_trace: Option<TraceId>,
}

impl TracesView {
    /// Opens a trace (from another view or a link), optionally selecting one of its spans.
    pub fn open(&mut self, trace_id: TraceId, span_id: Option<SpanId>) {
        self.table.select(trace_id);
        self.open_trace = Some(trace_id);
        self.waterfall.open(trace_id, span_id);
    }

    pub fn open_trace(&self) -> Option<TraceId> {
        self.open_trace
    }

    /// The open trace and the span selected in its waterfall (for a snapshot's scope and its
    /// "start here" pointer).
    pub fn selected_span(&self) -> Option<(TraceId, Option<SpanId>)> {
        let trace_id = self.open_trace?;
        Some((trace_id, self.waterfall.selected_span()))
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        if self.open_trace.is_none() {
            // No trace open yet: the list takes the whole tab.
            if let Some(trace_id) = self.table.ui(ui, ctx) {
                self.open(trace_id, None);
            }
            return;
        }
        egui::Panel::top("traces_table_panel")
            .resizable(true)
            .default_size(260.0)
            .size_range(90.0..=(ui.available_height() - 120.0).max(90.0))
            .show(ui, |ui| {
                if let Some(trace_id) = self.table.ui(ui, ctx)
                    && self.open_trace != Some(trace_id)
                {
                    self.open_trace = Some(trace_id);
                    self.waterfall.open(trace_id, None);
                }
            });
        egui::CentralPanel::no_frame().show(ui, |ui| self.waterfall.ui(ui, ctx));
    }
}
