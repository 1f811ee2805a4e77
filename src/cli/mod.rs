//! The command-line front end: one module per subcommand, each printing for people or `--json`.

pub mod export;
pub mod gui;
pub mod import;
pub mod info;
pub mod open;
pub mod report;
pub mod samples;
