//! The waterfall view on real files, driven through egui_kittest (no display): import a corpus
//! trace into a temporary store, open it, and check what a person would see and do: span
//! names, the detail of a clicked span, collapsing a subtree, stepping to the error span, and a
//! self-parent trace that still draws as a finite tree.

mod common;

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tracedeck::model::TraceId;
use tracedeck::store::{SpanFilter, TraceSort};
use tracedeck::ui::ViewCtx;
use tracedeck::ui::query::QueryPool;
use tracedeck::ui::waterfall::WaterfallView;

struct App {
    pool: QueryPool,
    store_path: PathBuf,
    filter: SpanFilter,
    view: WaterfallView,
}

/// Imports `file` into a fresh store and returns the guard, the store path and its only trace.
fn store_with(file: &Path) -> (tempfile::TempDir, PathBuf, TraceId) {
    let (dir, mut store) = common::temp_store();
    let reports = common::import(&mut store, &[file.to_owned()]);
    assert_eq!(reports.len(), 1, "one import report");
    let traces = store
        .traces_page(&SpanFilter::default(), TraceSort::Start, false, 0, 10)
        .expect("trace list");
    assert_eq!(traces.len(), 1, "one trace in {}", file.display());
    let path = store.path().to_owned();
    drop(store);
    (dir, path, traces[0].trace_id)
}

fn harness(store_path: &Path, trace_id: TraceId) -> Harness<'static, App> {
    let mut view = WaterfallView::default();
    view.open(trace_id, None);
    let app = App {
        pool: QueryPool::new(store_path, 1).expect("query pool"),
        store_path: store_path.to_owned(),
        filter: SpanFilter::default(),
        view,
    };
    Harness::builder()
        .with_size(egui::vec2(1600.0, 1800.0))
        .build_ui_state(
            |ui, app: &mut App| {
                let ctx = ViewCtx::new(&app.pool, &app.store_path, &app.filter, 1);
                app.view.ui(ui, &ctx);
            },
            app,
        )
}

/// Steps frames (the query answers on another thread) until `done`, then lets the ui settle.
fn step_until(
    harness: &mut Harness<'_, App>,
    what: &str,
    done: impl Fn(&Harness<'_, App>) -> bool,
) {
    let started = Instant::now();
    while !done(harness) {
        assert!(
            started.elapsed() < Duration::from_secs(20),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.run();
}

/// How many waterfall rows show this span name.
fn label_count(harness: &Harness<'_, App>, label: &str) -> usize {
    harness
        .query_all_by_role_and_label(egui::Role::TreeItem, label)
        .count()
}

fn span_id(n: u64) -> [u8; 8] {
    n.to_be_bytes()
}

#[test]
fn genai_trace_shows_spans_detail_collapse_and_errors() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let (_guard, path, trace_id) = store_with(&corpus.join("jaeger-json/genai-agent-trace.json"));
    let mut harness = harness(&path, trace_id);
    step_until(&mut harness, "the trace", |h| h.state().view.is_loaded());

    // Span names appear as rows.
    for name in [
        "POST /api/graphql",
        "invoke_agent triage-agent",
        "invoke_agent summarizer",
        "execute_tool summarize_findings",
    ] {
        assert_eq!(label_count(&harness, name), 1, "row {name:?}");
    }
    assert!(label_count(&harness, "chat model-a") >= 2);
    assert_eq!(harness.state().view.visible_row_count(), 57);

    // Clicking a span shows its attributes in the detail panel.
    harness
        .get_by_role_and_label(egui::Role::TreeItem, "invoke_agent summarizer")
        .click();
    step_until(&mut harness, "the span detail", |h| {
        h.query_by_label("gen_ai.agent.name").is_some()
    });
    assert_eq!(
        harness.state().view.selected_span(),
        Some(span_id(0x35)),
        "the clicked span is selected"
    );
    assert!(harness.query_by_label("gen_ai.operation.name").is_some());
    assert!(harness.query_by_label_contains("Attributes (").is_some());

    // Collapsing the agent hides its children's rows.
    assert_eq!(label_count(&harness, "retrieval vector-search"), 3);
    harness
        .get_by_label("Collapse invoke_agent triage-agent")
        .click();
    harness.run();
    assert_eq!(label_count(&harness, "retrieval vector-search"), 0);
    assert_eq!(label_count(&harness, "SEARCH docs"), 0);
    assert_eq!(label_count(&harness, "invoke_agent triage-agent"), 1);
    assert!(harness.state().view.visible_row_count() < 10);
    assert!(
        harness
            .query_by_label("Expand invoke_agent triage-agent")
            .is_some()
    );

    // "Next error" selects the error span, expanding what hides it.
    harness.get_by_label("Next error").click();
    step_until(&mut harness, "the error span's detail", |h| {
        h.query_by_label("http.response.status_code").is_some()
            && h.state().view.selected_span() == Some(span_id(0x11))
    });
    assert_eq!(harness.state().view.selected_span(), Some(span_id(0x11)));
    assert!(label_count(&harness, "GET /api/v1/pods") >= 1);
    assert!(label_count(&harness, "retrieval vector-search") >= 1);
}

#[test]
fn self_parent_trace_terminates_with_getcart_top_level() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let (_guard, path, trace_id) = store_with(&corpus.join("bad/self-parent.json"));
    let mut harness = harness(&path, trace_id);
    step_until(&mut harness, "the trace", |h| h.state().view.is_loaded());

    for name in ["GET /cart", "GetCart", "redis GET"] {
        assert_eq!(label_count(&harness, name), 1, "row {name:?}");
    }
    assert!(harness.query_by_label_contains("self-parent").is_some());
    let view = &harness.state().view;
    let tree = &view.loaded().expect("loaded").tree;
    let get_cart = tree
        .find_span(&span_id(0xeee1_9b7e_c3c1_b171))
        .expect("GetCart");
    let node = tree.node(get_cart).expect("node");
    assert_eq!(node.depth, 0, "GetCart is top-level");
    assert!(tree.roots().contains(&get_cart));
    assert!(
        node.flags
            .has(tracedeck::analysis::trace_tree::NodeFlags::SELF_PARENT)
    );
    let children: Vec<String> = tree
        .children(get_cart)
        .iter()
        .map(|c| tree.label(*c))
        .collect();
    assert_eq!(children, ["redis GET"]);
    assert_eq!(view.visible_row_count(), 3);
}
