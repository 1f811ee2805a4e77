//! The Latency tab, headless (egui_kittest): it loads the spans of a real OTLP export off the
//! UI thread, shows p50/p95/p99 lines and summary columns, and regroups by operation; plus
//! percentiles with known answers.

mod common;

use std::path::PathBuf;
use std::time::{Duration, Instant};

use egui::accesskit::Role;
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable;
use tracedeck::analysis::latency::{self, Buckets};
use tracedeck::store::{Durations, LatencyGroup, SpanFilter};
use tracedeck::ui::latency::LatencyView;
use tracedeck::ui::query::QueryPool;
use tracedeck::ui::{Nav, ViewCtx};

struct State {
    view: LatencyView,
    pool: QueryPool,
    store_path: PathBuf,
    filter: SpanFilter,
    navigation: Vec<Nav>,
}

/// A store with `otel-demo-mixed.jsonl` imported, or `None` when the corpus is absent.
fn demo_store() -> Option<(tempfile::TempDir, PathBuf)> {
    let corpus = common::corpus_dir()?;
    let (dir, mut store) = common::temp_store();
    let path = corpus.join("otlp-json/otel-demo-mixed.jsonl");
    tracedeck::ingest::import_paths(
        &mut store,
        &[path],
        &tracedeck::ingest::ImportControl::default(),
    )
    .expect("import");
    assert!(
        store.counts().expect("counts").spans > 0,
        "no spans imported"
    );
    drop(store);
    let store_path = dir.path().join("store.sqlite");
    Some((dir, store_path))
}

fn harness(store_path: &std::path::Path) -> Harness<'static, State> {
    let state = State {
        view: LatencyView::new(),
        pool: QueryPool::new(store_path, 1).expect("query pool"),
        store_path: store_path.to_owned(),
        filter: SpanFilter::default(),
        navigation: Vec::new(),
    };
    Harness::builder()
        .with_size([1400.0, 900.0])
        .build_ui_state(
            |ui, state: &mut State| {
                let ctx = ViewCtx::new(&state.pool, &state.store_path, &state.filter, 1);
                state.view.ui(ui, &ctx);
                state.navigation.extend(ctx.take_navigation());
            },
            state,
        )
}

/// Steps frames until the view has its data (the query runs on the pool's thread).
fn wait_loaded(h: &mut Harness<'_, State>) {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        h.step();
        if h.state().view.is_loaded() {
            break;
        }
        assert!(Instant::now() < deadline, "latency data never arrived");
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run();
}

fn count(h: &Harness<'_, State>, label: &str) -> usize {
    h.query_all_by_label(label).count()
}

#[test]
fn latency_view_shows_percentiles_and_regroups_by_operation() {
    let Some((_guard, store_path)) = demo_store() else {
        return;
    };
    let mut h = harness(&store_path);
    wait_loaded(&mut h);

    for p in ["p50", "p95", "p99"] {
        // Legend entry of the line plus the summary column header.
        assert!(count(&h, p) >= 2, "{p} missing: {}", count(&h, p));
    }
    let services = h.state().view.group_names();
    assert!(
        services.iter().any(|s| s == "frontend"),
        "services: {services:?}"
    );
    assert!(count(&h, "frontend") >= 1);
    assert!(h.query_by_label("All groups").is_some());
    assert!(h.query_by_label("Per service").is_some());

    h.get_by_label("Operation").click();
    h.step();
    wait_loaded(&mut h);
    assert_eq!(h.state().view.group_by(), LatencyGroup::Operation);
    let operations = h.state().view.group_names();
    assert_ne!(operations, services);
    assert!(
        operations.iter().any(|o| o == "getRandomAds"),
        "operations: {operations:?}"
    );
    assert!(h.query_by_label("Per operation").is_some());
    let shown = operations
        .iter()
        .filter(|o| h.query_all_by_label(o.as_str()).next().is_some())
        .count();
    assert!(shown >= 3, "only {shown} operations shown");
    assert!(
        h.query_by_label("checkoutservice").is_none(),
        "service names still shown after grouping by operation"
    );
    for p in ["p50", "p95", "p99"] {
        assert!(count(&h, p) >= 2, "{p} missing after regrouping");
    }
    assert!(h.state().navigation.is_empty());
}

#[test]
fn picking_one_group_keeps_its_percentiles() {
    let Some((_guard, store_path)) = demo_store() else {
        return;
    };
    let mut h = harness(&store_path);
    wait_loaded(&mut h);
    // The summary table's group names pick the group shown.
    h.get_by_role_and_label(Role::Button, "frontend").click();
    // The group's own downsample arrives from the pool; meanwhile the view filters the overall one.
    for _ in 0..100 {
        h.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    h.run_steps(5);
    assert_eq!(h.state().view.picked_group(), Some("frontend"));
    assert!(count(&h, "p95") >= 2);
    // The frontend series is in the legend (a checkbox) and in the table.
    assert!(count(&h, "frontend") >= 2, "{}", count(&h, "frontend"));
}

#[test]
fn dragging_a_box_lists_traces_and_a_row_opens_its_trace() {
    let Some((_guard, store_path)) = demo_store() else {
        return;
    };
    let mut h = harness(&store_path);
    wait_loaded(&mut h);
    h.get_by_label("Select").click();
    h.run();
    // Drag across nearly all of the scatter's data area (all times, nearly all durations).
    let frame = h
        .state()
        .view
        .scatter_frame_in_ui()
        .expect("the scatter is drawn");
    let inset = egui::vec2(2.0, 2.0);
    let (from, to) = (frame.min + inset, frame.max - inset);
    h.hover_at(from);
    h.step();
    h.drag_at(from);
    h.step();
    for k in 1..=5 {
        h.hover_at(from + (to - from) * (k as f32 / 5.0));
        h.step();
    }
    h.drop_at(to);
    let deadline = Instant::now() + Duration::from_secs(30);
    while h.state().view.selected_traces().is_empty() {
        assert!(Instant::now() < deadline, "no traces listed for the box");
        h.step();
        std::thread::sleep(Duration::from_millis(10));
    }
    h.run();
    assert!(h.query_by_label("Traces in the box").is_some());
    let first = h
        .state()
        .view
        .selected_traces()
        .first()
        .map(|t| t.root_name.clone())
        .expect("a trace");
    h.query_all_by_label(&first)
        .next()
        .expect("row label")
        .click();
    h.run();
    let ids: Vec<_> = h
        .state()
        .view
        .selected_traces()
        .iter()
        .map(|t| t.trace_id)
        .collect();
    match h.state().navigation.as_slice() {
        [Nav::OpenTrace { trace_id, span_id }] => {
            assert!(ids.contains(trace_id));
            assert_eq!(*span_id, None);
        }
        other => panic!("expected one OpenTrace, got {other:?}"),
    }
}

#[test]
fn percentiles_of_known_sets() {
    let mut v: Vec<i64> = (1..=1000).rev().collect();
    let s = latency::stats_of(&mut v).expect("stats");
    assert_eq!(
        (s.count, s.p50_ns, s.p95_ns, s.p99_ns, s.max_ns),
        (1000, 500, 950, 990, 1000)
    );
    let mut v = vec![5, 1, 4, 2, 3];
    let s = latency::stats_of(&mut v).expect("stats");
    // Nearest rank: ceil(0.5 * 5) = 3rd, ceil(0.95 * 5) = 5th.
    assert_eq!((s.p50_ns, s.p95_ns, s.p99_ns), (3, 5, 5));
}

#[test]
fn percentiles_per_minute_of_a_known_series() {
    let minute = 60_000_000_000i64;
    // Minute k holds durations k*100 + 1 ..= k*100 + 100 (ms-ish numbers in ns).
    let mut d = Durations {
        groups: vec!["a".to_owned(), "b".to_owned()],
        ..Durations::default()
    };
    for k in 0..3i64 {
        for i in 1..=100i64 {
            d.start_ns.push(k * minute + i * 1000);
            d.dur_ns.push(k * 100 + i);
            d.group.push((i % 2) as u32);
        }
    }
    let buckets = Buckets::for_durations(&d, Some(minute)).expect("buckets");
    let rows = latency::percentiles_per_bucket(&d, &buckets);
    let got: Vec<(i64, i64, i64)> = rows
        .iter()
        .map(|r| (r.stats.p50_ns, r.stats.p95_ns, r.stats.p99_ns))
        .collect();
    assert_eq!(got, vec![(50, 95, 99), (150, 195, 199), (250, 295, 299)]);
    let slowest = latency::slowest_operations(&d, 1);
    // Group "b" holds the odd durations up to 299, "a" the even ones up to 300.
    assert_eq!(slowest.first().map(|g| g.name.as_str()), Some("a"));
}
