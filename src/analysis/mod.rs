//! Pure functions over what the store returns: trace trees, latency percentiles. They never
//! write and never touch SQL.
pub mod latency;
pub mod trace_tree;
