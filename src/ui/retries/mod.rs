//! The Retries tab: a timeline of the attempts of every retry chain (one lane per operation and
//! model, coloured by error class, storms shaded), the table of chains (sortable, filtered to
//! all / pointless / storms), the selected chain's attempts (each opens in the waterfall), and
//! retry amplification per operation and model. Also this view's overview cards (error classes,
//! pointless retries, storms). Chains come from `analysis::retries` over the store's retry
//! candidates, fetched off the UI thread.

mod chains;
mod timeline;

use std::sync::Arc;

use crate::analysis::retries::{self, Amplification, RetryChain};
use crate::model::error_class::ErrorClass;
use crate::store::{SpanFilter, Store, StoreError};

use super::format;
use super::overview::{Card, Tone};
use super::query::Query;
use super::view_ctx::{ChainFocus, Nav, Tab, ViewCtx};

pub use chains::ChainSort;
pub(crate) use chains::{ATTEMPT_COLUMNS, attempt_row_ui};

/// Everything the tab shows, fetched in one go.
#[derive(Clone, Debug, Default)]
pub struct RetriesData {
    /// Chains of 2 attempts or more, by first attempt.
    pub chains: Vec<RetryChain>,
    pub amplification: Vec<Amplification>,
    /// Time zero of the timeline: the first attempt's start.
    pub origin_ns: i64,
}

impl RetriesData {
    fn fetch(store: &Store, filter: &SpanFilter) -> Result<Self, StoreError> {
        let (chains, amplification) = chains_and_amplification(store, filter)?;
        let origin_ns = chains
            .iter()
            .flat_map(|c| c.attempts.first())
            .map(|a| a.start_ns)
            .min()
            .unwrap_or(0);
        Ok(Self {
            chains,
            amplification,
            origin_ns,
        })
    }
}

/// The chains among the filter's spans and the amplification they cause (what the report
/// computes too).
fn chains_and_amplification(
    store: &Store,
    filter: &SpanFilter,
) -> Result<(Vec<RetryChain>, Vec<Amplification>), StoreError> {
    let store_span_ns = store
        .time_bounds_ns()?
        .map_or(0, |(lo, hi)| hi.saturating_sub(lo));
    let chains = retries::find_chains(&store.retry_candidates(filter)?, store_span_ns);
    let amplification = retries::amplification(&store.operation_model_counts(filter)?, &chains);
    Ok((chains, amplification))
}

/// Whether a chain is listed under a focus.
pub fn chain_in_focus(chain: &RetryChain, focus: ChainFocus) -> bool {
    match focus {
        ChainFocus::All => true,
        ChainFocus::Pointless => chain.pointless,
        ChainFocus::Storms => chain.storm,
    }
}

#[derive(Default)]
pub struct RetriesView {
    data: Query<(SpanFilter, u64), Arc<RetriesData>>,
    focus: ChainFocus,
    sort: ChainSort,
    descending: bool,
    /// Index into `data.chains` of the selected chain.
    selected: Option<usize>,
    /// Scroll the table to the selected chain on the next frame (picked on the timeline).
    scroll_to_selected: bool,
    /// Select the first listed chain once the list is known (a card opened the tab focused).
    select_first: bool,
    /// The listed chains for (data, focus, sort, descending), kept while those stay the same
    /// (the data is held so that its identity cannot be reused).
    listed: Option<ListedChains>,
}

struct ListedChains {
    data: Arc<RetriesData>,
    focus: ChainFocus,
    sort: ChainSort,
    descending: bool,
    rows: Vec<usize>,
}

impl ListedChains {
    fn is_for(&self, data: &Arc<RetriesData>, view: &RetriesView) -> bool {
        Arc::ptr_eq(&self.data, data)
            && self.focus == view.focus
            && self.sort == view.sort
            && self.descending == view.descending
    }
}

impl RetriesView {
    /// Lists only these chains (an overview card's click).
    pub fn focus(&mut self, focus: ChainFocus) {
        self.focus = focus;
        if focus != ChainFocus::All {
            // Worst first: the chain a card is about is the first row, selected.
            self.sort = ChainSort::WastedTokens;
            self.descending = true;
            self.select_first = true;
        }
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let filter = ctx.filter.clone();
        let key = (filter.clone(), ctx.generation);
        self.data.ensure(ctx.queries, ui.ctx(), key, move |store| {
            RetriesData::fetch(store, &filter).map(Arc::new)
        });
        if let Some(e) = self.data.error() {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(data) = self.data.value().cloned() else {
            ui.spinner();
            return;
        };
        if self.selected.is_some_and(|i| i >= data.chains.len()) {
            self.selected = None;
        }
        self.toolbar_ui(ui, &data);
        if data.chains.is_empty() {
            ui.label("No retry chains among these spans: no call was attempted twice.");
            return;
        }
        if !self.listed.as_ref().is_some_and(|l| l.is_for(&data, self)) {
            self.listed = Some(ListedChains {
                rows: chains::listed_chains(&data.chains, self.focus, self.sort, self.descending),
                data: Arc::clone(&data),
                focus: self.focus,
                sort: self.sort,
                descending: self.descending,
            });
        }
        let listed = self.listed.as_ref().map_or(&[][..], |l| l.rows.as_slice());
        if std::mem::take(&mut self.select_first) {
            self.selected = listed.first().copied();
            self.scroll_to_selected = true;
        }
        egui::Panel::top("retries_timeline")
            .resizable(true)
            .default_size(230.0)
            .min_size(120.0)
            .show(ui, |ui| {
                let picked = timeline::timeline_ui(ui, &data, self.selected, self.focus);
                if let Some(i) = picked {
                    self.selected = Some(i);
                    self.scroll_to_selected = true;
                }
            });
        egui::Panel::right("retries_amplification")
            .resizable(true)
            .default_size(320.0)
            .min_size(160.0)
            .show(ui, |ui| chains::amplification_ui(ui, &data.amplification));
        // Room for a few attempts even before a chain is picked (a panel whose first content is
        // one line would otherwise keep that height).
        egui::Panel::bottom("retries_attempts")
            .resizable(true)
            .default_size(230.0)
            .min_size(170.0)
            .show(ui, |ui| {
                let chain = self.selected.and_then(|i| data.chains.get(i));
                chains::attempts_ui(ui, ctx, chain);
            });
        egui::CentralPanel::no_frame().show(ui, |ui| {
            let mut table = chains::ChainTable {
                focus: self.focus,
                listed,
                sort: &mut self.sort,
                descending: &mut self.descending,
                selected: &mut self.selected,
                scroll_to_selected: &mut self.scroll_to_selected,
            };
            table.ui(ui, &data.chains);
        });
    }

    fn toolbar_ui(&mut self, ui: &mut egui::Ui, data: &RetriesData) {
        let pointless = data.chains.iter().filter(|c| c.pointless).count();
        let storms = data.chains.iter().filter(|c| c.storm).count();
        ui.horizontal(|ui| {
            ui.label("Show");
            for (focus, label) in [
                (
                    ChainFocus::All,
                    format!("All chains ({})", data.chains.len()),
                ),
                (ChainFocus::Pointless, format!("Pointless ({pointless})")),
                (ChainFocus::Storms, format!("Storms ({storms})")),
            ] {
                if ui.selectable_label(self.focus == focus, label).clicked() {
                    self.focus(focus);
                }
            }
            ui.separator();
            let wasted_tokens: i64 = data.chains.iter().map(|c| c.wasted_tokens).sum();
            let wasted_ms: f64 = data.chains.iter().map(|c| c.wasted_ms).sum();
            ui.weak(format!(
                "{} attempts wasted {} and {} tokens",
                format::count(
                    data.chains
                        .iter()
                        .map(|c| c.attempts.iter().filter(|a| a.class.is_error()).count() as u64)
                        .sum()
                ),
                format::duration_ns((wasted_ms * 1e6) as i64),
                format::count(wasted_tokens.max(0) as u64)
            ));
        });
    }
}

/// A card title per error class (cards need `'static` titles).
fn class_card_title(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient => "Transient errors",
        ErrorClass::Quota => "Quota errors",
        ErrorClass::Structural => "Structural errors",
        ErrorClass::Auth => "Auth errors",
        ErrorClass::Unknown => "Unclassified errors",
        ErrorClass::Ok => "OK spans",
    }
}

fn class_card_detail(class: ErrorClass) -> &'static str {
    match class {
        ErrorClass::Transient => "retry with backoff helps",
        ErrorClass::Quota => "no retry helps: raise the quota",
        ErrorClass::Structural => "the request is wrong: repair, do not retry",
        ErrorClass::Auth => "fail fast: key, permission or model name",
        ErrorClass::Unknown | ErrorClass::Ok => "nothing says which kind",
    }
}

/// This view's overview cards, computed off the UI thread with the other cards: one per error
/// class present, pointless retries and storms.
pub fn overview_cards(store: &Store, filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    let mut cards = Vec::new();
    let spans = store.filtered_span_count(filter)?;
    // Worst first: classes no retry fixes, then by count.
    let mut classes: Vec<(ErrorClass, u64)> = store
        .error_class_counts(filter)?
        .into_iter()
        .filter_map(|(name, count)| {
            let class = ErrorClass::parse(&name).filter(|c| c.is_error())?;
            (count > 0).then_some((class, count))
        })
        .collect();
    classes.sort_by_key(|(class, count)| (!class.retry_is_pointless(), std::cmp::Reverse(*count)));
    for (class, count) in classes {
        let share = count as f64 / spans.max(1) as f64;
        cards.push(Card {
            title: class_card_title(class),
            value: format::count(count),
            detail: format!(
                "{:.1} % of spans; {} — click to list them",
                share * 100.0,
                class_card_detail(class)
            ),
            tone: if class.retry_is_pointless() {
                Tone::Bad
            } else {
                Tone::Warn
            },
            opens: vec![
                Nav::SetFilter(SpanFilter {
                    error_class: Some(class),
                    ..filter.clone()
                }),
                Nav::Tab(Tab::Traces),
            ],
        });
    }
    let (chains, _) = chains_and_amplification(store, filter)?;
    if chains.is_empty() {
        return Ok(cards);
    }
    let pointless: Vec<&RetryChain> = chains.iter().filter(|c| c.pointless).collect();
    let pointless_tokens: i64 = pointless.iter().map(|c| c.wasted_tokens).sum();
    let pointless_attempts: usize = pointless.iter().map(|c| c.attempts.len()).sum();
    cards.push(Card {
        title: "Pointless retries",
        value: format::count(pointless.len() as u64),
        detail: if pointless.is_empty() {
            "no chain retried an error no retry can fix".to_owned()
        } else {
            format!(
                "{} chains, {} attempts retried errors no retry fixes; {} tokens wasted",
                pointless.len(),
                pointless_attempts,
                format::count(pointless_tokens.max(0) as u64)
            )
        },
        tone: if pointless.is_empty() {
            Tone::Good
        } else {
            Tone::Bad
        },
        opens: vec![Nav::ShowRetries(ChainFocus::Pointless)],
    });
    let storms: Vec<&RetryChain> = chains.iter().filter(|c| c.storm).collect();
    let storm_attempts: usize = storms.iter().map(|c| c.attempts.len()).sum();
    let storm_tokens: i64 = storms.iter().map(|c| c.wasted_tokens).sum();
    cards.push(Card {
        title: "Retry storms",
        value: format::count(storms.len() as u64),
        detail: if storms.is_empty() {
            format!("{} retry chains, none a storm", chains.len())
        } else {
            format!(
                "{} attempts in storms, {} tokens wasted",
                storm_attempts,
                format::count(storm_tokens.max(0) as u64)
            )
        },
        tone: if storms.is_empty() {
            Tone::Good
        } else if storms.iter().any(|c| c.pointless) {
            Tone::Bad
        } else {
            Tone::Warn
        },
        opens: vec![Nav::ShowRetries(ChainFocus::Storms)],
    });
    Ok(cards)
}

/// The colour of an error class, on the timeline and in the attempt list.
pub(crate) fn class_color(class: ErrorClass) -> egui::Color32 {
    match class {
        ErrorClass::Ok => egui::Color32::from_rgb(80, 170, 90),
        ErrorClass::Transient => egui::Color32::from_rgb(230, 160, 40),
        ErrorClass::Quota => egui::Color32::from_rgb(170, 90, 210),
        ErrorClass::Structural => egui::Color32::from_rgb(220, 60, 60),
        ErrorClass::Auth => egui::Color32::from_rgb(60, 120, 220),
        ErrorClass::Unknown => egui::Color32::from_rgb(140, 140, 140),
    }
}

/// A lane's name: operation, and the model when the operation name does not say it.
fn lane_name(operation: &str, model: Option<&str>) -> String {
    match model {
        Some(m) if !operation.contains(m) => format!("{operation} ({m})"),
        _ => operation.to_owned(),
    }
}
