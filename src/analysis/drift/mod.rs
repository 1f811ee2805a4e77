//! Drift of prediction inputs and outputs between a reference window and a current window
//! (DESIGN.md §4), computed the way Evidently does so the figures can be cross-checked:
//! numeric features get Kolmogorov-Smirnov (statistic and p-value, SciPy's `ks_2samp`), PSI,
//! KL divergence and normed Wasserstein; categorical ones chi-square, Jensen-Shannon distance
//! and PSI. Histograms use Sturges bins over reference and current together (numeric features
//! with more than 30 distinct reference values; fewer are binned per value), and empty bins get
//! 0.0001. Missing values and categories never seen in the reference are their own signals.
//! Pure: it works on the columns `store::PredictionTable` holds.

use std::collections::HashMap;

use serde::Serialize;

use crate::store::{Cell, FeatureColumn, PredictionTable};

pub mod histogram;
pub mod stats;

use stats::{
    binned_numeric, canonical_bits, category_shares, chi_square_counts, jensen_shannon,
    kl_divergence, ks_sorted, population_std, psi, wasserstein_sorted,
};

/// A half-open time range `[from_ns, to_ns)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct TimeRange {
    pub from_ns: i64,
    pub to_ns: i64,
}

impl TimeRange {
    pub fn contains(&self, t: i64) -> bool {
        t >= self.from_ns && t < self.to_ns
    }
}

const DAY_NS: i64 = 86_400_000_000_000;

/// The default windows: the first and the last quarter of the span from `first_ns` to
/// `last_ns` (both inclusive). A quarter of a day or more is cut to whole days, so the daily
/// cycle of traffic (hour of day, the mix of users) does not read as drift.
pub fn default_windows(first_ns: i64, last_ns: i64) -> (TimeRange, TimeRange) {
    let mut quarter_ns = (last_ns.saturating_sub(first_ns) / 4).max(1);
    if quarter_ns >= DAY_NS {
        quarter_ns -= quarter_ns % DAY_NS;
    }
    (
        TimeRange {
            from_ns: first_ns,
            to_ns: first_ns.saturating_add(quarter_ns),
        },
        TimeRange {
            from_ns: last_ns.saturating_sub(quarter_ns),
            to_ns: last_ns.saturating_add(1),
        },
    )
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum FeatureKind {
    Numeric,
    Categorical,
}

/// A drift measure.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// Kolmogorov-Smirnov: score is the statistic, drift when the p-value is small.
    Ks,
    Psi,
    KlDiv,
    /// Wasserstein distance divided by the reference's standard deviation.
    Wasserstein,
    /// Chi-square: score is the statistic, drift when the p-value is small.
    ChiSquare,
    JensenShannon,
    /// Share of missing values in the current window minus that in the reference.
    MissingShare,
    /// Share of current rows whose category the reference never had.
    NewCategories,
}

impl Method {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ks => "ks",
            Self::Psi => "psi",
            Self::KlDiv => "kl_div",
            Self::Wasserstein => "wasserstein",
            Self::ChiSquare => "chi_square",
            Self::JensenShannon => "jensen_shannon",
            Self::MissingShare => "missing_share",
            Self::NewCategories => "new_categories",
        }
    }
}

/// When a measure says "drifted". Defaults from DESIGN.md §4.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Thresholds {
    /// KS and chi-square: drifted when p <= this.
    pub p_value: f64,
    pub psi: f64,
    pub kl_div: f64,
    pub wasserstein: f64,
    pub jensen_shannon: f64,
    /// References of this many rows or fewer are judged by p-values, larger ones by distances.
    pub small_reference_rows: usize,
    /// Rise in the missing share (0 to 1) that counts as drift.
    pub missing_share_rise: f64,
    /// Share of current rows with never-seen categories that counts as drift.
    pub new_category_share: f64,
}

impl Default for Thresholds {
    fn default() -> Self {
        Self {
            p_value: 0.05,
            psi: 0.1,
            kl_div: 0.15,
            wasserstein: 0.1,
            jensen_shannon: 0.1,
            small_reference_rows: 1000,
            missing_share_rise: 0.05,
            new_category_share: 0.01,
        }
    }
}

/// One measure of one feature.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Metric {
    pub method: Method,
    pub score: f64,
    pub p_value: Option<f64>,
    pub drifted: bool,
}

/// Everything measured for one feature between the two windows.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureDrift {
    pub feature: String,
    pub kind: FeatureKind,
    pub reference_rows: usize,
    pub current_rows: usize,
    /// The measure that decides `drifted` (Evidently's choice: KS or chi-square for small
    /// references, Wasserstein or Jensen-Shannon for larger ones).
    pub primary: Method,
    pub drifted: bool,
    /// Every measure, the primary first, then missing values and new categories.
    pub metrics: Vec<Metric>,
    pub missing_share_reference: f64,
    pub missing_share_current: f64,
    /// Categories of the current window the reference never had (at most 20, most rows first).
    pub new_categories: Vec<String>,
}

impl FeatureDrift {
    /// The primary measure.
    pub fn primary_metric(&self) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.method == self.primary)
    }

    /// A measure by method.
    pub fn metric(&self, method: Method) -> Option<&Metric> {
        self.metrics.iter().find(|m| m.method == method)
    }
}

// ---------------------------------------------------------------------------------------------
// Whole features and tables.

/// The values of one column in one window, split by kind.
struct Window {
    numbers: Vec<f64>,
    /// Counts per category index.
    categories: Vec<u64>,
    missing: usize,
    rows: usize,
}

fn window_of(column: &FeatureColumn, timestamps_ns: &[i64], range: TimeRange) -> Window {
    // Timestamps are sorted: find the row range by binary search.
    let start = timestamps_ns.partition_point(|t| *t < range.from_ns);
    let end = timestamps_ns.partition_point(|t| *t < range.to_ns);
    let cells = column.cells.get(start..end.max(start)).unwrap_or_default();
    let mut w = Window {
        numbers: Vec::with_capacity(cells.len()),
        categories: vec![0; column.categories.len()],
        missing: 0,
        rows: cells.len(),
    };
    for cell in cells {
        match cell {
            Cell::Missing => w.missing += 1,
            Cell::Number(x) if x.is_nan() => w.missing += 1,
            Cell::Number(x) => w.numbers.push(*x),
            Cell::Category(i) => {
                if let Some(c) = w.categories.get_mut(*i as usize) {
                    *c += 1;
                }
            }
        }
    }
    w
}

/// Numeric when the values are numbers (at least as many as category values).
fn kind_of(reference: &Window, current: &Window) -> FeatureKind {
    let numbers = reference.numbers.len() + current.numbers.len();
    let categories: u64 =
        reference.categories.iter().sum::<u64>() + current.categories.iter().sum::<u64>();
    if numbers as u64 >= categories && numbers > 0 {
        FeatureKind::Numeric
    } else {
        FeatureKind::Categorical
    }
}

fn share(part: usize, whole: usize) -> f64 {
    if whole == 0 {
        0.0
    } else {
        part as f64 / whole as f64
    }
}

/// Drift of one column between two windows.
pub fn feature_drift(
    column: &FeatureColumn,
    timestamps_ns: &[i64],
    reference: TimeRange,
    current: TimeRange,
    thresholds: &Thresholds,
) -> FeatureDrift {
    let mut r = window_of(column, timestamps_ns, reference);
    r.numbers.sort_unstable_by(f64::total_cmp);
    let c = window_of(column, timestamps_ns, current);
    measure(column, &r, c, thresholds)
}

/// Drift of one column between a reference window (its numbers sorted) and a current one.
fn measure(
    column: &FeatureColumn,
    r: &Window,
    mut c: Window,
    thresholds: &Thresholds,
) -> FeatureDrift {
    let kind = kind_of(r, &c);
    let small = r.rows <= thresholds.small_reference_rows;
    let mut metrics = Vec::with_capacity(6);
    let mut new_categories = Vec::new();
    let mut new_rows = 0u64;
    let primary = match kind {
        FeatureKind::Numeric => {
            c.numbers.sort_unstable_by(f64::total_cmp);
            let (stat, p) = ks_sorted(&r.numbers, &c.numbers, small);
            let ks = Metric {
                method: Method::Ks,
                score: stat,
                p_value: Some(p),
                drifted: p <= thresholds.p_value,
            };
            let wd =
                wasserstein_sorted(&r.numbers, &c.numbers) / population_std(&r.numbers).max(0.001);
            let wasserstein = Metric {
                method: Method::Wasserstein,
                score: wd,
                p_value: None,
                drifted: wd >= thresholds.wasserstein,
            };
            let (rs, cs) = binned_numeric(&r.numbers, &c.numbers, true);
            let psi_value = psi(&rs, &cs);
            let kl = kl_divergence(&rs, &cs);
            if small {
                metrics.push(ks);
                metrics.push(wasserstein);
            } else {
                metrics.push(wasserstein);
                metrics.push(ks);
            }
            metrics.push(Metric {
                method: Method::Psi,
                score: psi_value,
                p_value: None,
                drifted: psi_value >= thresholds.psi,
            });
            metrics.push(Metric {
                method: Method::KlDiv,
                score: kl,
                p_value: None,
                drifted: kl >= thresholds.kl_div,
            });
            if small {
                Method::Ks
            } else {
                Method::Wasserstein
            }
        }
        FeatureKind::Categorical => {
            // Numbers in a mostly-categorical column count as their own categories.
            let mut ref_counts = r.categories.clone();
            let mut cur_counts = c.categories.clone();
            let mut extra: HashMap<u64, usize> = HashMap::new();
            for (numbers, which) in [(&r.numbers, 0), (&c.numbers, 1)] {
                for x in numbers {
                    let next = ref_counts.len() + extra.len();
                    let slot = *extra.entry(canonical_bits(*x)).or_insert(next);
                    if ref_counts.len() <= slot {
                        ref_counts.resize(slot + 1, 0);
                        cur_counts.resize(slot + 1, 0);
                    }
                    let counts = if which == 0 {
                        &mut ref_counts
                    } else {
                        &mut cur_counts
                    };
                    if let Some(k) = counts.get_mut(slot) {
                        *k += 1;
                    }
                }
            }
            let (chi_stat, chi_p) = chi_square_counts(&ref_counts, &cur_counts);
            let chi = Metric {
                method: Method::ChiSquare,
                score: chi_stat,
                p_value: Some(chi_p),
                drifted: chi_p <= thresholds.p_value,
            };
            let (rj, cj) = category_shares(&ref_counts, &cur_counts, false);
            let js = jensen_shannon(&rj, &cj);
            let jsm = Metric {
                method: Method::JensenShannon,
                score: js,
                p_value: None,
                drifted: js >= thresholds.jensen_shannon,
            };
            if small {
                metrics.push(chi);
                metrics.push(jsm);
            } else {
                metrics.push(jsm);
                metrics.push(chi);
            }
            let (rs, cs) = category_shares(&ref_counts, &cur_counts, true);
            let psi_value = psi(&rs, &cs);
            metrics.push(Metric {
                method: Method::Psi,
                score: psi_value,
                p_value: None,
                drifted: psi_value >= thresholds.psi,
            });
            // Never-seen categories.
            let mut fresh: Vec<(u64, usize)> = ref_counts
                .iter()
                .zip(&cur_counts)
                .enumerate()
                .filter(|(_, (a, b))| **a == 0 && **b > 0)
                .map(|(i, (_, b))| (*b, i))
                .collect();
            fresh.sort_unstable_by(|a, b| b.cmp(a));
            new_rows = fresh.iter().map(|(n, _)| n).sum();
            let number_names: HashMap<usize, f64> = extra
                .iter()
                .map(|(bits, slot)| (*slot, f64::from_bits(*bits)))
                .collect();
            new_categories = fresh
                .iter()
                .take(20)
                .map(|(_, i)| {
                    column
                        .categories
                        .get(*i)
                        .cloned()
                        .or_else(|| number_names.get(i).map(|x| x.to_string()))
                        .unwrap_or_default()
                })
                .collect();
            if small {
                Method::ChiSquare
            } else {
                Method::JensenShannon
            }
        }
    };
    let missing_share_reference = share(r.missing, r.rows);
    let missing_share_current = share(c.missing, c.rows);
    let rise = missing_share_current - missing_share_reference;
    metrics.push(Metric {
        method: Method::MissingShare,
        score: rise,
        p_value: None,
        drifted: rise >= thresholds.missing_share_rise,
    });
    if kind == FeatureKind::Categorical {
        let fresh_share = share(new_rows as usize, c.rows);
        metrics.push(Metric {
            method: Method::NewCategories,
            score: fresh_share,
            p_value: None,
            drifted: fresh_share >= thresholds.new_category_share,
        });
    }
    let drifted = metrics
        .iter()
        .find(|m| m.method == primary)
        .is_some_and(|m| m.drifted);
    FeatureDrift {
        feature: column.name.clone(),
        kind,
        reference_rows: r.rows,
        current_rows: c.rows,
        primary,
        drifted,
        metrics,
        missing_share_reference,
        missing_share_current,
        new_categories,
    }
}

/// Drift of every feature of a table, then the prediction and the confidence (when present),
/// computed in parallel over features.
pub fn table_drift(
    table: &PredictionTable,
    reference: TimeRange,
    current: TimeRange,
    thresholds: &Thresholds,
) -> Vec<FeatureDrift> {
    per_column(table, |c| {
        feature_drift(c, &table.timestamp_ns, reference, current, thresholds)
    })
}

/// The columns drift is measured on: the features, then the prediction and the confidence
/// when present.
fn drift_columns(table: &PredictionTable) -> Vec<&FeatureColumn> {
    let mut columns: Vec<&FeatureColumn> = table.features.iter().collect();
    for extra in [&table.prediction, &table.confidence] {
        if extra.cells.iter().any(|c| *c != Cell::Missing) {
            columns.push(extra);
        }
    }
    columns
}

/// `f` on every drift column, in parallel over columns, results in column order.
fn per_column<T: Send>(table: &PredictionTable, f: impl Fn(&FeatureColumn) -> T + Sync) -> Vec<T> {
    let columns = drift_columns(table);
    let threads = std::thread::available_parallelism()
        .map(std::num::NonZero::get)
        .unwrap_or(1)
        .clamp(1, 16);
    let per_thread = columns.len().div_ceil(threads).max(1);
    let mut out: Vec<T> = Vec::with_capacity(columns.len());
    let f = &f;
    std::thread::scope(|scope| {
        let handles: Vec<_> = columns
            .chunks(per_thread)
            .map(|chunk| scope.spawn(move || chunk.iter().map(|c| f(c)).collect::<Vec<_>>()))
            .collect();
        for h in handles {
            if let Ok(part) = h.join() {
                out.extend(part);
            }
        }
    });
    out
}

/// One feature's chosen measure per rolling window against the reference.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct DriftSeries {
    pub feature: String,
    pub method: Method,
    pub points: Vec<DriftPoint>,
}

/// One window of a [`DriftSeries`].
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct DriftPoint {
    pub window_start_ns: i64,
    pub score: f64,
    pub drifted: bool,
}

/// Windows of `window_ns` every `step_ns` from `from_ns` until `to_ns`.
pub fn rolling_windows(from_ns: i64, to_ns: i64, window_ns: i64, step_ns: i64) -> Vec<TimeRange> {
    let mut out = Vec::new();
    if window_ns <= 0 || step_ns <= 0 {
        return out;
    }
    let mut t = from_ns;
    while t < to_ns {
        out.push(TimeRange {
            from_ns: t,
            to_ns: t.saturating_add(window_ns),
        });
        t = t.saturating_add(step_ns);
    }
    out
}

/// Drift over time: each column's primary measure (or `method`, when given and applicable)
/// in each window against the reference, one series per column (in [`table_drift`]'s order)
/// with one point per window. The reference is read and sorted once per column.
pub fn drift_over_time(
    table: &PredictionTable,
    reference: TimeRange,
    windows: &[TimeRange],
    method: Option<Method>,
    thresholds: &Thresholds,
) -> Vec<DriftSeries> {
    per_column(table, |column| {
        let mut r = window_of(column, &table.timestamp_ns, reference);
        r.numbers.sort_unstable_by(f64::total_cmp);
        let mut series = DriftSeries {
            feature: column.name.clone(),
            method: method.unwrap_or(Method::Ks),
            points: Vec::with_capacity(windows.len()),
        };
        for (i, window) in windows.iter().enumerate() {
            let c = window_of(column, &table.timestamp_ns, *window);
            let d = measure(column, &r, c, thresholds);
            let chosen = method
                .and_then(|m| d.metric(m))
                .or_else(|| d.primary_metric())
                .copied();
            let Some(m) = chosen else { continue };
            if i == 0 {
                series.method = m.method;
            }
            series.points.push(DriftPoint {
                window_start_ns: window.from_ns,
                score: m.score,
                drifted: m.drifted,
            });
        }
        series
    })
}

/// Reference rows (of a reference import) put in front of the current rows, so every function
/// here that takes one table and two time ranges measures drift against them. Reference rows get
/// stand-in timestamps from `i64::MIN` up, which the returned reference range covers; current
/// rows keep theirs. Columns are matched by name, categories merged by name.
pub fn with_reference(
    reference: &PredictionTable,
    current: &PredictionTable,
) -> (PredictionTable, TimeRange) {
    let nr = reference.timestamp_ns.len();
    let nc = current.timestamp_ns.len();
    let mut timestamp_ns: Vec<i64> = (0..nr).map(|i| i64::MIN.saturating_add(i as i64)).collect();
    timestamp_ns.extend_from_slice(&current.timestamp_ns);
    let mut names: Vec<&str> = reference
        .features
        .iter()
        .chain(&current.features)
        .map(|c| c.name.as_str())
        .collect();
    names.sort_unstable();
    names.dedup();
    let find = |t: &'_ PredictionTable, name: &str| -> Option<FeatureColumn> {
        t.features.iter().find(|c| c.name == name).cloned()
    };
    let features = names
        .iter()
        .map(|name| merge_columns(name, find(reference, name), nr, find(current, name), nc))
        .collect();
    let table = PredictionTable {
        model: current.model.clone(),
        timestamp_ns,
        features,
        prediction: merge_columns(
            "prediction",
            Some(reference.prediction.clone()),
            nr,
            Some(current.prediction.clone()),
            nc,
        ),
        confidence: merge_columns(
            "confidence",
            Some(reference.confidence.clone()),
            nr,
            Some(current.confidence.clone()),
            nc,
        ),
    };
    let range = TimeRange {
        from_ns: i64::MIN,
        to_ns: i64::MIN.saturating_add(nr as i64),
    };
    (table, range)
}

fn merge_columns(
    name: &str,
    first: Option<FeatureColumn>,
    first_rows: usize,
    second: Option<FeatureColumn>,
    second_rows: usize,
) -> FeatureColumn {
    let mut out = first.unwrap_or_default();
    out.name = name.to_owned();
    out.cells.resize(first_rows, Cell::Missing);
    let Some(second) = second else {
        out.cells.resize(first_rows + second_rows, Cell::Missing);
        return out;
    };
    let mut index: HashMap<String, u32> = out
        .categories
        .iter()
        .enumerate()
        .map(|(i, c)| (c.clone(), i as u32))
        .collect();
    let remap: Vec<u32> = second
        .categories
        .iter()
        .map(|c| {
            *index.entry(c.clone()).or_insert_with(|| {
                out.categories.push(c.clone());
                (out.categories.len() - 1) as u32
            })
        })
        .collect();
    out.cells.extend(second.cells.iter().map(|cell| {
        match cell {
            Cell::Category(i) => remap
                .get(*i as usize)
                .map_or(Cell::Missing, |j| Cell::Category(*j)),
            other => *other,
        }
    }));
    out.cells.resize(first_rows + second_rows, Cell::Missing);
    out
}

#[cfg(test)]
mod reference_tests {
    use super::histogram::{HistogramBin, feature_histogram};
    use super::stats::sturges_edges;
    use super::*;

    fn table(times: &[i64], cats: &[&str], nums: &[f64]) -> PredictionTable {
        let mut categories: Vec<String> = Vec::new();
        let cells = cats
            .iter()
            .map(|c| {
                let i = categories.iter().position(|x| x == c).unwrap_or_else(|| {
                    categories.push((*c).to_owned());
                    categories.len() - 1
                });
                Cell::Category(i as u32)
            })
            .collect();
        PredictionTable {
            model: "m".into(),
            timestamp_ns: times.to_vec(),
            features: vec![
                FeatureColumn {
                    name: "country".into(),
                    cells,
                    categories,
                },
                FeatureColumn {
                    name: "x".into(),
                    cells: nums.iter().map(|x| Cell::Number(*x)).collect(),
                    categories: Vec::new(),
                },
            ],
            prediction: FeatureColumn::default(),
            confidence: FeatureColumn::default(),
        }
    }

    #[test]
    fn reference_rows_come_first_and_categories_merge_by_name() {
        let reference = table(&[50, 60], &["US", "CA"], &[1.0, 2.0]);
        let current = table(&[10, 20, 30], &["CA", "MX", "CA"], &[5.0, 6.0, 7.0]);
        let (merged, range) = with_reference(&reference, &current);
        assert_eq!(merged.timestamp_ns.len(), 5);
        assert!(range.contains(merged.timestamp_ns[1]));
        assert!(!range.contains(merged.timestamp_ns[2]));
        let country = &merged.features[0];
        assert_eq!(country.categories, vec!["US", "CA", "MX"]);
        assert_eq!(country.cells[2], Cell::Category(1));
        assert_eq!(country.cells[3], Cell::Category(2));
        let current_range = TimeRange {
            from_ns: 0,
            to_ns: 100,
        };
        let d = feature_drift(
            country,
            &merged.timestamp_ns,
            range,
            current_range,
            &Thresholds::default(),
        );
        assert_eq!(d.reference_rows, 2);
        assert_eq!(d.current_rows, 3);
        assert_eq!(d.new_categories, vec!["MX"]);
        let h = feature_histogram(country, &merged.timestamp_ns, range, current_range);
        assert_eq!(h.kind, FeatureKind::Categorical);
        let ca = h.bins.iter().find(|b| b.label == "CA").expect("CA bar");
        assert!((ca.reference_share - 0.5).abs() < 1e-12);
        assert!((ca.current_share - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn numeric_histogram_uses_sturges_bins_and_shows_the_shift() {
        // 200 reference values 0..100, 200 current values shifted up by 50.
        let times: Vec<i64> = (0..400).collect();
        let nums: Vec<f64> = (0..400)
            .map(|i| {
                if i < 200 {
                    i as f64 / 2.0
                } else {
                    (i - 200) as f64 / 2.0 + 50.0
                }
            })
            .collect();
        let cats: Vec<&str> = vec!["a"; 400];
        let t = table(&times, &cats, &nums);
        let reference = TimeRange {
            from_ns: 0,
            to_ns: 200,
        };
        let current = TimeRange {
            from_ns: 200,
            to_ns: 400,
        };
        let h = feature_histogram(&t.features[1], &t.timestamp_ns, reference, current);
        assert_eq!(h.kind, FeatureKind::Numeric);
        assert_eq!(h.bins.len() + 1, sturges_edges(&nums).len());
        for pair in h.bins.windows(2) {
            assert_eq!(pair[0].hi, pair[1].lo);
        }
        let sum = |f: fn(&HistogramBin) -> f64| h.bins.iter().map(f).sum::<f64>();
        assert!((sum(|b| b.reference_share) - 1.0).abs() < 1e-12);
        assert!((sum(|b| b.current_share) - 1.0).abs() < 1e-12);
        let first = &h.bins[0];
        let last = &h.bins[h.bins.len() - 1];
        assert!(first.reference_share > 0.0 && first.current_share == 0.0);
        assert!(last.current_share > 0.0 && last.reference_share == 0.0);
        // Drift over time: one series per column, one point per window.
        let windows = rolling_windows(0, 400, 200, 200);
        let series = drift_over_time(&t, reference, &windows, None, &Thresholds::default());
        assert_eq!(series.len(), 2);
        assert_eq!(series[1].feature, "x");
        assert_eq!(series[1].points.len(), 2);
        assert!(!series[1].points[0].drifted && series[1].points[1].drifted);
    }
}
