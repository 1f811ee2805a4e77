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
// Statistics on plain slices (these are what the SciPy fixture checks).

/// Two-sample Kolmogorov-Smirnov test, two-sided, as SciPy's `ks_2samp(a, b)` (method
/// `auto`): the exact p-value when neither sample exceeds 10 000 values, else the asymptotic
/// Kolmogorov distribution. Returns `(statistic, p_value)`; empty input gives `(0, 1)`.
pub fn ks_2samp(a: &[f64], b: &[f64]) -> (f64, f64) {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    ks_sorted(&a, &b, true)
}

/// [`ks_2samp`] on sorted samples; `exact_allowed` false always uses the asymptotic p-value.
fn ks_sorted(a: &[f64], b: &[f64], exact_allowed: bool) -> (f64, f64) {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return (0.0, 1.0);
    }
    // Integer form of max |F1 - F2|: |i * n2 - j * n1| over the merged steps.
    let (mut i, mut j) = (0usize, 0usize);
    let mut max_diff: u128 = 0;
    while i < n1 || j < n2 {
        let x = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.min(*y),
            (Some(x), None) => *x,
            (None, Some(y)) => *y,
            (None, None) => break,
        };
        while a.get(i).is_some_and(|v| *v <= x) {
            i += 1;
        }
        while b.get(j).is_some_and(|v| *v <= x) {
            j += 1;
        }
        let diff = (i as i128 * n2 as i128 - j as i128 * n1 as i128).unsigned_abs();
        max_diff = max_diff.max(diff);
    }
    let g = gcd(n1 as u128, n2 as u128);
    let lcm = (n1 as u128 / g) * n2 as u128;
    // d * lcm = max_diff / g exactly.
    let h = max_diff / g;
    let d = h as f64 / lcm as f64;
    if h == 0 {
        return (d, 1.0);
    }
    if exact_allowed && n1.max(n2) <= 10_000 {
        let p = 1.0 - prob_inside(n1, n2, max_diff);
        return (d, p.clamp(0.0, 1.0));
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round();
    (d, kolmogorov_sf(en.sqrt() * d).clamp(0.0, 1.0))
}

fn gcd(mut a: u128, mut b: u128) -> u128 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a.max(1)
}

/// Probability that a uniformly random lattice path from (0,0) to (n1,n2) stays strictly inside
/// `|x * n2 - y * n1| < bound`, by dynamic programming on path shares.
fn prob_inside(n1: usize, n2: usize, bound: u128) -> f64 {
    let inside = |x: usize, y: usize| {
        (x as i128 * n2 as i128 - y as i128 * n1 as i128).unsigned_abs() < bound
    };
    // row[y] = share of paths to (x, y) that stayed inside, over C(x + y, x).
    let mut row = vec![0.0f64; n2 + 1];
    for x in 0..=n1 {
        for y in 0..=n2 {
            let value = if !inside(x, y) {
                0.0
            } else if x == 0 && y == 0 {
                1.0
            } else {
                let from_left = if x > 0 {
                    row.get(y).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                let from_below = if y > 0 {
                    row.get(y - 1).copied().unwrap_or(0.0)
                } else {
                    0.0
                };
                (x as f64 * from_left + y as f64 * from_below) / (x + y) as f64
            };
            if let Some(slot) = row.get_mut(y) {
                *slot = value;
            }
        }
    }
    row.get(n2).copied().unwrap_or(0.0)
}

/// Survival function of the Kolmogorov distribution, P(K > x).
pub fn kolmogorov_sf(x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    if x < 1.18 {
        // P(K <= x) = sqrt(2 pi) / x * sum exp(-(2k-1)^2 pi^2 / (8 x^2)).
        let w = (2.0 * std::f64::consts::PI).sqrt() / x;
        let c = std::f64::consts::PI * std::f64::consts::PI / (8.0 * x * x);
        let cdf: f64 = (1..=8)
            .map(|k| {
                let odd = f64::from(2 * k - 1);
                (-odd * odd * c).exp()
            })
            .sum::<f64>()
            * w;
        return (1.0 - cdf).clamp(0.0, 1.0);
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let kf = f64::from(k);
        let term = (-2.0 * kf * kf * x * x).exp();
        sum += if k % 2 == 1 { term } else { -term };
        if term < 1e-17 {
            break;
        }
    }
    (2.0 * sum).clamp(0.0, 1.0)
}

/// SciPy's `wasserstein_distance(a, b)` on sorted samples.
fn wasserstein_sorted(a: &[f64], b: &[f64]) -> f64 {
    let (n1, n2) = (a.len() as f64, b.len() as f64);
    if a.is_empty() || b.is_empty() {
        return 0.0;
    }
    let (mut i, mut j) = (0usize, 0usize);
    let mut total = 0.0;
    let mut prev: Option<f64> = None;
    loop {
        let x = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => x.min(*y),
            (Some(x), None) => *x,
            (None, Some(y)) => *y,
            (None, None) => break,
        };
        if let Some(p) = prev {
            // CDFs as they were over (p, x).
            let diff = (i as f64 / n1 - j as f64 / n2).abs();
            total += diff * (x - p);
        }
        while a.get(i).is_some_and(|v| *v <= x) {
            i += 1;
        }
        while b.get(j).is_some_and(|v| *v <= x) {
            j += 1;
        }
        prev = Some(x);
    }
    total
}

/// SciPy's `wasserstein_distance(a, b)`.
pub fn wasserstein_distance(a: &[f64], b: &[f64]) -> f64 {
    let mut a = a.to_vec();
    let mut b = b.to_vec();
    a.sort_unstable_by(f64::total_cmp);
    b.sort_unstable_by(f64::total_cmp);
    wasserstein_sorted(&a, &b)
}

/// Evidently's normed Wasserstein: the distance over `max(std(reference), 0.001)` (population
/// standard deviation).
pub fn wasserstein_normed(reference: &[f64], current: &[f64]) -> f64 {
    wasserstein_distance(reference, current) / population_std(reference).max(0.001)
}

fn population_std(v: &[f64]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let n = v.len() as f64;
    let mean = v.iter().sum::<f64>() / n;
    (v.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / n).sqrt()
}

/// NumPy's `histogram_bin_edges(data, bins="sturges")`.
pub fn sturges_edges(data: &[f64]) -> Vec<f64> {
    let (mut lo, mut hi) = data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), x| {
            (lo.min(*x), hi.max(*x))
        });
    if data.is_empty() {
        (lo, hi) = (0.0, 1.0);
    }
    if lo == hi {
        lo -= 0.5;
        hi += 0.5;
    }
    let ptp = data
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(l, h), x| {
            (l.min(*x), h.max(*x))
        });
    let ptp = if data.is_empty() { 0.0 } else { ptp.1 - ptp.0 };
    let width = ptp / ((data.len() as f64).log2() + 1.0);
    let bins = if width > 0.0 {
        ((hi - lo) / width).ceil().max(1.0) as usize
    } else {
        1
    };
    // np.linspace(lo, hi, bins + 1)
    let step = (hi - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|k| lo + k as f64 * step).collect();
    if let Some(last) = edges.last_mut() {
        *last = hi;
    }
    edges
}

/// NumPy's `histogram(data, edges)[0]` with explicit edges: `[e_i, e_i+1)`, the last bin
/// closed.
pub fn histogram(data: &[f64], edges: &[f64]) -> Vec<u64> {
    let bins = edges.len().saturating_sub(1);
    let mut counts = vec![0u64; bins];
    let (Some(first), Some(last)) = (edges.first().copied(), edges.last().copied()) else {
        return counts;
    };
    for &x in data {
        if !(x >= first && x <= last) {
            continue;
        }
        let k = edges
            .partition_point(|e| *e <= x)
            .saturating_sub(1)
            .min(bins.saturating_sub(1));
        if let Some(c) = counts.get_mut(k) {
            *c += 1;
        }
    }
    counts
}

/// Evidently's zero handling: empty bins get 0.0001, or a millionth of the smallest non-empty
/// share when that is itself 0.0001 or less.
fn fill_zeros(shares: &mut [f64]) {
    let smallest = shares
        .iter()
        .copied()
        .filter(|s| *s != 0.0)
        .fold(f64::INFINITY, f64::min);
    if !smallest.is_finite() {
        return;
    }
    let fill = if smallest <= 0.0001 {
        smallest / 1e6
    } else {
        0.0001
    };
    for s in shares.iter_mut().filter(|s| **s == 0.0) {
        *s = fill;
    }
}

/// Population stability index of two share vectors (zeros already filled).
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(r, c)| (r - c) * (r / c).ln())
        .sum()
}

/// SciPy's `entropy(p, q)`: KL divergence after normalizing both.
pub fn kl_divergence(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    p.iter().zip(q).map(|(a, b)| rel_entr(a / sp, b / sq)).sum()
}

fn rel_entr(x: f64, y: f64) -> f64 {
    if x > 0.0 && y > 0.0 {
        x * (x / y).ln()
    } else if x == 0.0 && y >= 0.0 {
        0.0
    } else {
        f64::INFINITY
    }
}

/// SciPy's `distance.jensenshannon(p, q)` (natural log).
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    if sp <= 0.0 || sq <= 0.0 {
        return 0.0;
    }
    let mut js = 0.0;
    for (a, b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        js += rel_entr(a, m) + rel_entr(b, m);
    }
    (js / 2.0).max(0.0).sqrt()
}

/// SciPy's `chisquare(f_obs, f_exp)`: `(statistic, p_value)` with `k - 1` degrees of freedom.
/// An observed count where none was expected gives an infinite statistic and p = 0.
pub fn chi_square(observed: &[f64], expected: &[f64]) -> (f64, f64) {
    let mut stat = 0.0;
    for (o, e) in observed.iter().zip(expected) {
        if *e > 0.0 {
            stat += (o - e) * (o - e) / e;
        } else if *o > 0.0 {
            stat = f64::INFINITY;
        }
    }
    let dof = observed.len().saturating_sub(1) as f64;
    if dof <= 0.0 {
        return (stat, f64::NAN);
    }
    let p = if stat.is_infinite() {
        0.0
    } else {
        gamma_q(dof / 2.0, stat / 2.0)
    };
    (stat, p)
}

/// ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9; about 15 significant digits).
fn ln_gamma(x: f64) -> f64 {
    const COEF: [f64; 9] = [
        0.999_999_999_999_809_9,
        676.520_368_121_885_1,
        -1_259.139_216_722_402_8,
        771.323_428_777_653_1,
        -176.615_029_162_140_6,
        12.507_343_278_686_905,
        -0.138_571_095_265_720_12,
        9.984_369_578_019_572e-6,
        1.505_632_735_149_311_6e-7,
    ];
    if x < 0.5 {
        let pi = std::f64::consts::PI;
        return (pi / (pi * x).sin()).ln() - ln_gamma(1.0 - x);
    }
    let x = x - 1.0;
    let t = x + 7.5;
    let a = COEF
        .iter()
        .enumerate()
        .map(|(i, c)| if i == 0 { *c } else { c / (x + i as f64) })
        .sum::<f64>();
    0.5 * (2.0 * std::f64::consts::PI).ln() + (x + 0.5) * t.ln() - t + a.ln()
}

/// Regularized upper incomplete gamma Q(a, x) (series or continued fraction).
fn gamma_q(a: f64, x: f64) -> f64 {
    if x <= 0.0 {
        return 1.0;
    }
    let gln = ln_gamma(a);
    if x < a + 1.0 {
        let mut ap = a;
        let mut sum = 1.0 / a;
        let mut del = sum;
        for _ in 0..10_000 {
            ap += 1.0;
            del *= x / ap;
            sum += del;
            if del.abs() < sum.abs() * 1e-16 {
                break;
            }
        }
        (1.0 - sum * (-x + a * x.ln() - gln).exp()).clamp(0.0, 1.0)
    } else {
        let tiny = 1e-300;
        let mut b = x + 1.0 - a;
        let mut c = 1.0 / tiny;
        let mut d = 1.0 / b;
        let mut h = d;
        for i in 1..10_000 {
            let an = -(i as f64) * (i as f64 - a);
            b += 2.0;
            d = an * d + b;
            if d.abs() < tiny {
                d = tiny;
            }
            c = b + an / c;
            if c.abs() < tiny {
                c = tiny;
            }
            d = 1.0 / d;
            let del = d * c;
            h *= del;
            if (del - 1.0).abs() < 1e-16 {
                break;
            }
        }
        ((-x + a * x.ln() - gln).exp() * h).clamp(0.0, 1.0)
    }
}

/// Evidently's binned shares of a numeric feature for PSI, KL and JS: Sturges bins over both
/// samples when the reference has more than 30 distinct values, else one bin per value.
/// `fill` applies the zero handling. Inputs sorted.
pub fn binned_numeric(reference: &[f64], current: &[f64], fill: bool) -> (Vec<f64>, Vec<f64>) {
    let distinct = distinct_sorted(reference);
    let (mut r, mut c) = if distinct > 30 {
        let mut all = Vec::with_capacity(reference.len() + current.len());
        all.extend_from_slice(reference);
        all.extend_from_slice(current);
        let edges = sturges_edges(&all);
        let share = |counts: Vec<u64>, n: usize| -> Vec<f64> {
            counts
                .into_iter()
                .map(|k| k as f64 / n.max(1) as f64)
                .collect()
        };
        (
            share(histogram(reference, &edges), reference.len()),
            share(histogram(current, &edges), current.len()),
        )
    } else {
        let mut counts: HashMap<u64, (u64, u64)> = HashMap::new();
        for x in reference {
            counts.entry(canonical_bits(*x)).or_default().0 += 1;
        }
        for x in current {
            counts.entry(canonical_bits(*x)).or_default().1 += 1;
        }
        let mut keys: Vec<_> = counts.into_iter().collect();
        keys.sort_unstable_by_key(|(k, _)| *k);
        let nr = reference.len().max(1) as f64;
        let nc = current.len().max(1) as f64;
        keys.iter()
            .map(|(_, (a, b))| (*a as f64 / nr, *b as f64 / nc))
            .unzip()
    };
    if fill {
        fill_zeros(&mut r);
        fill_zeros(&mut c);
    }
    (r, c)
}

fn canonical_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

fn distinct_sorted(v: &[f64]) -> usize {
    let mut n = 0;
    let mut prev: Option<f64> = None;
    for x in v {
        if prev != Some(*x) {
            n += 1;
            prev = Some(*x);
        }
    }
    n
}

/// Per-category shares of both windows over the union of categories (index = category).
pub fn category_shares(reference: &[u64], current: &[u64], fill: bool) -> (Vec<f64>, Vec<f64>) {
    let nr = reference.iter().sum::<u64>().max(1) as f64;
    let nc = current.iter().sum::<u64>().max(1) as f64;
    let (mut r, mut c): (Vec<f64>, Vec<f64>) = reference
        .iter()
        .zip(current)
        .filter(|(a, b)| **a + **b > 0)
        .map(|(a, b)| (*a as f64 / nr, *b as f64 / nc))
        .unzip();
    if fill {
        fill_zeros(&mut r);
        fill_zeros(&mut c);
    }
    (r, c)
}

/// Evidently's chi-square test on category counts: expected = reference counts scaled to the
/// current total.
pub fn chi_square_counts(reference: &[u64], current: &[u64]) -> (f64, f64) {
    let nr = reference.iter().sum::<u64>();
    let nc = current.iter().sum::<u64>();
    if nr == 0 || nc == 0 {
        return (0.0, 1.0);
    }
    let k_norm = nc as f64 / nr as f64;
    let (observed, expected): (Vec<f64>, Vec<f64>) = reference
        .iter()
        .zip(current)
        .filter(|(a, b)| **a + **b > 0)
        .map(|(a, b)| (*b as f64, *a as f64 * k_norm))
        .unzip();
    chi_square(&observed, &expected)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn identical_samples_do_not_drift() {
        let a: Vec<f64> = (0..500).map(f64::from).collect();
        let (d, p) = ks_2samp(&a, &a);
        assert_eq!(d, 0.0);
        assert_eq!(p, 1.0);
        assert!(wasserstein_normed(&a, &a).abs() < 1e-12);
        let (r, c) = binned_numeric(&a, &a, true);
        assert!(psi(&r, &c).abs() < 1e-12);
    }

    #[test]
    fn histogram_matches_numpy_edges() {
        let data = [0.0, 1.0, 2.0, 3.0, 4.0];
        let edges = sturges_edges(&data);
        // log2(5) + 1 = 3.32 -> 4 bins of width 1.
        assert_eq!(edges.len(), 5);
        assert_eq!(histogram(&data, &edges), vec![1, 1, 1, 2]);
    }

    #[test]
    fn kolmogorov_tail() {
        // P(K > 1.36) is about 0.05.
        assert!((kolmogorov_sf(1.358_1) - 0.05).abs() < 1e-3);
        assert!((kolmogorov_sf(0.5) - 0.963_945).abs() < 1e-5);
    }
}

#[cfg(test)]
mod reference_tests {
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
