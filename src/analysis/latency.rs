//! Latency statistics over span durations (the columns of [`Durations`]): p50/p95/p99 per time
//! bucket (overall and per group), a log-binned histogram of durations, a summary per group,
//! the slowest operations for the Overview, and the downsampling of scatter points for plots.
//!
//! Percentiles are **nearest-rank**: the p-th percentile of `n` values is the value of rank
//! `ceil(p/100 * n)` (1-based) in ascending order, so it is always one of the observed
//! durations. They are found with `select_nth_unstable` per bucket (no full sort).

use crate::store::Durations;

/// The percentiles computed everywhere, in per-mille: p50, p95, p99.
pub const PERCENTILES_PERMILLE: [u32; 3] = [500, 950, 990];

/// Bucket counts the automatic width aims for.
pub const MIN_AUTO_BUCKETS: i64 = 60;
pub const MAX_AUTO_BUCKETS: i64 = 120;

/// Default downsampling grid: at most `cols * rows + 2 * cols` points survive (~50k).
pub const DEFAULT_GRID: DownsampleGrid = DownsampleGrid {
    cols: 1000,
    rows: 48,
};

/// Count, nearest-rank p50/p95/p99 and maximum of a set of durations.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stats {
    pub count: u64,
    pub p50_ns: i64,
    pub p95_ns: i64,
    pub p99_ns: i64,
    pub max_ns: i64,
}

/// The 0-based index of the nearest-rank `permille` percentile among `n` sorted values.
pub fn nearest_rank_index(n: usize, permille: u32) -> usize {
    if n == 0 {
        return 0;
    }
    let p = u128::from(permille.min(1000));
    let rank = (p * n as u128).div_ceil(1000) as usize;
    rank.clamp(1, n) - 1
}

/// Stats of `durs_ns` (reordered in place); `None` when empty.
pub fn stats_of(durs_ns: &mut [i64]) -> Option<Stats> {
    let n = durs_ns.len();
    if n == 0 {
        return None;
    }
    let mut values = [0i64; 3];
    let mut rest: &mut [i64] = durs_ns;
    let mut base = 0usize;
    let mut last: Option<(usize, i64)> = None;
    for (slot, permille) in values.iter_mut().zip(PERCENTILES_PERMILLE) {
        let rank = nearest_rank_index(n, permille);
        if let Some((last_rank, last_value)) = last
            && rank == last_rank
        {
            *slot = last_value;
            continue;
        }
        let local = rank.saturating_sub(base);
        let region = std::mem::take(&mut rest);
        if local >= region.len() {
            // Cannot happen with ascending ranks below n; keep the last value to be safe.
            *slot = last.map_or(0, |(_, v)| v);
            rest = region;
            continue;
        }
        let (_, value, right) = region.select_nth_unstable(local);
        *slot = *value;
        last = Some((rank, *value));
        base = rank + 1;
        rest = right;
    }
    let [p50_ns, p95_ns, p99_ns] = values;
    let max_ns = rest.iter().copied().max().unwrap_or(p99_ns).max(p99_ns);
    Some(Stats {
        count: n as u64,
        p50_ns,
        p95_ns,
        p99_ns,
        max_ns,
    })
}

/// Time buckets of equal width: bucket `i` covers `[origin_ns + i*width_ns, origin_ns + (i+1)*width_ns)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Buckets {
    pub origin_ns: i64,
    pub width_ns: i64,
    pub count: usize,
}

/// Widths the automatic choice picks from, in ns: round clock units, each at most ~2x the last.
const NICE_WIDTHS_NS: &[i64] = &[
    1_000_000,
    2_000_000,
    3_000_000,
    5_000_000,
    10_000_000,
    20_000_000,
    30_000_000,
    50_000_000,
    100_000_000,
    200_000_000,
    300_000_000,
    500_000_000,
    1_000_000_000,
    2_000_000_000,
    3_000_000_000,
    5_000_000_000,
    10_000_000_000,
    15_000_000_000,
    20_000_000_000,
    30_000_000_000,
    60_000_000_000,
    120_000_000_000,
    180_000_000_000,
    300_000_000_000,
    600_000_000_000,
    900_000_000_000,
    1_200_000_000_000,
    1_800_000_000_000,
    3_600_000_000_000,
    7_200_000_000_000,
    10_800_000_000_000,
    21_600_000_000_000,
    43_200_000_000_000,
    86_400_000_000_000,
    172_800_000_000_000,
    259_200_000_000_000,
    604_800_000_000_000,
    1_209_600_000_000_000,
    2_592_000_000_000_000,
];

impl Buckets {
    /// Buckets of `width_ns` (at least 1), aligned to multiples of the width, covering
    /// `[min_ns, max_ns]`.
    pub fn with_width(min_ns: i64, max_ns: i64, width_ns: i64) -> Self {
        let width_ns = width_ns.max(1);
        let (lo, hi) = (min_ns.min(max_ns), min_ns.max(max_ns));
        let origin_ns = lo.div_euclid(width_ns).saturating_mul(width_ns);
        let span = i128::from(hi) - i128::from(origin_ns);
        let count = (span / i128::from(width_ns) + 1).clamp(1, 1 << 24) as usize;
        Self {
            origin_ns,
            width_ns,
            count,
        }
    }

    /// Buckets of a round width chosen so that `[min_ns, max_ns]` spans about 60-120 of them.
    pub fn auto(min_ns: i64, max_ns: i64) -> Self {
        let span = (i128::from(max_ns) - i128::from(min_ns)).unsigned_abs();
        let max_buckets = MAX_AUTO_BUCKETS as u128;
        if span < NICE_WIDTHS_NS.first().map_or(1, |w| *w as u128) * MIN_AUTO_BUCKETS as u128 {
            // Under a few tens of milliseconds: plain fractions of the span.
            let width = (span / (MIN_AUTO_BUCKETS as u128)).max(1) as i64;
            return Self::with_width(min_ns, max_ns, width);
        }
        for &width in NICE_WIDTHS_NS {
            let b = Self::with_width(min_ns, max_ns, width);
            if b.count as u128 <= max_buckets {
                return b;
            }
        }
        // Longer than years: whole multiples of 30 days.
        let month = NICE_WIDTHS_NS.last().copied().unwrap_or(1);
        let months = (span / (max_buckets * month as u128) + 1) as i64;
        Self::with_width(min_ns, max_ns, month.saturating_mul(months))
    }

    /// Buckets of `width_ns`, or automatic ones, over the starts of `d`; `None` when empty.
    pub fn for_durations(d: &Durations, width_ns: Option<i64>) -> Option<Self> {
        let (min_ns, max_ns) = time_bounds_ns(&d.start_ns)?;
        Some(match width_ns {
            Some(w) => Self::with_width(min_ns, max_ns, w),
            None => Self::auto(min_ns, max_ns),
        })
    }

    /// The bucket of a time, if inside.
    #[inline]
    pub fn index(&self, t_ns: i64) -> Option<usize> {
        let offset = t_ns.checked_sub(self.origin_ns)?;
        if offset < 0 {
            return None;
        }
        let i = (offset / self.width_ns) as usize;
        (i < self.count).then_some(i)
    }

    pub fn start_ns(&self, index: usize) -> i64 {
        self.origin_ns
            .saturating_add((index as i64).saturating_mul(self.width_ns))
    }

    pub fn mid_ns(&self, index: usize) -> i64 {
        self.start_ns(index).saturating_add(self.width_ns / 2)
    }
}

/// Smallest and largest value; `None` when empty.
pub fn time_bounds_ns(values: &[i64]) -> Option<(i64, i64)> {
    let first = *values.first()?;
    Some(
        values
            .iter()
            .fold((first, first), |(lo, hi), &v| (lo.min(v), hi.max(v))),
    )
}

/// The stats of one non-empty time bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct BucketStats {
    pub bucket: usize,
    pub start_ns: i64,
    pub stats: Stats,
}

/// Stats per key: `keys[i]` (below `n_keys`) is the key of `durs_ns[i]`. Returns the non-empty
/// keys in ascending order.
fn stats_by_key(keys: &[u32], durs_ns: &[i64], n_keys: usize) -> Vec<(usize, Stats)> {
    // Counting sort of the durations by key, then a selection per key.
    let mut offsets = vec![0usize; n_keys + 1];
    for &k in keys {
        if let Some(c) = offsets.get_mut(k as usize + 1) {
            *c += 1;
        }
    }
    for i in 1..offsets.len() {
        let prev = offsets.get(i - 1).copied().unwrap_or(0);
        if let Some(c) = offsets.get_mut(i) {
            *c += prev;
        }
    }
    let mut cursor: Vec<usize> = offsets.iter().take(n_keys).copied().collect();
    let mut flat = vec![0i64; offsets.last().copied().unwrap_or(0)];
    for (&k, &d) in keys.iter().zip(durs_ns) {
        if let Some(pos) = cursor.get_mut(k as usize)
            && let Some(slot) = flat.get_mut(*pos)
        {
            *slot = d;
            *pos += 1;
        }
    }
    let mut out = Vec::new();
    for (key, w) in offsets.windows(2).enumerate() {
        if let [from, to] = *w
            && to > from
            && let Some(slice) = flat.get_mut(from..to)
            && let Some(stats) = stats_of(slice)
        {
            out.push((key, stats));
        }
    }
    out
}

fn bucket_keys(start_ns: &[i64], buckets: &Buckets) -> (Vec<u32>, Vec<usize>) {
    // Spans outside the buckets are skipped; `kept` lists the span indices kept.
    let mut keys = Vec::with_capacity(start_ns.len());
    let mut kept = Vec::with_capacity(start_ns.len());
    for (i, &t) in start_ns.iter().enumerate() {
        if let Some(b) = buckets.index(t) {
            keys.push(b as u32);
            kept.push(i);
        }
    }
    (keys, kept)
}

fn to_bucket_stats(buckets: &Buckets, rows: Vec<(usize, Stats)>) -> Vec<BucketStats> {
    rows.into_iter()
        .map(|(bucket, stats)| BucketStats {
            bucket,
            start_ns: buckets.start_ns(bucket),
            stats,
        })
        .collect()
}

/// p50/p95/p99 of all spans per time bucket (non-empty buckets only, in time order).
pub fn percentiles_per_bucket(d: &Durations, buckets: &Buckets) -> Vec<BucketStats> {
    let n = d.start_ns.len().min(d.dur_ns.len());
    let starts = d.start_ns.get(..n).unwrap_or_default();
    let durs = d.dur_ns.get(..n).unwrap_or_default();
    let (keys, kept) = bucket_keys(starts, buckets);
    let rows = if kept.len() == n {
        stats_by_key(&keys, durs, buckets.count)
    } else {
        let kept_durs: Vec<i64> = kept.iter().filter_map(|&i| durs.get(i).copied()).collect();
        stats_by_key(&keys, &kept_durs, buckets.count)
    };
    to_bucket_stats(buckets, rows)
}

/// Span indices grouped: `(offsets, order)` where group `g`'s spans are
/// `order[offsets[g]..offsets[g+1]]`, in their original order.
fn indices_by_group(d: &Durations) -> (Vec<usize>, Vec<u32>) {
    let n_groups = d.groups.len();
    let n = d.group.len().min(d.dur_ns.len()).min(d.start_ns.len());
    let groups = d.group.get(..n).unwrap_or_default();
    let mut offsets = vec![0usize; n_groups + 1];
    for &g in groups {
        if let Some(c) = offsets.get_mut(g as usize + 1) {
            *c += 1;
        }
    }
    for i in 1..offsets.len() {
        let prev = offsets.get(i - 1).copied().unwrap_or(0);
        if let Some(c) = offsets.get_mut(i) {
            *c += prev;
        }
    }
    let mut cursor: Vec<usize> = offsets.iter().take(n_groups).copied().collect();
    let mut order = vec![0u32; offsets.last().copied().unwrap_or(0)];
    for (i, &g) in groups.iter().enumerate() {
        if let Some(pos) = cursor.get_mut(g as usize)
            && let Some(slot) = order.get_mut(*pos)
        {
            *slot = i as u32;
            *pos += 1;
        }
    }
    (offsets, order)
}

/// p50/p95/p99 per time bucket for each group: entry `g` is group `g`'s buckets.
pub fn percentiles_per_bucket_by_group(d: &Durations, buckets: &Buckets) -> Vec<Vec<BucketStats>> {
    let (offsets, order) = indices_by_group(d);
    let mut keys = Vec::new();
    let mut durs = Vec::new();
    offsets
        .windows(2)
        .map(|w| {
            let [from, to] = *w else {
                return Vec::new();
            };
            keys.clear();
            durs.clear();
            for &i in order.get(from..to).unwrap_or_default() {
                let i = i as usize;
                if let (Some(&t), Some(&dur)) = (d.start_ns.get(i), d.dur_ns.get(i))
                    && let Some(b) = buckets.index(t)
                {
                    keys.push(b as u32);
                    durs.push(dur);
                }
            }
            to_bucket_stats(buckets, stats_by_key(&keys, &durs, buckets.count))
        })
        .collect()
}

/// One group's summary.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GroupSummary {
    /// Index into `Durations::groups`; `None` for the summary over all spans.
    pub group: Option<u32>,
    pub name: String,
    pub stats: Stats,
}

/// Count, p50, p95, p99 and max of every group (index = group; empty groups have count 0).
pub fn summarize_groups(d: &Durations) -> Vec<GroupSummary> {
    let (offsets, order) = indices_by_group(d);
    let mut durs = Vec::new();
    offsets
        .windows(2)
        .zip(&d.groups)
        .enumerate()
        .map(|(g, (w, name))| {
            durs.clear();
            if let [from, to] = *w {
                durs.extend(
                    order
                        .get(from..to)
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|&i| d.dur_ns.get(i as usize).copied()),
                );
            }
            GroupSummary {
                group: Some(g as u32),
                name: name.clone(),
                stats: stats_of(&mut durs).unwrap_or_default(),
            }
        })
        .collect()
}

/// The summary over all spans; `None` when there are none.
pub fn summarize_all(d: &Durations) -> Option<GroupSummary> {
    let mut durs = d.dur_ns.clone();
    stats_of(&mut durs).map(|stats| GroupSummary {
        group: None,
        name: "all".to_owned(),
        stats,
    })
}

/// The `n` groups with the highest p95 (ties: more spans first, then name). Meant for
/// durations grouped by operation: the Overview's "slowest operations".
pub fn slowest_operations(d: &Durations, n: usize) -> Vec<GroupSummary> {
    let mut all: Vec<GroupSummary> = summarize_groups(d)
        .into_iter()
        .filter(|s| s.stats.count > 0)
        .collect();
    all.sort_by(|a, b| {
        b.stats
            .p95_ns
            .cmp(&a.stats.p95_ns)
            .then(b.stats.count.cmp(&a.stats.count))
            .then_with(|| a.name.cmp(&b.name))
    });
    all.truncate(n);
    all
}

/// Durations counted in log-spaced bins: absolute bin `k` covers
/// `[10^(k/b), 10^((k+1)/b))` ns with `b = bins_per_decade`; `counts[i]` is bin `first_bin + i`.
/// Durations of 0 ns or less are counted apart in `zero_count`.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Histogram {
    pub bins_per_decade: u32,
    pub first_bin: u32,
    pub counts: Vec<u64>,
    pub zero_count: u64,
}

impl Histogram {
    /// Lower and upper edge, in ns, of `counts[index]`.
    pub fn bin_edges_ns(&self, index: usize) -> (f64, f64) {
        let k = f64::from(self.first_bin) + index as f64;
        let b = f64::from(self.bins_per_decade.max(1));
        (10f64.powf(k / b), 10f64.powf((k + 1.0) / b))
    }

    pub fn total(&self) -> u64 {
        self.counts.iter().sum::<u64>() + self.zero_count
    }
}

/// Upper bound of absolute bins: 10^19 ns is beyond any i64.
const MAX_DECADES: u32 = 19;

/// Absolute bin edges for `bpd` bins per decade.
fn bin_edges(bpd: u32) -> Vec<f64> {
    (0..=MAX_DECADES * bpd + 1)
        .map(|k| 10f64.powf(f64::from(k) / f64::from(bpd)))
        .collect()
}

/// The absolute bin of a positive duration.
#[inline]
fn bin_of(dur_ns: i64, bpd: u32, edges: &[f64]) -> u32 {
    let x = dur_ns as f64;
    let last = edges.len().saturating_sub(2) as i64;
    let mut k = ((x.log10() * f64::from(bpd)).floor() as i64).clamp(0, last);
    // The logarithm can land one bin off at an edge; the edge table decides.
    while k > 0 && edges.get(k as usize).is_some_and(|&e| x < e) {
        k -= 1;
    }
    while k < last && edges.get(k as usize + 1).is_some_and(|&e| x >= e) {
        k += 1;
    }
    k as u32
}

/// Bins per decade that give about 40 bins over `[min_ns, max_ns]` (between 4 and 20).
pub fn auto_bins_per_decade(min_ns: i64, max_ns: i64) -> u32 {
    let lo = (min_ns.max(1) as f64).log10();
    let hi = (max_ns.max(1) as f64).log10();
    let decades = (hi - lo).max(1.0);
    ((40.0 / decades).round() as u32).clamp(4, 20)
}

/// Histograms of all spans and of each group, over the same bins (so they compare).
/// `bins_per_decade: None` picks it from the data.
pub fn histograms(d: &Durations, bins_per_decade: Option<u32>) -> (Histogram, Vec<Histogram>) {
    let n_groups = d.groups.len();
    let positive = d.dur_ns.iter().copied().filter(|&v| v > 0);
    let bounds = positive.fold(None, |acc: Option<(i64, i64)>, v| match acc {
        None => Some((v, v)),
        Some((lo, hi)) => Some((lo.min(v), hi.max(v))),
    });
    let bpd = bins_per_decade
        .unwrap_or_else(|| bounds.map_or(10, |(lo, hi)| auto_bins_per_decade(lo, hi)))
        .clamp(1, 100);
    let edges = bin_edges(bpd);
    let (first_bin, n_bins) = match bounds {
        Some((lo, hi)) => {
            let a = bin_of(lo, bpd, &edges);
            let b = bin_of(hi, bpd, &edges);
            (a, (b - a + 1) as usize)
        }
        None => (0, 0),
    };
    let empty = Histogram {
        bins_per_decade: bpd,
        first_bin,
        counts: vec![0; n_bins],
        zero_count: 0,
    };
    let mut all = empty.clone();
    let mut per_group = vec![empty; n_groups];
    for (&dur, &g) in d.dur_ns.iter().zip(&d.group) {
        let group = per_group.get_mut(g as usize);
        if dur <= 0 {
            all.zero_count += 1;
            if let Some(h) = group {
                h.zero_count += 1;
            }
            continue;
        }
        let i = (bin_of(dur, bpd, &edges) - first_bin) as usize;
        if let Some(c) = all.counts.get_mut(i) {
            *c += 1;
        }
        if let Some(c) = group.and_then(|h| h.counts.get_mut(i)) {
            *c += 1;
        }
    }
    (all, per_group)
}

/// The histogram of a plain list of durations.
pub fn histogram(dur_ns: &[i64], bins_per_decade: Option<u32>) -> Histogram {
    let d = Durations {
        start_ns: Vec::new(),
        dur_ns: dur_ns.to_vec(),
        group: vec![0; dur_ns.len()],
        groups: Vec::new(),
    };
    histograms(&d, bins_per_decade).0
}

/// The cell grid the scatter is thinned on: `cols` over time, `rows` over log(duration).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DownsampleGrid {
    pub cols: usize,
    pub rows: usize,
}

impl DownsampleGrid {
    /// At most this many points survive.
    pub fn max_points(&self) -> usize {
        self.cols * self.rows + 2 * self.cols
    }
}

/// Indices (ascending) of the spans to draw in a scatter of start time against duration,
/// optionally only of `group`. When more spans than the grid holds: per grid cell the first
/// span, plus per time column the shortest and the longest, so every occupied cell (isolated
/// outliers included) and every spike stays visible.
pub fn downsample(d: &Durations, group: Option<u32>, grid: DownsampleGrid) -> Vec<u32> {
    let n = d.start_ns.len().min(d.dur_ns.len()).min(d.group.len());
    let in_group = |g: u32| group.is_none_or(|want| want == g);
    let rows_iter = || {
        d.start_ns
            .iter()
            .zip(&d.dur_ns)
            .zip(&d.group)
            .take(n)
            .enumerate()
            .filter(move |(_, (_, g))| in_group(**g))
            .map(|(i, ((t, dur), _))| (i as u32, *t, *dur))
    };
    let count = rows_iter().count();
    let cols = grid.cols.max(1);
    let rows = grid.rows.max(1);
    if count <= grid.max_points() {
        return rows_iter().map(|(i, _, _)| i).collect();
    }
    let log_dur = |dur: i64| (dur.max(1) as f64).log2();
    let (mut t_lo, mut t_hi, mut y_lo, mut y_hi) = (i64::MAX, i64::MIN, f64::MAX, f64::MIN);
    for (_, t, dur) in rows_iter() {
        t_lo = t_lo.min(t);
        t_hi = t_hi.max(t);
        let y = log_dur(dur);
        y_lo = y_lo.min(y);
        y_hi = y_hi.max(y);
    }
    let t_scale = cols as f64 / ((t_hi as f64 - t_lo as f64) + 1.0);
    let y_scale = rows as f64 / ((y_hi - y_lo) + 1e-9);
    let mut cells = vec![u32::MAX; cols * rows];
    // Per column: (shortest dur, index), (longest dur, index).
    let mut extremes = vec![((i64::MAX, u32::MAX), (i64::MIN, u32::MAX)); cols];
    for (i, t, dur) in rows_iter() {
        let col = (((t as f64 - t_lo as f64) * t_scale) as usize).min(cols - 1);
        let row = (((log_dur(dur) - y_lo) * y_scale) as usize).min(rows - 1);
        if let Some(cell) = cells.get_mut(col * rows + row)
            && *cell == u32::MAX
        {
            *cell = i;
        }
        if let Some((lo, hi)) = extremes.get_mut(col) {
            if dur < lo.0 {
                *lo = (dur, i);
            }
            if dur > hi.0 {
                *hi = (dur, i);
            }
        }
    }
    let mut out: Vec<u32> = cells.into_iter().filter(|&i| i != u32::MAX).collect();
    out.extend(
        extremes
            .into_iter()
            .flat_map(|(lo, hi)| [lo.1, hi.1])
            .filter(|&i| i != u32::MAX),
    );
    out.sort_unstable();
    out.dedup();
    out
}

/// Everything the latency view shows, computed in one go off the UI thread.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct LatencyReport {
    /// `None` when there are no spans.
    pub buckets: Option<Buckets>,
    pub overall: Vec<BucketStats>,
    /// Entry `g` is group `g`'s buckets.
    pub by_group: Vec<Vec<BucketStats>>,
    pub summary_all: Option<GroupSummary>,
    /// Entry `g` is group `g`'s summary.
    pub summaries: Vec<GroupSummary>,
    pub histogram: Histogram,
    /// Entry `g` is group `g`'s histogram, on the same bins as `histogram`.
    pub histograms: Vec<Histogram>,
    /// Span indices of the downsampled scatter over all groups.
    pub sample: Vec<u32>,
}

/// Computes the whole [`LatencyReport`]; `bucket_width_ns: None` picks the width automatically.
pub fn latency_report(d: &Durations, bucket_width_ns: Option<i64>) -> LatencyReport {
    let Some(buckets) = Buckets::for_durations(d, bucket_width_ns) else {
        return LatencyReport {
            summaries: summarize_groups(d),
            by_group: vec![Vec::new(); d.groups.len()],
            histograms: vec![Histogram::default(); d.groups.len()],
            ..LatencyReport::default()
        };
    };
    let (histogram, histograms) = histograms(d, None);
    LatencyReport {
        buckets: Some(buckets),
        overall: percentiles_per_bucket(d, &buckets),
        by_group: percentiles_per_bucket_by_group(d, &buckets),
        summary_all: summarize_all(d),
        summaries: summarize_groups(d),
        histogram,
        histograms,
        sample: downsample(d, None, DEFAULT_GRID),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn durations(rows: &[(i64, i64, u32)], groups: &[&str]) -> Durations {
        Durations {
            start_ns: rows.iter().map(|r| r.0).collect(),
            dur_ns: rows.iter().map(|r| r.1).collect(),
            group: rows.iter().map(|r| r.2).collect(),
            groups: groups.iter().map(|g| (*g).to_owned()).collect(),
        }
    }

    #[test]
    fn nearest_rank_indices() {
        assert_eq!(nearest_rank_index(1, 500), 0);
        assert_eq!(nearest_rank_index(1, 990), 0);
        assert_eq!(nearest_rank_index(2, 500), 0);
        assert_eq!(nearest_rank_index(100, 500), 49);
        assert_eq!(nearest_rank_index(100, 950), 94);
        assert_eq!(nearest_rank_index(100, 990), 98);
        assert_eq!(nearest_rank_index(101, 990), 99);
        assert_eq!(nearest_rank_index(10, 1000), 9);
    }

    #[test]
    fn percentiles_of_1_to_100_are_their_ranks() {
        let mut v: Vec<i64> = (1..=100).rev().collect();
        let s = stats_of(&mut v).expect("stats");
        assert_eq!(
            s,
            Stats {
                count: 100,
                p50_ns: 50,
                p95_ns: 95,
                p99_ns: 99,
                max_ns: 100
            }
        );
    }

    #[test]
    fn percentiles_of_small_sets() {
        assert_eq!(stats_of(&mut []), None);
        let s = stats_of(&mut [7]).expect("one");
        assert_eq!((s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns), (7, 7, 7, 7));
        // Ranks 5, 10, 10 of 10 values.
        let mut v = vec![10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
        let s = stats_of(&mut v).expect("ten");
        assert_eq!((s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns), (5, 10, 10, 10));
        // Duplicates.
        let mut v = vec![3, 3, 3, 1000];
        let s = stats_of(&mut v).expect("dups");
        assert_eq!(
            (s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns),
            (3, 1000, 1000, 1000)
        );
    }

    #[test]
    fn percentiles_match_a_sort_on_pseudo_random_data() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for n in [1usize, 2, 3, 19, 20, 21, 99, 1000, 1001] {
            let mut v: Vec<i64> = (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    (x % 10_000) as i64
                })
                .collect();
            let mut sorted = v.clone();
            sorted.sort_unstable();
            let s = stats_of(&mut v).expect("stats");
            let at = |p| sorted.get(nearest_rank_index(n, p)).copied();
            assert_eq!(Some(s.p50_ns), at(500), "n={n}");
            assert_eq!(Some(s.p95_ns), at(950), "n={n}");
            assert_eq!(Some(s.p99_ns), at(990), "n={n}");
            assert_eq!(Some(s.max_ns), sorted.last().copied(), "n={n}");
        }
    }

    #[test]
    fn auto_buckets_land_between_60_and_121_with_round_widths() {
        let minute = 60_000_000_000i64;
        for span in [
            50_000_000i64,
            3 * 1_000_000_000,
            minute,
            10 * minute,
            60 * minute,
            7 * 60 * minute,
            3 * 24 * 60 * minute,
        ] {
            let start = 1_700_000_000_123_456_789i64;
            let b = Buckets::auto(start, start + span);
            assert!(
                (45..=121).contains(&b.count),
                "span {span}: {} buckets of {}",
                b.count,
                b.width_ns
            );
            assert_eq!(b.origin_ns % b.width_ns, 0);
            assert!(b.index(start).is_some() && b.index(start + span).is_some());
        }
        assert_eq!(Buckets::auto(5, 5).count, 1);
    }

    #[test]
    fn per_minute_buckets_hold_their_spans() {
        let m = 60_000_000_000i64;
        // Minute 0: durations 1..=10; minute 2: 100, 200; nothing in minute 1.
        let mut rows: Vec<(i64, i64, u32)> = (1..=10).map(|i| (i * 1000, i, 0)).collect();
        rows.push((2 * m + 5, 100, 1));
        rows.push((2 * m + 6, 200, 1));
        let d = durations(&rows, &["a", "b"]);
        let buckets = Buckets::for_durations(&d, Some(m)).expect("buckets");
        assert_eq!(buckets.count, 3);
        let overall = percentiles_per_bucket(&d, &buckets);
        assert_eq!(overall.len(), 2);
        let first = overall.first().expect("first");
        assert_eq!((first.bucket, first.start_ns), (0, 0));
        assert_eq!(
            (first.stats.count, first.stats.p50_ns, first.stats.p95_ns),
            (10, 5, 10)
        );
        let last = overall.last().expect("last");
        assert_eq!(
            (last.bucket, last.stats.p50_ns, last.stats.p99_ns),
            (2, 100, 200)
        );

        let by_group = percentiles_per_bucket_by_group(&d, &buckets);
        assert_eq!(by_group.len(), 2);
        assert_eq!(by_group.first().map(Vec::len), Some(1));
        assert_eq!(
            by_group
                .get(1)
                .and_then(|b| b.first())
                .map(|b| (b.bucket, b.stats.count)),
            Some((2, 2))
        );
    }

    #[test]
    fn summaries_and_slowest_operations() {
        let d = durations(
            &[
                (0, 10, 0),
                (1, 20, 0),
                (2, 500, 1),
                (3, 400, 1),
                (4, 50, 2),
                (5, 60, 2),
                (6, 70, 2),
            ],
            &["fast", "slow", "medium", "empty"],
        );
        let s = summarize_groups(&d);
        assert_eq!(s.len(), 4);
        let slow = s.get(1).expect("slow");
        assert_eq!(
            (
                slow.name.as_str(),
                slow.stats.count,
                slow.stats.p50_ns,
                slow.stats.max_ns
            ),
            ("slow", 2, 400, 500)
        );
        assert_eq!(s.get(3).map(|e| e.stats.count), Some(0));
        let top = slowest_operations(&d, 2);
        let names: Vec<&str> = top.iter().map(|g| g.name.as_str()).collect();
        assert_eq!(names, ["slow", "medium"]);
        let all = summarize_all(&d).expect("all");
        assert_eq!(
            (all.stats.count, all.stats.p50_ns, all.stats.max_ns),
            (7, 60, 500)
        );
    }

    #[test]
    fn histogram_bins_are_log_spaced() {
        // 10 bins per decade: 1000 ns is the first edge of bin 30, 999 falls in bin 29.
        let h = histogram(&[999, 1000, 1001, 10_000, 0, -5], Some(10));
        assert_eq!(h.bins_per_decade, 10);
        assert_eq!(h.first_bin, 29);
        assert_eq!(h.counts.len(), 12);
        assert_eq!(h.counts.first(), Some(&1));
        assert_eq!(h.counts.get(1), Some(&2));
        assert_eq!(h.counts.last(), Some(&1));
        assert_eq!(h.zero_count, 2);
        assert_eq!(h.total(), 6);
        let (lo, hi) = h.bin_edges_ns(1);
        assert!((lo - 1000.0).abs() < 1e-6 && (hi - 1258.925).abs() < 1e-2);
        assert_eq!(histogram(&[], None).counts.len(), 0);
    }

    #[test]
    fn group_histograms_share_bins() {
        let d = durations(&[(0, 100, 0), (0, 1_000_000, 1)], &["a", "b"]);
        let (all, per_group) = histograms(&d, Some(1));
        assert_eq!(all.counts, vec![1, 0, 0, 0, 1]);
        assert_eq!(
            per_group.first().map(|h| h.counts.clone()),
            Some(vec![1, 0, 0, 0, 0])
        );
        assert_eq!(
            per_group.get(1).map(|h| h.counts.clone()),
            Some(vec![0, 0, 0, 0, 1])
        );
    }

    #[test]
    fn downsampling_keeps_small_sets_and_spikes() {
        let small = durations(&[(0, 1, 0), (1, 2, 1), (2, 3, 0)], &["a", "b"]);
        assert_eq!(downsample(&small, None, DEFAULT_GRID), vec![0, 1, 2]);
        assert_eq!(downsample(&small, Some(0), DEFAULT_GRID), vec![0, 2]);

        // 100k spans of ~1 ms with one 5 s spike and one 1 ns dip.
        let n = 100_000usize;
        let mut rows: Vec<(i64, i64, u32)> = (0..n)
            .map(|i| (i as i64 * 1_000, 1_000_000 + (i as i64 % 7) * 1000, 0))
            .collect();
        if let Some(r) = rows.get_mut(40_000) {
            r.1 = 5_000_000_000;
        }
        if let Some(r) = rows.get_mut(70_000) {
            r.1 = 1;
        }
        let d = durations(&rows, &["a"]);
        let grid = DownsampleGrid {
            cols: 100,
            rows: 10,
        };
        let kept = downsample(&d, None, grid);
        assert!(kept.len() <= grid.max_points(), "{} kept", kept.len());
        assert!(kept.len() >= 100);
        assert!(kept.contains(&40_000) && kept.contains(&70_000));
        assert!(kept.windows(2).all(|w| w.first() < w.last()));
    }

    #[test]
    fn report_of_nothing_is_empty() {
        let r = latency_report(&Durations::default(), None);
        assert!(r.buckets.is_none() && r.overall.is_empty() && r.summary_all.is_none());
    }
}
