//! No subcommand: the desktop app, on the store `--db` names (or the default one).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(db: &Path, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    for p in paths {
        if !p.exists() {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    tracedeck::ui::run::run_app(db.to_owned(), paths.to_vec()).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}
