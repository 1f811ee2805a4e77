//! The Overview tab: one card per thing worth knowing about the store (how much is there, the
//! error rate, tail latency, the slowest operations); a card with a target opens its view with
//! the right filter. To add a card, add a function to [`CARD_BUILDERS`]; a view whose cards need
//! their own queries adds its `overview_cards` to [`CARD_SOURCES`] instead.

use crate::analysis::latency::{self, GroupSummary};
use crate::store::{LatencyGroup, SpanFilter, Store, StoreCounts, StoreError};

use super::format;
use super::query::Query;
use super::view_ctx::{Nav, Tab, ViewCtx};

/// What the cards of [`CARD_BUILDERS`] read, fetched in one go off the UI thread.
#[derive(Clone, Debug, Default)]
pub struct OverviewData {
    pub counts: StoreCounts,
    pub all_spans: Option<GroupSummary>,
    pub slowest: Vec<GroupSummary>,
}

const CARD_WIDTH: f32 = 230.0;
const CARD_GAP: f32 = 12.0;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    Neutral,
    Good,
    Warn,
    Bad,
}

/// One card: a title, a big value, a line of detail, and where clicking it goes.
#[derive(Clone, Debug)]
pub struct Card {
    pub title: &'static str,
    pub value: String,
    pub detail: String,
    pub tone: Tone,
    pub opens: Vec<Nav>,
}

type CardBuilder = fn(&OverviewData, &SpanFilter) -> Option<Card>;

/// The cards, in display order.
const CARD_BUILDERS: &[CardBuilder] = &[
    spans_card,
    traces_card,
    services_card,
    error_rate_card,
    p95_card,
    slowest_card,
];

type CardSource = fn(&Store, &SpanFilter) -> Result<Vec<Card>, StoreError>;

/// Cards other views compute from their own queries, shown after [`CARD_BUILDERS`]' cards.
/// Each source is fetched on its own, so the quick cards do not wait for the slow analyses
/// (at a million spans some take seconds).
const CARD_SOURCES: &[CardSource] = &[
    super::retries::overview_cards,
    super::validation::overview_cards,
    super::conversations::overview_cards,
    super::drift::overview_cards,
];

fn spans_card(d: &OverviewData, _: &SpanFilter) -> Option<Card> {
    Some(Card {
        title: "Spans",
        value: format::count(d.counts.spans),
        detail: format!(
            "{} events, {} links",
            format::count(d.counts.events),
            format::count(d.counts.links)
        ),
        tone: Tone::Neutral,
        opens: vec![Nav::Tab(Tab::Traces)],
    })
}

fn traces_card(d: &OverviewData, _: &SpanFilter) -> Option<Card> {
    Some(Card {
        title: "Traces",
        value: format::count(d.counts.traces),
        detail: format!("{} root spans", format::count(d.counts.root_spans)),
        tone: Tone::Neutral,
        opens: vec![Nav::Tab(Tab::Traces)],
    })
}

fn services_card(d: &OverviewData, _: &SpanFilter) -> Option<Card> {
    Some(Card {
        title: "Services",
        value: format::count(d.counts.services),
        detail: format!("{} imports", d.counts.imports),
        tone: Tone::Neutral,
        opens: vec![Nav::Tab(Tab::Latency)],
    })
}

fn error_rate_card(d: &OverviewData, filter: &SpanFilter) -> Option<Card> {
    if d.counts.spans == 0 {
        return None;
    }
    let rate = d.counts.error_spans as f64 / d.counts.spans as f64;
    let tone = match rate {
        r if r >= 0.05 => Tone::Bad,
        r if r > 0.0 => Tone::Warn,
        _ => Tone::Good,
    };
    Some(Card {
        title: "Error rate",
        value: format!("{:.1} %", rate * 100.0),
        detail: format!(
            "{} error spans — click to list them",
            format::count(d.counts.error_spans)
        ),
        tone,
        opens: vec![
            Nav::SetFilter(SpanFilter {
                errors_only: true,
                ..filter.clone()
            }),
            Nav::Tab(Tab::Traces),
        ],
    })
}

fn p95_card(d: &OverviewData, _: &SpanFilter) -> Option<Card> {
    let all = d.all_spans.as_ref()?;
    Some(Card {
        title: "p95 latency",
        value: format::duration_ns(all.stats.p95_ns),
        detail: format!(
            "p50 {}, p99 {}, max {}",
            format::duration_ns(all.stats.p50_ns),
            format::duration_ns(all.stats.p99_ns),
            format::duration_ns(all.stats.max_ns)
        ),
        tone: Tone::Neutral,
        opens: vec![Nav::Tab(Tab::Latency)],
    })
}

fn slowest_card(d: &OverviewData, _: &SpanFilter) -> Option<Card> {
    let first = d.slowest.first()?;
    let detail = d
        .slowest
        .iter()
        .map(|g| format!("{}  p95 {}", g.name, format::duration_ns(g.stats.p95_ns)))
        .collect::<Vec<_>>()
        .join("\n");
    Some(Card {
        title: "Slowest operations (p95)",
        value: first.name.clone(),
        detail,
        tone: Tone::Warn,
        opens: vec![Nav::Tab(Tab::Latency)],
    })
}

/// Cards are keyed by the filter and the store generation (new data).
type CardsKey = (SpanFilter, u64);

pub struct OverviewView {
    data: Query<CardsKey, OverviewData>,
    /// One query per entry of [`CARD_SOURCES`], in order.
    sources: Vec<Query<CardsKey, Vec<Card>>>,
}

impl Default for OverviewView {
    fn default() -> Self {
        Self {
            data: Query::default(),
            sources: CARD_SOURCES.iter().map(|_| Query::default()).collect(),
        }
    }
}

impl OverviewView {
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        let key = (ctx.filter.clone(), ctx.generation);
        let filter = ctx.filter.clone();
        self.data
            .ensure(ctx.queries, ui.ctx(), key.clone(), move |store| {
                let durations = store.span_durations(&filter, LatencyGroup::Operation)?;
                Ok(OverviewData {
                    counts: store.counts()?,
                    all_spans: latency::summarize_all(&durations),
                    slowest: latency::slowest_operations(&durations, 5),
                })
            });
        // One analysis at a time (the next once the one before has answered), so the other
        // query thread stays free for the rest of the app.
        for (query, source) in self.sources.iter_mut().zip(CARD_SOURCES) {
            let filter = ctx.filter.clone();
            query.ensure(ctx.queries, ui.ctx(), key.clone(), move |store| {
                source(store, &filter)
            });
            if query.is_loading() {
                break;
            }
        }
        let errors = std::iter::once(self.data.error())
            .chain(self.sources.iter().map(Query::error))
            .flatten();
        for e in errors {
            ui.colored_label(ui.visuals().error_fg_color, e);
        }
        let Some(data) = self.data.value() else {
            ui.spinner();
            return;
        };
        let cards: Vec<Card> = CARD_BUILDERS
            .iter()
            .filter_map(|build| build(data, ctx.filter))
            .chain(
                self.sources
                    .iter()
                    .filter_map(Query::value)
                    .flat_map(|cards| cards.iter().cloned()),
            )
            .collect();
        let sources_loading = self
            .sources
            .iter()
            .any(|q| q.value().is_none() && q.error().is_none());
        // As many cards per row as fit (measured outside the scroll area, whose width follows
        // its content); each card is CARD_WIDTH plus its frame.
        let per_row = ((ui.available_width() + CARD_GAP) / (CARD_WIDTH + 26.0 + CARD_GAP))
            .floor()
            .max(1.0) as usize;
        egui::ScrollArea::vertical().show(ui, |ui| {
            ui.spacing_mut().item_spacing = egui::vec2(CARD_GAP, CARD_GAP);
            let mut cards = cards.into_iter().peekable();
            while cards.peek().is_some() {
                ui.horizontal(|ui| {
                    for card in cards.by_ref().take(per_row) {
                        card_ui(ui, card, ctx);
                    }
                });
            }
            if sources_loading {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.weak("Analysing retries, validation, conversations and drift…");
                });
            }
        });
    }
}

fn card_ui(ui: &mut egui::Ui, card: Card, ctx: &ViewCtx) {
    let visuals = ui.visuals().clone();
    let accent = match card.tone {
        Tone::Neutral => visuals.text_color(),
        Tone::Good => egui::Color32::from_rgb(80, 170, 90),
        Tone::Warn => visuals.warn_fg_color,
        Tone::Bad => visuals.error_fg_color,
    };
    let response = egui::Frame::group(ui.style())
        .inner_margin(12.0)
        .corner_radius(6.0)
        .show(ui, |ui| {
            ui.vertical(|ui| {
                ui.set_width(CARD_WIDTH);
                ui.set_min_height(104.0);
                ui.weak(card.title);
                ui.add(
                    egui::Label::new(egui::RichText::new(&card.value).size(24.0).color(accent))
                        .truncate(),
                );
                ui.add(egui::Label::new(egui::RichText::new(&card.detail).small()).wrap());
            });
        })
        .response
        .interact(egui::Sense::click())
        .on_hover_cursor(egui::CursorIcon::PointingHand);
    if response.clicked() {
        for nav in card.opens {
            ctx.navigate(nav);
        }
    }
}
