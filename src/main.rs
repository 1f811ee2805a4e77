//! The `tracedeck` command: with no subcommand it opens the desktop app; `import`, `info`,
//! `report`, `export`, `open` and `gen-samples` run headless.

mod cli;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// mimalloc: imports allocate on parse threads and free on the writer thread, which glibc's
/// allocator handles slowly.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[derive(Parser)]
#[command(
    name = "tracedeck",
    version,
    about = "Open OTLP trace exports offline and see where an AI system failed",
    subcommand_precedence_over_arg = true
)]
struct Args {
    /// The store file (default: the platform's data directory, e.g. ~/.local/share/tracedeck/store.sqlite).
    #[arg(long, global = true, value_name = "PATH")]
    db: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
    /// Open a --db that is not your default store for writing too (it opens read-only otherwise).
    #[arg(long)]
    writable: bool,
    /// Files or folders to import before the window opens.
    #[arg(value_name = "FILE_OR_DIR")]
    paths: Vec<PathBuf>,
}

#[derive(Subcommand)]
enum Command {
    /// Import OTLP trace files (JSON, JSON Lines, protobuf; gzip or zstd), prediction logs (JSON Lines, CSV) or folders of them.
    Import {
        #[arg(required_unless_present = "reference", value_name = "FILE_OR_DIR")]
        paths: Vec<PathBuf>,
        /// A prediction log to import as the drift reference (what the model was trained or validated on).
        #[arg(long, value_name = "FILE")]
        reference: Vec<PathBuf>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Print what the store holds.
    Info {
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Summarize failures: error classes, retry chains and storms, validation failures, latency.
    Report {
        /// Print the result as JSON (the `tracedeck_report` shape).
        #[arg(long)]
        json: bool,
    },
    /// Write a snapshot of the store to share: all of it or a selection, redacted with --redact.
    Export {
        /// The snapshot file to write.
        #[arg(long, value_name = "FILE")]
        out: PathBuf,
        /// Replace keys, tokens, e-mail addresses, phone and card numbers, IP addresses by markers.
        #[arg(long)]
        redact: bool,
        /// Only spans starting at or after this time (RFC 3339, a date, or Unix seconds).
        #[arg(long, value_name = "T")]
        since: Option<String>,
        /// Only spans starting before this time.
        #[arg(long, value_name = "T")]
        until: Option<String>,
        /// Only spans of this service (repeatable).
        #[arg(long = "service", value_name = "S")]
        services: Vec<String>,
        /// Only this trace (32 hex digits; repeatable).
        #[arg(long = "trace", value_name = "ID")]
        traces: Vec<String>,
        /// Only spans of this conversation (repeatable).
        #[arg(long = "conversation", value_name = "ID")]
        conversations: Vec<String>,
        /// Where the snapshot opens: trace:ID[:SPAN] or conversation:ID:STEP (STEP from 1).
        #[arg(long, value_name = "POINTER")]
        start_here: Option<String>,
        /// With --redact: an attribute key to drop entirely (repeatable).
        #[arg(long = "drop-key", value_name = "KEY")]
        drop_keys: Vec<String>,
        /// With --redact: a regular expression whose matches are redacted too (repeatable).
        #[arg(long = "pattern", value_name = "REGEX")]
        patterns: Vec<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Check a store or snapshot someone sent, say what it is and where it starts.
    Open {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Check and print a pointer: trace:ID[:SPAN] or conversation:ID:STEP.
        #[arg(long, value_name = "POINTER")]
        at: Option<String>,
        /// Print the result as JSON.
        #[arg(long)]
        json: bool,
    },
    /// Write the sample traces (or bench-size data with --spans).
    GenSamples {
        /// Folder to write into.
        #[arg(long, default_value = "sample_traces")]
        out: PathBuf,
        /// Approximate number of trace spans.
        #[arg(long)]
        spans: Option<usize>,
        /// Random seed (the same seed writes the same bytes).
        #[arg(long)]
        seed: Option<u64>,
    },
}

fn main() -> ExitCode {
    let args = Args::parse();
    let explicit_db = args.db.is_some();
    let db = args.db.unwrap_or_else(tracedeck::store::default_store_path);
    let result = match args.command {
        Some(Command::Import {
            paths,
            reference,
            json,
        }) => cli::import::run(&db, &paths, &reference, json),
        Some(Command::Info { json }) => cli::info::run(&db, json),
        Some(Command::Report { json }) => cli::report::run(&db, json),
        Some(Command::Export {
            out,
            redact,
            since,
            until,
            services,
            traces,
            conversations,
            start_here,
            drop_keys,
            patterns,
            json,
        }) => cli::export::run(
            &db,
            cli::export::ExportArgs {
                out,
                redact,
                since,
                until,
                services,
                traces,
                conversations,
                start_here,
                drop_keys,
                patterns,
                json,
            },
        ),
        Some(Command::Open { file, at, json }) => cli::open::run(&file, at.as_deref(), json),
        Some(Command::GenSamples { out, spans, seed }) => cli::samples::run(&out, spans, seed),
        None => cli::gui::run(&db, explicit_db && !args.writable, &args.paths),
    };
    match result {
        Ok(code) => code,
        Err(e) if cli::is_closed_pipe(&e) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("tracedeck: {e:#}");
            ExitCode::FAILURE
        }
    }
}
