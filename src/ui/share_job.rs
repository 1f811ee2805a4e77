//! A sharing task on a background thread (export, redaction preview, the open checks, importing
//! another store): its progress and cancel ([`ExportControl`]), and its answer when it is done.

use std::sync::Arc;

use crossbeam_channel::{Receiver, TryRecvError, bounded};

use crate::share::ExportControl;

pub struct ShareJob<T> {
    control: Arc<ExportControl>,
    rx: Receiver<Result<T, String>>,
}

impl<T: Send + 'static> ShareJob<T> {
    /// Runs `work` on a new thread; the UI is asked to repaint when it ends.
    pub fn start(
        name: &str,
        repaint: &egui::Context,
        work: impl FnOnce(&ExportControl) -> Result<T, String> + Send + 'static,
    ) -> Result<Self, String> {
        let control = Arc::new(ExportControl::default());
        let (tx, rx) = bounded(1);
        let ctx = repaint.clone();
        let shared = Arc::clone(&control);
        std::thread::Builder::new()
            .name(name.to_owned())
            .spawn(move || {
                let result = work(&shared);
                let _ = tx.send(result);
                ctx.request_repaint();
            })
            .map_err(|e| format!("cannot start {name}: {e}"))?;
        Ok(Self { control, rx })
    }

    /// The answer, once (`None` while it runs).
    pub fn try_finish(&self) -> Option<Result<T, String>> {
        match self.rx.try_recv() {
            Ok(result) => Some(result),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the background task stopped".to_owned())),
        }
    }

    pub fn control(&self) -> &ExportControl {
        &self.control
    }
}
