//! Version skew: which (model version, pipeline version) combinations served each model when,
//! and which combinations look like a model served with a pipeline it was not built for. Every
//! combination but a model's first is new when it appears; it is flagged when it is not the
//! pipeline its model version mostly ran with (a transition or a rollback), with its share of
//! traffic and the change in confidence and error rate against the traffic just before it.
//! Trace resources give a second view ([`resource_skew`]): per service, which `service.version`
//! ran with which `*.model.version` when; a pair is flagged when both versions had been seen
//! before, but never together.
//! Pure: it works on `store::VersionRow`s sorted by model and time.

use serde::Serialize;

use crate::store::{ResourceVersions, VersionRow};

/// One combination of one model.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Combination {
    pub model: String,
    pub model_version: String,
    pub pipeline_version: String,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub rows: u64,
    /// Share of the model's predictions (all time), 0 to 1.
    pub share: f64,
    /// Share of the model's predictions between `first_seen_ns` and `last_seen_ns`.
    pub share_while_active: f64,
    pub mean_confidence: Option<f64>,
    /// Labeled predictions whose label differs from the prediction, over labeled ones.
    pub error_rate: Option<f64>,
    /// Mean confidence minus that of the model's traffic just before (as long a stretch).
    pub confidence_change: Option<f64>,
    pub error_rate_change: Option<f64>,
    /// A model's first combination: the baseline, never flagged.
    pub baseline: bool,
    pub flagged: bool,
}

/// Rows of one combination in one time bucket.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct TimelinePoint {
    pub model: String,
    pub bucket_start_ns: i64,
    pub model_version: String,
    pub pipeline_version: String,
    pub rows: u64,
}

/// Combinations and their timeline.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct VersionSkew {
    /// By model, then first appearance.
    pub combinations: Vec<Combination>,
    pub timeline: Vec<TimelinePoint>,
    pub bucket_ns: i64,
}

#[derive(Default)]
struct Acc {
    rows: u64,
    confidence_sum: f64,
    confidence_n: u64,
    errors: u64,
    labeled: u64,
}

impl Acc {
    fn add(&mut self, row: &VersionRow) {
        self.rows += 1;
        if let Some(c) = row.confidence.filter(|c| c.is_finite()) {
            self.confidence_sum += c;
            self.confidence_n += 1;
        }
        if let Some(e) = row.error {
            self.labeled += 1;
            self.errors += u64::from(e);
        }
    }

    fn confidence(&self) -> Option<f64> {
        (self.confidence_n > 0).then(|| self.confidence_sum / self.confidence_n as f64)
    }

    fn error_rate(&self) -> Option<f64> {
        (self.labeled > 0).then(|| self.errors as f64 / self.labeled as f64)
    }
}

/// Combinations and a timeline of about `buckets` buckets over each model's span.
pub fn version_skew(rows: &[VersionRow], buckets: usize) -> VersionSkew {
    let mut out = VersionSkew::default();
    let (Some(first), Some(last)) = (
        rows.iter().map(|r| r.timestamp_ns).min(),
        rows.iter().map(|r| r.timestamp_ns).max(),
    ) else {
        return out;
    };
    out.bucket_ns = ((last - first) / buckets.max(1) as i64).max(1_000_000_000);
    let mut start = 0;
    while start < rows.len() {
        let model = rows.get(start).map(|r| r.model.clone()).unwrap_or_default();
        let end = start
            + rows
                .get(start..)
                .unwrap_or_default()
                .iter()
                .take_while(|r| r.model == model)
                .count();
        let model_rows = rows.get(start..end).unwrap_or_default();
        model_skew(model_rows, first, out.bucket_ns, &mut out);
        start = end.max(start + 1);
    }
    out
}

fn model_skew(rows: &[VersionRow], origin_ns: i64, bucket_ns: i64, out: &mut VersionSkew) {
    let Some(model) = rows.first().map(|r| r.model.clone()) else {
        return;
    };
    let model_first = rows.first().map_or(0, |r| r.timestamp_ns);
    // Combinations in order of appearance.
    let mut combos: Vec<(String, String, i64, i64, Acc)> = Vec::new();
    let mut timeline: Vec<TimelinePoint> = Vec::new();
    for row in rows {
        let index = match combos
            .iter()
            .position(|c| c.0 == row.model_version && c.1 == row.pipeline_version)
        {
            Some(i) => i,
            None => {
                combos.push((
                    row.model_version.clone(),
                    row.pipeline_version.clone(),
                    row.timestamp_ns,
                    row.timestamp_ns,
                    Acc::default(),
                ));
                combos.len() - 1
            }
        };
        if let Some(c) = combos.get_mut(index) {
            c.3 = row.timestamp_ns;
            c.4.add(row);
        }
        let bucket = origin_ns + (row.timestamp_ns - origin_ns).div_euclid(bucket_ns) * bucket_ns;
        match timeline.iter_mut().rev().find(|p| {
            p.bucket_start_ns == bucket
                && p.model_version == row.model_version
                && p.pipeline_version == row.pipeline_version
        }) {
            Some(p) => p.rows += 1,
            None => timeline.push(TimelinePoint {
                model: model.clone(),
                bucket_start_ns: bucket,
                model_version: row.model_version.clone(),
                pipeline_version: row.pipeline_version.clone(),
                rows: 1,
            }),
        }
    }
    let total = rows.len().max(1) as f64;
    for (mv, pv, first_ns, last_ns, acc) in &combos {
        let baseline = *first_ns == model_first;
        // The pipeline this model version mostly ran with.
        let main_pipeline = combos
            .iter()
            .filter(|c| &c.0 == mv)
            .max_by_key(|c| c.4.rows)
            .map(|c| c.1.clone());
        let flagged = !baseline && main_pipeline.as_deref() != Some(pv.as_str());
        let active = rows
            .iter()
            .filter(|r| r.timestamp_ns >= *first_ns && r.timestamp_ns <= *last_ns)
            .count()
            .max(1);
        // The model's traffic just before, over as long a stretch as this combination ran.
        let stretch_ns = (last_ns - first_ns).max(3_600_000_000_000);
        let mut before = Acc::default();
        for r in rows
            .iter()
            .filter(|r| r.timestamp_ns < *first_ns && r.timestamp_ns >= first_ns - stretch_ns)
        {
            before.add(r);
        }
        let change = |now: Option<f64>, then: Option<f64>| match (now, then) {
            (Some(a), Some(b)) => Some(a - b),
            _ => None,
        };
        out.combinations.push(Combination {
            model: model.clone(),
            model_version: mv.clone(),
            pipeline_version: pv.clone(),
            first_seen_ns: *first_ns,
            last_seen_ns: *last_ns,
            rows: acc.rows,
            share: acc.rows as f64 / total,
            share_while_active: acc.rows as f64 / active as f64,
            mean_confidence: acc.confidence(),
            error_rate: acc.error_rate(),
            confidence_change: change(acc.confidence(), before.confidence()),
            error_rate_change: change(acc.error_rate(), before.error_rate()),
            baseline,
            flagged,
        });
    }
    out.timeline.extend(timeline);
}

/// A (service version, model versions) pair of one traced service.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ResourceCombination {
    pub service: String,
    pub service_version: String,
    /// The `*.model.version` values, `key=value` joined by `, ` (empty when none).
    pub model_versions: String,
    pub first_seen_ns: i64,
    pub last_seen_ns: i64,
    pub spans: u64,
    /// Both versions had served before, never together.
    pub flagged: bool,
}

/// Version combinations of traced services, by service and first appearance.
pub fn resource_skew(resources: &[ResourceVersions]) -> Vec<ResourceCombination> {
    let mut combos: Vec<ResourceCombination> = Vec::new();
    for r in resources {
        let service_version = r.service_version.clone().unwrap_or_default();
        let model_versions = r
            .model_versions
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ");
        match combos.iter_mut().find(|c| {
            c.service == r.service
                && c.service_version == service_version
                && c.model_versions == model_versions
        }) {
            Some(c) => {
                c.first_seen_ns = c.first_seen_ns.min(r.first_ns);
                c.last_seen_ns = c.last_seen_ns.max(r.last_ns);
                c.spans += r.spans;
            }
            None => combos.push(ResourceCombination {
                service: r.service.clone(),
                service_version,
                model_versions,
                first_seen_ns: r.first_ns,
                last_seen_ns: r.last_ns,
                spans: r.spans,
                flagged: false,
            }),
        }
    }
    combos.sort_by(|a, b| (&a.service, a.first_seen_ns).cmp(&(&b.service, b.first_seen_ns)));
    for i in 0..combos.len() {
        let Some(c) = combos.get(i) else { continue };
        let earlier = combos
            .get(..i)
            .unwrap_or_default()
            .iter()
            .filter(|e| e.service == c.service && e.first_seen_ns < c.first_seen_ns);
        let (mut service_seen, mut models_seen) = (false, false);
        for e in earlier {
            service_seen |= e.service_version == c.service_version;
            models_seen |= e.model_versions == c.model_versions;
        }
        let flagged = service_seen && models_seen && !c.model_versions.is_empty();
        if let Some(c) = combos.get_mut(i) {
            c.flagged = flagged;
        }
    }
    combos
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(t: i64, mv: &str, pv: &str) -> VersionRow {
        VersionRow {
            model: "m".into(),
            model_version: mv.into(),
            pipeline_version: pv.into(),
            timestamp_ns: t * 1_000_000_000,
            confidence: Some(0.9),
            error: None,
        }
    }

    #[test]
    fn transitional_combination_is_flagged() {
        let mut rows = Vec::new();
        for t in 0..100 {
            rows.push(row(t, "1", "a"));
        }
        for t in 100..110 {
            rows.push(row(t, "2", "a"));
        }
        for t in 110..200 {
            rows.push(row(t, "2", "b"));
        }
        let skew = version_skew(&rows, 10);
        let flagged: Vec<_> = skew
            .combinations
            .iter()
            .filter(|c| c.flagged)
            .map(|c| (c.model_version.as_str(), c.pipeline_version.as_str()))
            .collect();
        assert_eq!(flagged, vec![("2", "a")]);
        assert!(!skew.timeline.is_empty());
    }

    #[test]
    fn resource_pair_never_seen_together_is_flagged() {
        let res = |sv: &str, mv: &str, t: i64| ResourceVersions {
            service: "svc".into(),
            service_version: Some(sv.into()),
            model_versions: vec![("llm.model.version".into(), mv.into())],
            first_ns: t,
            last_ns: t + 10,
            spans: 5,
        };
        let combos = resource_skew(&[res("1", "a", 0), res("2", "b", 100), res("1", "b", 200)]);
        let flagged: Vec<_> = combos.iter().filter(|c| c.flagged).collect();
        assert_eq!(flagged.len(), 1);
        assert_eq!(flagged[0].service_version, "1");
        assert_eq!(flagged[0].model_versions, "llm.model.version=b");
    }
}
