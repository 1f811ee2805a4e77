//! The desktop app (eframe/egui): the app shell and one module per view. Views ask the store
//! questions only through [`query`] (never SQL, never on the UI thread).

pub mod app;
pub mod conversations;
pub mod drift;
pub mod export_dialog;
pub mod format;
pub mod import_job;
pub mod import_log;
pub mod json_tree;
pub mod latency;
pub mod overview;
pub mod query;
pub mod retries;
pub mod run;
pub mod share_job;
pub mod sidebar;
pub mod sort_header;
pub mod span_detail;
pub mod time_axis;
pub mod toasts;
pub mod traces_table;
pub mod traces_view;
pub mod validation;
pub mod view_ctx;
pub mod waterfall;

pub use app::{StartOptions, TracedeckApp};
pub use view_ctx::{ChainFocus, Nav, Tab, ViewCtx};
