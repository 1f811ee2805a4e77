//! One file's import: a reader thread cuts the (decompressed) stream into work items (batches of
//! lines, a whole document, batches of protobuf frames), parse workers turn them into spans, and
//! the calling thread writes them through the store's bulk writer. Channels are bounded, so
//! memory stays flat however large the file; cancellation stops all three at the next item.

use std::collections::HashSet;
use std::io::{self, BufRead, Read};
use std::path::Path;
use std::sync::atomic::Ordering;

use crossbeam_channel::{Receiver, Sender, bounded};

use super::diagnostics::{Diagnostic, Location, Severity};
use super::parsed::Parsed;
use super::sniff::{self, Compression, Content};
use super::{FileReport, ImportControl, Outcome, jaeger_json, otlp_json, otlp_proto, predictions};
use crate::model::TraceId;
use crate::store::{ImportStatus, ImportTotals, SpanWriter, Store, StoreError, prepare_blocks};

/// Bytes of lines per work item.
const LINES_CHUNK_BYTES: usize = 4 << 20;
/// A chunk buffer's first allocation: the chunk size plus room for a typical last line, so
/// the buffer is not regrown (and copied) while it fills.
const LINES_CHUNK_CAPACITY: usize = LINES_CHUNK_BYTES + (64 << 10);
/// Bytes of protobuf frames per work item.
const FRAMES_CHUNK_BYTES: usize = 4 << 20;
/// A frame chunk buffer's first allocation (see [`LINES_CHUNK_CAPACITY`]).
const FRAMES_CHUNK_CAPACITY: usize = FRAMES_CHUNK_BYTES + (1 << 20);
/// The largest frame length believed; a longer prefix is corruption.
const MAX_FRAME_BYTES: u64 = 1 << 30;
/// Diagnostics kept per file (all are counted).
const MAX_KEPT_DIAGNOSTICS: usize = 500;

enum Work {
    Lines {
        first_line: u64,
        buf: Vec<u8>,
        /// End offset (exclusive) of each line in `buf`.
        ends: Vec<usize>,
    },
    Document(Vec<u8>),
    Frames(FrameChunk),
    Problem(Diagnostic),
}

/// Protobuf messages read one after the other into one buffer.
struct FrameChunk {
    buf: Vec<u8>,
    frames: Vec<Frame>,
}

/// Where one message sits: its frame number (0 for a whole-file message), the file offset of
/// its length prefix, and its bytes in [`FrameChunk::buf`].
struct Frame {
    index: u64,
    offset: u64,
    bytes: std::ops::Range<usize>,
}

impl FrameChunk {
    fn bytes(&self, frame: &Frame) -> &[u8] {
        self.buf.get(frame.bytes.clone()).unwrap_or_default()
    }
}

/// Buffers the workers hand back for the reader to fill again. Fresh multi-megabyte buffers
/// cost a page fault per 4 KiB; reusing them took most of the reader thread's time off.
#[derive(Clone)]
struct BufferPool {
    tx: Sender<Vec<u8>>,
    rx: Receiver<Vec<u8>>,
}

impl BufferPool {
    fn new(buffers: usize) -> Self {
        let (tx, rx) = bounded(buffers);
        Self { tx, rx }
    }

    /// An empty buffer with room for at least `capacity` bytes.
    fn take(&self, capacity: usize) -> Vec<u8> {
        match self.rx.try_recv() {
            Ok(mut buf) => {
                buf.reserve(capacity);
                buf
            }
            Err(_) => Vec::with_capacity(capacity),
        }
    }

    fn give(&self, mut buf: Vec<u8>) {
        buf.clear();
        // A full pool means enough buffers are in circulation: this one is freed.
        let _ = self.tx.try_send(buf);
    }
}

fn rejected(path: &Path, format: &str, message: String) -> FileReport {
    let mut report = FileReport::new(path, format);
    report.outcome = Outcome::Rejected;
    report.push(Diagnostic::error(Location::File, message));
    report
}

/// Imports one file. Store failures are returned; everything wrong with the file is in the report.
pub fn import_file(
    store: &mut Store,
    path: &Path,
    control: &ImportControl,
) -> Result<FileReport, StoreError> {
    let file = match std::fs::File::open(path) {
        Ok(f) => f,
        Err(e) => return Ok(rejected(path, "unknown", format!("cannot open: {e}"))),
    };
    let bytes = file.metadata().map(|m| m.len()).unwrap_or(0);
    if bytes == 0 {
        return Ok(rejected(path, "empty", "file is empty".to_owned()));
    }
    // The reader thread needs 'static data: it only touches the progress counters through an Arc.
    let progress = control.progress.clone();
    let counting: Box<dyn Read + Send> = Box::new(ProgressReader {
        inner: file,
        progress,
    });
    let (compression, decoded) = match sniff::decompress(counting) {
        Ok(x) => x,
        Err(e) => return Ok(rejected(path, "unknown", format!("cannot read: {e}"))),
    };
    let (head, reader) = match sniff::peek(decoded, 64) {
        Ok(x) => x,
        Err(e) => {
            return Ok(rejected(
                path,
                compression_label(compression),
                format!("cannot decompress: {e}"),
            ));
        }
    };
    let content = sniff::classify(&head);
    // Prediction logs (JSON Lines or CSV) go to their own reader; everything else is traces.
    let mut reader = reader;
    if content == Content::Json || (content == Content::Binary && sniff::is_text(&head)) {
        let (more, peeked) = sniff::peek_lenient(Box::new(reader), predictions::SNIFF_BYTES);
        if let Some(kind) = predictions::detect(&more) {
            let suffix = compression_suffix(compression);
            return predictions::import(store, path, peeked, kind, suffix, bytes, control);
        }
        reader = peeked;
    }
    let format = format_label(content, compression);
    let first_work = match content {
        Content::Empty => {
            let msg = match compression {
                Compression::None => "file is empty".to_owned(),
                _ => "file is empty after decompression".to_owned(),
            };
            return Ok(rejected(path, &format, msg));
        }
        Content::Json => None,
        Content::ProtoMessage | Content::Binary => {
            match first_frame_or_message(&mut reader, content) {
                Ok(work) => Some(work),
                Err(why) => {
                    return Ok(rejected(
                        path,
                        &format,
                        format!(
                            "unrecognized format (not JSON, gzip, zstd or OTLP protobuf): {why}; {}",
                            sniff::looks_like(&head)
                        ),
                    ));
                }
            }
        }
    };
    let format = match &first_work {
        Some(FirstWork::Framed(chunk))
            if chunk
                .frames
                .first()
                .is_some_and(|f| sniff::is_zstd(chunk.bytes(f))) =>
        {
            format!("{format}-framed-zstd")
        }
        Some(FirstWork::Framed(_)) => format!("{format}-framed"),
        _ => format,
    };
    let mut report = FileReport::new(path, &format);
    let mut writer = SpanWriter::begin(store, &path.display().to_string(), &format, bytes)?;
    report.import_id = Some(writer.import_id());
    let workers = std::thread::available_parallelism()
        .map(|n| n.get().saturating_sub(1))
        .unwrap_or(1)
        .clamp(1, 4);
    let mut traces: HashSet<TraceId> = HashSet::new();
    let result = std::thread::scope(|scope| -> Result<(), StoreError> {
        let (work_tx, work_rx) = bounded::<Work>(workers * 2);
        let (parsed_tx, parsed_rx) = bounded::<Parsed>(workers * 2);
        // Room for every buffer that can be queued, in a worker, or on its way back.
        let pool = BufferPool::new(workers * 4 + 2);
        let cancel = &control.cancel;
        let reader_pool = pool.clone();
        let reader_thread = std::thread::Builder::new()
            .name("import-reader".into())
            .spawn_scoped(scope, move || {
                let feed = Feed {
                    tx: work_tx,
                    cancel,
                    pool: reader_pool,
                };
                match first_work {
                    None => feed.json(reader),
                    Some(FirstWork::Message(chunk)) => {
                        feed.send(Work::Frames(chunk));
                    }
                    Some(FirstWork::Framed(first)) => feed.frames(reader, first),
                }
            });
        if let Err(e) = reader_thread {
            report.push(Diagnostic::error(
                Location::File,
                format!("cannot start reader thread: {e}"),
            ));
            return Ok(());
        }
        for i in 0..workers {
            let rx: Receiver<Work> = work_rx.clone();
            let tx: Sender<Parsed> = parsed_tx.clone();
            let pool = pool.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("import-parse-{i}"))
                .spawn_scoped(scope, move || {
                    for work in rx {
                        let mut parsed = parse(work, &pool);
                        parsed.prepared = prepare_blocks(std::mem::take(&mut parsed.blocks));
                        if tx.send(parsed).is_err() {
                            break;
                        }
                    }
                });
            if let Err(e) = spawned {
                report.push(Diagnostic::error(
                    Location::File,
                    format!("cannot start parse thread: {e}"),
                ));
            }
        }
        drop(work_rx);
        drop(parsed_tx);
        for parsed in parsed_rx.iter() {
            if control.cancel.load(Ordering::Relaxed) {
                break;
            }
            for block in &parsed.prepared {
                for scope in &block.scopes {
                    traces.extend(scope.spans.iter().map(|s| s.span.trace_id));
                }
            }
            let stats = writer.write_prepared(&parsed.prepared)?;
            report.spans_read += parsed.spans;
            report.spans_new += stats.inserted;
            report.duplicates += stats.duplicates;
            report.documents += parsed.documents;
            report.skipped_lines += parsed.skipped_lines;
            if let Some(format) = parsed.format {
                report.refine_format(format);
            }
            for d in parsed.diagnostics {
                report.push(d);
            }
            control
                .progress
                .spans_done
                .fetch_add(parsed.spans, Ordering::Relaxed);
        }
        // Dropping the receiver makes the workers and the reader stop at their next send.
        drop(parsed_rx);
        Ok(())
    });
    result?;
    report.traces = traces.len() as u64;
    report.finish_outcome(control.cancel.load(Ordering::Relaxed));
    let status = match report.outcome {
        Outcome::Ok => ImportStatus::Ok,
        Outcome::Partial => ImportStatus::Partial,
        Outcome::Rejected => ImportStatus::Rejected,
        Outcome::Cancelled => ImportStatus::Cancelled,
    };
    let totals = ImportTotals {
        format: report.format.clone(),
        spans_read: report.spans_read,
        traces: report.traces,
        skipped_lines: report.skipped_lines,
        warnings: report.warnings,
        errors: report.errors,
        diagnostics_json: serde_json::to_string(&report.diagnostics)
            .unwrap_or_else(|_| "[]".to_owned()),
    };
    let import_id = writer.finish(status, &totals)?;
    if report.outcome == Outcome::Rejected && report.spans_new == 0 {
        report.import_id = None;
    } else {
        report.import_id = Some(import_id);
    }
    Ok(report)
}

/// Counts bytes read into the shared progress (owned variant for the reader thread).
struct ProgressReader<R> {
    inner: R,
    progress: std::sync::Arc<super::Progress>,
}

impl<R: Read> Read for ProgressReader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress
            .bytes_done
            .fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

fn compression_label(c: Compression) -> &'static str {
    match c {
        Compression::None => "unknown",
        Compression::Gzip => "gzip",
        Compression::Zstd => "zstd",
    }
}

fn compression_suffix(c: Compression) -> &'static str {
    match c {
        Compression::None => "",
        Compression::Gzip => "+gzip",
        Compression::Zstd => "+zstd",
    }
}

fn format_label(content: Content, compression: Compression) -> String {
    let base = match content {
        Content::Empty => "empty",
        Content::Json => "otlp-json",
        Content::ProtoMessage | Content::Binary => "otlp-proto",
    };
    match compression {
        Compression::None => base.to_owned(),
        Compression::Gzip => format!("{base}+gzip"),
        Compression::Zstd => format!("{base}+zstd"),
    }
}

enum FirstWork {
    /// A whole single protobuf message (frame 0).
    Message(FrameChunk),
    /// The first frame of a Collector-framed stream (already checked to decode).
    Framed(FrameChunk),
}

/// Decides between one protobuf message and Collector framing, checking the first frame decodes.
fn first_frame_or_message(
    reader: &mut impl BufRead,
    content: Content,
) -> Result<FirstWork, String> {
    if content == Content::ProtoMessage {
        let mut all = Vec::new();
        reader
            .read_to_end(&mut all)
            .map_err(|e| format!("read failed: {e}"))?;
        otlp_proto::decode(&all).map_err(|e| format!("as a protobuf message: {e}"))?;
        let whole = Frame {
            index: 0,
            offset: 0,
            bytes: 0..all.len(),
        };
        return Ok(FirstWork::Message(FrameChunk {
            buf: all,
            frames: vec![whole],
        }));
    }
    let mut chunk = FrameChunk {
        buf: Vec::with_capacity(FRAMES_CHUNK_CAPACITY),
        frames: Vec::new(),
    };
    let frame = match read_frame(reader, 1, 0, &mut chunk.buf) {
        Ok(Some(frame)) => frame,
        Ok(None) => return Err("no data".to_owned()),
        Err(e) => return Err(format!("read as framed protobuf, {e}")),
    };
    let payload = frame_payload(chunk.bytes(&frame)).map_err(|e| format!("frame 1: {e}"))?;
    otlp_proto::decode(&payload).map_err(|e| format!("frame 1 is not a protobuf message: {e}"))?;
    chunk.frames.push(frame);
    Ok(FirstWork::Framed(chunk))
}

/// Reads one length-prefixed frame, appending its message to `buf`; `Ok(None)` at a clean end
/// of stream. On an error `buf` is as it was.
fn read_frame(
    reader: &mut impl Read,
    index: u64,
    offset: u64,
    buf: &mut Vec<u8>,
) -> Result<Option<Frame>, String> {
    let mut len_bytes = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match reader.read(&mut len_bytes[got..]) {
            Ok(0) if got == 0 => return Ok(None),
            Ok(0) => {
                return Err(format!(
                    "the stream ends inside the 4-byte length prefix ({got} bytes remain)"
                ));
            }
            Ok(n) => got += n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(format!("read failed: {e}")),
        }
    }
    let len = u64::from(u32::from_be_bytes(len_bytes));
    let start = buf.len();
    // Reserve what the prefix claims, up to a bound: a corrupt prefix must not allocate a GB.
    buf.reserve(len.min(FRAMES_CHUNK_CAPACITY as u64) as usize);
    let read = reader
        .take(len.min(MAX_FRAME_BYTES))
        .read_to_end(buf)
        .map_err(|e| {
            buf.truncate(start);
            format!("read failed: {e}")
        })?;
    if (read as u64) < len {
        buf.truncate(start);
        // Count what is left beyond the cap too, without keeping it.
        let rest = if len > MAX_FRAME_BYTES {
            io::copy(reader, &mut io::sink()).unwrap_or(0)
        } else {
            0
        };
        return Err(format!(
            "length prefix says {len} bytes, only {} remain",
            read as u64 + rest
        ));
    }
    Ok(Some(Frame {
        index,
        offset,
        bytes: start..buf.len(),
    }))
}

/// A frame's message bytes, unwrapping the legacy per-message zstd.
fn frame_payload(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, String> {
    if sniff::is_zstd(bytes) {
        zstd::stream::decode_all(bytes)
            .map(std::borrow::Cow::Owned)
            .map_err(|e| format!("zstd: {e}"))
    } else {
        Ok(std::borrow::Cow::Borrowed(bytes))
    }
}

/// The reader side: cuts the stream into work items.
struct Feed<'c> {
    tx: Sender<Work>,
    cancel: &'c std::sync::atomic::AtomicBool,
    pool: BufferPool,
}

impl Feed<'_> {
    fn send(&self, work: Work) -> bool {
        !self.cancel.load(Ordering::Relaxed) && self.tx.send(work).is_ok()
    }

    fn json(&self, mut reader: impl BufRead) {
        // Skip blank lines, then decide: a first line that is a whole JSON value means JSON Lines.
        let mut line_no = 0u64;
        let mut first = Vec::new();
        loop {
            first.clear();
            line_no += 1;
            match sniff::read_line(&mut reader, &mut first) {
                Ok(0) => return,
                Ok(_) => {}
                Err(e) => {
                    self.send(Work::Problem(stream_error(line_no, &e)));
                    return;
                }
            }
            if line_no == 1 && first.starts_with(&sniff::UTF8_BOM) {
                first.drain(..3);
            }
            if !first.iter().all(u8::is_ascii_whitespace) {
                break;
            }
        }
        let first_is_value =
            serde_json::from_slice::<serde::de::IgnoredAny>(trim_eol(&first)).is_ok();
        if !first_is_value {
            let mut doc = vec![b'\n'; (line_no - 1) as usize];
            doc.extend_from_slice(&first);
            if let Err(e) = reader.read_to_end(&mut doc) {
                self.send(Work::Problem(stream_error(line_no, &e)));
            }
            self.send(Work::Document(doc));
            return;
        }
        if let Some(what) = not_traces(trim_eol(&first)) {
            self.send(Work::Problem(Diagnostic::error(
                Location::File,
                format!("not OTLP traces: line {line_no} has no resourceSpans; {what}"),
            )));
            return;
        }
        let mut buf = first;
        let mut ends = vec![buf.len()];
        let mut first_line = line_no;
        loop {
            match sniff::read_line(&mut reader, &mut buf) {
                Ok(0) => break,
                Ok(_) => ends.push(buf.len()),
                Err(e) => {
                    let failed_line = first_line + ends.len() as u64;
                    let chunk = Work::Lines {
                        first_line,
                        buf: std::mem::take(&mut buf),
                        ends: std::mem::take(&mut ends),
                    };
                    if self.send(chunk) {
                        self.send(Work::Problem(stream_error(failed_line, &e)));
                    }
                    return;
                }
            }
            if buf.len() >= LINES_CHUNK_BYTES {
                let next_line = first_line + ends.len() as u64;
                let chunk = Work::Lines {
                    first_line,
                    buf: std::mem::replace(&mut buf, self.pool.take(LINES_CHUNK_CAPACITY)),
                    ends: std::mem::take(&mut ends),
                };
                if !self.send(chunk) {
                    return;
                }
                first_line = next_line;
            }
        }
        if !ends.is_empty() {
            self.send(Work::Lines {
                first_line,
                buf,
                ends,
            });
        }
    }

    fn frames(&self, mut reader: impl BufRead, first: FrameChunk) {
        let Some(last) = first.frames.last() else {
            return;
        };
        let mut offset = last.offset + 4 + last.bytes.len() as u64;
        let mut index = last.index + 1;
        let mut chunk = first;
        loop {
            match read_frame(&mut reader, index, offset, &mut chunk.buf) {
                Ok(None) => break,
                Ok(Some(frame)) => {
                    offset += 4 + frame.bytes.len() as u64;
                    index += 1;
                    chunk.frames.push(frame);
                    if chunk.buf.len() >= FRAMES_CHUNK_BYTES {
                        let next = FrameChunk {
                            buf: self.pool.take(FRAMES_CHUNK_CAPACITY),
                            frames: Vec::new(),
                        };
                        if !self.send(Work::Frames(std::mem::replace(&mut chunk, next))) {
                            return;
                        }
                    }
                }
                Err(message) => {
                    if !chunk.frames.is_empty() && !self.send(Work::Frames(chunk)) {
                        return;
                    }
                    self.send(Work::Problem(Diagnostic::error(
                        Location::Frame {
                            frame: index,
                            offset,
                        },
                        message,
                    )));
                    return;
                }
            }
        }
        if !chunk.frames.is_empty() {
            self.send(Work::Frames(chunk));
        }
    }
}

/// When the first record of a JSON Lines file is plainly something else, what it looks like.
fn not_traces(line: &[u8]) -> Option<String> {
    // Only the top-level keys: a first line of a large export holds megabytes of spans, and
    // building them as `serde_json::Value`s held up the parse workers at the start.
    let map: std::collections::BTreeMap<String, serde::de::IgnoredAny> =
        serde_json::from_slice(line).ok()?;
    if super::predictions::TRACE_KEYS
        .iter()
        .any(|k| map.contains_key(*k))
    {
        return None;
    }
    let has = |k: &str| map.contains_key(k);
    Some(
        if (has("features") || has("inputs"))
            && (has("prediction") || has("output") || has("score"))
        {
            "it looks like a prediction log, but its first record is not one (a prediction needs a timestamp, a model and an output, or features and an output)".to_owned()
        } else {
            let mut keys: Vec<&str> = map.keys().map(String::as_str).take(5).collect();
            keys.sort_unstable();
            format!("its records have keys {}", keys.join(", "))
        },
    )
}

fn stream_error(line: u64, e: &io::Error) -> Diagnostic {
    let what = if e.kind() == io::ErrorKind::UnexpectedEof
        || e.to_string().contains("incomplete")
        || e.to_string().contains("corrupt deflate")
    {
        format!("compressed stream ends early (truncated file): {e}")
    } else {
        format!("read failed: {e}")
    };
    Diagnostic::error(Location::Line { line }, what)
}

fn trim_eol(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

/// The worker side: one work item to spans; its buffer goes back to `pool`.
fn parse(work: Work, pool: &BufferPool) -> Parsed {
    let mut out = Parsed::default();
    match work {
        Work::Problem(d) => out.diagnostics.push(d),
        Work::Lines {
            first_line,
            buf,
            ends,
        } => {
            let mut start = 0;
            out.format = Some("otlp-jsonl");
            for (i, end) in ends.into_iter().enumerate() {
                let line_no = first_line + i as u64;
                let line = buf.get(start..end).unwrap_or_default();
                start = end;
                parse_line(trim_eol(line), line_no, &mut out);
            }
            pool.give(buf);
        }
        Work::Document(bytes) => parse_document(&bytes, &mut out),
        Work::Frames(chunk) => {
            for frame in &chunk.frames {
                let at = if frame.index == 0 {
                    Location::Document
                } else {
                    Location::Frame {
                        frame: frame.index,
                        offset: frame.offset,
                    }
                };
                match frame_payload(chunk.bytes(frame)) {
                    Err(e) => out.diagnostics.push(Diagnostic::error(at, e)),
                    Ok(payload) => match otlp_proto::decode(&payload) {
                        Ok(req) => otlp_proto::convert(req, &at, &mut out),
                        Err(e) => out
                            .diagnostics
                            .push(Diagnostic::error(at, format!("invalid protobuf: {e}"))),
                    },
                }
            }
            pool.give(chunk.buf);
        }
    }
    out
}

fn parse_line(line: &[u8], line_no: u64, out: &mut Parsed) {
    if line.iter().all(u8::is_ascii_whitespace) {
        return;
    }
    let at = Location::Line { line: line_no };
    let Ok(text) = std::str::from_utf8(line) else {
        out.diagnostics
            .push(Diagnostic::error(at, "not UTF-8 text".to_owned()));
        return;
    };
    match otlp_json::parse_text(text, line_no, true, out) {
        Ok(kind) => after_parse(kind, text, at, out),
        Err(e) => out.diagnostics.push(Diagnostic::error(
            at,
            otlp_json::describe_json_error(&e, true),
        )),
    }
}

fn parse_document(bytes: &[u8], out: &mut Parsed) {
    let Ok(text) = std::str::from_utf8(bytes) else {
        let valid = std::str::from_utf8(bytes).map_or_else(|e| e.valid_up_to(), |_| 0);
        let line = 1 + bytes
            .get(..valid)
            .unwrap_or_default()
            .iter()
            .filter(|b| **b == b'\n')
            .count() as u64;
        out.diagnostics.push(Diagnostic::error(
            Location::Line { line },
            "not UTF-8 text".to_owned(),
        ));
        return;
    };
    match otlp_json::parse_text(text, 1, false, out) {
        Ok(kind) => after_parse(kind, text, Location::Document, out),
        Err(e) if e.to_string().starts_with("trailing characters") => {
            // Several documents one after the other: read it as JSON Lines after all.
            for (i, line) in text.split('\n').enumerate() {
                parse_line(trim_eol(line.as_bytes()), i as u64 + 1, out);
            }
        }
        Err(e) => out.diagnostics.push(Diagnostic::error(
            Location::Line {
                line: e.line() as u64,
            },
            otlp_json::describe_json_error(&e, false),
        )),
    }
}

fn after_parse(kind: otlp_json::DocKind, text: &str, at: Location, out: &mut Parsed) {
    match kind {
        otlp_json::DocKind::Traces => {}
        otlp_json::DocKind::NonTrace => out.skipped_lines += 1,
        otlp_json::DocKind::Jaeger => match serde_json::from_str::<serde_json::Value>(text) {
            Ok(doc) => {
                out.format = Some("jaeger-json");
                jaeger_json::convert(&doc, out);
            }
            Err(e) => out.diagnostics.push(Diagnostic::error(
                at,
                otlp_json::describe_json_error(&e, false),
            )),
        },
        otlp_json::DocKind::Unknown => out.diagnostics.push(Diagnostic::error(
            at,
            "not OTLP traces: no resourceSpans (nor batches, nor Jaeger traces)".to_owned(),
        )),
    }
}

impl FileReport {
    /// Replaces the guessed base format (`otlp-json`) by what was read, keeping the compression.
    fn refine_format(&mut self, base: &str) {
        if self.format.starts_with(base) {
            return;
        }
        if let Some(rest) = self.format.strip_prefix("otlp-json") {
            self.format = format!("{base}{rest}");
        }
    }

    fn push(&mut self, d: Diagnostic) {
        match d.severity {
            Severity::Error => self.errors += 1,
            Severity::Warning => self.warnings += 1,
        }
        if self.diagnostics.len() < MAX_KEPT_DIAGNOSTICS {
            self.diagnostics.push(d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::not_traces;

    #[test]
    fn a_first_record_that_is_not_traces_is_described_by_its_top_level_keys() {
        assert_eq!(
            not_traces(br#"{"f":2,"b":1,"a":{"nested":[{"z":1}]},"c":"s","e\u0041":1,"d":0}"#)
                .as_deref(),
            Some("its records have keys a, b, c, d, eA")
        );
        let prediction = not_traces(br#"{"features":{"x":1},"prediction":0.3}"#);
        assert!(
            prediction.is_some_and(|m| m.contains("looks like a prediction log")),
            "a prediction-shaped record is named as one"
        );
        assert_eq!(not_traces(br#"{"resourceSpans":[],"other":1}"#), None);
        // Not an object, or not JSON: left to the parser to report.
        assert_eq!(not_traces(b"[1,2]"), None);
        assert_eq!(not_traces(b"{\"a\":"), None);
    }
}
