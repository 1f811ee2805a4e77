//! Helpers shared by the integration tests: finding `../shared/corpus`, fresh stores.

#![allow(dead_code)]

pub mod app;

use std::path::{Path, PathBuf};

use tracedeck::ingest::{self, FileReport, ImportControl};
use tracedeck::store::Store;

/// The shared corpus beside the project, or `None` (with a note) when this clone has none.
/// Under CI (`CI` set) a missing corpus is a failure, not a skip.
pub fn corpus_dir() -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if dir.join("EXPECTED.json").is_file() {
        return Some(dir);
    }
    assert!(
        std::env::var_os("CI").is_none(),
        "CI is set but the shared corpus is missing at {}",
        dir.display()
    );
    eprintln!("skipped: no shared corpus at {}", dir.display());
    None
}

pub fn sample_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_traces")
}

/// A store in a fresh temporary folder (kept alive by the returned guard).
pub fn temp_store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = Store::open(&dir.path().join("store.sqlite")).expect("open store");
    (dir, store)
}

pub fn import(store: &mut Store, paths: &[PathBuf]) -> Vec<FileReport> {
    ingest::import_paths(store, paths, &ImportControl::default()).expect("import")
}

/// SQL that turns a current store file into what a schema-2 store looked like (before
/// predictions, the validation flag and import roles), to test upgrades of older files.
pub const MAKE_SCHEMA_2: &str = "DROP TABLE IF EXISTS snapshot; DROP TABLE predictions;
     DROP TABLE import_roles; DROP INDEX IF EXISTS spans_validation_candidates;
     ALTER TABLE spans DROP COLUMN validation_candidate; PRAGMA user_version = 2;";
