//! `tracedeck gen-samples`: writes the sample traces, or bench-size data.

use std::path::Path;
use std::process::ExitCode;

pub fn run(_out: &Path, _spans: Option<usize>, _seed: Option<u64>) -> anyhow::Result<ExitCode> {
    anyhow::bail!("gen-samples: not wired yet")
}
