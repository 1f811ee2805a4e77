//! Import benchmark: generates spans as OTLP/JSON Lines and as Collector-framed protobuf, then
//! runs the real `tracedeck import` on each into a fresh store (indexes included) and prints
//! spans/s and the importer's peak resident memory.
//!
//! `cargo bench --bench import` (200,000 spans, the median of 3 runs after a warm-up run),
//! `-- --spans N` for another size, `-- --runs N` for another number of runs, and
//! `-- --stream-gb 2` to also import a JSON Lines file of about that many GB (the bounded memory
//! check: the importer must stay under 500 MB resident).

use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use tracedeck::encode::{otlp_json, otlp_proto};
use tracedeck::model::ResourceSpans;
use tracedeck::samples::generate_bench_spans;

/// Spans per request line / frame, like a Collector batch.
const SPANS_PER_REQUEST: usize = 1_000;

fn batches(blocks: Vec<ResourceSpans>) -> Vec<Vec<ResourceSpans>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    let mut spans = 0;
    for block in blocks {
        spans += block.span_count();
        current.push(block);
        if spans >= SPANS_PER_REQUEST {
            out.push(std::mem::take(&mut current));
            spans = 0;
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

struct Run {
    spans: u64,
    elapsed: Duration,
    peak_rss_kb: u64,
}

fn import(file: &Path, db: &Path) -> Run {
    let _ = std::fs::remove_file(db);
    let started = Instant::now();
    // The importer reports its own peak memory: polling /proc from here slowed it measurably.
    let output = Command::new(env!("CARGO_BIN_EXE_tracedeck"))
        .args(["import", "--json", "--db"])
        .arg(db)
        .arg(file)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .output()
        .expect("run tracedeck import");
    let elapsed = started.elapsed();
    let report: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("import --json output");
    Run {
        spans: report["counts"]["spans"].as_u64().unwrap_or(0),
        elapsed,
        peak_rss_kb: report["peak_rss_kb"].as_u64().unwrap_or(0),
    }
}

/// Imports `file` into a fresh store `runs` times; the run with the median time. One untimed
/// import comes first: right after the files are generated, the first import measured up to 50%
/// slower than the ones after it (the kernel still busy with the freshly written files and the
/// memory the generator gave back).
fn median_run(runs: usize, file: &Path, db: &Path) -> Run {
    let _warm_up = import(file, db);
    let mut all: Vec<Run> = (0..runs).map(|_| import(file, db)).collect();
    all.sort_by_key(|r| r.elapsed);
    all.swap_remove(runs / 2)
}

fn print(label: &str, bytes: u64, run: &Run) {
    println!(
        "{label:<28} {:>9} spans  {:>7.1} MB  {:>7.2} s  {:>9.0} spans/s  peak RSS {:>6.1} MB",
        run.spans,
        bytes as f64 / 1e6,
        run.elapsed.as_secs_f64(),
        run.spans as f64 / run.elapsed.as_secs_f64(),
        run.peak_rss_kb as f64 / 1024.0
    );
}

fn arg_value(name: &str) -> Option<String> {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1).cloned())
}

fn main() {
    let spans: usize = arg_value("--spans")
        .and_then(|v| v.parse().ok())
        .unwrap_or(200_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("bench.sqlite");

    let started = Instant::now();
    let requests = batches(generate_bench_spans(spans, 7));
    println!(
        "generated {spans} spans in {} requests ({:.1} s)",
        requests.len(),
        started.elapsed().as_secs_f64()
    );

    let json_path = dir.path().join("spans.jsonl");
    let mut json = BufWriter::new(std::fs::File::create(&json_path).expect("create"));
    for r in &requests {
        otlp_json::write_jsonl_line(&mut json, r).expect("write json");
    }
    json.flush().expect("flush");
    // On disk before the clock starts, like a user's export: its write-back must not be timed.
    json.get_ref().sync_all().expect("sync");
    drop(json);
    let proto_path = dir.path().join("spans.collector-proto");
    let mut proto = BufWriter::new(std::fs::File::create(&proto_path).expect("create"));
    for r in &requests {
        otlp_proto::write_framed(&mut proto, r).expect("write proto");
    }
    proto.flush().expect("flush");
    proto.get_ref().sync_all().expect("sync");
    drop(proto);
    drop(requests);

    let size = |p: &PathBuf| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0);
    let runs: usize = arg_value("--runs")
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let json_run = median_run(runs, &json_path, &db);
    print("OTLP/JSON Lines", size(&json_path), &json_run);
    let proto_run = median_run(runs, &proto_path, &db);
    print("OTLP protobuf (framed)", size(&proto_path), &proto_run);
    println!(
        "(each figure: the median of {runs} timed import(s) into a fresh store, after an untimed one)"
    );
    println!("targets: JSON >= 150000 spans/s, protobuf >= 170000 spans/s (2 cores, release)");

    if let Some(gb) = arg_value("--stream-gb").and_then(|v| v.parse::<f64>().ok()) {
        let big = dir.path().join("big.jsonl");
        let target_bytes = (gb * 1e9) as u64;
        let mut out = BufWriter::new(std::fs::File::create(&big).expect("create"));
        let mut written = 0u64;
        let mut seed = 100;
        while written < target_bytes {
            for r in batches(generate_bench_spans(100_000, seed)) {
                otlp_json::write_jsonl_line(&mut out, &r).expect("write");
            }
            out.flush().expect("flush");
            written = size(&big);
            seed += 1;
        }
        out.get_ref().sync_all().expect("sync");
        drop(out);
        let run = import(&big, &db);
        print("large OTLP/JSON Lines", size(&big), &run);
        println!("target: peak RSS < 500 MB while importing");
    }
}
