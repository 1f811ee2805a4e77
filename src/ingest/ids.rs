//! Decoding trace and span ids from the spellings exporters use: hex of either case, or base64
//! (protobuf-JSON style). A wrong-length id is an error, never padded or truncated.

use base64::Engine as _;

/// Decodes `text` into exactly `N` bytes, from hex or base64.
pub fn decode_id<const N: usize>(text: &str) -> Option<[u8; N]> {
    let text = text.trim();
    let mut out = [0u8; N];
    if text.len() == N * 2 && text.bytes().all(|b| b.is_ascii_hexdigit()) {
        for (i, slot) in out.iter_mut().enumerate() {
            let pair = text.get(i * 2..i * 2 + 2)?;
            *slot = u8::from_str_radix(pair, 16).ok()?;
        }
        return Some(out);
    }
    let engines = [
        &base64::engine::general_purpose::STANDARD,
        &base64::engine::general_purpose::URL_SAFE,
    ];
    for engine in engines {
        if let Ok(bytes) = engine.decode(text) {
            return bytes.try_into().ok();
        }
    }
    None
}

/// Decodes a parent span id: empty means "no parent".
pub fn decode_parent(text: &str) -> Result<Option<[u8; 8]>, ()> {
    if text.trim().is_empty() {
        return Ok(None);
    }
    decode_id::<8>(text).map(Some).ok_or(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hex_either_case_and_base64_decode_to_the_same_id() {
        let lower = decode_id::<16>("5b8efff798038103d269b633813fc60c");
        let upper = decode_id::<16>("5B8EFFF798038103D269B633813FC60C");
        let b64 = decode_id::<16>("W47/95gDgQPSabYzgT/GDA==");
        assert!(lower.is_some());
        assert_eq!(lower, upper);
        assert_eq!(lower, b64);
    }

    #[test]
    fn wrong_lengths_are_refused() {
        assert_eq!(decode_id::<16>("7d3fa1c2b4e5968870a1b2c3d4e5f6"), None);
        assert_eq!(decode_id::<8>("eee19b7ec3c1b1"), None);
        assert_eq!(decode_id::<8>(""), None);
        assert_eq!(decode_parent(""), Ok(None));
        assert_eq!(decode_parent("zz"), Err(()));
    }
}
