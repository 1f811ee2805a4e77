//! `tracedeck export`: writes a snapshot of the store (all of it, or a time range, services,
//! traces or conversations), redacted with `--redact`, optionally with a start-here pointer.

use super::outln;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::Context as _;
use tracedeck::share::selection::{parse_time_ns, parse_trace_id};
use tracedeck::share::{ExportControl, ExportOptions, RedactOptions, Selection, StartHere};

/// The command's arguments, as `main` parsed them.
pub struct ExportArgs {
    pub out: PathBuf,
    pub redact: bool,
    pub since: Option<String>,
    pub until: Option<String>,
    pub services: Vec<String>,
    pub traces: Vec<String>,
    pub conversations: Vec<String>,
    pub start_here: Option<String>,
    pub drop_keys: Vec<String>,
    pub patterns: Vec<String>,
    pub json: bool,
}

pub fn run(db: &Path, args: ExportArgs) -> anyhow::Result<ExitCode> {
    if !db.exists() {
        anyhow::bail!("no store at {}", db.display());
    }
    let parse_time = |t: &Option<String>| t.as_deref().map(parse_time_ns).transpose();
    let selection = Selection {
        since_ns: parse_time(&args.since).map_err(anyhow::Error::msg)?,
        until_ns: parse_time(&args.until).map_err(anyhow::Error::msg)?,
        services: args.services,
        trace_ids: args
            .traces
            .iter()
            .map(|t| parse_trace_id(t))
            .collect::<Result<_, _>>()
            .map_err(anyhow::Error::msg)?,
        conversations: args.conversations,
        filter: None,
    };
    let start_here = args
        .start_here
        .as_deref()
        .map(str::parse::<StartHere>)
        .transpose()?;
    if !args.redact && (!args.drop_keys.is_empty() || !args.patterns.is_empty()) {
        anyhow::bail!("--drop-key and --pattern apply with --redact");
    }
    let options = ExportOptions {
        selection,
        redact: args.redact.then_some(RedactOptions {
            drop_keys: args.drop_keys,
            patterns: args.patterns,
        }),
        start_here,
    };
    let control = ExportControl::default();
    let summary = tracedeck::share::export(db, &args.out, &options, &control)
        .with_context(|| format!("exporting {} to {}", db.display(), args.out.display()))?;
    if args.json {
        outln!("{}", serde_json::to_string_pretty(&summary)?)?;
        return Ok(ExitCode::SUCCESS);
    }
    outln!(
        "wrote {} ({:.1} MB): {} spans in {} traces, {} events, {} links, {} predictions, from {} imports",
        summary.out.display(),
        summary.bytes as f64 / 1e6,
        summary.spans,
        summary.traces,
        summary.events,
        summary.links,
        summary.predictions,
        summary.imports
    )?;
    match &summary.redaction {
        Some(stats) if stats.total() == 0 => outln!("redacted: nothing found")?,
        Some(stats) => {
            let parts: Vec<String> = stats
                .counts
                .iter()
                .map(|(kind, n)| format!("{kind} {n}"))
                .collect();
            let mut line = format!("redacted: {}", parts.join(", "));
            if stats.dropped_keys > 0 {
                line.push_str(&format!(", {} attributes dropped", stats.dropped_keys));
            }
            outln!("{line}")?;
        }
        None => outln!("not redacted (use --redact before sending it to anyone)")?,
    }
    if let Some(p) = &summary.start_here {
        outln!("start here: {p}")?;
    }
    Ok(ExitCode::SUCCESS)
}
