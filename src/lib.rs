//! tracedeck: import OTLP traces and prediction logs into SQLite and show where an AI system failed.
//!
//! Layers, and the direction they depend on each other: `ui -> analysis -> store -> model`,
//! `ingest -> model`, `ingest -> store` (writer only). See ARCHITECTURE.md.

pub mod analysis;
pub mod encode;
pub mod ingest;
pub mod model;
pub mod report;
pub mod samples;
pub mod share;
pub mod store;
pub mod ui;
