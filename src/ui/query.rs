//! Store reads off the UI thread: a small pool of threads, each with its own read-only
//! connection, runs closures that call `store` or `analysis` functions; a view keeps a
//! [`Query`] that refetches when its key changes and shows the last value meanwhile.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use crossbeam_channel::{Receiver, Sender, TryRecvError, bounded, unbounded};

use crate::store::{Store, StoreError};

type Job = Box<dyn FnOnce(&Store) + Send>;

/// Threads that answer store questions.
pub struct QueryPool {
    tx: Option<Sender<Job>>,
    threads: Vec<std::thread::JoinHandle<()>>,
    /// Time the threads spent answering, summed over threads, in nanoseconds.
    busy_ns: Arc<AtomicU64>,
}

impl QueryPool {
    /// Opens `threads` read-only connections to the store at `path`.
    pub fn new(path: &Path, threads: usize) -> Result<Self, StoreError> {
        Self::with_opener(path, threads, Store::open_read_only)
    }

    /// Like [`QueryPool::new`], on a file from someone else ([`Store::open_untrusted`]).
    pub fn new_untrusted(path: &Path, threads: usize) -> Result<Self, StoreError> {
        Self::with_opener(path, threads, Store::open_untrusted)
    }

    fn with_opener(
        path: &Path,
        threads: usize,
        open: fn(&Path) -> Result<Store, StoreError>,
    ) -> Result<Self, StoreError> {
        // Jobs are small closures queued by views at most once per key change.
        let (tx, rx) = unbounded::<Job>();
        let busy_ns = Arc::new(AtomicU64::new(0));
        let mut handles = Vec::new();
        for i in 0..threads.max(1) {
            let store = open(path)?;
            let rx = rx.clone();
            let busy_ns = Arc::clone(&busy_ns);
            let handle = std::thread::Builder::new()
                .name(format!("query-{i}"))
                .spawn(move || {
                    for job in rx {
                        let started = Instant::now();
                        job(&store);
                        let took_ns =
                            u64::try_from(started.elapsed().as_nanos()).unwrap_or(u64::MAX);
                        busy_ns.fetch_add(took_ns, Ordering::Relaxed);
                    }
                })
                .map_err(|source| StoreError::Io {
                    path: path.to_owned(),
                    source,
                })?;
            handles.push(handle);
        }
        Ok(Self {
            tx: Some(tx),
            threads: handles,
            busy_ns,
        })
    }

    /// Time the query threads have spent answering so far, summed over threads.
    pub fn busy(&self) -> Duration {
        Duration::from_nanos(self.busy_ns.load(Ordering::Relaxed))
    }

    /// Runs `f` on a query thread; the answer arrives in the returned [`Pending`], and the UI
    /// is asked to repaint when it does.
    pub fn run<T: Send + 'static>(
        &self,
        repaint: &egui::Context,
        f: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) -> Pending<T> {
        let (tx, rx) = bounded(1);
        let ctx = repaint.clone();
        let alive = Arc::new(());
        let wanted = Arc::downgrade(&alive);
        let job: Job = Box::new(move |store| {
            // Nobody waits for the answer any more (the view moved on): skip the work.
            if wanted.strong_count() == 0 {
                return;
            }
            let result = f(store).map_err(|e| e.to_string());
            let _ = tx.send(result);
            ctx.request_repaint();
        });
        if let Some(sender) = &self.tx {
            let _ = sender.send(job);
        }
        Pending { rx, _alive: alive }
    }
}

impl Drop for QueryPool {
    fn drop(&mut self) {
        self.tx = None;
        for t in self.threads.drain(..) {
            let _ = t.join();
        }
    }
}

/// An answer on its way. Dropping it cancels the work if it has not started yet.
pub struct Pending<T> {
    rx: Receiver<Result<T, String>>,
    _alive: Arc<()>,
}

impl<T> Pending<T> {
    /// The answer, once it is there.
    pub fn poll(&self) -> Option<Result<T, String>> {
        match self.rx.try_recv() {
            Ok(v) => Some(v),
            Err(TryRecvError::Empty) => None,
            Err(TryRecvError::Disconnected) => Some(Err("the query thread stopped".to_owned())),
        }
    }
}

/// A value fetched for a key, refetched when the key changes; the previous value stays
/// visible while the new one loads. At most one fetch is in flight: when the key changes again
/// meanwhile, the newest key is fetched once that one returns (so a view whose key changes every
/// second while an import runs never queues up work the query threads cannot keep up with).
pub struct Query<K, T> {
    /// The key of the value shown, or of the fetch in flight.
    key: Option<K>,
    pending: Option<Pending<T>>,
    value: Option<T>,
    error: Option<String>,
}

impl<K, T> Default for Query<K, T> {
    fn default() -> Self {
        Self {
            key: None,
            pending: None,
            value: None,
            error: None,
        }
    }
}

impl<K: PartialEq, T: Send + 'static> Query<K, T> {
    /// Makes sure the value is (being) fetched for `key`; `fetch` runs only when the key changed.
    pub fn ensure(
        &mut self,
        pool: &QueryPool,
        repaint: &egui::Context,
        key: K,
        fetch: impl FnOnce(&Store) -> Result<T, StoreError> + Send + 'static,
    ) {
        self.poll();
        if self.key.as_ref() != Some(&key) && self.pending.is_none() {
            self.key = Some(key);
            self.pending = Some(pool.run(repaint, fetch));
        }
    }

    /// Takes in an answer that arrived.
    pub fn poll(&mut self) {
        if let Some(result) = self.pending.as_ref().and_then(Pending::poll) {
            self.pending = None;
            match result {
                Ok(v) => {
                    self.value = Some(v);
                    self.error = None;
                }
                Err(e) => self.error = Some(e),
            }
        }
    }

    pub fn value(&self) -> Option<&T> {
        self.value.as_ref()
    }

    pub fn value_mut(&mut self) -> Option<&mut T> {
        self.value.as_mut()
    }

    pub fn is_loading(&self) -> bool {
        self.pending.is_some()
    }

    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }

    /// Forgets the key so the next `ensure` fetches again.
    pub fn invalidate(&mut self) {
        self.key = None;
    }

    /// Forgets everything.
    pub fn clear(&mut self) {
        *self = Self::default();
    }
}
