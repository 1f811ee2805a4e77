//! `tracedeck info`: what the store holds.

use super::outln;
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
    let counts = store.counts()?;
    let bytes = std::fs::metadata(db).map(|m| m.len()).unwrap_or(0);
    if json {
        let out = serde_json::json!({ "store": db, "bytes": bytes, "counts": counts });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        outln!("store      {} ({:.1} MB)", db.display(), bytes as f64 / 1e6)?;
        outln!("spans      {}", counts.spans)?;
        outln!("traces     {}", counts.traces)?;
        outln!("services   {}", counts.services)?;
        outln!("error spans {}", counts.error_spans)?;
        outln!("events     {}", counts.events)?;
        outln!("links      {}", counts.links)?;
        outln!("imports    {}", counts.imports)?;
    }
    Ok(ExitCode::SUCCESS)
}
