//! Sharing a store: snapshots keep exactly the selected data and report like the source; the
//! secrets fixture leaves no planted secret in the output bytes (free pages included) and its
//! JSON still parses; files from others are checked and each hostile one refused with its own
//! message, without writing anything; start-here pointers; importing a snapshot into a store.

mod common;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rusqlite::Connection;
use tracedeck::report;
use tracedeck::share::merge::import_into;
use tracedeck::share::open_check::upgrade_copy;
use tracedeck::share::snapshot::ExportError;
use tracedeck::share::{
    ExportControl, ExportOptions, RedactOptions, Refusal, Selection, StartHere, check_file,
    deep_link, export, read_snapshot_info,
};
use tracedeck::store::{SCHEMA_VERSION, SpanFilter, Store};

fn samples_store() -> (tempfile::TempDir, PathBuf) {
    let (dir, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);
    let path = store.path().to_owned();
    (dir, path)
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

fn export_ok(source: &Path, out: &Path, options: &ExportOptions) {
    if let Err(e) = export(source, out, options, &ExportControl::default()) {
        panic!("export failed: {e}");
    }
}

fn only(selection: Selection) -> ExportOptions {
    ExportOptions {
        selection,
        ..ExportOptions::default()
    }
}

/// (trace_id, span_id) of the spans a condition selects.
fn span_keys(db: &Path, condition: &str) -> BTreeSet<(Vec<u8>, Vec<u8>)> {
    let conn = Connection::open(db).expect("open");
    let mut stmt = conn
        .prepare(&format!(
            "SELECT trace_id, span_id FROM spans WHERE {condition}"
        ))
        .expect("prepare");
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows")
}

fn count(db: &Path, sql: &str) -> i64 {
    Connection::open(db)
        .expect("open")
        .query_row(sql, [], |r| r.get(0))
        .expect("count")
}

fn report_of(db: &Path) -> report::ReportJson {
    let store = Store::open_untrusted(db).expect("open snapshot");
    report::build(&store).expect("report").json
}

fn hex(bytes: &[u8]) -> String {
    tracedeck::model::hex_lower(bytes)
}

#[test]
fn everything_exported_reports_like_the_source_and_the_source_is_untouched() {
    let (dir, db) = samples_store();
    let before = std::fs::read(&db).expect("read");
    let out = dir.path().join("all.sqlite");
    export_ok(&db, &out, &ExportOptions::default());
    assert_eq!(
        std::fs::read(&db).expect("read"),
        before,
        "the source changed"
    );
    assert_eq!(report_of(&out), report_of(&db));
    assert_eq!(span_keys(&out, "1"), span_keys(&db, "1"));
    assert_eq!(
        count(&out, "SELECT count(*) FROM predictions"),
        count(&db, "SELECT count(*) FROM predictions")
    );
    let store = Store::open_untrusted(&out).expect("open");
    let info = read_snapshot_info(&store)
        .expect("info")
        .expect("a snapshot row");
    assert_eq!(info.tracedeck_version, env!("CARGO_PKG_VERSION"));
    assert_eq!(info.schema_version, SCHEMA_VERSION);
    assert_eq!(info.source, "store.sqlite");
    assert_eq!(info.imports.len(), 3, "{:?}", info.imports);
    assert_eq!(info.spans as i64, count(&db, "SELECT count(*) FROM spans"));
    // Compacted: a fresh file without free pages, in rollback-journal mode (one file).
    assert_eq!(count(&out, "PRAGMA freelist_count"), 0);
    assert!(!dir.path().join("all.sqlite-wal").exists());
}

#[test]
fn each_filter_keeps_exactly_the_selected_data() {
    let (dir, db) = samples_store();
    let conn = Connection::open(&db).expect("open");

    // Service.
    let service: String = conn
        .query_row(
            "SELECT service FROM spans GROUP BY service ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("service");
    let out = dir.path().join("service.sqlite");
    export_ok(
        &db,
        &out,
        &only(Selection {
            services: vec![service.clone()],
            ..Selection::default()
        }),
    );
    assert_eq!(
        span_keys(&out, "1"),
        span_keys(&db, &format!("service = '{service}'"))
    );
    // The report for that selection: the service's latency rows are the source's.
    let of_service = |r: report::ReportJson| -> Vec<report::LatencyJson> {
        r.latency
            .into_iter()
            .filter(|l| l.service == service)
            .collect()
    };
    assert_eq!(of_service(report_of(&out)), of_service(report_of(&db)));
    assert!(!of_service(report_of(&out)).is_empty());

    // Time range: the middle third of the data.
    let (lo, hi): (i64, i64) = conn
        .query_row("SELECT min(start_ns), max(start_ns) FROM spans", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .expect("bounds");
    let (since, until) = (lo + (hi - lo) / 3, lo + 2 * (hi - lo) / 3);
    let out = dir.path().join("time.sqlite");
    export_ok(
        &db,
        &out,
        &only(Selection {
            since_ns: Some(since),
            until_ns: Some(until),
            ..Selection::default()
        }),
    );
    assert_eq!(
        span_keys(&out, "1"),
        span_keys(&db, &format!("start_ns >= {since} AND start_ns < {until}"))
    );
    assert_eq!(
        count(&out, "SELECT count(*) FROM predictions"),
        count(
            &db,
            &format!(
                "SELECT count(*) FROM predictions WHERE timestamp_ns >= {since} AND timestamp_ns < {until}"
            )
        )
    );

    // Traces: the two with the most spans, whole, with their retry chains as in the source.
    let mut stmt = conn
        .prepare("SELECT trace_id FROM traces ORDER BY span_count DESC LIMIT 2")
        .expect("prepare");
    let traces: Vec<[u8; 16]> = stmt
        .query_map([], |r| r.get::<_, Vec<u8>>(0))
        .expect("query")
        .filter_map(Result::ok)
        .filter_map(|t| t.try_into().ok())
        .collect();
    assert_eq!(traces.len(), 2);
    let out = dir.path().join("traces.sqlite");
    export_ok(
        &db,
        &out,
        &only(Selection {
            trace_ids: traces.clone(),
            ..Selection::default()
        }),
    );
    let wanted: Vec<String> = traces.iter().map(|t| hex(t)).collect();
    assert_eq!(
        span_keys(&out, "1"),
        span_keys(
            &db,
            &format!(
                "hex(trace_id) IN ('{}')",
                wanted
                    .iter()
                    .map(|t| t.to_uppercase())
                    .collect::<Vec<_>>()
                    .join("','")
            )
        )
    );
    assert_eq!(count(&out, "SELECT count(*) FROM traces"), 2);
    let chains_of = |r: report::ReportJson| -> Vec<(String, Vec<String>)> {
        r.retry_chains
            .into_iter()
            .filter(|c| wanted.contains(&c.trace_id))
            .map(|c| (c.trace_id, c.span_ids))
            .collect()
    };
    assert_eq!(chains_of(report_of(&out)), chains_of(report_of(&db)));
    // Predictions follow the traces.
    let in_traces = count(
        &out,
        "SELECT count(*) FROM predictions WHERE trace_id IS NULL OR trace_id NOT IN (SELECT trace_id FROM traces)",
    );
    assert_eq!(in_traces, 0);

    // Conversation.
    let key: String = conn
        .query_row(
            "SELECT conversation_key FROM spans WHERE conversation_key IS NOT NULL
             GROUP BY conversation_key ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a conversation in the samples");
    let out = dir.path().join("conversation.sqlite");
    export_ok(
        &db,
        &out,
        &only(Selection {
            conversations: vec![key.clone()],
            ..Selection::default()
        }),
    );
    assert_eq!(
        span_keys(&out, "1"),
        span_keys(&db, &format!("conversation_key = '{key}'"))
    );

    // The app's filter (errors only).
    let out = dir.path().join("errors.sqlite");
    export_ok(
        &db,
        &out,
        &only(Selection {
            filter: Some(SpanFilter {
                errors_only: true,
                ..SpanFilter::default()
            }),
            ..Selection::default()
        }),
    );
    assert_eq!(span_keys(&out, "1"), span_keys(&db, "status_code = 2"));

    // A selection with nothing in it writes nothing.
    let out = dir.path().join("empty.sqlite");
    let result = export(
        &db,
        &out,
        &only(Selection {
            services: vec!["no-such-service".to_owned()],
            ..Selection::default()
        }),
        &ExportControl::default(),
    );
    assert!(matches!(result, Err(ExportError::Empty)), "{result:?}");
    assert!(!out.exists());
}

fn planted_secrets() -> Vec<String> {
    std::fs::read_to_string(fixture("secrets.planted.txt"))
        .expect("planted list")
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(str::to_owned)
        .collect()
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_planted_secret_survives_redaction_and_json_still_parses() {
    let (dir, mut store) = common::temp_store();
    common::import(
        &mut store,
        &[
            fixture("secrets.otlp.json"),
            fixture("secrets.predictions.jsonl"),
        ],
    );
    let db = store.path().to_owned();
    drop(store);
    let secrets = planted_secrets();
    assert!(secrets.len() >= 20);
    let source_bytes = std::fs::read(&db).expect("read");
    // The fixture really plants them (the check below could not fail otherwise).
    let planted = secrets
        .iter()
        .filter(|s| contains(&source_bytes, s.as_bytes()))
        .count();
    assert!(
        planted >= secrets.len() - 2,
        "{planted} of {}",
        secrets.len()
    );

    let out = dir.path().join("redacted.sqlite");
    let control = ExportControl::default();
    let summary = export(
        &db,
        &out,
        &ExportOptions {
            redact: Some(RedactOptions {
                drop_keys: vec!["user.ssn".to_owned()],
                patterns: vec![r"ACME-\d{6}".to_owned()],
            }),
            ..ExportOptions::default()
        },
        &control,
    )
    .expect("export");
    let bytes = std::fs::read(&out).expect("read output");
    let leaked: Vec<&String> = secrets
        .iter()
        .filter(|s| contains(&bytes, s.as_bytes()))
        .collect();
    assert!(leaked.is_empty(), "secrets in the output: {leaked:?}");
    let stats = summary.redaction.expect("redaction stats");
    for kind in [
        "api_key",
        "aws_access_key",
        "github_token",
        "jwt",
        "private_key",
        "email",
        "phone",
        "card_number",
        "ip_address",
        "secret",
        "custom",
    ] {
        assert!(
            stats.counts.get(kind).is_some_and(|n| *n > 0),
            "{kind}: {stats:?}"
        );
    }
    assert_eq!(stats.dropped_keys, 1);

    // Every JSON column parses, and so do JSON payloads inside attribute strings.
    let conn = Connection::open(&out).expect("open");
    for sql in [
        "SELECT attributes FROM spans",
        "SELECT attributes FROM span_events",
        "SELECT attributes FROM span_links",
        "SELECT attributes FROM resources",
        "SELECT features FROM predictions",
    ] {
        let mut stmt = conn.prepare(sql).expect("prepare");
        let texts: Vec<String> = stmt
            .query_map([], |r| r.get(0))
            .expect("query")
            .collect::<Result<_, _>>()
            .expect("rows");
        assert!(!texts.is_empty(), "{sql}");
        for text in texts {
            let value: serde_json::Value =
                serde_json::from_str(&text).unwrap_or_else(|e| panic!("{sql}: {e}: {text}"));
            if let Some(messages) = value.get("gen_ai.input.messages").and_then(|m| m.as_str()) {
                let parsed: serde_json::Value =
                    serde_json::from_str(messages).expect("messages still JSON");
                assert_eq!(parsed.as_array().map(Vec::len), Some(2));
                assert!(messages.contains("[REDACTED:card_number:"), "{messages}");
            }
            assert!(value.get("user.ssn").is_none());
        }
    }
    // The conversation still holds together: one (redacted) key for both spans.
    let keys: Vec<String> = conn
        .prepare("SELECT DISTINCT conversation_key FROM spans")
        .expect("prepare")
        .query_map([], |r| r.get(0))
        .expect("query")
        .collect::<Result<_, _>>()
        .expect("rows");
    assert_eq!(keys.len(), 1);
    assert!(keys.iter().all(|k| k.starts_with("[REDACTED:email:")));
    // The snapshot says it was redacted, without the user's patterns themselves.
    let info: String = conn
        .query_row("SELECT redaction FROM snapshot", [], |r| r.get(0))
        .expect("snapshot row");
    assert!(
        info.contains("\"enabled\":true") && !info.contains("ACME"),
        "{info}"
    );
}

#[test]
fn a_conversation_start_here_is_rewritten_with_its_redacted_key_and_resolves() {
    let (dir, mut store) = common::temp_store();
    common::import(&mut store, &[fixture("secrets.otlp.json")]);
    let db = store.path().to_owned();
    drop(store);
    let out = dir.path().join("s.sqlite");
    let summary = export(
        &db,
        &out,
        &ExportOptions {
            redact: Some(RedactOptions::default()),
            start_here: Some(StartHere::Conversation {
                key: "alice.martin@example.com".to_owned(),
                step: 2,
            }),
            ..ExportOptions::default()
        },
        &ExportControl::default(),
    )
    .expect("export");
    let pointer = summary.start_here.expect("pointer");
    assert!(pointer.starts_with("conversation:[REDACTED:email:") && pointer.ends_with(":2"));
    let checked = check_file(&out).expect("checks pass");
    let info = checked.snapshot.expect("snapshot");
    assert_eq!(info.start_here.as_deref(), Some(pointer.as_str()));
    let parsed: StartHere = pointer.parse().expect("parses");
    let store = Store::open_untrusted(&out).expect("open");
    assert!(
        deep_link::resolve(&store, &parsed)
            .expect("resolve")
            .is_some()
    );
}

#[test]
fn a_trace_start_here_must_be_in_the_selection() {
    let (dir, db) = samples_store();
    let conn = Connection::open(&db).expect("open");
    let (trace, span): (Vec<u8>, Vec<u8>) = conn
        .query_row(
            "SELECT trace_id, span_id FROM spans WHERE parent_span_id IS NOT NULL LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .expect("a span");
    let trace_id: [u8; 16] = trace.try_into().expect("16 bytes");
    let span_id: [u8; 8] = span.try_into().expect("8 bytes");
    let pointer = StartHere::Trace {
        trace_id,
        span_id: Some(span_id),
    };
    let out = dir.path().join("t.sqlite");
    export_ok(
        &db,
        &out,
        &ExportOptions {
            selection: Selection {
                trace_ids: vec![trace_id],
                ..Selection::default()
            },
            start_here: Some(pointer.clone()),
            ..ExportOptions::default()
        },
    );
    let info = check_file(&out)
        .expect("checks")
        .snapshot
        .expect("snapshot");
    assert_eq!(info.start_here, Some(pointer.to_string()));

    // A pointer outside the selection is refused, and nothing is written.
    let out = dir.path().join("outside.sqlite");
    let result = export(
        &db,
        &out,
        &ExportOptions {
            selection: Selection {
                services: vec!["no-such-service".to_owned()],
                since_ns: None,
                ..Selection::default()
            },
            start_here: Some(pointer),
            ..ExportOptions::default()
        },
        &ExportControl::default(),
    );
    assert!(result.is_err());
    assert!(!out.exists());
}

#[test]
fn a_cancelled_export_leaves_no_file() {
    let (dir, db) = samples_store();
    let out = dir.path().join("cancelled.sqlite");
    let control = ExportControl::default();
    control.cancel();
    let result = export(&db, &out, &ExportOptions::default(), &control);
    assert!(matches!(result, Err(ExportError::Cancelled)), "{result:?}");
    assert!(!out.exists());
    let leftovers: Vec<_> = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter_map(Result::ok)
        .filter(|e| e.file_name().to_string_lossy().contains("partial"))
        .collect();
    assert!(leftovers.is_empty());
}

/// A copy of a real store, changed by `sql`.
fn tampered(dir: &Path, source: &Path, name: &str, sql: &str) -> PathBuf {
    let path = dir.join(name);
    export_ok(source, &path, &ExportOptions::default());
    let conn = Connection::open(&path).expect("open");
    conn.execute_batch(sql).expect("tamper");
    drop(conn);
    path
}

fn refusal(path: &Path) -> Refusal {
    let before = std::fs::read(path).ok();
    let result = check_file(path);
    assert_eq!(
        std::fs::read(path).ok(),
        before,
        "the check changed {path:?}"
    );
    match result {
        Ok(c) => panic!("{path:?} was accepted: {c:?}"),
        Err(r) => r,
    }
}

#[test]
fn hostile_files_are_each_refused_with_their_own_message() {
    let (dir, db) = samples_store();
    let d = dir.path();
    let snapshot = d.join("good.sqlite");
    export_ok(&db, &snapshot, &ExportOptions::default());
    assert!(check_file(&snapshot).is_ok());

    let trigger = tampered(
        d,
        &db,
        "trigger.sqlite",
        "CREATE TRIGGER evil AFTER INSERT ON spans BEGIN DELETE FROM spans; END;",
    );
    let r = refusal(&trigger);
    assert!(
        matches!(&r, Refusal::Hostile { kind: "trigger", name, .. } if name == "evil"),
        "{r}"
    );
    assert!(r.to_string().contains("trigger named \"evil\""), "{r}");

    let view = tampered(
        d,
        &db,
        "view.sqlite",
        "CREATE VIEW peek AS SELECT * FROM spans;",
    );
    let r = refusal(&view);
    assert!(matches!(&r, Refusal::Hostile { kind: "view", .. }), "{r}");

    let virtual_table = tampered(
        d,
        &db,
        "virtual.sqlite",
        "CREATE VIRTUAL TABLE search USING fts5(body);",
    );
    let r = refusal(&virtual_table);
    assert!(
        matches!(&r, Refusal::Hostile { kind: "virtual table", name, .. } if name == "search"),
        "{r}"
    );

    let newer = tampered(
        d,
        &db,
        "newer.sqlite",
        &format!("PRAGMA user_version = {};", SCHEMA_VERSION + 4),
    );
    let r = refusal(&newer);
    let text = r.to_string();
    assert!(matches!(r, Refusal::NewerSchema { .. }), "{text}");
    assert!(
        text.contains(&(SCHEMA_VERSION + 4).to_string())
            && text.contains(&format!("schema version {SCHEMA_VERSION}")),
        "{text}"
    );

    let truncated = d.join("truncated.sqlite");
    let bytes = std::fs::read(&snapshot).expect("read");
    std::fs::write(&truncated, &bytes[..bytes.len() / 2]).expect("write");
    let r = refusal(&truncated);
    assert!(matches!(r, Refusal::Truncated { .. }), "{r}");
    assert!(r.to_string().contains("truncated"));

    let random = d.join("random.sqlite");
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let noise: Vec<u8> = (0..8192)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    std::fs::write(&random, noise).expect("write");
    let r = refusal(&random);
    assert!(matches!(r, Refusal::NotSqlite { .. }), "{r}");
    assert!(r.to_string().contains("not a SQLite database"));

    let empty = d.join("empty.sqlite");
    std::fs::write(&empty, b"").expect("write");
    let r = refusal(&empty);
    assert!(matches!(r, Refusal::Empty { .. }), "{r}");
    assert!(r.to_string().contains("empty (0 bytes)"));

    let text = d.join("notes.sqlite");
    std::fs::write(&text, "these are my notes, not a database\n").expect("write");
    assert!(matches!(refusal(&text), Refusal::Text { .. }));

    let other_app = d.join("other.sqlite");
    {
        let conn = Connection::open(&other_app).expect("open");
        conn.execute_batch(
            "CREATE TABLE users(id INTEGER PRIMARY KEY, name TEXT);
             INSERT INTO users(name) VALUES ('a');",
        )
        .expect("create");
    }
    let r = refusal(&other_app);
    assert!(matches!(r, Refusal::NotTracedeck { .. }), "{r}");
    assert!(
        r.to_string().contains("another application") && r.to_string().contains("users"),
        "{r}"
    );

    // A damaged page inside an otherwise whole file.
    let corrupt = d.join("corrupt.sqlite");
    let mut bytes = std::fs::read(&snapshot).expect("read");
    let page = 4096;
    for b in bytes.iter_mut().skip(page * 2).take(page * 3) {
        *b = 0x5a;
    }
    std::fs::write(&corrupt, &bytes).expect("write");
    let r = refusal(&corrupt);
    assert!(
        matches!(r, Refusal::Corrupt { .. } | Refusal::Unopenable { .. }),
        "{r}"
    );

    // Every message is different.
    let messages: BTreeSet<String> = [
        &trigger, &view, &newer, &truncated, &random, &empty, &text, &other_app,
    ]
    .iter()
    .map(|p| {
        refusal(p)
            .to_string()
            .replace(&p.display().to_string(), "FILE")
    })
    .collect();
    assert_eq!(messages.len(), 8, "{messages:#?}");
}

#[test]
fn an_older_store_is_upgraded_in_a_copy_and_the_original_stays() {
    let (dir, db) = samples_store();
    // Schema version 2: what a store looked like before predictions.
    let older = tampered(dir.path(), &db, "older.sqlite", common::MAKE_SCHEMA_2);
    let before = std::fs::read(&older).expect("read");
    let checked = check_file(&older).expect("an older store passes the checks");
    assert_eq!(checked.upgrade_from, Some(2));
    assert!(Store::open_untrusted(&older).is_err(), "not opened as is");
    let copy = upgrade_copy(&checked, &dir.path().join("upgraded/older.sqlite")).expect("upgrade");
    assert_eq!(
        std::fs::read(&older).expect("read"),
        before,
        "original changed"
    );
    let upgraded = check_file(&copy).expect("checks");
    assert_eq!(upgraded.schema_version, SCHEMA_VERSION);
    assert_eq!(upgraded.upgrade_from, None);
}

#[test]
fn importing_a_snapshot_into_my_store_dedupes() {
    let (dir, db) = samples_store();
    let snapshot = dir.path().join("snap.sqlite");
    let service: String = Connection::open(&db)
        .expect("open")
        .query_row("SELECT service FROM spans LIMIT 1", [], |r| r.get(0))
        .expect("service");
    export_ok(
        &db,
        &snapshot,
        &only(Selection {
            services: vec![service.clone()],
            ..Selection::default()
        }),
    );
    let mut mine = Store::open(&dir.path().join("mine.sqlite")).expect("open mine");
    let first = import_into(&snapshot, &mut mine, &ExportControl::default()).expect("import");
    let spans = count(&snapshot, "SELECT count(*) FROM spans") as u64;
    assert_eq!(first.spans_new, spans);
    let second = import_into(&snapshot, &mut mine, &ExportControl::default()).expect("again");
    assert_eq!(second.spans_new, 0);
    assert_eq!(second.spans_read, spans);
    drop(mine);
    let mine = dir.path().join("mine.sqlite");
    assert_eq!(span_keys(&mine, "1"), span_keys(&snapshot, "1"));
    assert_eq!(
        count(&mine, "SELECT count(*) FROM traces"),
        count(&snapshot, "SELECT count(*) FROM traces")
    );
    assert_eq!(
        count(
            &mine,
            "SELECT count(*) FROM imports WHERE format = 'tracedeck store'"
        ),
        2
    );
    // Its report equals the snapshot's.
    assert_eq!(report_of(&mine), report_of(&snapshot));
}

#[test]
fn a_file_name_with_uri_characters_opens() {
    let (dir, db) = samples_store();
    let odd = dir.path().join("from bob? #1 100%.sqlite");
    export_ok(&db, &odd, &ExportOptions::default());
    let checked = check_file(&odd).expect("checks pass");
    assert!(checked.snapshot.is_some());
    assert!(Store::open_untrusted(&odd).is_ok());
}
