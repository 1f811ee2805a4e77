//! `tracedeck report`: the failure summary of a store, for people or (`--json`) for scripts.

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
        println!("{}", report.json()?);
    } else {
        println!("store {}", db.display());
        print!("{}", report.text());
    }
    Ok(ExitCode::SUCCESS)
}
