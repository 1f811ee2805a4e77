//! The unit of work that flows from the parse workers to the writer: spans read from a piece of a
//! file, with what was skipped and what went wrong there.

use super::diagnostics::Diagnostic;
use crate::model::ResourceSpans;

#[derive(Debug, Default)]
pub struct Parsed {
    pub blocks: Vec<ResourceSpans>,
    /// Spans in `blocks`.
    pub spans: u64,
    /// JSON documents or protobuf messages that held traces.
    pub documents: u64,
    /// Lines holding metrics or logs, skipped on purpose.
    pub skipped_lines: u64,
    pub diagnostics: Vec<Diagnostic>,
    /// `blocks` with their stored columns computed (done on the parse worker).
    pub prepared: Vec<crate::store::PreparedBlock>,
    /// What the text turned out to be, when the reader could only guess (`otlp-jsonl`,
    /// `jaeger-json`).
    pub format: Option<&'static str>,
}

impl Parsed {
    pub fn push_block(&mut self, block: crate::model::ResourceSpans) {
        let n = block.span_count() as u64;
        if n > 0 {
            self.spans += n;
            self.blocks.push(block);
        }
    }
}
