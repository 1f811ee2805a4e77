//! Pure functions over what the store returns: trace trees, latency percentiles, retry chains,
//! validation failures, drift and version skew of predictions. They never write and never
//! touch SQL.
pub mod conversation;
pub mod drift;
pub mod latency;
pub mod prediction_report;
pub mod retries;
pub mod trace_tree;
pub mod validation;
pub mod version_skew;
