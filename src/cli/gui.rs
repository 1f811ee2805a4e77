//! No subcommand: the desktop app.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(_db: &Path, _paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    anyhow::bail!("the desktop app is not built yet")
}
