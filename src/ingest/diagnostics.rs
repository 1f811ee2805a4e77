//! What an import reports about its input: errors and warnings, each with where it happened
//! (file, line, frame and byte offset, or the field path) and what is wrong.

use std::fmt;

use serde::Serialize;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// Where in a file a diagnostic points.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Location {
    /// The file as a whole.
    File,
    /// A whole JSON document (one object of a file).
    Document,
    /// A line of a text file (1-based).
    Line { line: u64 },
    /// A framed protobuf message (1-based) and its byte offset in the decoded stream.
    Frame { frame: u64, offset: u64 },
    /// A field inside a document, with the line it is on when known.
    Field { path: String, line: Option<u64> },
}

/// Where a span sits in its request (`resourceSpans[r].scopeSpans[s].spans[i]`), written out
/// only when a diagnostic needs it rather than once for every span imported.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SpanPath {
    pub resource: usize,
    pub scope: usize,
    pub span: usize,
}

impl fmt::Display for SpanPath {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "resourceSpans[{}].scopeSpans[{}].spans[{}]",
            self.resource, self.scope, self.span
        )
    }
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Location::File => write!(f, "file"),
            Location::Document => write!(f, "document"),
            Location::Line { line } => write!(f, "line {line}"),
            Location::Frame { frame, offset } => write!(f, "frame {frame} at byte {offset}"),
            Location::Field {
                path,
                line: Some(line),
            } => write!(f, "line {line}, {path}"),
            Location::Field { path, line: None } => write!(f, "{path}"),
        }
    }
}

impl Location {
    /// Sort key: position in the file.
    pub fn order_key(&self) -> (u64, u64) {
        match self {
            Location::File | Location::Document => (0, 0),
            Location::Line { line } => (*line, 0),
            Location::Frame { frame, offset } => (*frame, *offset),
            Location::Field { line, .. } => (line.unwrap_or(0), 1),
        }
    }
}

/// One error or warning.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    pub severity: Severity,
    #[serde(rename = "where")]
    pub location: Location,
    pub message: String,
}

impl Diagnostic {
    pub fn error(location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Error,
            location,
            message: message.into(),
        }
    }

    pub fn warning(location: Location, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            location,
            message: message.into(),
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let tag = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{}: {tag}: {}", self.location, self.message)
    }
}
