//! Every file of the shared corpus imports into an empty store with exactly the counts in
//! `EXPECTED.json`; every broken file gets the outcome `bad/README.md` states, with the line,
//! frame or field named; all files together give the union count.

mod common;

use std::path::PathBuf;

use serde_json::Value;
use tracedeck::ingest::{Location, Outcome, Severity};

fn expected() -> Option<(PathBuf, Value)> {
    let dir = common::corpus_dir()?;
    let text = std::fs::read_to_string(dir.join("EXPECTED.json")).expect("EXPECTED.json");
    Some((
        dir,
        serde_json::from_str(&text).expect("EXPECTED.json parses"),
    ))
}

fn num(v: &Value, key: &str) -> u64 {
    v.get(key).and_then(Value::as_u64).unwrap_or(0)
}

#[test]
fn every_corpus_file_imports_with_its_expected_counts() {
    let Some((dir, expected)) = expected() else {
        return;
    };
    let files = expected["files"].as_object().expect("files");
    assert!(
        files.len() >= 29,
        "EXPECTED.json lists {} files",
        files.len()
    );
    let mut failures = Vec::new();
    for (name, want) in files {
        let (_guard, mut store) = common::temp_store();
        let reports = common::import(&mut store, &[dir.join(name)]);
        let [report] = reports.as_slice() else {
            panic!("{name}: one report expected, got {}", reports.len());
        };
        let counts = store.counts().expect("counts");
        let services = store.service_names().expect("services");
        check(
            &mut failures,
            name,
            "spans read",
            report.spans_read,
            num(want, "spans"),
        );
        check(
            &mut failures,
            name,
            "unique spans",
            counts.spans,
            num(want, "unique_spans"),
        );
        check(
            &mut failures,
            name,
            "traces",
            counts.traces,
            num(want, "traces"),
        );
        check(
            &mut failures,
            name,
            "services",
            counts.services,
            num(want, "services"),
        );
        check(
            &mut failures,
            name,
            "error spans",
            counts.error_spans,
            num(want, "error_spans"),
        );
        check(
            &mut failures,
            name,
            "events",
            counts.events,
            num(want, "events"),
        );
        check(
            &mut failures,
            name,
            "root spans",
            counts.root_spans,
            num(want, "root_spans"),
        );
        check(
            &mut failures,
            name,
            "skipped lines",
            report.skipped_lines,
            num(want, "skipped_non_trace_lines"),
        );
        if let Some(links) = want.get("links") {
            check(
                &mut failures,
                name,
                "links",
                counts.links,
                links.as_u64().unwrap_or(0),
            );
        }
        let want_services: Vec<String> = want["service_names"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|s| s.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        if services != want_services {
            failures.push(format!(
                "{name}: services {services:?}, expected {want_services:?}"
            ));
        }
        let want_warnings = want["warnings"]
            .as_object()
            .map(|w| w.values().filter_map(Value::as_u64).sum())
            .unwrap_or(0);
        check(
            &mut failures,
            name,
            "warnings",
            report.warnings,
            want_warnings,
        );
        let want_outcome = match want["outcome"].as_str() {
            Some("ok") => Outcome::Ok,
            Some("partial") => Outcome::Partial,
            Some("reject") => Outcome::Rejected,
            other => panic!("{name}: unknown outcome {other:?}"),
        };
        if report.outcome != want_outcome {
            failures.push(format!(
                "{name}: outcome {:?}, expected {want_outcome:?} ({:?})",
                report.outcome, report.diagnostics
            ));
        }
        let want_errors = want["errors"].as_array().cloned().unwrap_or_default();
        check(
            &mut failures,
            name,
            "errors",
            report.errors,
            want_errors.len() as u64,
        );
        for err in &want_errors {
            let found = report.diagnostics.iter().any(|d| {
                d.severity == Severity::Error && error_matches(&d.location, &d.message, err)
            });
            if !found {
                failures.push(format!(
                    "{name}: no error matching {err}; got {:?}",
                    report.diagnostics
                ));
            }
        }
        if want_outcome == Outcome::Rejected {
            assert_eq!(
                counts.imports, 0,
                "{name}: a refused file leaves no import behind"
            );
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn check(failures: &mut Vec<String>, name: &str, what: &str, got: u64, want: u64) {
    if got != want {
        failures.push(format!("{name}: {what} = {got}, expected {want}"));
    }
}

/// Does our diagnostic point where EXPECTED.json says the error is?
fn error_matches(location: &Location, message: &str, want: &Value) -> bool {
    if let Some(value) = want.get("value").and_then(Value::as_str)
        && !message.contains(value)
    {
        return false;
    }
    match location {
        Location::Line { line } => want.get("line").and_then(Value::as_u64) == Some(*line),
        Location::Frame { frame, offset } => {
            want.get("frame").and_then(Value::as_u64) == Some(*frame)
                && want.get("offset").and_then(Value::as_u64) == Some(*offset)
        }
        Location::Field { path, line } => {
            want.get("where").and_then(Value::as_str) == Some(path.as_str())
                && want.get("line").and_then(Value::as_u64) == *line
        }
        Location::File => want.get("where").and_then(Value::as_str) == Some("file"),
        Location::Document => want.get("where").and_then(Value::as_str) == Some("document"),
    }
}

#[test]
fn all_corpus_files_together_give_the_union_count() {
    let Some((dir, expected)) = expected() else {
        return;
    };
    let otlp: Vec<PathBuf> = expected["files"]
        .as_object()
        .expect("files")
        .iter()
        .filter(|(name, v)| !name.starts_with("bad/") && v["format"] != "jaeger-json")
        .map(|(name, _)| dir.join(name))
        .collect();
    let (_guard, mut store) = common::temp_store();
    common::import(&mut store, &otlp);
    assert_eq!(
        store.counts().expect("counts").spans,
        num(&expected["union"], "otlp_files_outside_bad")
    );
    common::import(&mut store, &[dir.join("bad")]);
    assert_eq!(
        store.counts().expect("counts").spans,
        num(&expected["union"], "all_otlp_files_including_bad")
    );
}

#[test]
fn importing_the_same_files_again_adds_nothing() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let (_guard, mut store) = common::temp_store();
    let first = common::import(&mut store, &[dir.join("otlp-json"), dir.join("otlp-proto")]);
    let before = store.counts().expect("counts");
    let second = common::import(&mut store, &[dir.join("otlp-json"), dir.join("otlp-proto")]);
    let after = store.counts().expect("counts");
    assert_eq!(before.spans, after.spans);
    assert_eq!(before.events, after.events);
    assert_eq!(before.links, after.links);
    assert_eq!(before.traces, after.traces);
    assert!(first.iter().map(|r| r.spans_new).sum::<u64>() > 0);
    assert_eq!(second.iter().map(|r| r.spans_new).sum::<u64>(), 0);
    assert_eq!(
        second.iter().map(|r| r.duplicates).sum::<u64>(),
        second.iter().map(|r| r.spans_read).sum::<u64>()
    );
}

#[test]
fn nothing_stored_is_lost_when_a_bad_file_follows() {
    let Some(dir) = common::corpus_dir() else {
        return;
    };
    let (_guard, mut store) = common::temp_store();
    common::import(&mut store, &[dir.join("otlp-json/otel-demo-mixed.jsonl")]);
    let before = store.counts().expect("counts");
    for bad in ["garbage.bin", "empty.json", "not-otlp-package.json"] {
        let reports = common::import(&mut store, &[dir.join("bad").join(bad)]);
        assert_eq!(reports[0].outcome, Outcome::Rejected, "{bad}");
        assert!(
            reports[0].diagnostics[0].message.len() > 10,
            "{bad}: the message says what is wrong"
        );
    }
    let after = store.counts().expect("counts");
    assert_eq!(before, after);
    store.quick_check().expect("store sound");
}
