//! Failure analytics on the bundled samples, checked against the generator's ground truth: the
//! error classes, the 429 chain (growing backoff, succeeded), the 400 storm (no backoff,
//! pointless, 8 attempts), the validation rate; a store migrated from schema 1 gets the same
//! classes; and a golden file of `tracedeck report --json`.

mod common;

use std::collections::BTreeSet;
use std::path::Path;

use tracedeck::analysis::retries::Backoff;
use tracedeck::model::hex_lower;
use tracedeck::report::{self, Report};
use tracedeck::samples::{self, SampleManifest, SampleOptions};
use tracedeck::store::Store;

const GOLDEN: &str = "tests/golden/report_samples.json";

fn manifest() -> SampleManifest {
    let dir = tempfile::tempdir().expect("tempdir");
    samples::generate(&SampleOptions::default(), dir.path()).expect("generate")
}

fn sample_store() -> (tempfile::TempDir, std::path::PathBuf) {
    let (guard, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);
    let path = store.path().to_owned();
    drop(store);
    (guard, path)
}

fn sample_report() -> Report {
    let (_guard, path) = sample_store();
    let store = Store::open(&path).expect("open");
    report::build(&store).expect("report")
}

#[test]
fn the_429_chain_and_the_400_storm_are_found_as_the_generator_made_them() {
    let m = manifest();
    let report = sample_report();
    let find = |trace: &str, first_span: &str| {
        report
            .chains
            .iter()
            .find(|c| {
                hex_lower(&c.trace_id) == trace
                    && c.attempts.first().map(|a| hex_lower(&a.span_id)).as_deref()
                        == Some(first_span)
            })
            .unwrap_or_else(|| panic!("no chain starting at {trace}/{first_span}"))
    };

    let rl = &m.rate_limit_chain;
    let chain = find(&rl.trace_id, &rl.attempt_span_ids[0]);
    let ids: Vec<String> = chain.span_ids().map(|s| hex_lower(s)).collect();
    assert_eq!(ids, rl.attempt_span_ids);
    assert_eq!(chain.backoff, Backoff::Growing);
    assert!(chain.succeeded && !chain.pointless && !chain.storm);
    for (got, want) in chain.waits_ms.iter().zip(&rl.waits_ms) {
        assert!(
            (got - want).abs() < 1e-6,
            "wait {got} ms, generator {want} ms"
        );
    }

    let st = &m.invalid_request_storm;
    let chain = find(&st.trace_id, &st.attempt_span_ids[0]);
    let ids: Vec<String> = chain.span_ids().map(|s| hex_lower(s)).collect();
    assert_eq!(ids, st.attempt_span_ids);
    assert_eq!(chain.attempts.len(), 8);
    assert_eq!(chain.backoff, Backoff::None);
    assert!(chain.pointless && chain.storm && !chain.succeeded);
    assert_eq!(chain.wasted_tokens, st.wasted_input_tokens);
    assert!(
        chain
            .attempts
            .iter()
            .all(|a| a.class.as_str() == "structural")
    );

    // Every generated chain, and nothing else (the repaired out-of-order request is not a retry).
    let found: BTreeSet<Vec<String>> = report
        .chains
        .iter()
        .map(|c| c.span_ids().map(|s| hex_lower(s)).collect())
        .collect();
    let expected: BTreeSet<Vec<String>> = m
        .retry_chains
        .iter()
        .map(|c| c.attempt_span_ids.clone())
        .collect();
    assert_eq!(found, expected);
    for c in &report.chains {
        if c.attempts.len() == 2 {
            assert!(c.succeeded && !c.pointless && !c.storm, "{c:?}");
        }
    }
}

#[test]
fn validation_rate_matches_the_generator() {
    let m = manifest();
    let report = sample_report();
    let s = &m.structured_outputs;
    let v = &report.validation;
    assert_eq!(v.overall.validated as usize, s.declared_json);
    assert_eq!(v.overall.failed as usize, s.invalid_json);
    let expected_rate = s.invalid_json as f64 / s.declared_json as f64;
    assert!((v.overall.rate - expected_rate).abs() < 1e-12);
    let failed: BTreeSet<String> = v.failures.iter().map(|f| hex_lower(&f.span_id)).collect();
    let expected: BTreeSet<String> = s.invalid_span_ids.iter().cloned().collect();
    assert_eq!(failed, expected);
    // Failed evaluations are exactly on invalid outputs, so they add no failure of their own.
    assert!(s.eval_fail <= s.invalid_json);
}

#[test]
fn error_classes_on_the_samples() {
    let m = manifest();
    let report = sample_report();
    let e = &report.json.errors;
    // 3 rate limits, the 400 out of order, 8 storm attempts.
    assert!(e.transient >= 3, "{e:?}");
    assert!(e.structural >= 9, "{e:?}");
    assert_eq!(e.quota + e.auth, 0, "{e:?}");
    assert_eq!(e.unknown, 0, "{e:?}");
    assert!(report.json.store.error_spans as usize >= m.exception_spans);
}

/// A store written by schema 1 (no `error_class`) is classified when it is opened.
#[test]
fn migration_classifies_spans_stored_before_the_column() {
    let (_guard, path) = sample_store();
    let before = {
        let store = Store::open(&path).expect("open");
        report::build(&store).expect("report").json
    };
    {
        // Back to schema 1: no `error_class`, and none of the tables later migrations add.
        let conn = rusqlite_conn(&path);
        let v1_tables = [
            "imports",
            "resources",
            "scopes",
            "spans",
            "span_events",
            "span_links",
            "traces",
        ];
        let later: Vec<String> = conn
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'",
            )
            .expect("list tables")
            .query_map([], |r| r.get(0))
            .expect("tables")
            .collect::<Result<Vec<String>, _>>()
            .expect("table names")
            .into_iter()
            .filter(|t| !v1_tables.contains(&t.as_str()))
            .collect();
        for table in later {
            conn.execute_batch(&format!("DROP TABLE \"{table}\""))
                .expect("drop later table");
        }
        conn.execute_batch(
            "DROP INDEX IF EXISTS spans_by_error_class;
             ALTER TABLE spans DROP COLUMN error_class;
             DROP INDEX IF EXISTS spans_validation_candidates;
             ALTER TABLE spans DROP COLUMN validation_candidate;
             PRAGMA user_version = 1;",
        )
        .expect("downgrade");
    }
    let store = Store::open(&path).expect("migrate");
    let after = report::build(&store).expect("report").json;
    assert_eq!(after.errors, before.errors);
    assert_eq!(after.retry_chains, before.retry_chains);
    assert_eq!(after.validation, before.validation);
}

/// A store written before the `validation_candidate` column gets it filled when opened: the
/// Validation tab and the report find the same failures as on a fresh import.
#[test]
fn migration_flags_validation_candidates_stored_before_the_column() {
    let (_guard, path) = sample_store();
    let before = {
        let store = Store::open(&path).expect("open");
        report::build(&store).expect("report").json.validation
    };
    assert!(before.validated > 0);
    // Back to schema 3, before the migration that added the column (4); what the later
    // migrations added goes too, so they run again.
    {
        let conn = rusqlite_conn(&path);
        conn.execute_batch(
            "DROP INDEX IF EXISTS spans_validation_candidates;
             ALTER TABLE spans DROP COLUMN validation_candidate;
             DROP TABLE IF EXISTS import_roles;",
        )
        .expect("drop the column");
        conn.pragma_update(None, "user_version", 3)
            .expect("downgrade");
    }
    let store = Store::open(&path).expect("migrate");
    let after = report::build(&store).expect("report").json.validation;
    assert_eq!(after, before);
}

fn rusqlite_conn(path: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open(path).expect("open sqlite")
}

/// `tracedeck report --json` on the samples, byte for byte. To accept a deliberate change:
/// `UPDATE_GOLDEN=1 cargo test --test failures golden` and review the diff of the golden file.
#[test]
fn golden_report_json_on_the_samples() {
    let (_guard, path) = sample_store();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracedeck"))
        .args(["report", "--json", "--db"])
        .arg(&path)
        .output()
        .expect("run tracedeck report");
    assert!(
        out.status.success(),
        "tracedeck report failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let got = String::from_utf8(out.stdout).expect("utf-8");
    let golden_path = Path::new(env!("CARGO_MANIFEST_DIR")).join(GOLDEN);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden_path, &got).expect("write golden");
        return;
    }
    let want = std::fs::read_to_string(&golden_path).unwrap_or_default();
    if got != want {
        let mut diff = String::new();
        let (g, w): (Vec<&str>, Vec<&str>) = (got.lines().collect(), want.lines().collect());
        let mut shown = 0;
        for i in 0..g.len().max(w.len()) {
            let (a, b) = (w.get(i).copied(), g.get(i).copied());
            if a != b {
                diff.push_str(&format!(
                    "line {}:\n  - {}\n  + {}\n",
                    i + 1,
                    a.unwrap_or("<none>"),
                    b.unwrap_or("<none>")
                ));
                shown += 1;
                if shown == 40 {
                    diff.push_str("  ...\n");
                    break;
                }
            }
        }
        panic!(
            "`tracedeck report --json` on sample_traces/ differs from {GOLDEN} (- golden, + now):\n{diff}\n\
             If the change is intended, regenerate the golden file with\n  \
             UPDATE_GOLDEN=1 cargo test --test failures golden\nand review `git diff {GOLDEN}`."
        );
    }
}

/// `tracedeck report --json | head -1`: the reader goes away before the report is written, and
/// the command ends without a panic message.
#[test]
fn report_into_a_closed_pipe_ends_quietly() {
    let (_guard, path) = sample_store();
    let (reader, writer) = std::io::pipe().expect("pipe");
    drop(reader);
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_tracedeck"))
        .args(["report", "--json", "--db"])
        .arg(&path)
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .expect("run tracedeck report");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.is_empty(), "{stderr}");
    assert!(out.status.success());
}
