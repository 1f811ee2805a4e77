//! `tracedeck open FILE`: runs the checks a file from someone else must pass, says what it is
//! (a snapshot: when, by which tracedeck, from what, redacted or not) and where it starts;
//! `--at POINTER` checks that the file holds what a pointer names and prints it.

use super::outln;
use std::path::Path;
use std::process::ExitCode;

use tracedeck::share::{PointerTarget, StartHere, check_file, deep_link};
use tracedeck::store::Store;

pub fn run(file: &Path, at: Option<&str>, json: bool) -> anyhow::Result<ExitCode> {
    let pointer = at.map(str::parse::<StartHere>).transpose()?;
    let checked = check_file(file)?;
    if let Some(found) = checked.upgrade_from {
        outln!(
            "{}: a tracedeck store with the older schema version {found} (this tracedeck: {}); \
             the app opens an upgraded copy and leaves this file as it is",
            file.display(),
            tracedeck::store::SCHEMA_VERSION
        )?;
        return Ok(ExitCode::SUCCESS);
    }
    let store = Store::open_untrusted(file)?;
    let counts = store.counts()?;
    let start_here = match &pointer {
        Some(p) => Some(p.clone()),
        None => checked
            .snapshot
            .as_ref()
            .and_then(|s| s.start_here.as_deref())
            .and_then(|p| p.parse().ok()),
    };
    let target = match &start_here {
        Some(p) => deep_link::resolve(&store, p)?,
        None => None,
    };
    if json {
        let out = serde_json::json!({
            "file": file,
            "bytes": checked.bytes,
            "schema_version": checked.schema_version,
            "snapshot": checked.snapshot,
            "counts": counts,
            "start_here": start_here.as_ref().map(ToString::to_string),
            "start_here_found": target.is_some(),
        });
        outln!("{}", serde_json::to_string_pretty(&out)?)?;
    } else {
        outln!(
            "{}: a tracedeck store, schema version {}, {:.1} MB, passed the open checks",
            file.display(),
            checked.schema_version,
            checked.bytes as f64 / 1e6
        )?;
        match &checked.snapshot {
            Some(s) => {
                outln!(
                    "snapshot   made {} by tracedeck {} from {}",
                    s.made_at,
                    s.tracedeck_version,
                    s.source
                )?;
                let redacted = s
                    .redaction
                    .get("enabled")
                    .and_then(serde_json::Value::as_bool)
                    .unwrap_or(false);
                outln!("redacted   {}", if redacted { "yes" } else { "no" })?;
                outln!("selection  {}", s.selection)?;
                outln!("imports    {}", s.imports.join(", "))?;
            }
            None => outln!("snapshot   no (a whole store)")?,
        }
        outln!(
            "spans      {} in {} traces, {} services",
            counts.spans,
            counts.traces,
            counts.services
        )?;
        if let Some(p) = &start_here {
            match &target {
                Some(PointerTarget::Trace { name }) => outln!("start here {p} ({name})")?,
                Some(PointerTarget::Conversation { spans }) => {
                    outln!("start here {p} ({spans} spans in the conversation)")?
                }
                None => outln!("start here {p}: NOT in this file")?,
            }
        }
    }
    if pointer.is_some() && target.is_none() {
        if let Some(p) = &pointer {
            eprintln!("tracedeck: {p} is not in {}", file.display());
        }
        return Ok(ExitCode::FAILURE);
    }
    Ok(ExitCode::SUCCESS)
}
