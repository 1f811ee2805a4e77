//! `tracedeck info`: what the store holds.

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
        println!("{}", serde_json::to_string_pretty(&out)?);
    } else {
        println!("store      {} ({:.1} MB)", db.display(), bytes as f64 / 1e6);
        println!("spans      {}", counts.spans);
        println!("traces     {}", counts.traces);
        println!("services   {}", counts.services);
        println!("error spans {}", counts.error_spans);
        println!("events     {}", counts.events);
        println!("links      {}", counts.links);
        println!("imports    {}", counts.imports);
    }
    Ok(ExitCode::SUCCESS)
}
