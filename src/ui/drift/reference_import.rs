//! The Drift tab's "Import reference file...": imports a prediction log on a background thread
//! and marks it as the reference (`ingest::import_reference`); the app takes the finished
//! reports into the Import log.

use std::path::PathBuf;

use crate::ingest::{self, FileReport, ImportControl};
use crate::store::Store;

type ImportResult = Result<Vec<FileReport>, String>;

/// A reference import in flight.
pub struct ReferenceImport {
    thread: Option<std::thread::JoinHandle<ImportResult>>,
    pub path: PathBuf,
}

impl ReferenceImport {
    pub fn start(db: PathBuf, path: PathBuf, repaint: egui::Context) -> Result<Self, String> {
        let file = path.clone();
        let thread = std::thread::Builder::new()
            .name("reference-import".into())
            .spawn(move || {
                let result = Store::open(&db)
                    .map_err(|e| e.to_string())
                    .and_then(|mut store| {
                        ingest::import_reference(&mut store, &[file], &ImportControl::default())
                            .map_err(|e| e.to_string())
                    });
                repaint.request_repaint();
                result
            })
            .map_err(|e| format!("cannot start the reference import: {e}"))?;
        Ok(Self {
            thread: Some(thread),
            path,
        })
    }

    /// The result once the import has ended (returned once).
    pub fn try_finish(&mut self) -> Option<ImportResult> {
        if !self.thread.as_ref()?.is_finished() {
            return None;
        }
        let thread = self.thread.take()?;
        Some(
            thread
                .join()
                .unwrap_or_else(|_| Err("the reference import crashed".to_owned())),
        )
    }
}
