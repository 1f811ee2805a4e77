//! The bundled `sample_traces/` are exactly what the generator writes (so they can be
//! regenerated and scaled), and they import into a store with the counts the generator reports.

mod common;

use tracedeck::ingest::Outcome;
use tracedeck::samples::{self, SampleOptions};

#[test]
fn bundled_samples_are_current_with_the_generator() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = samples::generate(&SampleOptions::default(), dir.path()).expect("generate");
    for file in &manifest.files {
        let fresh = std::fs::read(dir.path().join(&file.name)).expect("generated file");
        let bundled = std::fs::read(common::sample_dir().join(&file.name))
            .unwrap_or_else(|e| panic!("sample_traces/{} is missing: {e}", file.name));
        assert!(
            fresh == bundled,
            "sample_traces/{} is stale: run `cargo run -- gen-samples --out sample_traces`",
            file.name
        );
    }
}

#[test]
fn samples_import_with_the_generated_counts() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = samples::generate(&SampleOptions::default(), dir.path()).expect("generate");
    let (_guard, mut store) = common::temp_store();
    let reports = common::import(&mut store, &[common::sample_dir()]);
    let traces: Vec<_> = reports
        .iter()
        .filter(|r| r.path.to_string_lossy().ends_with(".otlp.jsonl"))
        .collect();
    assert_eq!(traces.len(), 2);
    assert!(
        traces
            .iter()
            .all(|r| r.outcome == Outcome::Ok && r.errors == 0)
    );
    let counts = store.counts().expect("counts");
    assert_eq!(counts.spans as usize, manifest.total_spans);
    assert_eq!(counts.traces as usize, manifest.total_traces);
    // The prediction log imports as predictions, every row of it.
    let predictions = reports
        .iter()
        .find(|r| r.path.ends_with("predictions.jsonl"))
        .expect("predictions report");
    assert_eq!(predictions.outcome, Outcome::Ok);
    assert_eq!(predictions.format, "predictions-jsonl");
    assert_eq!(predictions.errors, 0);
    assert_eq!(
        predictions.predictions_new as usize,
        manifest.predictions.rows
    );
    // The folder's README is not treated as a trace file.
    assert!(reports.iter().all(|r| !r.path.ends_with("README.md")));
}
