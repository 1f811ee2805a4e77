//! The Drift tab on the bundled samples, driven through egui_kittest: the overview's drift
//! cards open it; the features the sample
//! generator shifted are flagged in the ranked table and the others are not, selecting a
//! feature shows its distributions, the version timeline shows the flagged combination; a
//! prediction linked to a trace is listed in that trace's span detail, opens in the Drift
//! tab, and its "Open trace" button opens the trace; a reference file imported from the tab
//! becomes the reference window.

mod common;

use std::path::Path;

use common::app::{app_on_samples, app_on_store, shows, shows_containing, step_until};
use egui_kittest::kittest::Queryable as _;
use tracedeck::samples::{self, SampleOptions};
use tracedeck::store::{SpanFilter, Store, TraceSort};
use tracedeck::ui::{Nav, Tab};

fn truth() -> samples::PredictionTruth {
    let dir = tempfile::tempdir().expect("tempdir");
    samples::generate(&SampleOptions::default(), dir.path())
        .expect("generate")
        .predictions
}

#[test]
fn drift_tab_flags_shifted_features_and_shows_distributions_and_skew() {
    let truth = truth();
    let (_guard, _db, mut harness) = app_on_samples();
    // The overview cards: drifted features with the worst one, and the skew alert.
    step_until(&mut harness, "the drift cards", |h| {
        shows(h, "Drifted features") && shows(h, "Version-skew alerts")
    });
    assert!(shows_containing(&harness, "worst: "));
    assert!(shows_containing(&harness, "fraud-scorer 3.3.0 x 2.3"));
    harness.get_by_label("Drifted features").click();
    step_until(&mut harness, "the drift computation", |h| {
        h.state().drift_view().data().is_some()
    });
    let data = harness.state().drift_view().data().expect("data").clone();
    for feature in &truth.drifted_features {
        assert!(
            data.features
                .iter()
                .any(|f| &f.drift.feature == feature && f.drift.drifted),
            "{feature} should be flagged"
        );
    }
    for feature in &truth.stable_features {
        assert!(
            data.features
                .iter()
                .any(|f| &f.drift.feature == feature && !f.drift.drifted),
            "{feature} should not be flagged"
        );
    }
    // Ranked: the drifted features come first, each with its sparkline series.
    let drifted = data.features.iter().filter(|f| f.drift.drifted).count();
    assert!(data.features.iter().take(drifted).all(|f| f.drift.drifted));
    assert!(data.features.iter().all(|f| !f.series.is_empty()));
    assert!(
        data.features
            .iter()
            .any(|f| f.output && f.drift.feature == "confidence")
    );
    // What the person sees: the table with the flags, the windows, the model.
    step_until(&mut harness, "the feature table", |h| {
        shows(h, "amount") && shows(h, "country") && shows(h, "hour")
    });
    assert!(shows(&harness, "drifted"));
    assert!(shows_containing(&harness, "Reference: "));
    assert!(shows_containing(&harness, "Current: "));

    // Selecting a drifted feature shows its verdict, measures and histograms.
    harness.get_by_label("country").click();
    step_until(&mut harness, "country's detail", |h| {
        shows(h, "country: drifted")
    });
    assert_eq!(
        harness.state().drift_view().selected_feature(),
        Some("country")
    );
    assert!(shows_containing(&harness, "chi_square = "));
    let country = data
        .features
        .iter()
        .find(|f| f.drift.feature == "country")
        .expect("country");
    let bars = &country.histogram.bins;
    assert!(bars.len() >= 2, "one bar per country: {bars:?}");
    let shares = |pick: fn(&tracedeck::analysis::drift::histogram::HistogramBin) -> f64| {
        bars.iter().map(pick).sum::<f64>()
    };
    assert!((shares(|b| b.reference_share) - 1.0).abs() < 1e-9);
    assert!((shares(|b| b.current_share) - 1.0).abs() < 1e-9);
    let amount = data
        .features
        .iter()
        .find(|f| f.drift.feature == "amount")
        .expect("amount");
    assert!(amount.histogram.bins.len() >= 5, "Sturges bins for amount");
    assert!(shows_containing(&harness, "Missing values: "));
    // A stable one says so.
    let stable = truth
        .stable_features
        .first()
        .expect("a stable feature")
        .clone();
    harness.get_by_label(&stable).click();
    step_until(&mut harness, "a stable feature's detail", |h| {
        shows(h, &format!("{stable}: no drift"))
    });

    // The version timeline: the skew window (model 3.3.0 with pipeline 2.3) is flagged.
    assert!(
        shows(&harness, "3.3.0 x 2.3"),
        "the skew combination is listed"
    );
    assert!(shows(&harness, "skew"));
    assert!(shows(&harness, "3.2.0 x 2.3"));
    assert!(shows(&harness, "baseline"));
    let skew = &data.skew;
    let flagged: Vec<_> = skew
        .combinations
        .iter()
        .filter(|c| c.flagged)
        .map(|c| (c.model_version.as_str(), c.pipeline_version.as_str()))
        .collect();
    assert_eq!(flagged, vec![("3.3.0", "2.3")]);

    // The worst predictions of the current window open in the detail.
    assert!(!data.worst.is_empty());
    let worst_time = tracedeck::ui::format::time_ns(data.worst[0].timestamp_ns);
    let worst_id = data.worst[0].id;
    harness
        .get_all_by_label(&worst_time)
        .next()
        .expect("worst row")
        .click();
    step_until(&mut harness, "the prediction detail", |h| {
        h.state().drift_view().open_prediction_id() == Some(worst_id)
            && shows(h, &format!("Prediction {worst_id}"))
    });
    assert!(shows(
        &harness,
        "No trace id: this prediction links to no trace."
    ));
}

/// The samples plus two predictions of another model linked to the first trace.
fn store_with_linked_predictions() -> (tempfile::TempDir, std::path::PathBuf, [u8; 16]) {
    let (dir, mut store) = common::temp_store();
    common::import(&mut store, &[common::sample_dir()]);
    let first = store
        .traces_page(&SpanFilter::default(), TraceSort::Start, false, 0, 1)
        .expect("page");
    let trace_id = first[0].trace_id;
    let hex = tracedeck::model::hex_lower(&trace_id);
    let lines = format!(
        "{{\"timestamp\":\"2026-11-20T22:00:01Z\",\"model\":\"triage-linked\",\"model_version\":\"1\",\"request_id\":\"a\",\"trace_id\":\"{hex}\",\"features\":{{\"x\":1}},\"prediction\":\"refund\",\"confidence\":0.41}}\n\
         {{\"timestamp\":\"2026-11-20T22:00:02Z\",\"model\":\"triage-linked\",\"model_version\":\"1\",\"request_id\":\"b\",\"trace_id\":\"{hex}\",\"features\":{{\"x\":2}},\"prediction\":\"escalate\",\"confidence\":0.77}}\n"
    );
    let file = dir.path().join("linked.jsonl");
    std::fs::write(&file, lines).expect("write");
    let reports = common::import(&mut store, &[file]);
    assert_eq!(
        reports[0].predictions_new, 2,
        "{:?}",
        reports[0].diagnostics
    );
    let db = store.path().to_owned();
    (dir, db, trace_id)
}

#[test]
fn trace_and_prediction_open_each_other() {
    let (_guard, db, trace_id) = store_with_linked_predictions();
    let spans = Store::open(&db)
        .expect("store")
        .trace_spans(&trace_id)
        .expect("spans");
    let root = spans[0].span_id;
    let mut harness = app_on_store(&db);
    harness.state_mut().navigate_to(Nav::OpenTrace {
        trace_id,
        span_id: Some(root),
    });
    step_until(&mut harness, "the span detail's predictions", |h| {
        shows(h, "Predictions of this trace (2)")
    });
    harness
        .get_all_by_label_contains("triage-linked -> escalate")
        .next()
        .expect("the prediction link")
        .click();
    step_until(&mut harness, "the prediction in the Drift tab", |h| {
        h.state().tab() == Tab::Drift && shows(h, "Open trace")
    });
    assert!(shows(&harness, "escalate"));
    // The tab follows the prediction to its model.
    step_until(&mut harness, "the prediction's model", |h| {
        h.state()
            .drift_view()
            .data()
            .is_some_and(|d| d.key.model == "triage-linked")
    });
    assert!(shows(&harness, &tracedeck::model::hex_lower(&trace_id)));
    harness.get_by_label("Open trace").click();
    step_until(&mut harness, "the trace", |h| {
        h.state().tab() == Tab::Traces
    });
}

fn write_reference(dir: &Path) -> std::path::PathBuf {
    // The sample's first week under other request ids: a reference file.
    let text = std::fs::read_to_string(common::sample_dir().join("predictions.jsonl"))
        .expect("sample log");
    let reference: String = text
        .lines()
        .take(1200)
        .map(|l| l.replace("\"request_id\":\"r-", "\"request_id\":\"ref-") + "\n")
        .collect();
    let file = dir.join("reference.jsonl");
    std::fs::write(&file, reference).expect("write");
    file
}

#[test]
fn reference_file_imported_from_the_tab_is_the_reference_window() {
    let (guard, _db, mut harness) = app_on_samples();
    let file = write_reference(guard.path());
    harness.state_mut().set_tab(Tab::Drift);
    step_until(&mut harness, "the drift computation", |h| {
        h.state().drift_view().data().is_some()
    });
    assert!(
        !harness
            .state()
            .drift_view()
            .data()
            .expect("data")
            .reference_import
    );
    harness
        .state_mut()
        .navigate_to(Nav::ImportReference { path: file });
    step_until(&mut harness, "the reference import", |h| {
        h.state()
            .drift_view()
            .data()
            .is_some_and(|d| d.reference_import)
    });
    let data = harness.state().drift_view().data().expect("data");
    assert_eq!(data.reference_rows, 1200);
    assert!(shows_containing(&harness, "reference file reference.jsonl"));
    assert!(
        shows(&harness, "Reference file"),
        "the window choice offers it"
    );
    // The import shows in the Import log like any other.
    assert!(harness.state().import_log().error_count() == 0);
    step_until(&mut harness, "the toast", |h| {
        shows_containing(h, "1\u{202f}200 new predictions")
    });
    // Back to the quarters.
    harness.get_by_label("First / last quarter").click();
    step_until(&mut harness, "the quarters", |h| {
        h.state()
            .drift_view()
            .data()
            .is_some_and(|d| !d.reference_import)
    });
}

/// Drags across the prediction timeline (just above the windows' summary line).
fn drag_on_timeline(
    harness: &mut egui_kittest::Harness<'static, tracedeck::ui::TracedeckApp>,
    from_x: f32,
    to_x: f32,
    modifiers: egui::Modifiers,
) {
    let summary = harness
        .get_all_by_label_contains("Reference: ")
        .next()
        .expect("the windows line")
        .rect();
    let y = summary.top() - 50.0;
    let at = |x: f32| egui::pos2(x, y);
    let push = |h: &mut egui_kittest::Harness<'static, tracedeck::ui::TracedeckApp>,
                e: egui::Event| {
        h.input_mut()
            .events
            .push(egui::Event::ModifiersChanged(modifiers));
        h.input_mut().events.push(e);
        h.step();
    };
    push(harness, egui::Event::PointerMoved(at(from_x)));
    push(
        harness,
        egui::Event::PointerButton {
            pos: at(from_x),
            button: egui::PointerButton::Primary,
            pressed: true,
            modifiers,
        },
    );
    for k in 1..=8 {
        let x = from_x + (to_x - from_x) * k as f32 / 8.0;
        push(harness, egui::Event::PointerMoved(at(x)));
    }
    push(
        harness,
        egui::Event::PointerButton {
            pos: at(to_x),
            button: egui::PointerButton::Primary,
            pressed: false,
            modifiers,
        },
    );
    harness
        .input_mut()
        .events
        .push(egui::Event::ModifiersChanged(egui::Modifiers::NONE));
    harness.step();
}

#[test]
fn brushing_the_timeline_sets_both_windows() {
    use tracedeck::analysis::prediction_report::ReferenceChoice;
    let (_guard, _db, mut harness) = app_on_samples();
    harness.state_mut().set_tab(Tab::Drift);
    step_until(&mut harness, "the drift computation", |h| {
        h.state().drift_view().data().is_some()
    });
    let before = harness.state().drift_view().data().expect("data").reference;
    // A plain drag sets the reference window.
    drag_on_timeline(&mut harness, 700.0, 900.0, egui::Modifiers::NONE);
    step_until(&mut harness, "drift on the brushed reference", |h| {
        h.state().drift_view().data().is_some_and(|d| {
            matches!(d.key.choice, ReferenceChoice::Ranges { .. }) && d.reference != before
        })
    });
    let data = harness.state().drift_view().data().expect("data").clone();
    assert!(data.reference.from_ns > data.first_ns);
    assert!(data.reference.to_ns < data.current.from_ns);
    let current_before = data.current;
    // A shift-drag sets the current window and keeps the brushed reference.
    drag_on_timeline(&mut harness, 400.0, 600.0, egui::Modifiers::SHIFT);
    step_until(&mut harness, "drift on the brushed current window", |h| {
        h.state()
            .drift_view()
            .data()
            .is_some_and(|d| d.current != current_before)
    });
    let after = harness.state().drift_view().data().expect("data");
    assert_eq!(after.reference, data.reference);
    assert!(after.current.to_ns < data.reference.from_ns);
    assert!(after.current_rows > 0 && after.reference_rows > 0);
}
