//! Killing the process in the middle of an import leaves the store valid (`PRAGMA quick_check`)
//! with every earlier import intact; the killed import is marked interrupted, and importing the
//! file again completes it without duplicates.

mod common;

use std::io::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tracedeck::store::Store;

/// Writes an OTLP/JSON Lines file of `lines` requests with `per_line` spans each.
fn write_jsonl(path: &Path, lines: usize, per_line: usize, seed: u64) {
    let mut out = std::io::BufWriter::new(std::fs::File::create(path).expect("create"));
    for line in 0..lines {
        let spans: Vec<serde_json::Value> = (0..per_line)
            .map(|i| {
                let n = (line * per_line + i) as u64;
                let start = 1_763_676_000_000_000_000u64 + n * 1_000_000;
                serde_json::json!({
                    "traceId": format!("{:016x}{:016x}", seed, n / 10),
                    "spanId": format!("{:016x}", n + 1),
                    "parentSpanId": if n % 10 == 0 { String::new() } else { format!("{:016x}", n - n % 10 + 1) },
                    "name": format!("op-{}", n % 17),
                    "kind": 2,
                    "startTimeUnixNano": start.to_string(),
                    "endTimeUnixNano": (start + 5_000_000 + (n % 97) * 100_000).to_string(),
                    "attributes": [
                        {"key": "http.response.status_code", "value": {"intValue": "200"}},
                        {"key": "payload", "value": {"stringValue": "x".repeat(200)}}
                    ],
                    "status": {"code": if n % 50 == 0 { 2 } else { 0 }}
                })
            })
            .collect();
        let req = serde_json::json!({"resourceSpans": [{
            "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "crash-test"}}]},
            "scopeSpans": [{"scope": {"name": "t"}, "spans": spans}]
        }]});
        writeln!(out, "{req}").expect("write");
    }
    out.flush().expect("flush");
}

#[test]
fn killing_an_import_keeps_the_store_valid_and_earlier_imports_intact() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("store.sqlite");
    let small = dir.path().join("small.jsonl");
    let big = dir.path().join("big.jsonl");
    write_jsonl(&small, 20, 50, 1);
    write_jsonl(&big, 1_000, 100, 2);

    let bin = env!("CARGO_BIN_EXE_tracedeck");
    let status = Command::new(bin)
        .args(["import", "--db"])
        .arg(&db)
        .arg(&small)
        .stdout(Stdio::null())
        .status()
        .expect("run tracedeck import");
    assert!(status.success());
    let before = Store::open(&db).expect("open").counts().expect("counts");
    assert_eq!(before.spans, 1_000);

    // Start the big import and kill it as soon as its first transaction is committed (more
    // spans than before): it is then in the middle of its next one. A release build imports the
    // whole file in well under a second, so a fixed delay could miss it.
    let mut child = Command::new(bin)
        .args(["import", "--db"])
        .arg(&db)
        .arg(&big)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn import");
    let started = Instant::now();
    loop {
        let committed = Store::open_read_only(&db)
            .and_then(|s| s.counts())
            .is_ok_and(|c| c.spans > before.spans);
        if committed || started.elapsed() > Duration::from_secs(20) {
            break;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
    let finished_early = child.try_wait().expect("try_wait").is_some();
    child.kill().expect("kill");
    let _ = child.wait();
    assert!(
        !finished_early,
        "the import finished before it could be killed; make the file bigger"
    );

    let store = Store::open(&db).expect("the store opens after a kill");
    store.quick_check().expect("quick_check is ok after a kill");
    let after = store.counts().expect("counts");
    assert!(
        after.spans > before.spans,
        "earlier spans are intact, and so are those the killed import had committed"
    );
    let imports = store.imports().expect("imports");
    assert!(
        imports
            .iter()
            .any(|r| r.status == "ok" && r.path.ends_with("small.jsonl")),
        "the earlier import is still recorded as ok: {imports:?}"
    );
    assert!(
        imports.iter().any(|r| r.status == "interrupted"),
        "the killed import is marked interrupted: {imports:?}"
    );
    drop(store);

    // Importing the file again completes it, with no duplicates.
    let status = Command::new(bin)
        .args(["import", "--db"])
        .arg(&db)
        .arg(&big)
        .stdout(Stdio::null())
        .status()
        .expect("re-import");
    assert!(status.success());
    let store = Store::open(&db).expect("open");
    assert_eq!(store.counts().expect("counts").spans, 1_000 + 100_000);
    store.quick_check().expect("quick_check");
}
