//! The command-line front end: one module per subcommand, each printing for people or `--json`.

pub mod gui;
pub mod import;
pub mod info;
pub mod report;
pub mod samples;
