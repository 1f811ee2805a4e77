//! No subcommand: the desktop app, on the store `--db` names (or the default one). A `--db` file
//! that exists and is not the default store is someone else's until `--writable` says otherwise:
//! it is checked and opened read-only, the default store staying the user's own.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

pub fn run(db: &Path, read_only: bool, paths: &[PathBuf]) -> anyhow::Result<ExitCode> {
    for p in paths {
        if !p.exists() {
            anyhow::bail!("{}: no such file or folder", p.display());
        }
    }
    let home = tracedeck::store::default_store_path();
    if read_only && paths.is_empty() && db.exists() && db != home {
        tracedeck::ui::run::run_app_opening(home, Some(db.to_owned()), Vec::new())
            .map_err(anyhow::Error::msg)?;
        return Ok(ExitCode::SUCCESS);
    }
    tracedeck::ui::run::run_app(db.to_owned(), paths.to_vec()).map_err(anyhow::Error::msg)?;
    Ok(ExitCode::SUCCESS)
}
