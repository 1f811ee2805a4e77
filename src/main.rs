//! The `tracedeck` command: with no subcommand it opens the desktop app; `import`, `info`,
//! `report` and `gen-samples` run headless.

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
    let db = args.db.unwrap_or_else(tracedeck::store::default_store_path);
    let result = match args.command {
        Some(Command::Import {
            paths,
            reference,
            json,
        }) => cli::import::run(&db, &paths, &reference, json),
        Some(Command::Info { json }) => cli::info::run(&db, json),
        Some(Command::Report { json }) => cli::report::run(&db, json),
        Some(Command::GenSamples { out, spans, seed }) => cli::samples::run(&out, spans, seed),
        None => cli::gui::run(&db, &args.paths),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("tracedeck: {e:#}");
            ExitCode::FAILURE
        }
    }
}
