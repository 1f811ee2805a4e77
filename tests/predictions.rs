//! Prediction logs: import of JSON Lines and CSV with every alias, compressed or not, bad lines,
//! idempotence; drift figures against SciPy (tests/fixtures/drift_scipy.json, made by
//! drift_scipy.py beside it); the sample log's drifted features and version skew.

mod common;

use std::io::Write;
use std::path::{Path, PathBuf};

use serde_json::Value;
use tracedeck::analysis::drift::{self, Method, Thresholds};
use tracedeck::analysis::prediction_report::{drift_report, version_skew_report};
use tracedeck::analysis::version_skew;
use tracedeck::ingest::Outcome;
use tracedeck::samples::{self, SampleOptions};

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).expect("write");
    path
}

const JSONL_ALIASES: &str = r#"{"timestamp": "2026-07-01T12:00:03.120Z", "model": "fraud", "model_version": "3.2.0", "pipeline_version": "2.3", "request_id": "r-1", "trace_id": "4bf92f3577b34da6a3ce929d0e0e4736", "features": {"amount": 182.5, "country": "US", "vip": true, "note": null}, "prediction": "approve", "confidence": 0.93, "latency_ms": 41.2, "label": "approve"}
{"ts": 1782907204, "model": "fraud", "version": "3.2.0", "request_id": "r-2", "inputs": {"amount": 10}, "output": "decline", "score": 0.8}
{"time": 1782907205123, "model": "fraud", "version": "3.2.0", "request_id": "r-3", "inputs": {"amount": 11}, "output": 1, "score": "0.7"}
{"time": 1782907206000000000, "model": "fraud", "request_id": "r-4", "features": {"amount": 12}, "prediction": 0.5}
"#;

#[test]
fn jsonl_with_every_alias_imports_once() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = write(dir.path(), "p.jsonl", JSONL_ALIASES.as_bytes());
    let (_guard, mut store) = common::temp_store();
    let reports = common::import(&mut store, std::slice::from_ref(&path));
    let r = &reports[0];
    assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.diagnostics);
    assert_eq!(r.format, "predictions-jsonl");
    assert_eq!((r.predictions_read, r.predictions_new), (4, 4));
    // Again: nothing new.
    let again = common::import(&mut store, std::slice::from_ref(&path));
    assert_eq!(
        (again[0].predictions_read, again[0].predictions_new),
        (4, 0)
    );
    assert_eq!(again[0].duplicates, 4);
    assert_eq!(store.prediction_count().expect("count"), 4);
    let models = store.prediction_models().expect("models");
    assert_eq!(models.len(), 1);
    // Seconds, milliseconds and nanoseconds all land on 2026-07-01T12:00:0x.
    assert_eq!(models[0].first_ns, 1_782_907_203_120_000_000);
    assert_eq!(models[0].last_ns, 1_782_907_206_000_000_000);
    let versions = store.prediction_versions().expect("versions");
    assert_eq!(versions[0].model_version, "3.2.0");
    assert_eq!(versions[0].pipeline_version, "2.3");
    assert_eq!(versions[0].error, Some(false));
    assert_eq!(versions[1].confidence, Some(0.8));
    assert_eq!(versions[2].confidence, Some(0.7));
    let table = store
        .prediction_table("fraud", i64::MIN, i64::MAX)
        .expect("table");
    let names: Vec<&str> = table.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["amount", "country", "note", "vip"]);
    // The prediction with a trace_id is found from its trace, and opens it.
    let trace: [u8; 16] = [
        0x4b, 0xf9, 0x2f, 0x35, 0x77, 0xb3, 0x4d, 0xa6, 0xa3, 0xce, 0x92, 0x9d, 0x0e, 0x0e, 0x47,
        0x36,
    ];
    let linked = store.predictions_of_trace(&trace).expect("linked");
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].request_id.as_deref(), Some("r-1"));
    assert_eq!(linked[0].label.as_deref(), Some("approve"));
    let again = store.prediction(linked[0].id).expect("by id").expect("row");
    assert_eq!(again.trace_id, Some(trace));
}

#[test]
fn trace_resources_give_service_versions() {
    let (_guard, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);
    let resources = store.resource_versions().expect("resource versions");
    assert!(resources.iter().any(|r| r.service_version.is_some()));
    let combos = version_skew::resource_skew(&resources);
    assert!(!combos.is_empty());
    // The sample traces change no versions: nothing is flagged.
    assert!(combos.iter().all(|c| !c.flagged));
}

#[test]
fn csv_with_aliases_and_compression() {
    let dir = tempfile::tempdir().expect("tempdir");
    let csv = "time,model,version,pipeline_version,request_id,feature.amount,country,output,score,label\n\
               2026-07-01T12:00:00Z,fraud,3.2.0,2.3,r-1,10.5,US,approve,0.9,approve\n\
               1782907201,fraud,3.2.0,2.3,r-2,11,\"G,B\",decline,0.8,approve\n\
               \n\
               1782907202000,fraud,3.3.0,2.3,r-3,,DE,approve,0.7,\n";
    let plain = write(dir.path(), "p.csv", csv.as_bytes());
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    gz.write_all(csv.replace("r-", "g-").as_bytes())
        .expect("gzip");
    let gz = write(dir.path(), "p.csv.gz", &gz.finish().expect("gzip"));
    let zst = zstd::encode_all(csv.replace("r-", "z-").as_bytes(), 3).expect("zstd");
    let zst = write(dir.path(), "p.bin", &zst);
    let (_guard, mut store) = common::temp_store();
    let reports = common::import(&mut store, &[plain, gz, zst]);
    let formats: Vec<&str> = reports.iter().map(|r| r.format.as_str()).collect();
    assert_eq!(
        formats,
        vec![
            "predictions-csv",
            "predictions-csv+gzip",
            "predictions-csv+zstd"
        ]
    );
    for r in &reports {
        assert_eq!(r.outcome, Outcome::Ok, "{:?}", r.diagnostics);
        assert_eq!(r.predictions_new, 3);
    }
    let table = store
        .prediction_table("fraud", i64::MIN, i64::MAX)
        .expect("table");
    let names: Vec<&str> = table.features.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, vec!["amount", "country"]);
    let country = &table.features[1];
    assert!(country.categories.iter().any(|c| c == "G,B"));
    let versions = store.prediction_versions().expect("versions");
    assert_eq!(versions.iter().filter(|v| v.error == Some(true)).count(), 3);
}

#[test]
fn bad_lines_are_reported_and_skipped() {
    let dir = tempfile::tempdir().expect("tempdir");
    let text = format!(
        "{}{}",
        JSONL_ALIASES,
        "{\"ts\": \"yesterday\", \"model\": \"fraud\", \"inputs\": {}, \"output\": 1}\n\
         not json at all\n\
         {\"ts\": 1782907209, \"model\": \"fraud\", \"inputs\": [1, 2], \"output\": 1}\n\
         {\"model\": \"fraud\", \"inputs\": {}, \"output\": 1}\n\
         {\"ts\": 1782907210, \"model\": \"fraud\", \"inputs\": {}, \"output\": 1, \"score\": \"high\"}\n\
         {\"ts\": 1782907211, \"model\": \"fraud\", \"trace_id\": \"xyz\", \"inputs\": {}, \"output\": 1}\n"
    );
    let path = write(dir.path(), "bad.jsonl", text.as_bytes());
    let (_guard, mut store) = common::temp_store();
    let reports = common::import(&mut store, &[path]);
    let r = &reports[0];
    assert_eq!(r.outcome, Outcome::Partial);
    assert_eq!(r.errors, 5, "{:?}", r.diagnostics);
    assert_eq!(r.warnings, 1);
    assert_eq!(r.predictions_new, 5);
    let lines: Vec<String> = r.diagnostic_lines().collect();
    assert!(
        lines[0].contains("bad.jsonl") && lines[0].contains("line 5"),
        "{lines:?}"
    );
    assert!(lines[0].contains("yesterday"));
    assert!(lines[1].contains("line 6") && lines[1].contains("not JSON"));
    assert!(lines[2].contains("line 7") && lines[2].contains("not an object"));
    assert!(lines[3].contains("line 8") && lines[3].contains("no timestamp"));
    assert!(lines[4].contains("line 9") && lines[4].contains("confidence"));
    assert!(lines[5].contains("line 10") && lines[5].contains("trace_id"));

    // CSV: a row with the wrong number of fields, an unclosed quote.
    let csv = "ts,model,prediction,a\n1782907200,m,1,2\n1782907201,m,1\n1782907202,m,\"1,2\n";
    let path = write(dir.path(), "bad.csv", csv.as_bytes());
    let r = &common::import(&mut store, &[path])[0];
    assert_eq!(r.outcome, Outcome::Partial);
    assert_eq!((r.predictions_new, r.errors), (1, 2), "{:?}", r.diagnostics);
    assert!(r.diagnostics[0].message.contains("header has 4"));
}

#[derive(serde::Deserialize)]
struct Fixture {
    cases: Vec<Value>,
}

fn floats(v: &Value, key: &str) -> Vec<f64> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_f64().expect("number"))
        .collect()
}

fn counts(v: &Value, key: &str) -> Vec<u64> {
    v[key]
        .as_array()
        .expect("array")
        .iter()
        .map(|x| x.as_u64().expect("count"))
        .collect()
}

fn close(name: &str, what: &str, got: f64, want: f64) {
    let tolerance = 1e-6_f64.max(want.abs() * 1e-9);
    assert!(
        (got - want).abs() <= tolerance,
        "{name} {what}: got {got}, SciPy {want}"
    );
}

#[test]
fn drift_figures_equal_scipy() {
    let text = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/drift_scipy.json"),
    )
    .expect("fixture");
    let fixture: Fixture = serde_json::from_str(&text).expect("fixture JSON");
    assert!(fixture.cases.len() >= 8);
    for case in &fixture.cases {
        let name = case["name"].as_str().expect("name");
        let want = |k: &str| case[k].as_f64().expect(k);
        if case["kind"] == "numeric" {
            let mut reference = floats(case, "reference");
            let mut current = floats(case, "current");
            let (d, p) = drift::stats::ks_2samp(&reference, &current);
            close(name, "ks statistic", d, want("ks_statistic"));
            close(name, "ks p-value", p, want("ks_p_value"));
            close(
                name,
                "wasserstein",
                drift::stats::wasserstein_distance(&reference, &current),
                want("wasserstein"),
            );
            close(
                name,
                "normed wasserstein",
                drift::stats::wasserstein_normed(&reference, &current),
                want("wasserstein_normed"),
            );
            let mut all = reference.clone();
            all.extend_from_slice(&current);
            assert_eq!(
                drift::stats::sturges_edges(&all).len() - 1,
                case["sturges_bins"].as_u64().expect("bins") as usize,
                "{name} sturges bins"
            );
            reference.sort_by(f64::total_cmp);
            current.sort_by(f64::total_cmp);
            let (r, c) = drift::stats::binned_numeric(&reference, &current, true);
            close(name, "psi", drift::stats::psi(&r, &c), want("psi"));
            close(
                name,
                "kl",
                drift::stats::kl_divergence(&r, &c),
                want("kl_div"),
            );
            let (r, c) = drift::stats::binned_numeric(&reference, &current, false);
            close(
                name,
                "js",
                drift::stats::jensen_shannon(&r, &c),
                want("jensen_shannon"),
            );
        } else {
            let reference = counts(case, "reference_counts");
            let current = counts(case, "current_counts");
            let (stat, p) = drift::stats::chi_square_counts(&reference, &current);
            close(name, "chi2 statistic", stat, want("chi_square_statistic"));
            close(name, "chi2 p-value", p, want("chi_square_p_value"));
            let (r, c) = drift::stats::category_shares(&reference, &current, false);
            close(
                name,
                "js",
                drift::stats::jensen_shannon(&r, &c),
                want("jensen_shannon"),
            );
            let (r, c) = drift::stats::category_shares(&reference, &current, true);
            close(name, "psi", drift::stats::psi(&r, &c), want("psi"));
        }
    }
}

/// Imports the generated sample prediction log into a fresh store.
fn sample_store() -> (
    tempfile::TempDir,
    tempfile::TempDir,
    tracedeck::store::Store,
    samples::PredictionTruth,
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = samples::generate(&SampleOptions::default(), dir.path()).expect("generate");
    let truth = manifest.predictions.clone();
    let (guard, mut store) = common::temp_store();
    let reports = common::import(&mut store, &[dir.path().join(&truth.file)]);
    assert_eq!(
        reports[0].outcome,
        Outcome::Ok,
        "{:?}",
        reports[0].diagnostics
    );
    assert_eq!(reports[0].predictions_new as usize, truth.rows);
    (dir, guard, store, truth)
}

#[test]
fn sample_drift_flags_the_shifted_features_only() {
    let (_dir, _guard, store, truth) = sample_store();
    let rows = drift_report(&store).expect("drift");
    for feature in &truth.drifted_features {
        assert!(
            rows.iter().any(|r| &r.feature == feature && r.drifted),
            "{feature} should drift: {rows:#?}"
        );
    }
    for feature in &truth.stable_features {
        assert!(
            rows.iter().any(|r| &r.feature == feature)
                && !rows.iter().any(|r| &r.feature == feature && r.drifted),
            "{feature} should not drift: {rows:#?}"
        );
    }
    // The default windows hold ~750 rows each: judged by p-values (KS, chi-square).
    let amount = rows.iter().find(|r| r.feature == "amount").expect("amount");
    assert_eq!(amount.method, "ks");
    assert!(amount.p_value.is_some_and(|p| p <= 0.05));
    let country = rows
        .iter()
        .find(|r| r.feature == "country")
        .expect("country");
    assert_eq!(country.method, "chi_square");

    // Drift over time: amount's KS statistic is higher in the last windows than the first.
    let model = &store.prediction_models().expect("models")[0];
    let table = store
        .prediction_table(&model.model, model.first_ns, model.last_ns + 1)
        .expect("table");
    let (reference, _) = drift::default_windows(model.first_ns, model.last_ns);
    let day_ns = 86_400_000_000_000;
    let windows = drift::rolling_windows(reference.to_ns, model.last_ns + 1, day_ns, day_ns);
    let series = drift::drift_over_time(
        &table,
        reference,
        &windows,
        Some(Method::Psi),
        &Thresholds::default(),
    );
    let amount = series
        .iter()
        .find(|s| s.feature == "amount")
        .expect("amount series");
    assert_eq!(amount.points.len(), windows.len());
    let first = amount.points.first().expect("point").score;
    let last = amount.points.last().expect("point").score;
    assert!(last > first, "{amount:?}");
}

#[test]
fn sample_version_skew_flags_the_transition() {
    let (_dir, _guard, store, truth) = sample_store();
    let rows = version_skew_report(&store).expect("skew");
    let flagged: Vec<(&str, &str)> = rows
        .iter()
        .filter(|r| r.flagged)
        .map(|r| (r.model_version.as_str(), r.pipeline_version.as_str()))
        .collect();
    assert_eq!(
        flagged,
        vec![(
            truth.skew_combination[0].as_str(),
            truth.skew_combination[1].as_str()
        )]
    );
    assert_eq!(rows.len(), 3);
    let skew = rows.iter().find(|r| r.flagged).expect("flagged");
    assert!(
        skew.first_seen
            .starts_with(&truth.model_version_switch.at[..13]),
        "{skew:?} vs {}",
        truth.model_version_switch.at
    );
    let details = version_skew::version_skew(&store.prediction_versions().expect("rows"), 50);
    let combo = details
        .combinations
        .iter()
        .find(|c| c.flagged)
        .expect("flagged");
    assert_eq!(combo.rows as usize, truth.skew_rows);
    assert!(combo.share_while_active > 0.99);
    assert!(combo.confidence_change.is_some());
}

#[test]
fn a_cancelled_prediction_import_keeps_what_it_committed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for i in 0..100_000u64 {
        text.push_str(&format!(
            "{{\"ts\": {}, \"model\": \"m\", \"request_id\": \"r-{i}\", \"inputs\": {{\"a\": {i}}}, \"output\": 1}}\n",
            1_782_907_200 + i
        ));
    }
    let path = write(dir.path(), "big.jsonl", text.as_bytes());
    let (_guard, mut store) = common::temp_store();
    let control = tracedeck::ingest::ImportControl::default();
    let reports = std::thread::scope(|scope| {
        scope.spawn(|| {
            while control.snapshot().spans_done == 0 {
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            control.cancel();
        });
        tracedeck::ingest::import_paths(&mut store, &[path], &control).expect("import")
    });
    let r = &reports[0];
    assert_eq!(r.outcome, Outcome::Cancelled);
    assert!(
        r.predictions_new > 0 && r.predictions_new < 100_000,
        "{}",
        r.predictions_new
    );
    assert_eq!(store.prediction_count().expect("count"), r.predictions_new);
}

#[test]
fn import_reference_flag_makes_the_reference_window() {
    let dir = tempfile::tempdir().expect("tempdir");
    let manifest = samples::generate(&SampleOptions::default(), dir.path()).expect("generate");
    let truth = manifest.predictions.clone();
    let log = dir.path().join(&truth.file);
    // The first week under other request ids: what the model was validated on.
    let text = std::fs::read_to_string(&log).expect("log");
    let reference: String = text
        .lines()
        .take(1200)
        .map(|l| l.replace("\"request_id\":\"r-", "\"request_id\":\"ref-") + "\n")
        .collect();
    let reference_file = write(dir.path(), "reference.jsonl", reference.as_bytes());
    let db = dir.path().join("store.sqlite");
    let run = |args: &[&std::ffi::OsStr]| {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracedeck"))
            .arg("--db")
            .arg(&db)
            .args(args)
            .output()
            .expect("run tracedeck");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        serde_json::from_slice::<Value>(&out.stdout).expect("json")
    };
    let out = run(&[
        "import".as_ref(),
        log.as_os_str(),
        "--reference".as_ref(),
        reference_file.as_os_str(),
        "--json".as_ref(),
    ]);
    assert_eq!(out["reference"].as_array().map(Vec::len), Some(1), "{out}");
    // Scripts (and the import bench) read the importer's peak memory from the report.
    if cfg!(target_os = "linux") {
        assert!(
            out["peak_rss_kb"].as_u64().is_some_and(|kb| kb > 1000),
            "{out}"
        );
    }
    let store = tracedeck::store::Store::open(&db).expect("store");
    let references = store.reference_imports().expect("references");
    assert_eq!(references.len(), 1);
    assert_eq!(references[0].rows, 1200);
    let input = tracedeck::analysis::prediction_report::drift_input(
        &store,
        &truth.model,
        tracedeck::analysis::prediction_report::ReferenceChoice::Default,
    )
    .expect("input")
    .expect("a model");
    assert!(input.reference_import);
    // The production rows alone make the timeline; the reference rows sit in front.
    assert_eq!(input.table.timestamp_ns.len(), truth.rows + 1200);
    let rows = drift_report(&store).expect("drift");
    for feature in &truth.drifted_features {
        assert!(
            rows.iter().any(|r| &r.feature == feature && r.drifted),
            "{feature} drifts from the reference: {rows:#?}"
        );
    }
    for feature in &truth.stable_features {
        assert!(
            !rows.iter().any(|r| &r.feature == feature && r.drifted),
            "{feature} does not drift from the reference: {rows:#?}"
        );
    }
    // `report --json` measures against it too.
    let report = run(&["report".as_ref(), "--json".as_ref()]);
    let amount = report["drift"]
        .as_array()
        .and_then(|a| a.iter().find(|r| r["feature"] == "amount"))
        .expect("amount in the report");
    assert_eq!(amount["drifted"], true);
    // Importing the reference again adds nothing and keeps one reference's rows.
    run(&[
        "import".as_ref(),
        "--reference".as_ref(),
        reference_file.as_os_str(),
        "--json".as_ref(),
    ]);
    let total: u64 = store
        .reference_imports()
        .expect("references")
        .iter()
        .map(|r| r.rows)
        .sum();
    assert_eq!(total, 1200);
}
