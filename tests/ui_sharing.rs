//! Sharing through the app (egui_kittest): exporting the selected trace from File > Export
//! snapshot with redaction on (the default) and a start-here span, then dropping the snapshot
//! on the window: it opens read-only (title and banner say so) at the start-here span, and
//! "Import into my store" dedupes. A hostile file dropped on the window is refused with its
//! message and the user's store is left as it was.

mod common;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use common::app::{app_on_samples, shows, shows_containing, step_until};
use egui_kittest::kittest::Queryable as _;
use tracedeck::store::{SpanFilter, Store, TraceSort};
use tracedeck::ui::{Nav, Tab, TracedeckApp};

#[derive(Debug)]
struct Dropped(PathBuf);

impl egui::DroppedFile for Dropped {
    fn path(&self) -> &Path {
        &self.0
    }

    fn bytes(&self) -> Result<Vec<u8>, String> {
        std::fs::read(&self.0).map_err(|e| e.to_string())
    }
}

fn drop_file(harness: &mut egui_kittest::Harness<'_, TracedeckApp>, path: &Path) {
    harness
        .input_mut()
        .dropped_files
        .push(Arc::new(Dropped(path.to_owned())));
    harness.step();
}

fn snapshots_in(dir: &Path) -> Vec<PathBuf> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .map(|e| e.path())
                .filter(|p| {
                    p.file_name()
                        .is_some_and(|n| n.to_string_lossy().starts_with("snapshot-"))
                        && p.extension().is_some_and(|e| e == "sqlite")
                })
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn export_redacted_from_the_ui_then_open_it_read_only_at_the_start_here_span() {
    let (dir, db, mut harness) = app_on_samples();
    // Open the biggest trace and select one of its child spans.
    let store = Store::open(&db).expect("store");
    let biggest = store
        .traces_page(&SpanFilter::default(), TraceSort::Spans, true, 0, 1)
        .expect("page");
    let trace = biggest.first().expect("a trace");
    let spans = store.trace_spans(&trace.trace_id).expect("spans");
    let child = spans
        .iter()
        .find(|s| s.parent_span_id.is_some())
        .expect("a child span")
        .clone();
    let total_spans = store.counts().expect("counts").spans;
    drop(store);
    harness.state_mut().navigate_to(Nav::OpenTrace {
        trace_id: trace.trace_id,
        span_id: Some(child.span_id),
    });
    step_until(&mut harness, "the selected span", |h| {
        h.state().selected_span() == Some((trace.trace_id, Some(child.span_id)))
    });

    // File > Export snapshot...
    harness.get_by_label("File").click();
    step_until(&mut harness, "the File menu", |h| {
        shows_containing(h, "Export snapshot")
    });
    harness.get_by_label_contains("Export snapshot").click();
    step_until(&mut harness, "the export dialog", |h| {
        shows(h, "Redact secrets and personal data")
    });
    harness.get_by_label("The selected trace").click();
    harness.step();
    harness.get_by_label("The selected trace and span").click();
    harness.step();
    // Redaction is on by default: its options and preview are there.
    assert!(shows(&harness, "Preview redaction"));
    harness.get_by_label("Preview redaction").click();
    step_until(&mut harness, "the redaction preview", |h| {
        shows_containing(h, "Redaction preview:")
    });
    harness.get_by_label("Export").click();
    step_until(&mut harness, "the export to finish", |h| {
        shows_containing(h, "Exported ")
    });
    assert!(shows_containing(&harness, "values redacted"));
    let exported = snapshots_in(dir.path());
    let [snapshot] = exported.as_slice() else {
        panic!("one snapshot expected in {:?}: {exported:?}", dir.path());
    };
    let checked = tracedeck::share::check_file(snapshot).expect("the snapshot passes the checks");
    let info = checked.snapshot.expect("a snapshot row");
    assert_eq!(
        info.redaction.get("enabled"),
        Some(&serde_json::Value::Bool(true))
    );
    assert_eq!(info.spans, spans.len() as u64);

    // Drop it on the window: read-only, at its start-here span.
    harness.state_mut().set_tab(Tab::Overview);
    drop_file(&mut harness, snapshot);
    step_until(&mut harness, "the snapshot open read-only", |h| {
        h.state().is_read_only() && h.state().db() == snapshot.as_path()
    });
    assert!(harness.state().window_title().contains("(read-only)"));
    step_until(&mut harness, "the banner", |h| {
        shows_containing(h, "Read-only: snapshot") && shows_containing(h, ", redacted")
    });
    step_until(&mut harness, "the start-here span", |h| {
        h.state().tab() == Tab::Traces
            && h.state().selected_span() == Some((trace.trace_id, Some(child.span_id)))
    });
    step_until(&mut harness, "the waterfall of the snapshot", |h| {
        h.query_all_by_role_and_label(egui::Role::TreeItem, &child.name)
            .next()
            .is_some()
    });

    // Import into my store: everything is already there.
    harness.get_by_label("Import into my store").click();
    step_until(&mut harness, "the import into my store", |h| {
        shows_containing(h, "Imported into your store: 0 new spans")
    });
    let mine = Store::open(&db).expect("my store");
    assert_eq!(mine.counts().expect("counts").spans, total_spans);
}

#[test]
fn a_hostile_file_dropped_on_the_window_is_refused_and_nothing_changes() {
    let (dir, db, mut harness) = app_on_samples();
    let before = Store::open(&db).expect("store").counts().expect("counts");
    let empty = dir.path().join("empty.sqlite");
    std::fs::write(&empty, b"").expect("write");
    drop_file(&mut harness, &empty);
    step_until(&mut harness, "the refusal", |h| {
        shows(h, "Cannot open this file")
    });
    assert!(shows_containing(&harness, "is empty (0 bytes)"));
    assert!(!harness.state().is_read_only());
    assert_eq!(harness.state().db(), db.as_path());

    let other = dir.path().join("other-app.sqlite");
    {
        let conn = rusqlite::Connection::open(&other).expect("open");
        conn.execute_batch("CREATE TABLE notes(id INTEGER PRIMARY KEY, body TEXT);")
            .expect("create");
    }
    harness.get_by_label("OK").click();
    harness.step();
    drop_file(&mut harness, &other);
    step_until(&mut harness, "the refusal of another app's file", |h| {
        shows_containing(h, "another application")
    });
    assert_eq!(harness.state().db(), db.as_path());
    let after = Store::open(&db).expect("store").counts().expect("counts");
    assert_eq!(before.spans, after.spans);
    assert_eq!(before.imports, after.imports);
}

#[test]
fn a_snapshot_starting_at_a_conversation_step_opens_there() {
    let (dir, db, mut harness) = app_on_samples();
    let key: String = rusqlite::Connection::open(&db)
        .expect("open")
        .query_row(
            "SELECT conversation_key FROM spans WHERE conversation_key IS NOT NULL
             GROUP BY conversation_key ORDER BY count(*) DESC LIMIT 1",
            [],
            |r| r.get(0),
        )
        .expect("a conversation in the samples");
    let out = dir.path().join("conversation.sqlite");
    tracedeck::share::export(
        &db,
        &out,
        &tracedeck::share::ExportOptions {
            selection: tracedeck::share::Selection {
                conversations: vec![key.clone()],
                ..Default::default()
            },
            redact: Some(Default::default()),
            start_here: Some(tracedeck::share::StartHere::Conversation {
                key: key.clone(),
                step: 7,
            }),
        },
        &tracedeck::share::ExportControl::default(),
    )
    .expect("export");
    drop_file(&mut harness, &out);
    step_until(&mut harness, "the conversation at step 7", |h| {
        h.state().is_read_only()
            && h.state().tab() == Tab::Conversations
            && h.state().open_conversation() == Some((key.clone(), 6))
    });
    assert!(harness.state().window_title().contains("(read-only)"));
}

#[test]
fn an_older_store_dropped_on_the_window_opens_as_an_upgraded_copy() {
    let (dir, db, mut harness) = app_on_samples();
    let older = dir.path().join("older.sqlite");
    tracedeck::share::export(
        &db,
        &older,
        &tracedeck::share::ExportOptions::default(),
        &tracedeck::share::ExportControl::default(),
    )
    .expect("export");
    {
        let conn = rusqlite::Connection::open(&older).expect("open");
        conn.execute_batch(common::MAKE_SCHEMA_2)
            .expect("make it older");
    }
    let before = std::fs::read(&older).expect("read");
    drop_file(&mut harness, &older);
    step_until(&mut harness, "the upgrade offer", |h| {
        shows(h, "Upgrade a copy")
    });
    assert!(shows_containing(&harness, "schema version 2"));
    harness.get_by_label("Upgrade a copy").click();
    step_until(&mut harness, "the upgraded copy open read-only", |h| {
        h.state().is_read_only() && h.state().db() != db.as_path()
    });
    assert_ne!(harness.state().db(), older.as_path());
    assert_eq!(
        std::fs::read(&older).expect("read"),
        before,
        "the original changed"
    );
}
