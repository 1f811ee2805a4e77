//! The whole desktop app on the bundled samples, driven through egui_kittest (no display): the
//! overview cards, the trace list, opening a trace's waterfall from the list, the latency tab's
//! percentile lines, an error card opening the filtered trace list, and a bad file's errors in
//! the Import log after a background import.

mod common;

use common::app::{app_on_samples, shows, shows_containing, step_until};

use egui_kittest::kittest::Queryable as _;
use tracedeck::store::{SpanFilter, TraceSort};
use tracedeck::ui::Tab;

#[test]
fn overview_cards_then_trace_list_then_waterfall() {
    let (_guard, db, mut harness) = app_on_samples();
    assert_eq!(harness.state().tab(), Tab::Overview);
    step_until(&mut harness, "the overview cards", |h| {
        shows(h, "Error rate") && shows(h, "p95 latency")
    });
    assert!(shows(&harness, "Slowest operations (p95)"));
    // The store panel shows the counts of the samples.
    let counts = tracedeck::store::Store::open(&db)
        .expect("store")
        .counts()
        .expect("counts");
    assert!(shows(&harness, &tracedeck::ui::format::count(counts.spans)));

    // The trace list lists the store's first traces.
    harness
        .get_by_role_and_label(egui::Role::Tab, "Traces")
        .click();
    step_until(&mut harness, "the traces tab", |h| {
        h.state().tab() == Tab::Traces
    });
    let store = tracedeck::store::Store::open(&db).expect("store");
    let first = store
        .traces_page(&SpanFilter::default(), TraceSort::Start, false, 0, 5)
        .expect("page");
    let first_name = first[0].root_name.clone();
    step_until(&mut harness, "the first trace rows", |h| {
        shows(h, &first_name)
    });
    assert!(shows_containing(
        &harness,
        &format!("{} traces", tracedeck::ui::format::count(counts.traces))
    ));

    // Clicking a row opens that trace's waterfall, whose rows are its spans.
    let incident = store
        .traces_page(&SpanFilter::default(), TraceSort::Spans, true, 0, 1)
        .expect("page");
    let biggest = &incident[0];
    let spans = store.trace_spans(&biggest.trace_id).expect("spans");
    harness.state_mut().set_tab(Tab::Traces);
    // Sort by span count, largest first: the biggest trace is the first row.
    harness
        .get_by_role_and_label(egui::Role::Button, "Spans")
        .click();
    // Root names repeat; the biggest trace's span count is unique in the list, so wait for
    // the re-sorted page to show it and click that cell (a click anywhere on a row opens it).
    let span_count = biggest.span_count.to_string();
    step_until(&mut harness, "the biggest trace first", |h| {
        shows(h, &span_count)
    });
    harness.get_by_label(&span_count).click();
    let child = spans
        .iter()
        .find(|s| s.parent_span_id.is_some())
        .expect("a child span");
    step_until(&mut harness, "the waterfall rows", |h| {
        h.query_all_by_role_and_label(egui::Role::TreeItem, &child.name)
            .next()
            .is_some()
    });
}

#[test]
fn latency_tab_shows_percentile_lines() {
    let (_guard, _db, mut harness) = app_on_samples();
    harness
        .get_by_role_and_label(egui::Role::Tab, "Latency")
        .click();
    step_until(&mut harness, "percentile lines", |h| {
        shows(h, "p50") && shows(h, "p95") && shows(h, "p99")
    });
}

#[test]
fn error_rate_card_opens_the_trace_list_filtered_to_errors() {
    let (_guard, db, mut harness) = app_on_samples();
    step_until(&mut harness, "the error card", |h| shows(h, "Error rate"));
    harness.get_by_label("Error rate").click();
    let store = tracedeck::store::Store::open(&db).expect("store");
    let errors_only = SpanFilter {
        errors_only: true,
        ..SpanFilter::default()
    };
    let error_traces = store.trace_count(&errors_only).expect("count");
    assert!(error_traces > 0, "the samples have failed traces");
    step_until(&mut harness, "the filtered list", |h| {
        h.state().tab() == Tab::Traces && shows_containing(h, &format!("{} traces", error_traces))
    });
}

#[test]
fn import_log_lists_the_errors_of_a_bad_file() {
    let Some(corpus) = common::corpus_dir() else {
        return;
    };
    let (_guard, _db, mut harness) = app_on_samples();
    let ctx = harness.ctx.clone();
    harness
        .state_mut()
        .start_import(&ctx, vec![corpus.join("bad/truncated-middle-line.jsonl")]);
    step_until(&mut harness, "the import to finish", |h| {
        !h.state().is_importing()
    });
    assert_eq!(harness.state().import_log().error_count(), 1);
    step_until(&mut harness, "the import log", |h| {
        shows(h, "line 3") && shows_containing(h, "truncated-middle-line.jsonl")
    });
    assert!(shows_containing(&harness, "invalid JSON at column 4860"));
}

/// A new store says it is empty; a store holding only prediction logs does not, and the sidebar
/// counts its predictions.
#[test]
fn empty_store_hint_counts_predictions_too() {
    let (dir, store) = common::temp_store();
    let db = store.path().to_owned();
    drop(store);
    let mut harness = common::app::app_on_store(&db);
    step_until(&mut harness, "the empty-store hint", |h| {
        shows(h, "This store is empty")
    });
    let (_guard, mut predictions_only) = (dir, tracedeck::store::Store::open(&db).expect("open"));
    common::import(
        &mut predictions_only,
        &[common::sample_dir().join("predictions.jsonl")],
    );
    drop(predictions_only);
    let mut harness = common::app::app_on_store(&db);
    step_until(&mut harness, "the prediction count", |h| {
        shows(h, "Predictions")
    });
    assert!(!shows(&harness, "This store is empty"));
}
