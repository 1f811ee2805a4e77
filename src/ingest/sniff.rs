//! Telling formats apart from the bytes, never the file name: gzip and zstd by their magic
//! numbers (then the decompressed stream is sniffed again), JSON by its first non-space
//! character, everything else tried as OTLP protobuf. Also says what a refused file looks like.

use std::io::{self, BufRead, BufReader, Cursor, Read};

/// The compression around a file's content.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Compression {
    None,
    Gzip,
    Zstd,
}

/// What the (decompressed) content looks like.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Content {
    Empty,
    Json,
    /// Starts like a protobuf `ExportTraceServiceRequest` (field 1, length-delimited).
    ProtoMessage,
    /// Anything else binary: tried as Collector-framed protobuf.
    Binary,
}

const GZIP_MAGIC: [u8; 2] = [0x1f, 0x8b];
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
pub const UTF8_BOM: [u8; 3] = [0xef, 0xbb, 0xbf];

pub fn is_zstd(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// A reader with its first bytes already read (so they can be looked at) and put back in front.
pub type Peeked = BufReader<io::Chain<Cursor<Vec<u8>>, Box<dyn Read + Send>>>;

/// Reads up to `n` bytes and returns them with a reader that yields them again.
pub fn peek(mut reader: Box<dyn Read + Send>, n: u64) -> io::Result<(Vec<u8>, Peeked)> {
    let mut prefix = Vec::new();
    reader.by_ref().take(n).read_to_end(&mut prefix)?;
    let head = prefix.clone();
    let chained = Cursor::new(prefix).chain(reader);
    Ok((head, BufReader::with_capacity(1 << 20, chained)))
}

/// Like [`peek`], but a read error (a truncated compressed stream) does not lose the bytes read
/// before it: they come first, then the error, as the unpeeked reader would have given them.
pub fn peek_lenient(mut reader: Box<dyn Read + Send>, n: u64) -> (Vec<u8>, Peeked) {
    let mut prefix = Vec::new();
    let mut failed = None;
    let mut buf = vec![0u8; 16 * 1024];
    while (prefix.len() as u64) < n {
        let want = usize::try_from(n - prefix.len() as u64)
            .unwrap_or(usize::MAX)
            .min(buf.len());
        let Some(chunk) = buf.get_mut(..want) else {
            break;
        };
        match reader.read(chunk) {
            Ok(0) => break,
            Ok(k) => prefix.extend_from_slice(chunk.get(..k).unwrap_or_default()),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => {
                failed = Some(e);
                break;
            }
        }
    }
    let rest: Box<dyn Read + Send> = match failed {
        Some(err) => Box::new(FailOnce {
            err: Some(err),
            inner: reader,
        }),
        None => reader,
    };
    let head = prefix.clone();
    (
        head,
        BufReader::with_capacity(1 << 20, Cursor::new(prefix).chain(rest)),
    )
}

/// Gives a stored error once, then reads on.
struct FailOnce {
    err: Option<io::Error>,
    inner: Box<dyn Read + Send>,
}

impl Read for FailOnce {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        match self.err.take() {
            Some(e) => Err(e),
            None => self.inner.read(buf),
        }
    }
}

/// Unwraps gzip or zstd (one level), returning the decompressed reader and what it was.
pub fn decompress(reader: Box<dyn Read + Send>) -> io::Result<(Compression, Box<dyn Read + Send>)> {
    let (head, peeked) = peek(reader, 4)?;
    if head.starts_with(&GZIP_MAGIC) {
        Ok((
            Compression::Gzip,
            Box::new(flate2::read::MultiGzDecoder::new(peeked)),
        ))
    } else if head.starts_with(&ZSTD_MAGIC) {
        Ok((
            Compression::Zstd,
            Box::new(zstd::stream::read::Decoder::with_buffer(peeked)?),
        ))
    } else {
        Ok((Compression::None, Box::new(peeked)))
    }
}

/// Classifies decompressed content from its first bytes.
pub fn classify(head: &[u8]) -> Content {
    let body = head.strip_prefix(&UTF8_BOM[..]).unwrap_or(head);
    // Text has no control bytes but tab, CR and LF; protobuf almost always has some.
    let textual = body
        .iter()
        .all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n'));
    let first = body.iter().find(|b| !b.is_ascii_whitespace());
    match first {
        None => Content::Empty,
        Some(b'{' | b'[') if textual => Content::Json,
        _ if body.first() == Some(&0x0a) => Content::ProtoMessage,
        _ => Content::Binary,
    }
}

/// Whether the first bytes read as text (UTF-8 up to a cut character, no control bytes but
/// tab, CR and LF): a CSV prediction log is tried only then.
pub fn is_text(head: &[u8]) -> bool {
    let body = head.strip_prefix(&UTF8_BOM[..]).unwrap_or(head);
    let utf8 = match std::str::from_utf8(body) {
        Ok(_) => true,
        // A multi-byte character cut by the end of the head is fine.
        Err(e) => e.error_len().is_none(),
    };
    utf8 && body
        .iter()
        .all(|b| *b >= 0x20 || matches!(b, b'\t' | b'\r' | b'\n'))
}

/// A short description of what a refused file looks like, for the error message.
pub fn looks_like(head: &[u8]) -> &'static str {
    if head.starts_with(b"SQLite format 3\0") {
        "it is a SQLite database (open a tracedeck store with --db, not import)"
    } else if head.starts_with(b"PK\x03\x04") {
        "it looks like a zip archive (unzip it first)"
    } else if head.starts_with(b"%PDF") {
        "it looks like a PDF document"
    } else if std::str::from_utf8(head).is_ok() || head.iter().all(|b| b.is_ascii()) {
        "it looks like plain text, not JSON"
    } else {
        "it looks like binary data"
    }
}

/// Reads until `\n` like [`BufRead::read_until`], but leaves nothing of a line that failed
/// half-way in `buf` and tells a clean end from an error.
pub fn read_line(reader: &mut impl BufRead, buf: &mut Vec<u8>) -> io::Result<usize> {
    let start = buf.len();
    match reader.read_until(b'\n', buf) {
        Ok(n) => Ok(n),
        Err(e) => {
            buf.truncate(start);
            Err(e)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classify_by_first_bytes() {
        assert_eq!(classify(b""), Content::Empty);
        assert_eq!(classify(b"  \n"), Content::Empty);
        assert_eq!(classify(b"\xef\xbb\xbf{\"a\":1}"), Content::Json);
        assert_eq!(classify(b"\n  ["), Content::Json);
        assert_eq!(classify(&[0x0a, 0x80, 0x01]), Content::ProtoMessage);
        // A message whose first field is 123 bytes long starts with "\n{".
        assert_eq!(classify(&[0x0a, b'{', 0x0a, 0x05]), Content::ProtoMessage);
        assert_eq!(classify(&[0x00, 0x00, 0x10, 0x00]), Content::Binary);
    }
}
