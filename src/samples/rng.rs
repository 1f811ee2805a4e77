//! The sample generator's seeded randomness: ids, distributions (normal, lognormal, weighted
//! choice) and provider-style identifiers, all drawn from one `fastrand::Rng` so a seed always
//! yields the same bytes.

use crate::model::{SpanId, TraceId};

const BASE62: &[u8] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

/// Seeded random source with the helpers the generators need.
pub(crate) struct Gen {
    rng: fastrand::Rng,
}

impl Gen {
    pub(crate) fn new(seed: u64) -> Self {
        Self {
            rng: fastrand::Rng::with_seed(seed),
        }
    }

    /// A non-zero trace id.
    pub(crate) fn trace_id(&mut self) -> TraceId {
        let mut b = [0u8; 16];
        while b == [0u8; 16] {
            self.rng.fill(&mut b);
        }
        b
    }

    /// A non-zero span id.
    pub(crate) fn span_id(&mut self) -> SpanId {
        let mut b = [0u8; 8];
        while b == [0u8; 8] {
            self.rng.fill(&mut b);
        }
        b
    }

    /// Uniform in [0, 1).
    pub(crate) fn f64(&mut self) -> f64 {
        self.rng.f64()
    }

    pub(crate) fn chance(&mut self, p: f64) -> bool {
        self.rng.f64() < p
    }

    /// Uniform in `lo..hi` (returns `lo` when the range is empty).
    pub(crate) fn range(&mut self, lo: u64, hi: u64) -> u64 {
        if hi <= lo { lo } else { self.rng.u64(lo..hi) }
    }

    /// Uniform in `lo..=hi` (returns `lo` when the range is empty).
    pub(crate) fn between(&mut self, lo: usize, hi: usize) -> usize {
        if hi <= lo {
            lo
        } else {
            self.rng.usize(lo..=hi)
        }
    }

    /// Standard normal (Box-Muller).
    pub(crate) fn normal(&mut self) -> f64 {
        let u1 = self.rng.f64().max(1e-12);
        let u2 = self.rng.f64();
        (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
    }

    /// Lognormal with the given median and log-space sigma.
    pub(crate) fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        median * (sigma * self.normal()).exp()
    }

    /// A lognormal duration in milliseconds, clamped to `[min_ms, max_ms]`, as nanoseconds.
    pub(crate) fn dur_ms(&mut self, median_ms: f64, sigma: f64, min_ms: f64, max_ms: f64) -> u64 {
        ms(self.lognormal(median_ms, sigma).clamp(min_ms, max_ms))
    }

    /// One item of a non-empty slice.
    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        let i = self.rng.usize(..items.len().max(1));
        &items[i.min(items.len().saturating_sub(1))]
    }

    /// One string of a non-empty list.
    pub(crate) fn pick_str(&mut self, items: &[&'static str]) -> &'static str {
        let i = self.rng.usize(..items.len().max(1));
        items.get(i).copied().unwrap_or_default()
    }

    /// An index drawn with the given (non-negative) weights.
    pub(crate) fn weighted(&mut self, weights: &[f64]) -> usize {
        let total: f64 = weights.iter().sum();
        let mut x = self.rng.f64() * total;
        for (i, w) in weights.iter().enumerate() {
            if x < *w {
                return i;
            }
            x -= w;
        }
        weights.len().saturating_sub(1)
    }

    /// `n` characters of [0-9A-Za-z].
    pub(crate) fn base62(&mut self, n: usize) -> String {
        (0..n)
            .map(|_| char::from(BASE62[self.rng.usize(..BASE62.len())]))
            .collect()
    }

    /// `n` random bytes as lowercase hex.
    pub(crate) fn hex(&mut self, n: usize) -> String {
        let mut b = vec![0u8; n];
        self.rng.fill(&mut b);
        crate::model::hex_lower(&b)
    }

    /// An Anthropic tool-use id: `toolu_01` + 22 base62 characters.
    pub(crate) fn toolu_id(&mut self) -> String {
        format!("toolu_01{}", self.base62(22))
    }
}

/// Milliseconds (fractional) as nanoseconds.
pub(crate) fn ms(v: f64) -> u64 {
    (v.max(0.0) * 1_000_000.0).round() as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_seed_same_draws() {
        let mut a = Gen::new(7);
        let mut b = Gen::new(7);
        assert_eq!(a.trace_id(), b.trace_id());
        assert_eq!(a.toolu_id(), b.toolu_id());
        assert_eq!(
            a.dur_ms(100.0, 0.5, 1.0, 1e4),
            b.dur_ms(100.0, 0.5, 1.0, 1e4)
        );
    }

    #[test]
    fn lognormal_median_is_about_right() {
        let mut g = Gen::new(1);
        let mut v: Vec<f64> = (0..2001).map(|_| g.lognormal(50.0, 0.8)).collect();
        v.sort_by(f64::total_cmp);
        let median = v[1000];
        assert!((40.0..60.0).contains(&median), "median {median}");
    }
}
