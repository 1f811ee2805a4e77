//! An import running in the background for the GUI: its own thread and store connection, shared
//! progress for the status bar, cancel, and the per-file reports when it ends.

use std::path::PathBuf;
use std::sync::Arc;

use crate::ingest::{self, FileReport, ImportControl, ProgressSnapshot};
use crate::store::Store;

/// What a finished import hands back.
pub type ImportResult = Result<Vec<FileReport>, String>;

pub struct ImportJob {
    control: Arc<ImportControl>,
    thread: Option<std::thread::JoinHandle<ImportResult>>,
    pub paths: Vec<PathBuf>,
    /// Whether the files are a reference prediction log (`ingest::import_reference`).
    pub reference: bool,
}

impl ImportJob {
    /// Starts importing `paths` into the store at `db` (as the drift reference when
    /// `reference`); `repaint` is poked as progress moves.
    pub fn start(
        db: PathBuf,
        paths: Vec<PathBuf>,
        reference: bool,
        repaint: egui::Context,
    ) -> Result<Self, String> {
        let control = Arc::new(ImportControl::default());
        let worker_control = control.clone();
        let worker_paths = paths.clone();
        let thread = std::thread::Builder::new()
            .name("gui-import".into())
            .spawn(move || {
                let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
                let ticker_done = done.clone();
                // Repaint a few times a second so the progress bar moves.
                let ticker = std::thread::Builder::new()
                    .name("gui-import-ticker".into())
                    .spawn(move || {
                        while !ticker_done.load(std::sync::atomic::Ordering::Relaxed) {
                            repaint.request_repaint();
                            std::thread::sleep(std::time::Duration::from_millis(150));
                        }
                        repaint.request_repaint();
                    });
                let result = Store::open(&db)
                    .map_err(|e| e.to_string())
                    .and_then(|mut store| {
                        let imported = if reference {
                            ingest::import_reference(&mut store, &worker_paths, &worker_control)
                        } else {
                            ingest::import_paths(&mut store, &worker_paths, &worker_control)
                        };
                        imported.map_err(|e| e.to_string())
                    });
                done.store(true, std::sync::atomic::Ordering::Relaxed);
                if let Ok(t) = ticker {
                    let _ = t.join();
                }
                result
            })
            .map_err(|e| format!("cannot start the import thread: {e}"))?;
        Ok(Self {
            control,
            thread: Some(thread),
            paths,
            reference,
        })
    }

    pub fn progress(&self) -> ProgressSnapshot {
        self.control.snapshot()
    }

    pub fn cancel(&self) {
        self.control.cancel();
    }

    pub fn is_cancelling(&self) -> bool {
        self.control.is_cancelled()
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
                .unwrap_or_else(|_| Err("the import thread crashed".to_owned())),
        )
    }
}
