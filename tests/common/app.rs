//! The whole desktop app driven through egui_kittest (no display): a store with the samples
//! imported, the app open on it, and waiting for answers that come from other threads.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tracedeck::ui::{StartOptions, TracedeckApp};

/// A store with the bundled samples imported, and the app open on it.
pub fn app_on_samples() -> (tempfile::TempDir, PathBuf, Harness<'static, TracedeckApp>) {
    let (dir, mut store) = super::temp_store();
    super::import(&mut store, &[super::sample_dir()]);
    let db = store.path().to_owned();
    drop(store);
    let harness = app_on_store(&db);
    (dir, db, harness)
}

/// The app open on an existing store file.
pub fn app_on_store(db: &Path) -> Harness<'static, TracedeckApp> {
    let app = TracedeckApp::new(
        &egui::Context::default(),
        None,
        StartOptions {
            db: db.to_owned(),
            import_paths: Vec::new(),
            renderer: "test".to_owned(),
        },
    );
    let mut harness = Harness::builder()
        .with_size(egui::vec2(1400.0, 900.0))
        .build_ui_state(|ui, app: &mut TracedeckApp| app.frame_ui(ui), app);
    // The store opens on another thread; the tabs and views appear once it has.
    step_until(&mut harness, "the store to open", |h| {
        h.state().store_ready()
    });
    harness
}

/// Steps frames (answers come from other threads) until `done`, failing after a while.
pub fn step_until<S>(
    harness: &mut Harness<'_, S>,
    what: &str,
    done: impl Fn(&Harness<'_, S>) -> bool,
) {
    let started = Instant::now();
    while !done(harness) {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "timed out waiting for {what}"
        );
        harness.step();
        std::thread::sleep(Duration::from_millis(5));
    }
    harness.step();
}

pub fn shows<S>(harness: &Harness<'_, S>, label: &str) -> bool {
    harness.query_all_by_label(label).next().is_some()
}

pub fn shows_containing<S>(harness: &Harness<'_, S>, text: &str) -> bool {
    harness.query_all_by_label_contains(text).next().is_some()
}
