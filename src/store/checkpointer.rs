//! The import's WAL checkpointer: copies committed pages from the write-ahead log into the
//! store file on its own thread and connection. SQLite's automatic checkpoint runs inside
//! `COMMIT`, stopping the writer for as long as the copy takes (a sixth of its time in a bulk
//! import, measured); a passive checkpoint elsewhere never blocks the writer.

use std::path::Path;
use std::thread::JoinHandle;

use crossbeam_channel::{Sender, bounded};
use rusqlite::{Connection, OpenFlags};

use super::StoreError;

/// A running checkpoint thread. Ask with [`Checkpointer::request`] after each commit; stop it
/// with [`Checkpointer::stop`].
pub(super) struct Checkpointer {
    wake: Sender<()>,
    thread: JoinHandle<Result<(), rusqlite::Error>>,
}

impl Checkpointer {
    /// Starts checkpointing the store at `path`; `None` when no second connection or thread
    /// can be had (the writer then keeps SQLite's automatic checkpoints).
    pub(super) fn start(path: &Path) -> Option<Self> {
        let flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        let conn = Connection::open_with_flags(path, flags).ok()?;
        conn.busy_timeout(std::time::Duration::from_secs(30)).ok()?;
        // One pending request is enough: a checkpoint copies everything committed so far.
        let (wake, requests) = bounded::<()>(1);
        let thread = std::thread::Builder::new()
            .name("import-checkpoint".into())
            .spawn(move || {
                for () in requests {
                    conn.query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
                }
                Ok(())
            })
            .ok()?;
        Some(Self { wake, thread })
    }

    /// Asks for a checkpoint of what is committed now (no wait; merged with a pending one).
    pub(super) fn request(&self) {
        // Full means a request is already pending, which covers this one.
        let _ = self.wake.try_send(());
    }

    /// Waits for the checkpoint in progress, then ends the thread.
    pub(super) fn stop(self) -> Result<(), StoreError> {
        drop(self.wake);
        match self.thread.join() {
            Ok(result) => Ok(result?),
            Err(_) => Err(StoreError::Checkpoint(
                "the checkpoint thread panicked".to_owned(),
            )),
        }
    }
}
