//! Times the latency statistics over 1M synthetic spans (release build): percentiles per
//! minute bucket, per group, the histogram, the scatter downsampling and the whole report.
//! Run with `cargo bench --bench latency`; the target (DESIGN.md §6) is < 100 ms for the
//! percentiles per minute over 1M spans.

use std::hint::black_box;
use std::time::{Duration, Instant};

use tracedeck::analysis::latency::{self, Buckets, DEFAULT_GRID};
use tracedeck::store::Durations;

const SPANS: usize = 1_000_000;
const GROUPS: u32 = 40;
const RUNS: usize = 7;

/// 1M spans over one hour, 40 groups, long-tailed durations (log-uniform body plus rare spikes).
fn synthetic() -> Durations {
    let mut x: u64 = 0x2545_f491_4f6c_dd1d;
    let mut next = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    let origin_ns = 1_730_291_041_000_000_000i64;
    let hour_ns = 3_600_000_000_000i64;
    let mut d = Durations {
        groups: (0..GROUPS).map(|g| format!("operation-{g}")).collect(),
        ..Durations::default()
    };
    for i in 0..SPANS {
        let t = origin_ns + (i as i64) * (hour_ns / SPANS as i64);
        let r = next();
        let group = (r % u64::from(GROUPS)) as u32;
        let u = ((r >> 16) % 1_000_000) as f64 / 1_000_000.0;
        let mut dur_ns = 10f64.powf(4.0 + 3.0 * u + f64::from(group) * 0.02) as i64;
        if (r >> 40) % 1000 == 0 {
            dur_ns *= 100;
        }
        d.start_ns.push(t);
        d.dur_ns.push(dur_ns);
        d.group.push(group);
    }
    d
}

/// Median wall time of `RUNS` runs.
fn time<T>(mut f: impl FnMut() -> T) -> Duration {
    let mut times: Vec<Duration> = (0..RUNS)
        .map(|_| {
            let start = Instant::now();
            black_box(f());
            start.elapsed()
        })
        .collect();
    times.sort();
    times.get(RUNS / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> String {
    format!("{:.1}", d.as_secs_f64() * 1e3)
}

fn main() {
    let d = synthetic();
    let (lo, hi) = latency::time_bounds_ns(&d.start_ns).unwrap_or((0, 0));
    let per_minute = Buckets::with_width(lo, hi, 60_000_000_000);
    let auto = Buckets::auto(lo, hi);

    let t = time(|| latency::percentiles_per_bucket(&d, &per_minute));
    println!(
        "percentiles per bucket (1M spans): {} ms  ({} one-minute buckets)",
        ms(t),
        per_minute.count
    );
    let t = time(|| latency::percentiles_per_bucket(&d, &auto));
    println!(
        "percentiles per bucket, auto width (1M spans): {} ms  ({} buckets of {} s)",
        ms(t),
        auto.count,
        auto.width_ns / 1_000_000_000
    );
    let t = time(|| latency::percentiles_per_bucket_by_group(&d, &auto));
    println!(
        "percentiles per bucket per group (1M spans, {GROUPS} groups): {} ms",
        ms(t)
    );
    let t = time(|| latency::summarize_groups(&d));
    println!("summary per group (1M spans): {} ms", ms(t));
    let t = time(|| latency::histograms(&d, None));
    println!("histogram: {} ms  (overall and per group)", ms(t));
    let kept = latency::downsample(&d, None, DEFAULT_GRID).len();
    let t = time(|| latency::downsample(&d, None, DEFAULT_GRID));
    println!("downsample: {} ms  ({kept} of {SPANS} points kept)", ms(t));
    let t = time(|| latency::latency_report(&d, None));
    println!("whole latency report (1M spans): {} ms", ms(t));
}
