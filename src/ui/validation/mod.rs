//! The Validation tab: the failure rate of structured outputs over time (one line per model,
//! model version, prompt or service version, with the 5% line), the table of failures, and the
//! selected failure's detail (reason, the offending output with the parse error highlighted, the
//! re-asks it caused and their tokens; buttons open spans in the waterfall). Also this view's
//! overview card (the validation-failure rate). Checks come from `analysis::validation` over the
//! store's validation candidates, fetched off the UI thread.

mod detail;
mod failures;
mod rate_chart;

use std::collections::HashSet;
use std::sync::Arc;

use crate::analysis::latency::Buckets;
use crate::analysis::retries::{Attempt, ChainAttempt};
use crate::analysis::validation::{
    self, ALERT_RATE, SeriesBy, SeriesRates, SpanValidation, ValidationSummary,
};
use crate::store::{SpanFilter, Store, StoreError};

use super::format;
use super::overview::{Card, Tone};
use super::query::Query;
use super::view_ctx::{Nav, Tab, ViewCtx};

/// Everything the tab shows but the series, fetched in one go.
#[derive(Clone, Debug, Default)]
pub struct ValidationData {
    pub summary: ValidationSummary,
    /// Every validated span's checks, in time order (for the series).
    pub checked: Vec<SpanValidation>,
    /// The chart's buckets.
    pub buckets: Option<Buckets>,
    /// The re-asks each failure of `summary.failures` caused (same order).
    pub reasks: Vec<Vec<ChainAttempt>>,
}

impl ValidationData {
    fn fetch(store: &Store, filter: &SpanFilter) -> Result<Self, StoreError> {
        let checked = validation::check_all(&store.validation_candidates(filter)?);
        let buckets = validation::chart_buckets(&checked);
        let summary = validation::summarize_checked(&checked, buckets.as_ref().map(|b| b.width_ns));
        let failed: HashSet<_> = summary.failures.iter().map(|f| f.span_id).collect();
        let keys: Vec<_> = summary
            .failures
            .iter()
            .map(|f| (f.trace_id, f.parent_span_id, f.name.clone()))
            .collect();
        let siblings = store.call_siblings(&keys)?;
        let reasks = summary
            .failures
            .iter()
            .zip(&siblings)
            .map(|(f, rows)| {
                let attempts: Vec<Attempt> = rows.iter().map(Attempt::from_row).collect();
                validation::reasks(f, &attempts, &failed)
            })
            .collect();
        Ok(Self {
            summary,
            checked,
            buckets,
            reasks,
        })
    }
}

type DataKey = (SpanFilter, u64);

#[derive(Default)]
pub struct ValidationView {
    data: Query<DataKey, Arc<ValidationData>>,
    series: Query<(DataKey, SeriesBy), Arc<Vec<SeriesRates>>>,
    series_by: SeriesBy,
    /// Index into `summary.failures`.
    selected: Option<usize>,
}

impl ValidationView {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let filter = ctx.filter.clone();
        let key: DataKey = (filter.clone(), ctx.generation);
        self.data
            .ensure(ctx.queries, ui.ctx(), key.clone(), move |store| {
                ValidationData::fetch(store, &filter).map(Arc::new)
            });
        if let Some(e) = self.data.error() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(data) = self.data.value().cloned() else {
            ui.spinner();
            return;
        };
        let by = self.series_by;
        let for_series = Arc::clone(&data);
        self.series
            .ensure(ctx.queries, ui.ctx(), (key, by), move |_store| {
                Ok(Arc::new(match &for_series.buckets {
                    Some(b) => validation::rates_by_series(&for_series.checked, by, b),
                    None => Vec::new(),
                }))
            });
        if self
            .selected
            .is_some_and(|i| i >= data.summary.failures.len())
        {
            self.selected = None;
        }
        self.toolbar_ui(ui, &data.summary);
        if data.summary.overall.validated == 0 {
            ui.label(
                "Nothing to validate among these spans: no declared JSON output, evaluation \
                 result, validation record or tool-call arguments.",
            );
            return;
        }
        egui::Panel::top("validation_rate")
            .resizable(true)
            .default_size(240.0)
            .min_size(120.0)
            .show(ui, |ui| {
                let series = self.series.value().map_or(&[][..], |s| s.as_slice());
                rate_chart::rate_chart_ui(ui, &data, series, by);
            });
        egui::Panel::right("validation_detail")
            .resizable(true)
            .default_size(520.0)
            .min_size(220.0)
            .show(ui, |ui| {
                let selected = self.selected.and_then(|i| {
                    let failure = data.summary.failures.get(i)?;
                    Some((failure, data.reasks.get(i).map_or(&[][..], Vec::as_slice)))
                });
                detail::detail_ui(ui, ctx, selected);
            });
        egui::CentralPanel::no_frame().show(ui, |ui| {
            if let Some(i) = failures::failures_ui(ui, &data, self.selected) {
                self.selected = Some(i);
            }
        });
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, summary: &ValidationSummary) {
        ui.horizontal(|ui| {
            let label = ui.label("Series by");
            egui::ComboBox::from_id_salt("validation_series_by")
                .selected_text(self.series_by.label())
                .show_ui(ui, |ui| {
                    for by in SeriesBy::ALL {
                        ui.selectable_value(&mut self.series_by, by, by.label());
                    }
                })
                .response
                .labelled_by(label.id);
            ui.separator();
            let o = &summary.overall;
            let text = egui::RichText::new(format!(
                "failure rate {:.1} %: {} of {} validated outputs failed",
                o.rate * 100.0,
                format::count(o.failed),
                format::count(o.validated)
            ));
            let text = if o.rate >= ALERT_RATE {
                text.color(ui.visuals().error_fg_color).strong()
            } else {
                text
            };
            ui.label(text);
        });
    }
}

/// This view's overview cards, computed off the UI thread with the other cards.
pub fn overview_cards(store: &Store, filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    let summary = validation::summarize(&store.validation_candidates(filter)?, None);
    let o = &summary.overall;
    if o.validated == 0 {
        return Ok(Vec::new());
    }
    let worst = summary
        .by_model
        .iter()
        .filter(|(_, r)| r.failed > 0)
        .max_by(|a, b| a.1.rate.total_cmp(&b.1.rate));
    let mut detail = format!(
        "{} of {} structured outputs failed",
        format::count(o.failed),
        format::count(o.validated)
    );
    if let Some((model, r)) = worst {
        detail.push_str(&format!("; worst {model} {:.1} %", r.rate * 100.0));
    }
    Ok(vec![Card {
        title: "Validation failures",
        value: format!("{:.1} %", o.rate * 100.0),
        detail,
        tone: match o.rate {
            r if r >= ALERT_RATE => Tone::Bad,
            r if r > 0.0 => Tone::Warn,
            _ => Tone::Good,
        },
        opens: vec![Nav::Tab(Tab::Validation)],
    }])
}
