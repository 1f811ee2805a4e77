//! `predictions.jsonl`: 14 days of `fraud-scorer` predictions ending where the trace night starts.
//! In the second week `amount` (higher median) and `country` (NG and BR gain share) drift while
//! `account_age_days`, `device` and `hour` keep their distributions; model 3.2.0 -> 3.3.0 at day
//! 10.5 and pipeline 2.3 -> 2.4 at day 11.5, so 3.3.0 runs with pipeline 2.3 for a day (skew).

use std::collections::BTreeMap;
use std::io::{self, Write};

use serde::Serialize;

use super::rng::Gen;
use super::{PREDICTIONS_FILE, PredictionTruth, VersionSwitch};

const DAY: u64 = 86_400_000_000_000;
const HOUR: u64 = 3_600_000_000_000;
pub(crate) const MODEL: &str = "fraud-scorer";
const COUNTRIES: [&str; 8] = ["US", "GB", "DE", "FR", "CA", "IN", "BR", "NG"];
const COUNTRY_REF: [f64; 8] = [0.42, 0.14, 0.12, 0.09, 0.09, 0.06, 0.04, 0.04];
const COUNTRY_CUR: [f64; 8] = [0.30, 0.10, 0.09, 0.07, 0.07, 0.06, 0.09, 0.22];
const DEVICES: [&str; 3] = ["mobile", "desktop", "tablet"];
const DEVICE_W: [f64; 3] = [0.56, 0.37, 0.07];
/// Relative traffic per UTC hour (quiet at night, busy in the afternoon).
const HOUR_W: [f64; 24] = [
    2.0, 1.5, 1.0, 0.8, 0.8, 1.0, 1.6, 2.6, 3.8, 4.6, 5.0, 5.2, 5.4, 5.5, 5.6, 5.6, 5.4, 5.2, 5.0,
    4.6, 4.2, 3.6, 3.0, 2.4,
];

#[derive(Serialize)]
struct Features<'a> {
    amount: f64,
    country: &'a str,
    account_age_days: i64,
    device: &'a str,
    hour: u32,
}

#[derive(Serialize)]
struct Row<'a> {
    timestamp: String,
    model: &'a str,
    model_version: &'a str,
    pipeline_version: &'a str,
    request_id: String,
    features: Features<'a>,
    prediction: &'a str,
    confidence: f64,
    latency_ms: f64,
    #[serde(skip_serializing_if = "Option::is_none")]
    label: Option<&'a str>,
}

pub(crate) fn rfc3339_ms(ns: u64) -> String {
    let secs = i64::try_from(ns / 1_000_000_000).unwrap_or(i64::MAX);
    let nanos = u32::try_from(ns % 1_000_000_000).unwrap_or(0);
    chrono::DateTime::from_timestamp(secs, nanos)
        .map(|t| t.format("%Y-%m-%dT%H:%M:%S%.3fZ").to_string())
        .unwrap_or_default()
}

fn round_to(v: f64, places: i32) -> f64 {
    let f = 10f64.powi(places);
    (v * f).round() / f
}

/// Writes about `rows` predictions covering the 14 days before `end_ns`.
pub(crate) fn write_predictions(
    out: &mut impl Write,
    seed: u64,
    end_ns: u64,
    rows: usize,
) -> io::Result<PredictionTruth> {
    let mut g = Gen::new(seed ^ 0x7072_6564_6963_7473);
    let start = end_ns.saturating_sub(14 * DAY);
    let drift_at = start + 7 * DAY;
    let model_switch = start + 10 * DAY + 12 * HOUR;
    let pipeline_switch = start + 11 * DAY + 12 * HOUR;
    let start_hour = (start / HOUR) % 24;

    // Timestamps: per hour of the 14 days, a share of the rows by the hour's weight.
    let total_w: f64 = HOUR_W.iter().sum::<f64>() * 14.0;
    let mut times = Vec::with_capacity(rows + 64);
    for h in 0..14 * 24u64 {
        let w = HOUR_W[((start_hour + h) % 24) as usize];
        let expected = rows as f64 * w / total_w;
        let n = (expected + g.f64() - 0.5).round().max(0.0) as usize;
        for _ in 0..n {
            times.push(start + h * HOUR + g.range(0, HOUR));
        }
    }
    times.sort_unstable();

    let mut truth = PredictionTruth {
        file: PREDICTIONS_FILE.to_owned(),
        model: MODEL.to_owned(),
        rows: times.len(),
        first_timestamp: times.first().map(|t| rfc3339_ms(*t)).unwrap_or_default(),
        last_timestamp: times.last().map(|t| rfc3339_ms(*t)).unwrap_or_default(),
        reference_window: [rfc3339_ms(start), rfc3339_ms(drift_at)],
        current_window: [rfc3339_ms(drift_at), rfc3339_ms(end_ns)],
        drifted_features: vec!["amount".into(), "country".into()],
        stable_features: vec!["account_age_days".into(), "device".into(), "hour".into()],
        model_version_switch: VersionSwitch {
            at: rfc3339_ms(model_switch),
            from: "3.2.0".into(),
            to: "3.3.0".into(),
        },
        pipeline_version_switch: VersionSwitch {
            at: rfc3339_ms(pipeline_switch),
            from: "2.3".into(),
            to: "2.4".into(),
        },
        skew_combination: ["3.3.0".into(), "2.3".into()],
        skew_rows: 0,
        labeled_rows: 0,
        amount_mean_reference: 0.0,
        amount_mean_current: 0.0,
        country_share_reference: BTreeMap::new(),
        country_share_current: BTreeMap::new(),
    };

    let mut sums = [(0.0f64, 0usize); 2];
    let mut country_counts = [BTreeMap::<String, usize>::new(), BTreeMap::new()];
    let request_base = g.range(100_000, 400_000);
    for (k, &ts) in times.iter().enumerate() {
        let current = usize::from(ts >= drift_at);
        let amount_median = if current == 1 { 96.0 } else { 48.0 };
        let amount = round_to(g.lognormal(amount_median, 0.9).clamp(1.0, 25_000.0), 2);
        let country = COUNTRIES[g.weighted(if current == 1 {
            &COUNTRY_CUR
        } else {
            &COUNTRY_REF
        })];
        let age = (-(g.f64().max(1e-9)).ln() * 420.0).round() as i64;
        let device = DEVICES[g.weighted(&DEVICE_W)];
        let hour = ((ts / HOUR) % 24) as u32;
        let new_model = ts >= model_switch;
        let model_version = if new_model { "3.3.0" } else { "3.2.0" };
        let pipeline_version = if ts >= pipeline_switch { "2.4" } else { "2.3" };
        if new_model && pipeline_version == "2.3" {
            truth.skew_rows += 1;
        }
        let risky = matches!(country, "NG" | "BR");
        let z = -2.6 + 0.55 * (amount / 50.0).ln() + if risky { 0.9 } else { 0.0 }
            - 0.0015 * age as f64
            + if device == "tablet" { 0.2 } else { 0.0 }
            + 0.5 * g.normal();
        let score = 1.0 / (1.0 + (-z).exp());
        let prediction = if score > 0.7 {
            "decline"
        } else if score > 0.4 {
            "review"
        } else {
            "approve"
        };
        let confidence = round_to(
            match prediction {
                "approve" => 1.0 - score,
                "decline" => score,
                _ => 0.5 + (score - 0.55).abs(),
            }
            .clamp(0.5, 0.999),
            3,
        );
        let latency_ms = round_to(g.lognormal(if new_model { 52.0 } else { 38.0 }, 0.35), 1);
        // Labels arrive after two days, for about three rows in four.
        let label = (ts + 2 * DAY < end_ns && g.chance(0.75)).then(|| {
            if g.chance(0.9) {
                prediction
            } else if prediction == "approve" {
                "decline"
            } else {
                "approve"
            }
        });
        if label.is_some() {
            truth.labeled_rows += 1;
        }
        sums[current].0 += amount;
        sums[current].1 += 1;
        *country_counts[current]
            .entry(country.to_owned())
            .or_default() += 1;
        let row = Row {
            timestamp: rfc3339_ms(ts),
            model: MODEL,
            model_version,
            pipeline_version,
            request_id: format!("r-{}", request_base + k as u64),
            features: Features {
                amount,
                country,
                account_age_days: age,
                device,
                hour,
            },
            prediction,
            confidence,
            latency_ms,
            label,
        };
        serde_json::to_writer(&mut *out, &row).map_err(io::Error::from)?;
        out.write_all(b"\n")?;
    }
    let mean = |(sum, n): (f64, usize)| {
        if n == 0 {
            0.0
        } else {
            round_to(sum / n as f64, 2)
        }
    };
    truth.amount_mean_reference = mean(sums[0]);
    truth.amount_mean_current = mean(sums[1]);
    for (w, counts) in country_counts.iter().enumerate() {
        let n: usize = counts.values().sum();
        let shares = counts
            .iter()
            .map(|(c, k)| (c.clone(), round_to(*k as f64 / n.max(1) as f64, 4)))
            .collect();
        if w == 0 {
            truth.country_share_reference = shares;
        } else {
            truth.country_share_current = shares;
        }
    }
    Ok(truth)
}
