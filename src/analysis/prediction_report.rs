//! The prediction parts of `tracedeck report --json`: `"drift"` (per model and feature between
//! the default windows, the first and the last quarter of the model's time span, or the
//! predictions of a reference import against the last quarter of the others) and
//! `"version_skew"` (every model and pipeline version combination, flagged when it looks like
//! skew). Reads through the store's query methods; the figures come from `drift` and
//! `version_skew`.

use serde::Serialize;

use super::drift::{self, FeatureKind, Method, Thresholds, TimeRange};
use super::version_skew;
use crate::store::{PredictionTable, RowSource, Store, StoreError};

/// One model's predictions ready for the drift functions: a table and its two windows.
#[derive(Clone, Debug, Default)]
pub struct DriftInput {
    pub table: PredictionTable,
    pub reference: TimeRange,
    pub current: TimeRange,
    /// The reference is a reference import's predictions (they sit in front of the table, at
    /// stand-in timestamps), not a time range.
    pub reference_import: bool,
    /// First and last timestamp of the production rows (not the reference import's).
    pub first_ns: i64,
    pub last_ns: i64,
}

/// How the reference window is chosen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReferenceChoice {
    /// The reference import when there is one, else the first quarter; the last quarter.
    Default,
    /// The first and the last quarter, even when a reference import exists.
    Quarters,
    /// Two time ranges of the model's production rows.
    Ranges {
        reference: TimeRange,
        current: TimeRange,
    },
    /// The reference import against a time range.
    ImportAgainst { current: TimeRange },
}

/// Loads one model's predictions and windows. `None` when the model has no production rows.
pub fn drift_input(
    store: &Store,
    model: &str,
    choice: ReferenceChoice,
) -> Result<Option<DriftInput>, StoreError> {
    let Some(span) = store
        .prediction_models_of(RowSource::Production)?
        .into_iter()
        .find(|m| m.model == model)
    else {
        return Ok(None);
    };
    let end_ns = span.last_ns.saturating_add(1);
    let production =
        store.prediction_table_of(model, span.first_ns, end_ns, RowSource::Production)?;
    let (default_reference, default_current) = drift::default_windows(span.first_ns, span.last_ns);
    let time_ranges = |reference, current| DriftInput {
        table: production.clone(),
        reference,
        current,
        reference_import: false,
        first_ns: span.first_ns,
        last_ns: span.last_ns,
    };
    let input = match choice {
        ReferenceChoice::Ranges { reference, current } => time_ranges(reference, current),
        ReferenceChoice::Quarters => time_ranges(default_reference, default_current),
        ReferenceChoice::Default | ReferenceChoice::ImportAgainst { .. } => {
            let current = match choice {
                ReferenceChoice::ImportAgainst { current } => current,
                _ => default_current,
            };
            let reference_rows =
                store.prediction_table_of(model, i64::MIN, i64::MAX, RowSource::Reference)?;
            if reference_rows.timestamp_ns.is_empty() {
                time_ranges(default_reference, current)
            } else {
                let (table, reference) = drift::with_reference(&reference_rows, &production);
                DriftInput {
                    table,
                    reference,
                    current,
                    reference_import: true,
                    first_ns: span.first_ns,
                    last_ns: span.last_ns,
                }
            }
        }
    };
    Ok(Some(input))
}

/// One entry of `"drift"`: a feature's primary measure, and its missing-value or
/// new-category signal when that one fired.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftRow {
    pub model: String,
    pub feature: String,
    pub kind: FeatureKind,
    pub method: String,
    pub score: f64,
    pub p_value: Option<f64>,
    pub drifted: bool,
}

/// One entry of `"version_skew"`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SkewRow {
    pub model: String,
    pub model_version: String,
    pub pipeline_version: String,
    /// RFC 3339.
    pub first_seen: String,
    /// Share of the model's predictions, 0 to 1.
    pub share: f64,
    pub flagged: bool,
}

fn finite(x: f64) -> f64 {
    if x.is_finite() { x } else { f64::MAX }
}

/// Drift of every model's features (and prediction and confidence) between the default
/// windows (or a reference import and the last quarter), drifted features first, then by score.
pub fn drift_report(store: &Store) -> Result<Vec<DriftRow>, StoreError> {
    let thresholds = Thresholds::default();
    let mut rows = Vec::new();
    for span in store.prediction_models_of(RowSource::Production)? {
        let Some(input) = drift_input(store, &span.model, ReferenceChoice::Default)? else {
            continue;
        };
        for d in drift::table_drift(&input.table, input.reference, input.current, &thresholds) {
            for m in &d.metrics {
                let signal = matches!(m.method, Method::MissingShare | Method::NewCategories);
                if m.method == d.primary || (signal && m.drifted) {
                    rows.push(DriftRow {
                        model: span.model.clone(),
                        feature: d.feature.clone(),
                        kind: d.kind,
                        method: m.method.as_str().to_owned(),
                        score: finite(m.score),
                        p_value: m.p_value.filter(|p| p.is_finite()),
                        drifted: m.drifted,
                    });
                }
            }
        }
    }
    rows.sort_by(|a, b| {
        a.model
            .cmp(&b.model)
            .then(b.drifted.cmp(&a.drifted))
            .then(b.score.total_cmp(&a.score))
    });
    Ok(rows)
}

/// Every version combination of every model, in order of appearance.
pub fn version_skew_report(store: &Store) -> Result<Vec<SkewRow>, StoreError> {
    let rows = store.prediction_versions()?;
    let skew = version_skew::version_skew(&rows, 100);
    Ok(skew
        .combinations
        .into_iter()
        .map(|c| SkewRow {
            first_seen: rfc3339(c.first_seen_ns),
            model: c.model,
            model_version: c.model_version,
            pipeline_version: c.pipeline_version,
            share: c.share,
            flagged: c.flagged,
        })
        .collect())
}

fn rfc3339(ns: i64) -> String {
    chrono::DateTime::from_timestamp(
        ns.div_euclid(1_000_000_000),
        ns.rem_euclid(1_000_000_000) as u32,
    )
    .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
    .unwrap_or_default()
}
