//! `tracedeck report`: the failure summary of a store, for people or (`--json`) for scripts.

use super::{out, outln};
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use tracedeck::store::Store;

pub fn run(db: &Path, json: bool) -> anyhow::Result<ExitCode> {
    if !db.exists() {
        anyhow::bail!(
            "no store at {} (import something first: tracedeck import FILE)",
            db.display()
        );
    }
    let store = Store::open(db).with_context(|| format!("opening store {}", db.display()))?;
    let report = tracedeck::report::build(&store)
        .with_context(|| format!("reading store {}", db.display()))?;
    if json {
        outln!("{}", report.json()?)?;
    } else {
        outln!("store {}", db.display())?;
        out!("{}", report.text())?;
    }
    Ok(ExitCode::SUCCESS)
}
