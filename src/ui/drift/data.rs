//! What the Drift tab shows for one model, computed on a query thread: the windows, every
//! feature's drift with its histograms and its score over rolling windows, prediction counts
//! over time for the brushing timeline, the model's version combinations, and the worst
//! predictions of the current window.

use std::path::PathBuf;
use std::sync::Arc;

use crate::analysis::drift::histogram::FeatureHistogram;
use crate::analysis::drift::{self, DriftPoint, FeatureDrift, Thresholds};
use crate::analysis::prediction_report::{self, ReferenceChoice};
use crate::analysis::version_skew::{self, VersionSkew};
use crate::store::{ModelSpan, PredictionRow, ReferenceImport, RowSource, Store, StoreError};

/// Rolling windows of the sparklines.
pub const SPARKLINE_WINDOWS: usize = 12;
/// Buckets of the prediction-count timeline.
const TIMELINE_BUCKETS: usize = 120;
/// Worst predictions listed.
const WORST_SHOWN: usize = 50;

/// The models and reference imports of the store.
#[derive(Clone, Debug, Default)]
pub struct ModelList {
    pub models: Vec<ModelSpan>,
    pub references: Vec<ReferenceImport>,
}

pub fn model_list(store: &Store) -> Result<ModelList, StoreError> {
    Ok(ModelList {
        models: store.prediction_models_of(RowSource::Production)?,
        references: store.reference_imports()?,
    })
}

/// What a drift computation depends on.
#[derive(Clone, Debug, PartialEq)]
pub struct DriftKey {
    pub store_path: PathBuf,
    pub model: String,
    pub choice: ReferenceChoice,
    pub thresholds: Thresholds,
    pub generation: u64,
}

/// One row of the feature table.
#[derive(Clone, Debug)]
pub struct FeatureRow {
    pub drift: FeatureDrift,
    /// The model's output or confidence rather than an input.
    pub output: bool,
    pub histogram: FeatureHistogram,
    /// The primary measure in each rolling window against the reference.
    pub series: Vec<DriftPoint>,
}

impl FeatureRow {
    /// The primary measure's score (infinite scores as the largest number).
    pub fn score(&self) -> f64 {
        self.drift.primary_metric().map_or(0.0, |m| {
            if m.score.is_finite() {
                m.score
            } else {
                f64::MAX
            }
        })
    }
}

/// Prediction counts per time bucket (production rows).
#[derive(Clone, Debug, Default)]
pub struct CountTimeline {
    pub origin_ns: i64,
    pub bucket_ns: i64,
    pub counts: Vec<u64>,
}

/// Everything the tab draws for one model.
#[derive(Clone, Debug)]
pub struct DriftData {
    pub key: DriftKey,
    pub reference: drift::TimeRange,
    pub current: drift::TimeRange,
    pub reference_import: bool,
    pub first_ns: i64,
    pub last_ns: i64,
    pub reference_rows: usize,
    pub current_rows: usize,
    /// Drifted first, then by score.
    pub features: Vec<FeatureRow>,
    pub timeline: CountTimeline,
    pub skew: VersionSkew,
    /// Traced services' `service.version` x `*.model.version` pairs (all services).
    pub resource_skew: Vec<version_skew::ResourceCombination>,
    pub worst: Vec<PredictionRow>,
    /// How long the drift computation took.
    pub compute_ms: f64,
}

/// Loads and computes the drift of `key.model` (`None` when it has no predictions).
pub fn compute(store: &Store, key: DriftKey) -> Result<Option<Arc<DriftData>>, StoreError> {
    let started = std::time::Instant::now();
    let Some(input) = prediction_report::drift_input(store, &key.model, key.choice)? else {
        return Ok(None);
    };
    let thresholds = key.thresholds;
    let table = &input.table;
    let drifts = drift::table_drift(table, input.reference, input.current, &thresholds);
    // Sparklines: the primary measure in rolling windows over the production span.
    let span_ns = input.last_ns.saturating_sub(input.first_ns).max(1);
    let window_ns = (span_ns / SPARKLINE_WINDOWS as i64).max(1);
    let mut windows = drift::rolling_windows(input.first_ns, input.last_ns, window_ns, window_ns);
    windows.truncate(SPARKLINE_WINDOWS);
    if let Some(last) = windows.last_mut() {
        last.to_ns = input.last_ns.saturating_add(1);
    }
    let series = drift::drift_over_time(table, input.reference, &windows, None, &thresholds);
    // The same columns, in the same order, as `table_drift` measured.
    let columns: Vec<&crate::store::FeatureColumn> = table
        .features
        .iter()
        .chain(
            [&table.prediction, &table.confidence]
                .into_iter()
                .filter(|c| c.cells.iter().any(|x| *x != crate::store::Cell::Missing)),
        )
        .collect();
    let inputs = table.features.len();
    let mut features: Vec<FeatureRow> = drifts
        .into_iter()
        .enumerate()
        .map(|(i, d)| {
            let histogram = columns
                .get(i)
                .map(|c| {
                    drift::histogram::feature_histogram(
                        c,
                        &table.timestamp_ns,
                        input.reference,
                        input.current,
                    )
                })
                .unwrap_or_else(|| FeatureHistogram {
                    feature: d.feature.clone(),
                    kind: d.kind,
                    bins: Vec::new(),
                });
            let output = i >= inputs;
            // Same column order as `table_drift`.
            let points = series
                .get(i)
                .filter(|s| s.feature == d.feature)
                .map(|s| s.points.clone())
                .unwrap_or_default();
            FeatureRow {
                drift: d,
                output,
                histogram,
                series: points,
            }
        })
        .collect();
    features.sort_by(|a, b| {
        b.drift
            .drifted
            .cmp(&a.drift.drifted)
            .then(b.score().total_cmp(&a.score()))
    });
    let compute_ms = started.elapsed().as_secs_f64() * 1e3;
    let reference_rows = count_in(&table.timestamp_ns, input.reference);
    let current_rows = count_in(&table.timestamp_ns, input.current);
    let timeline = count_timeline(&table.timestamp_ns, input.first_ns, input.last_ns);
    let versions = store.prediction_versions_of(Some(&key.model))?;
    let skew = version_skew::version_skew(&versions, 100);
    let resource_skew = version_skew::resource_skew(&store.resource_versions()?);
    let worst = store.worst_predictions(
        &key.model,
        input.current.from_ns,
        input.current.to_ns,
        RowSource::Production,
        WORST_SHOWN,
    )?;
    Ok(Some(Arc::new(DriftData {
        key,
        reference: input.reference,
        current: input.current,
        reference_import: input.reference_import,
        first_ns: input.first_ns,
        last_ns: input.last_ns,
        reference_rows,
        current_rows,
        features,
        timeline,
        skew,
        resource_skew,
        worst,
        compute_ms,
    })))
}

fn count_in(sorted_ns: &[i64], range: drift::TimeRange) -> usize {
    let start = sorted_ns.partition_point(|t| *t < range.from_ns);
    let end = sorted_ns.partition_point(|t| *t < range.to_ns);
    end.saturating_sub(start)
}

/// Production rows per bucket between `first_ns` and `last_ns` (stand-in reference timestamps
/// fall before `first_ns` and are left out).
fn count_timeline(sorted_ns: &[i64], first_ns: i64, last_ns: i64) -> CountTimeline {
    let bucket_ns = (last_ns.saturating_sub(first_ns) / TIMELINE_BUCKETS as i64 + 1).max(1);
    let mut counts = vec![0u64; TIMELINE_BUCKETS];
    for t in sorted_ns
        .iter()
        .filter(|t| **t >= first_ns && **t <= last_ns)
    {
        let i = ((t - first_ns) / bucket_ns) as usize;
        if let Some(c) = counts.get_mut(i) {
            *c += 1;
        }
    }
    CountTimeline {
        origin_ns: first_ns,
        bucket_ns,
        counts,
    }
}
