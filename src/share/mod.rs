//! Sharing a store safely: exporting a filtered, compacted, optionally redacted snapshot
//! ([`snapshot`], [`selection`], [`redact`]); checking a file someone sent before anything reads
//! it ([`open_check`]); the "start here" pointer a snapshot carries ([`deep_link`]); and copying
//! a checked file's data into the user's own store ([`merge`]). Like `store`, this layer works
//! on the SQLite files directly; the UI reaches it through background jobs.

pub mod deep_link;
pub mod merge;
pub mod open_check;
pub mod redact;
pub mod selection;
pub mod snapshot;
mod summaries;

pub use deep_link::{PointerError, PointerTarget, StartHere};
pub use open_check::{CheckedFile, Refusal, check_file};
pub use redact::{RedactOptions, RedactionStats, Redactor};
pub use selection::Selection;
pub use snapshot::{
    ExportControl, ExportError, ExportOptions, ExportProgress, ExportSummary, SnapshotInfo, export,
    preview_redaction, read_snapshot_info,
};
