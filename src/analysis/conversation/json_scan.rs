//! Where things are in a JSON payload's text: the byte ranges of a top-level array's elements
//! (one per message, for highlighting), and where a text cut mid-value stops making sense.

use std::ops::Range;

/// The top-level elements of a JSON array text.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ArrayScan {
    /// Byte range of each complete element, in order.
    pub elements: Vec<Range<usize>>,
    /// Set when the text ends before the array closes (a telemetry cut): the byte offset of the
    /// first incomplete element (or of the end of the text).
    pub cut_at: Option<usize>,
}

fn skip_ws(bytes: &[u8], mut i: usize) -> usize {
    while let Some(b) = bytes.get(i) {
        if b.is_ascii_whitespace() {
            i += 1;
        } else {
            break;
        }
    }
    i
}

/// Scans one JSON value starting at `start` (not whitespace); returns the end of the value
/// (exclusive, trailing whitespace excluded) when it completes before `,`/`]` at depth 0, or
/// `None` when the text ends first.
fn scan_value(bytes: &[u8], start: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut i = start;
    let mut last_significant = start;
    while let Some(&b) = bytes.get(i) {
        match b {
            b'"' => {
                i += 1;
                loop {
                    match bytes.get(i) {
                        None => return None,
                        Some(b'\\') => i += 2,
                        Some(b'"') => break,
                        Some(_) => i += 1,
                    }
                }
                last_significant = i + 1;
            }
            b'{' | b'[' => {
                depth += 1;
                last_significant = i + 1;
            }
            b'}' | b']' => {
                if depth == 0 {
                    return Some(last_significant);
                }
                depth -= 1;
                last_significant = i + 1;
                if depth == 0 {
                    return Some(last_significant);
                }
            }
            b',' if depth == 0 => return Some(last_significant),
            b if b.is_ascii_whitespace() => {}
            _ => last_significant = i + 1,
        }
        i += 1;
    }
    // A scalar at the very end of the text is cut too: the array never closed.
    None
}

/// Scans a JSON array's top-level elements; `None` when the text is not an array.
pub fn scan_array(text: &str) -> Option<ArrayScan> {
    let bytes = text.as_bytes();
    let mut i = skip_ws(bytes, 0);
    if bytes.get(i) != Some(&b'[') {
        return None;
    }
    i += 1;
    let mut scan = ArrayScan::default();
    loop {
        i = skip_ws(bytes, i);
        match bytes.get(i) {
            None => {
                scan.cut_at = Some(i.min(text.len()));
                return Some(scan);
            }
            Some(b']') => return Some(scan),
            Some(b',') => {
                i += 1;
                continue;
            }
            Some(_) => {}
        }
        let start = i;
        match scan_value(bytes, start) {
            Some(end) => {
                scan.elements.push(start..end);
                i = end;
            }
            None => {
                scan.cut_at = Some(start);
                return Some(scan);
            }
        }
    }
}

/// Whether a JSON text ends mid-value: it fails to parse only because it ended.
pub fn ends_mid_value(text: &str) -> bool {
    match serde_json::from_str::<serde_json::Value>(text) {
        Ok(_) => false,
        Err(e) => e.is_eof(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn elements_and_cuts() {
        let text = r#" [ {"a": [1, "]"]}, "x\"y" ,3, null ] "#;
        let scan = scan_array(text).unwrap_or_default();
        let parts: Vec<&str> = scan
            .elements
            .iter()
            .filter_map(|r| text.get(r.clone()))
            .collect();
        assert_eq!(parts, [r#"{"a": [1, "]"]}"#, r#""x\"y""#, "3", "null"]);
        assert_eq!(scan.cut_at, None);

        let cut = r#"[{"role":"user"}, {"role":"assistant","parts":[{"type":"te"#;
        let scan = scan_array(cut).unwrap_or_default();
        assert_eq!(scan.elements.len(), 1);
        assert_eq!(scan.cut_at, Some(18));
        assert!(ends_mid_value(cut));
        assert!(!ends_mid_value("[1,2]"));
        assert!(!ends_mid_value("[1,,2]"));
        assert!(scan_array("{}").is_none());
    }
}
