//! The Drift tab's overview cards: drifted features (how many, the worst one) and version-skew
//! alerts (flagged model x pipeline combinations, and traced services whose versions met for
//! the first time). Computed off the UI thread with the other cards; both open the Drift tab.

use crate::analysis::drift::{self, Thresholds};
use crate::analysis::prediction_report::{self, ReferenceChoice};
use crate::analysis::version_skew;
use crate::store::{RowSource, SpanFilter, Store, StoreError};
use crate::ui::overview::{Card, Tone};
use crate::ui::view_ctx::{Nav, Tab};

use super::versions::combination_label;

/// The last cards, by store file and [`Store::prediction_fingerprint`]: the overview refetches
/// whenever data lands (every second while importing traces), and these cards only change
/// with the predictions and the traced resources.
type CardsKey = (std::path::PathBuf, [i64; 4]);
static LAST: std::sync::Mutex<Option<(CardsKey, Vec<Card>)>> = std::sync::Mutex::new(None);

pub fn overview_cards(store: &Store, filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    let key: CardsKey = (store.path().to_owned(), store.prediction_fingerprint()?);
    if let Ok(last) = LAST.lock()
        && let Some((k, cards)) = last.as_ref()
        && *k == key
    {
        return Ok(cards.clone());
    }
    let cards = compute_cards(store, filter)?;
    if let Ok(mut last) = LAST.lock() {
        *last = Some((key, cards.clone()));
    }
    Ok(cards)
}

fn compute_cards(store: &Store, _filter: &SpanFilter) -> Result<Vec<Card>, StoreError> {
    let models = store.prediction_models_of(RowSource::Production)?;
    if models.is_empty() {
        return Ok(Vec::new());
    }
    let thresholds = Thresholds::default();
    let mut measured = 0usize;
    let mut drifted: Vec<(String, String, f64)> = Vec::new();
    for m in &models {
        let Some(input) =
            prediction_report::drift_input(store, &m.model, ReferenceChoice::Default)?
        else {
            continue;
        };
        for d in drift::table_drift(&input.table, input.reference, input.current, &thresholds) {
            measured += 1;
            if d.drifted {
                let score = d.primary_metric().map_or(0.0, |x| x.score);
                drifted.push((m.model.clone(), d.feature.clone(), score));
            }
        }
    }
    drifted.sort_by(|a, b| b.2.total_cmp(&a.2));
    let drift_card = Card {
        title: "Drifted features",
        value: format!("{} of {measured}", drifted.len()),
        detail: match drifted.first() {
            Some((model, feature, _)) => {
                let names: Vec<&str> = drifted.iter().take(4).map(|d| d.1.as_str()).collect();
                format!("worst: {feature} ({model}); {}", names.join(", "))
            }
            None => "no feature drifted between the reference and the current window".to_owned(),
        },
        tone: if drifted.is_empty() {
            Tone::Good
        } else {
            Tone::Bad
        },
        opens: vec![Nav::Tab(Tab::Drift)],
    };
    let skew = version_skew::version_skew(&store.prediction_versions()?, 100);
    let flagged: Vec<String> = skew
        .combinations
        .iter()
        .filter(|c| c.flagged)
        .map(|c| {
            format!(
                "{} {} ({:.1} %)",
                c.model,
                combination_label(c),
                c.share * 100.0
            )
        })
        .collect();
    let resources: Vec<String> = version_skew::resource_skew(&store.resource_versions()?)
        .into_iter()
        .filter(|c| c.flagged)
        .map(|c| {
            format!(
                "{} {} with {}",
                c.service, c.service_version, c.model_versions
            )
        })
        .collect();
    let alerts = flagged.len() + resources.len();
    let skew_card = Card {
        title: "Version-skew alerts",
        value: alerts.to_string(),
        detail: if alerts == 0 {
            format!(
                "{} model x pipeline combinations, none new together",
                skew.combinations.len()
            )
        } else {
            flagged
                .iter()
                .chain(&resources)
                .take(3)
                .cloned()
                .collect::<Vec<_>>()
                .join("\n")
        },
        tone: if alerts == 0 { Tone::Good } else { Tone::Warn },
        opens: vec![Nav::Tab(Tab::Drift)],
    };
    Ok(vec![drift_card, skew_card])
}
