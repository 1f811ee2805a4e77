//! `tracedeck gen-samples`: writes the sample traces, or bench-size data with `--spans`.

use super::outln;
use std::path::Path;
use std::process::ExitCode;

use anyhow::Context as _;
use tracedeck::samples::{self, SampleOptions};

pub fn run(out: &Path, spans: Option<usize>, seed: Option<u64>) -> anyhow::Result<ExitCode> {
    let defaults = SampleOptions::default();
    let opts = SampleOptions {
        spans: spans.unwrap_or(defaults.spans),
        seed: seed.unwrap_or(defaults.seed),
        ..defaults
    };
    let manifest = samples::generate(&opts, out)
        .with_context(|| format!("writing samples to {}", out.display()))?;
    for file in &manifest.files {
        outln!(
            "{:<32} {:>8} spans {:>6} traces {:>10} bytes",
            file.name,
            file.spans,
            file.traces,
            file.bytes
        )?;
    }
    outln!(
        "wrote {} spans in {} traces to {}",
        manifest.total_spans,
        manifest.total_traces,
        out.display()
    )?;
    Ok(ExitCode::SUCCESS)
}
