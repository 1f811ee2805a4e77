//! The statistics drift is measured with, on plain slices, as SciPy and Evidently compute them
//! (the SciPy fixture checks these): Kolmogorov-Smirnov, Wasserstein, Sturges bins and
//! histograms, PSI, KL divergence, Jensen-Shannon distance, chi-square.

use std::collections::HashMap;

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
pub(super) fn ks_sorted(a: &[f64], b: &[f64], exact_allowed: bool) -> (f64, f64) {
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
pub(super) fn wasserstein_sorted(a: &[f64], b: &[f64]) -> f64 {
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

pub(super) fn population_std(v: &[f64]) -> f64 {
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

pub(super) fn canonical_bits(x: f64) -> u64 {
    if x == 0.0 { 0 } else { x.to_bits() }
}

pub(super) fn distinct_sorted(v: &[f64]) -> usize {
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
