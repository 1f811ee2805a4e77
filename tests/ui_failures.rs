//! Failure analytics in the desktop app on the bundled samples, driven through egui_kittest:
//! the pointless-retries card opens the Retries tab on the 400 storm (pointless, 8 attempts, its
//! wasted tokens) with its attempts listed, and opening one shows that trace in the waterfall;
//! the chain filter and selecting the 429 chain; the Validation tab shows the failure rate, the
//! 5% line and a failure's output with the parse error position; an error-class card and the
//! sidebar's error-class box filter the trace list; the failure views' overview cards.

mod common;

use common::app::{app_on_samples, shows, shows_containing, step_until};

use egui_kittest::kittest::Queryable as _;
use tracedeck::analysis::retries::{self, RetryChain};
use tracedeck::analysis::validation::{self, FailureKind};
use tracedeck::model::error_class::ErrorClass;
use tracedeck::model::hex_lower;
use tracedeck::store::{SpanFilter, Store};
use tracedeck::ui::Tab;
use tracedeck::ui::format;

fn chains(store: &Store) -> Vec<RetryChain> {
    let span_ns = store
        .time_bounds_ns()
        .expect("bounds")
        .map_or(0, |(lo, hi)| hi - lo);
    retries::find_chains(
        &store
            .retry_candidates(&SpanFilter::default())
            .expect("candidates"),
        span_ns,
    )
}

#[test]
fn pointless_card_opens_the_storm_and_an_attempt_opens_in_the_waterfall() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let storm = chains(&store)
        .into_iter()
        .find(|c| c.pointless && c.storm && c.attempts.len() == 8)
        .expect("the samples' 400 storm");
    drop(store);

    step_until(&mut harness, "the pointless retries card", |h| {
        shows(h, "Pointless retries")
    });
    harness.get_by_label("Pointless retries").click();
    step_until(&mut harness, "the Retries tab", |h| {
        h.state().tab() == Tab::Retries && shows(h, "pointless storm")
    });
    // The storm's row: its start, 8 attempts, the tokens it burned.
    let start = format::time_ns(storm.attempts[0].start_ns);
    let tokens = format::count(storm.wasted_tokens as u64);
    assert!(storm.wasted_tokens > 0, "the storm burned tokens");
    assert!(shows(&harness, &start));
    assert!(shows(&harness, "8"));
    assert!(shows(&harness, &tokens));
    // The focus lists only pointless chains: a transient chain (the 429s) is not listed.
    assert!(!shows(&harness, "growing"));

    // The card selects the worst chain: its attempts are listed at once.
    step_until(&mut harness, "the storm's attempts", |h| {
        shows_containing(h, "8 attempts of")
    });
    harness.get_by_label(&start).click();
    // The list is virtualised: at least the first attempts are drawn, one Open button each.
    assert!(harness.query_all_by_label("Open").count() >= 2);
    assert!(shows(&harness, "first"), "the first attempt has no wait");
    assert!(shows(&harness, "structural"));

    // Opening the second attempt shows its trace in the waterfall with that span selected.
    let second = &storm.attempts[1];
    harness
        .query_all_by_label("Open")
        .nth(1)
        .expect("an Open button per attempt")
        .click();
    let trace_hex = hex_lower(&second.trace_id);
    let span_hex = hex_lower(&second.span_id);
    step_until(&mut harness, "the waterfall of the attempt's trace", |h| {
        h.state().tab() == Tab::Traces && shows(h, &trace_hex) && shows_containing(h, &span_hex)
    });
}

#[test]
fn all_chains_filter_lists_the_growing_429_chain() {
    let (_guard, _db, mut harness) = app_on_samples();
    harness
        .get_by_role_and_label(egui::Role::Tab, "Retries")
        .click();
    step_until(&mut harness, "the chain table", |h| {
        shows(h, "growing") && shows(h, "pointless storm")
    });
    // Selecting the 429 chain lists its attempts: rate limited three times, then a success.
    harness
        .query_all_by_label("growing")
        .next()
        .expect("the 429 chain's row")
        .click();
    step_until(&mut harness, "the 429 chain's attempts", |h| {
        shows_containing(h, "4 attempts of") && shows(h, "429")
    });
    assert!(shows(&harness, "transient") && shows(&harness, "ok"));
    harness
        .query_all_by_label_contains("Storms (")
        .next()
        .expect("the storms filter")
        .click();
    step_until(&mut harness, "storms only", |h| !shows(h, "growing"));
    assert!(shows(&harness, "pointless storm"));
}

#[test]
fn validation_tab_shows_the_rate_and_a_highlighted_failure() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let summary = validation::summarize(
        &store
            .validation_candidates(&SpanFilter::default())
            .expect("candidates"),
        None,
    );
    drop(store);
    assert!(summary.overall.failed > 0, "the samples plant invalid JSON");
    let (index, bad) = summary
        .failures
        .iter()
        .enumerate()
        .find_map(|(i, f)| {
            f.failures
                .iter()
                .find(|x| x.kind == FailureKind::OutputInvalidJson && x.error_offset.is_some())
                .map(|x| (i, x))
        })
        .expect("an invalid JSON output");
    let failed_span = &summary.failures[index];

    harness
        .get_by_role_and_label(egui::Role::Tab, "Validation")
        .click();
    let rate = format!("failure rate {:.1} %", summary.overall.rate * 100.0);
    step_until(&mut harness, "the failure rate", |h| {
        shows_containing(h, &rate)
    });
    step_until(&mut harness, "the chart's 5% line", |h| {
        shows(h, "5 % alert")
    });
    assert!(shows(&harness, "all outputs"));

    // Select the failure: its output with the error position.
    let time = format::time_ns(failed_span.start_ns);
    harness
        .query_all_by_label(&time)
        .next()
        .expect("the failure's row")
        .click();
    let text = bad.text.clone().expect("the output");
    let (line, column) = validation::line_column(&text, bad.error_offset.expect("an error offset"));
    let at = format!("parse error at line {line}, column {column}");
    step_until(&mut harness, "the highlighted output", |h| shows(h, &at));
    assert!(shows(&harness, "invalid JSON output"));
    assert!(shows_containing(
        &harness,
        text.get(..text.len().min(20)).unwrap_or("")
    ));
    assert!(shows(&harness, "Open in waterfall"));
    harness.get_by_label("Open in waterfall").click();
    let trace_hex = hex_lower(&failed_span.trace_id);
    step_until(&mut harness, "the failed span's trace", |h| {
        h.state().tab() == Tab::Traces && shows(h, &trace_hex)
    });
}

#[test]
fn error_class_card_filters_the_trace_list_to_that_class() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let structural = SpanFilter {
        error_class: Some(ErrorClass::Structural),
        ..SpanFilter::default()
    };
    let traces = store.trace_count(&structural).expect("count");
    let all = store.trace_count(&SpanFilter::default()).expect("count");
    assert!(traces > 0 && traces < all);
    drop(store);
    step_until(&mut harness, "the structural errors card", |h| {
        shows(h, "Structural errors")
    });
    harness.get_by_label("Structural errors").click();
    step_until(&mut harness, "the filtered trace list", |h| {
        h.state().tab() == Tab::Traces && shows_containing(h, &format!("{traces} traces"))
    });
}

/// The cards the failure views add to the Overview, computed as the app does.
#[test]
fn failure_overview_cards_on_the_samples() {
    use tracedeck::ui::overview::Tone;
    use tracedeck::ui::{ChainFocus, Nav};
    let (_guard, db, _harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let filter = SpanFilter::default();
    let cards = tracedeck::ui::retries::overview_cards(&store, &filter).expect("cards");
    let titles: Vec<&str> = cards.iter().map(|c| c.title).collect();
    assert_eq!(
        titles,
        [
            "Structural errors",
            "Transient errors",
            "Pointless retries",
            "Retry storms"
        ]
    );
    let structural = &cards[0];
    assert_eq!(structural.tone, Tone::Bad);
    let counts = store.error_class_counts(&filter).expect("counts");
    let n = counts
        .iter()
        .find(|(c, _)| c == "structural")
        .map(|(_, n)| *n)
        .expect("structural spans");
    assert_eq!(structural.value, format::count(n));
    assert!(structural.detail.contains("% of spans"));
    assert!(matches!(
        &structural.opens[..],
        [Nav::SetFilter(f), Nav::Tab(Tab::Traces)] if f.error_class == Some(ErrorClass::Structural)
    ));
    let pointless = &cards[2];
    assert_eq!(pointless.tone, Tone::Bad);
    assert_eq!(
        pointless.opens,
        vec![Nav::ShowRetries(ChainFocus::Pointless)]
    );
    let storm = chains(&store)
        .into_iter()
        .find(|c| c.pointless && c.storm)
        .expect("the storm");
    assert!(
        pointless
            .detail
            .contains(&format::count(storm.wasted_tokens as u64)),
        "{}",
        pointless.detail
    );
    assert_eq!(cards[3].opens, vec![Nav::ShowRetries(ChainFocus::Storms)]);

    let validation = tracedeck::ui::validation::overview_cards(&store, &filter).expect("cards");
    let [card] = &validation[..] else {
        panic!("one validation card, got {}", validation.len());
    };
    assert_eq!(card.title, "Validation failures");
    assert_eq!(card.opens, vec![Nav::Tab(Tab::Validation)]);
    assert!(matches!(card.tone, Tone::Bad | Tone::Warn));
}

#[test]
fn sidebar_error_class_box_filters_the_trace_list() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let transient = SpanFilter {
        error_class: Some(ErrorClass::Transient),
        ..SpanFilter::default()
    };
    let traces = store.trace_count(&transient).expect("count");
    assert!(traces > 0);
    drop(store);
    harness
        .get_by_role_and_label(egui::Role::Tab, "Traces")
        .click();
    step_until(&mut harness, "the traces tab", |h| {
        h.state().tab() == Tab::Traces
    });
    harness
        .get_by_role_and_label(egui::Role::ComboBox, "Error class")
        .click();
    step_until(&mut harness, "the error classes", |h| shows(h, "transient"));
    harness.get_by_label("transient").click();
    step_until(&mut harness, "the trace list of transient errors", |h| {
        shows_containing(h, &format!("{traces} traces"))
    });
}

#[test]
fn validation_series_follow_the_selector() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let checked = validation::check_all(
        &store
            .validation_candidates(&SpanFilter::default())
            .expect("candidates"),
    );
    drop(store);
    let version = checked
        .iter()
        .find_map(|v| v.service_version.clone())
        .expect("the samples' resources name their service.version");
    let model = checked
        .iter()
        .find_map(|v| v.model.clone())
        .expect("a model");
    harness
        .get_by_role_and_label(egui::Role::Tab, "Validation")
        .click();
    step_until(&mut harness, "the per-model series", |h| {
        shows(h, "5 % alert") && shows(h, &model)
    });
    harness
        .get_by_role_and_label(egui::Role::ComboBox, "Series by")
        .click();
    step_until(&mut harness, "the series choices", |h| {
        shows(h, "service.version")
    });
    harness.get_by_label("service.version").click();
    step_until(&mut harness, "the per-service-version series", |h| {
        shows(h, &version)
    });
}
