//! Reference and current distributions of one column as bars, for the Drift tab to draw over
//! each other.

use serde::Serialize;

use super::stats::{distinct_sorted, histogram, sturges_edges};
use super::{FeatureKind, TimeRange, kind_of, share, window_of};
use crate::store::FeatureColumn;

/// One bar of a [`FeatureHistogram`].
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct HistogramBin {
    /// The category, or the bin's range.
    pub label: String,
    /// Numeric bins: `[lo, hi)`; categories: their rank (`lo`) and `lo + 1`.
    pub lo: f64,
    pub hi: f64,
    /// Shares (0 to 1) of the window's non-missing values.
    pub reference_share: f64,
    pub current_share: f64,
}

/// Reference and current distributions of one column, for drawing them over each other.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct FeatureHistogram {
    pub feature: String,
    pub kind: FeatureKind,
    pub bins: Vec<HistogramBin>,
}

/// Categories beyond this many (by rows) are drawn as one "other" bar.
const SHOWN_CATEGORIES: usize = 24;

/// The histogram of one column in both windows: the Sturges bins the drift measures use
/// (numeric features with more than 30 distinct reference values), one bar per value for
/// fewer, one bar per category (the most frequent first) for categorical ones.
pub fn feature_histogram(
    column: &FeatureColumn,
    timestamps_ns: &[i64],
    reference: TimeRange,
    current: TimeRange,
) -> FeatureHistogram {
    let mut r = window_of(column, timestamps_ns, reference);
    let mut c = window_of(column, timestamps_ns, current);
    let kind = kind_of(&r, &c);
    let shares = |counts: &[u64], n: usize| -> Vec<f64> {
        counts.iter().map(|k| *k as f64 / n.max(1) as f64).collect()
    };
    let bins = match kind {
        FeatureKind::Numeric => {
            r.numbers.sort_unstable_by(f64::total_cmp);
            c.numbers.sort_unstable_by(f64::total_cmp);
            if distinct_sorted(&r.numbers) > 30 {
                let mut all = r.numbers.clone();
                all.extend_from_slice(&c.numbers);
                let edges = sturges_edges(&all);
                let rs = shares(&histogram(&r.numbers, &edges), r.numbers.len());
                let cs = shares(&histogram(&c.numbers, &edges), c.numbers.len());
                edges
                    .windows(2)
                    .zip(rs.iter().zip(&cs))
                    .map(|(e, (a, b))| {
                        let (lo, hi) = (e.first().copied(), e.get(1).copied());
                        let (lo, hi) = (lo.unwrap_or(0.0), hi.unwrap_or(0.0));
                        HistogramBin {
                            label: format!("{} to {}", short_number(lo), short_number(hi)),
                            lo,
                            hi,
                            reference_share: *a,
                            current_share: *b,
                        }
                    })
                    .collect()
            } else {
                let mut values: Vec<f64> = r.numbers.iter().chain(&c.numbers).copied().collect();
                values.sort_unstable_by(f64::total_cmp);
                values.dedup();
                let count = |v: &[f64], x: f64| {
                    v.partition_point(|y| *y < x)..v.partition_point(|y| *y <= x)
                };
                values
                    .iter()
                    .enumerate()
                    .map(|(i, x)| HistogramBin {
                        label: short_number(*x),
                        lo: i as f64,
                        hi: i as f64 + 1.0,
                        reference_share: share(count(&r.numbers, *x).len(), r.numbers.len()),
                        current_share: share(count(&c.numbers, *x).len(), c.numbers.len()),
                    })
                    .collect()
            }
        }
        FeatureKind::Categorical => {
            let nr = r.categories.iter().sum::<u64>() as usize;
            let nc = c.categories.iter().sum::<u64>() as usize;
            let mut order: Vec<usize> = (0..column.categories.len())
                .filter(|i| {
                    r.categories.get(*i).copied().unwrap_or(0)
                        + c.categories.get(*i).copied().unwrap_or(0)
                        > 0
                })
                .collect();
            let rows = |i: &usize| {
                r.categories.get(*i).copied().unwrap_or(0)
                    + c.categories.get(*i).copied().unwrap_or(0)
            };
            order.sort_by_key(|i| std::cmp::Reverse(rows(i)));
            let mut bins: Vec<HistogramBin> = order
                .iter()
                .take(SHOWN_CATEGORIES)
                .enumerate()
                .map(|(rank, i)| HistogramBin {
                    label: column.categories.get(*i).cloned().unwrap_or_default(),
                    lo: rank as f64,
                    hi: rank as f64 + 1.0,
                    reference_share: share(r.categories.get(*i).copied().unwrap_or(0) as usize, nr),
                    current_share: share(c.categories.get(*i).copied().unwrap_or(0) as usize, nc),
                })
                .collect();
            let rest = order.get(SHOWN_CATEGORIES..).unwrap_or_default();
            if !rest.is_empty() {
                let sum = |counts: &[u64]| -> usize {
                    rest.iter()
                        .map(|i| counts.get(*i).copied().unwrap_or(0) as usize)
                        .sum()
                };
                let rank = bins.len() as f64;
                bins.push(HistogramBin {
                    label: format!("{} others", rest.len()),
                    lo: rank,
                    hi: rank + 1.0,
                    reference_share: share(sum(&r.categories), nr),
                    current_share: share(sum(&c.categories), nc),
                });
            }
            bins
        }
    };
    FeatureHistogram {
        feature: column.name.clone(),
        kind,
        bins,
    }
}

/// A number as a short axis or bin label.
fn short_number(x: f64) -> String {
    if x == x.trunc() && x.abs() < 1e15 {
        format!("{x:.0}")
    } else if x.abs() >= 100.0 {
        format!("{x:.1}")
    } else {
        format!("{x:.3}")
    }
}
