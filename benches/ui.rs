//! UI benchmarks (harness = false; prints figures): builds a store with one 100k-span trace
//! (deep-ish tree, several services, errors, events) plus smaller traces up to 1M spans, then
//! drives the real views through an egui_kittest `Harness` and measures
//! - the time to open the 100k-span trace in the waterfall (fetch + tree build + first frame),
//! - the CPU time per frame while scrolling the waterfall (egui pass + tessellation).
//!
//! Targets (DESIGN.md §6, release build, 2 cores): open < 200 ms, frame < 8 ms.
//! Run with `cargo bench --bench ui`.

/// The app runs on mimalloc (see `src/main.rs`); measure with the same allocator.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

use std::error::Error;
use std::path::Path;
use std::time::{Duration, Instant};

use egui::{Event, Modifiers, MouseWheelSource, MouseWheelUnit, TouchPhase, vec2};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tracedeck::analysis::trace_tree::TraceTree;
use tracedeck::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanKind,
    StatusCode, TraceId,
};
use tracedeck::store::{ImportStatus, ImportTotals, SpanFilter, SpanWriter, Store};
use tracedeck::ui::ViewCtx;
use tracedeck::ui::query::QueryPool;
use tracedeck::ui::traces_table::TracesTable;
use tracedeck::ui::waterfall::WaterfallView;

type BenchResult<T> = Result<T, Box<dyn Error>>;

const BIG_TRACE_SPANS: u64 = 100_000;
const TOTAL_SPANS: u64 = 1_000_000;
const SMALL_TRACE_SPANS: u64 = 100;
const SERVICES: [&str; 8] = [
    "api-gateway",
    "agent",
    "llm-proxy",
    "vector-db",
    "tool-runner",
    "auth",
    "billing",
    "search",
];
const FRAMES: usize = 300;
const WINDOW: egui::Vec2 = egui::Vec2::new(1600.0, 1000.0);
const BASE_NS: i64 = 1_780_000_000_000_000_000;

fn main() -> BenchResult<()> {
    // UI_BENCH_STORE=path keeps the generated store there and reuses it on the next run.
    let dir = tempfile::tempdir()?;
    let path = std::env::var_os("UI_BENCH_STORE")
        .map_or_else(|| dir.path().join("bench.sqlite"), std::path::PathBuf::from);
    let big = trace_id(0);
    if path.exists() {
        println!("store: reusing {}", path.display());
    } else {
        let started = Instant::now();
        build_store(&path)?;
        println!(
            "store build: {} spans in {:.1} s",
            TOTAL_SPANS,
            started.elapsed().as_secs_f64()
        );
    }
    bench_fetch_and_build(&path, big)?;
    bench_waterfall(&path, big)?;
    bench_trace_table_scroll(&path)?;
    Ok(())
}

/// SplitMix64: a deterministic hash for the generated data.
fn mix(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
    x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    x ^ (x >> 31)
}

fn trace_id(n: u64) -> TraceId {
    let mut id = [0u8; 16];
    id[..8].copy_from_slice(&0x7d_ec_u64.to_be_bytes());
    id[8..].copy_from_slice(&(n + 1).to_be_bytes());
    id
}

/// Spans of one generated trace: span `i`'s parent is `i - 1` when `i` is a multiple of 3,
/// else `(i - 1) / 3`, which gives a bushy tree about 20 levels deep at 100k spans.
fn trace_spans(trace: u64, count: u64, trace_start_ns: i64) -> Vec<(usize, Span)> {
    let tid = trace_id(trace);
    let mut start = vec![0i64; count as usize];
    let mut dur = vec![0i64; count as usize];
    let mut out = Vec::with_capacity(count as usize);
    for i in 0..count {
        let h = mix(trace << 32 | i);
        let parent = match i {
            0 => None,
            i if i % 3 == 0 => Some(i - 1),
            i => Some((i - 1) / 3),
        };
        let (s, d) = match parent {
            None => (trace_start_ns, 10_000_000_000),
            Some(p) => {
                let (ps, pd) = (start[p as usize], dur[p as usize]);
                let d = (pd as f64 * (0.05 + (h % 550) as f64 / 1000.0)) as i64;
                let d = d.max(1_000);
                let slack = (pd - d).max(1);
                (ps + (mix(h) % slack as u64) as i64, d)
            }
        };
        start[i as usize] = s;
        dur[i as usize] = d;
        let service = (h >> 8) as usize % SERVICES.len();
        let mut attributes = vec![KeyValue::new(
            "http.response.status_code",
            AnyValue::Int(if i % 997 == 5 { 503 } else { 200 }),
        )];
        if service == 2 {
            attributes.push(KeyValue::new(
                "gen_ai.request.model",
                AnyValue::String("model-a".to_owned()),
            ));
            attributes.push(KeyValue::new(
                "gen_ai.usage.input_tokens",
                AnyValue::Int((h % 4000) as i64),
            ));
        }
        let events = if i % 10 == 0 {
            (0..2)
                .map(|e| SpanEvent {
                    time_ns: (s + d / 3 * (e + 1)) as u64,
                    name: if e == 0 { "retry" } else { "chunk" }.to_owned(),
                    attributes: vec![KeyValue::new("attempt", AnyValue::Int(e))],
                    dropped_attributes_count: 0,
                })
                .collect()
        } else {
            Vec::new()
        };
        let span = Span {
            trace_id: tid,
            span_id: (i + 1).to_be_bytes(),
            parent_span_id: parent.map(|p| (p + 1).to_be_bytes()),
            name: format!("{} op{}", SERVICES[service], h % 40),
            kind: if service == 2 {
                SpanKind::Client
            } else {
                SpanKind::Internal
            },
            start_ns: s as u64,
            end_ns: (s + d) as u64,
            attributes,
            events,
            status_code: if i % 997 == 5 {
                StatusCode::Error
            } else {
                StatusCode::Unset
            },
            status_message: if i % 997 == 5 {
                "upstream unavailable".to_owned()
            } else {
                String::new()
            },
            ..Span::default()
        };
        out.push((service, span));
    }
    out
}

/// Groups spans into one `ResourceSpans` block per service.
fn blocks(spans: Vec<(usize, Span)>) -> Vec<ResourceSpans> {
    let mut by_service: Vec<Vec<Span>> = vec![Vec::new(); SERVICES.len()];
    for (service, span) in spans {
        if let Some(list) = by_service.get_mut(service) {
            list.push(span);
        }
    }
    by_service
        .into_iter()
        .zip(SERVICES)
        .filter(|(spans, _)| !spans.is_empty())
        .map(|(spans, name)| ResourceSpans {
            resource: Resource {
                attributes: vec![KeyValue::new(
                    "service.name",
                    AnyValue::String(name.to_owned()),
                )],
                ..Resource::default()
            },
            scope_spans: vec![ScopeSpans {
                scope: Scope {
                    name: "tracedeck.bench".to_owned(),
                    version: "1".to_owned(),
                    ..Scope::default()
                },
                spans,
            }],
        })
        .collect()
}

/// Writes the 1M-span store (the big trace is `trace_id(0)`).
fn build_store(path: &Path) -> BenchResult<()> {
    let mut store = Store::open(path)?;
    let mut writer = SpanWriter::begin(&mut store, "bench://generated", "bench", 0)?;
    for chunk in trace_spans(0, BIG_TRACE_SPANS, BASE_NS).chunks(20_000) {
        writer.write(blocks(chunk.to_vec()))?;
    }
    let small_traces = (TOTAL_SPANS - BIG_TRACE_SPANS) / SMALL_TRACE_SPANS;
    let mut batch = Vec::new();
    for t in 1..=small_traces {
        let start = BASE_NS + t as i64 * 37_000_000_000;
        batch.extend(trace_spans(t, SMALL_TRACE_SPANS, start));
        if batch.len() >= 20_000 {
            writer.write(blocks(std::mem::take(&mut batch)))?;
        }
    }
    if !batch.is_empty() {
        writer.write(blocks(batch))?;
    }
    writer.finish(ImportStatus::Ok, &ImportTotals::default())?;
    Ok(())
}

/// The parts of opening, without the UI: the store query and the tree build.
fn bench_fetch_and_build(path: &Path, big: TraceId) -> BenchResult<()> {
    let store = Store::open_read_only(path)?;
    let mut fetch = Vec::new();
    let mut build = Vec::new();
    for _ in 0..5 {
        let t = Instant::now();
        let spans = store.trace_spans(&big)?;
        fetch.push(t.elapsed());
        let t = Instant::now();
        let tree = TraceTree::build(spans);
        build.push(t.elapsed());
        assert_eq!(tree.spans.len() as u64, BIG_TRACE_SPANS);
    }
    println!(
        "  fetch 100k spans: median {:.1} ms; tree build: median {:.1} ms",
        median_ms(&mut fetch),
        median_ms(&mut build)
    );
    Ok(())
}

struct App {
    pool: QueryPool,
    store_path: std::path::PathBuf,
    filter: SpanFilter,
    view: WaterfallView,
    /// Time spent in the view's `ui` in the last frame.
    last_ui: Duration,
}

fn harness(path: &Path) -> BenchResult<Harness<'static, App>> {
    let app = App {
        pool: QueryPool::new(path, 2)?,
        store_path: path.to_owned(),
        filter: SpanFilter::default(),
        view: WaterfallView::default(),
        last_ui: Duration::ZERO,
    };
    Ok(Harness::builder()
        .with_size(WINDOW)
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, app: &mut App| {
                let t = Instant::now();
                let ctx = ViewCtx::new(&app.pool, &app.store_path, &app.filter, 1);
                app.view.ui(ui, &ctx);
                app.last_ui = t.elapsed();
            },
            app,
        ))
}

/// One frame: the egui pass (what `Harness::step` runs, including its AccessKit bookkeeping)
/// plus tessellating the shapes it produced, as eframe would before painting.
fn timed_frame(harness: &mut Harness<'_, App>) -> (Duration, Duration) {
    let t = Instant::now();
    harness.step();
    let pass = t.elapsed();
    let shapes = harness.output().shapes.clone();
    let ppp = harness.output().pixels_per_point;
    let t = Instant::now();
    let primitives = harness.ctx.tessellate(shapes, ppp);
    let tess = t.elapsed();
    std::hint::black_box(primitives);
    (pass + tess, harness.state().last_ui)
}

fn bench_waterfall(path: &Path, big: TraceId) -> BenchResult<()> {
    let mut harness = harness(path)?;
    harness.step();

    // Open: from `open` to the first frame drawn with the tree.
    let started = Instant::now();
    harness.state_mut().view.open(big, None);
    while !harness.state().view.is_loaded() {
        if started.elapsed() > Duration::from_secs(60) {
            return Err("the 100k-span trace did not load within 60 s".into());
        }
        harness.step();
        std::thread::sleep(Duration::from_micros(500));
    }
    let open = started.elapsed();
    println!("waterfall open: {:.0} ms", open.as_secs_f64() * 1e3);
    assert_eq!(
        harness.state().view.visible_row_count() as u64,
        BIG_TRACE_SPANS,
        "every span is a row"
    );

    // Warm up (fonts, galley caches).
    for _ in 0..10 {
        harness.step();
    }

    // Scrolling with the wheel, pointer over the rows.
    harness.hover_at(egui::pos2(WINDOW.x * 0.5, WINDOW.y * 0.6));
    harness.step();
    let mut frames = Vec::with_capacity(FRAMES);
    let mut ui_only = Vec::with_capacity(FRAMES);
    for _ in 0..FRAMES {
        harness.event(Event::MouseWheel {
            unit: MouseWheelUnit::Line,
            delta: vec2(0.0, -4.0),
            phase: TouchPhase::Move,
            source: MouseWheelSource::Unknown,
            modifiers: Modifiers::NONE,
        });
        let (frame, ui) = timed_frame(&mut harness);
        frames.push(frame);
        ui_only.push(ui);
    }
    report("waterfall frame", &mut frames, &mut ui_only);
    let rows_drawn = harness.query_all_by_role(egui::Role::TreeItem).count();
    let scrolled = harness.state().view.scroll_offset();
    println!("  ({rows_drawn} rows drawn per frame, scrolled {scrolled:.0} pt)");
    if rows_drawn < 20 || scrolled <= 0.0 {
        return Err("the waterfall did not draw or scroll its rows".into());
    }

    // Jumping through the whole trace (new rows every frame).
    frames.clear();
    ui_only.clear();
    for i in 0..FRAMES {
        let row = (mix(i as u64) % BIG_TRACE_SPANS) as usize;
        harness.state_mut().view.scroll_to_row(row);
        let (frame, ui) = timed_frame(&mut harness);
        frames.push(frame);
        ui_only.push(ui);
    }
    report("waterfall frame (jumping)", &mut frames, &mut ui_only);

    // Zooming with Ctrl+wheel over the bars (sub-pixel merging kicks in zoomed out).
    frames.clear();
    ui_only.clear();
    for i in 0..FRAMES {
        let zoom_in = (i / 50) % 2 == 0;
        harness.event(Event::Zoom(if zoom_in { 1.15 } else { 1.0 / 1.15 }));
        let (frame, ui) = timed_frame(&mut harness);
        frames.push(frame);
        ui_only.push(ui);
    }
    report("waterfall frame (zooming)", &mut frames, &mut ui_only);
    Ok(())
}

/// The trace table on the 1M-span store: frames while scrolling through it with the mouse
/// wheel (rows arrive in pages from the query threads), as `trace table frame: mean .. p95 ..`.
fn bench_trace_table_scroll(path: &Path) -> BenchResult<()> {
    struct TableApp {
        pool: QueryPool,
        store_path: std::path::PathBuf,
        filter: SpanFilter,
        table: TracesTable,
        last_ui: Duration,
    }
    let app = TableApp {
        pool: QueryPool::new(path, 2)?,
        store_path: path.to_owned(),
        filter: SpanFilter::default(),
        table: TracesTable::default(),
        last_ui: Duration::ZERO,
    };
    let mut harness = Harness::builder()
        .with_size(WINDOW)
        .with_accessibility_check(false)
        .build_ui_state(
            |ui, app: &mut TableApp| {
                let t = Instant::now();
                let ctx = ViewCtx::new(&app.pool, &app.store_path, &app.filter, 1);
                app.table.ui(ui, &ctx);
                app.last_ui = t.elapsed();
            },
            app,
        );
    // Let the count and the first page arrive.
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(2) {
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    let mut frames = Vec::new();
    let mut ui_only = Vec::new();
    for i in 0..400 {
        harness.hover_at(egui::pos2(WINDOW.x / 2.0, WINDOW.y / 2.0));
        harness.event(Event::MouseWheel {
            unit: MouseWheelUnit::Line,
            delta: vec2(0.0, if i % 100 < 80 { -4.0 } else { 3.0 }),
            phase: TouchPhase::Move,
            modifiers: Modifiers::NONE,
            source: MouseWheelSource::Unknown,
        });
        let t = Instant::now();
        harness.step();
        let pass = t.elapsed();
        let shapes = harness.output().shapes.clone();
        let ppp = harness.output().pixels_per_point;
        let t = Instant::now();
        std::hint::black_box(harness.ctx.tessellate(shapes, ppp));
        frames.push(pass + t.elapsed());
        ui_only.push(harness.state().last_ui);
    }
    report("trace table frame", &mut frames, &mut ui_only);
    Ok(())
}

fn median_ms(samples: &mut [Duration]) -> f64 {
    samples.sort();
    samples
        .get(samples.len() / 2)
        .map_or(0.0, |d| d.as_secs_f64() * 1e3)
}

fn report(what: &str, frames: &mut [Duration], ui_only: &mut [Duration]) {
    let stats = |samples: &mut [Duration]| -> (f64, f64, f64) {
        samples.sort();
        let n = samples.len().max(1) as f64;
        let mean = samples.iter().map(Duration::as_secs_f64).sum::<f64>() / n * 1e3;
        let at = |q: f64| {
            samples
                .get(((samples.len() as f64 - 1.0) * q).round() as usize)
                .map_or(0.0, |d| d.as_secs_f64() * 1e3)
        };
        (mean, at(0.95), at(1.0))
    };
    let (mean, p95, max) = stats(frames);
    let (ui_mean, ui_p95, _) = stats(ui_only);
    println!(
        "{what}: mean {mean:.2} ms p95 {p95:.2} ms (max {max:.2} ms; view ui alone mean {ui_mean:.2} ms p95 {ui_p95:.2} ms)"
    );
}
