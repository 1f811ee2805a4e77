//! Redaction of secrets and personal data before a snapshot leaves the machine: built-in
//! detectors (API keys and tokens, `Authorization`/`Bearer` values, private key blocks, e-mail
//! addresses, phone numbers, card numbers with a Luhn check, IP addresses), attribute keys that
//! name secrets, user-given keys to drop and user-given regular expressions.
//!
//! A secret becomes `[REDACTED:kind:LEN#tag]`: its kind, its length class (`8-15`, `16-31`, ..)
//! and a short tag from a keyed hash whose key is drawn for each export, so two different
//! values stay different inside one snapshot (conversation keys still group) without being
//! linkable across snapshots. Text that is JSON (attribute objects, message contents held as
//! JSON strings) is redacted value by value and stays valid JSON.

use std::collections::BTreeMap;
use std::hash::{BuildHasher, Hasher};

use regex::{Regex, RegexSet};
use serde::Serialize;

/// What a redaction pass is told to do.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct RedactOptions {
    /// Attribute keys removed entirely, at any depth (exact match, case-insensitive).
    pub drop_keys: Vec<String>,
    /// Extra regular expressions; every match becomes `[REDACTED:custom...]`.
    pub patterns: Vec<String>,
}

/// A regular expression the user gave that does not compile.
#[derive(Debug, thiserror::Error)]
#[error("the pattern {pattern:?} is not a valid regular expression: {source}")]
pub struct PatternError {
    pub pattern: String,
    source: regex::Error,
}

struct Detector {
    kind: &'static str,
    regex: Regex,
    /// The capture group holding the secret (0: the whole match).
    group: usize,
    validate: Option<fn(&str) -> bool>,
}

/// How many secrets of each kind a pass found, with a few examples.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct RedactionStats {
    pub counts: BTreeMap<String, u64>,
    /// Up to [`EXAMPLES_PER_KIND`] examples per kind: the secret shortened, and its marker.
    pub examples: BTreeMap<String, Vec<(String, String)>>,
    pub dropped_keys: u64,
}

pub const EXAMPLES_PER_KIND: usize = 3;

impl RedactionStats {
    pub fn total(&self) -> u64 {
        self.counts.values().sum::<u64>() + self.dropped_keys
    }

    fn record(&mut self, kind: &str, secret: &str, marker: &str) {
        *self.counts.entry(kind.to_owned()).or_default() += 1;
        let examples = self.examples.entry(kind.to_owned()).or_default();
        if examples.len() < EXAMPLES_PER_KIND {
            examples.push((shorten(secret), marker.to_owned()));
        }
    }
}

/// The first few characters of a secret and its length, for the preview.
fn shorten(secret: &str) -> String {
    let head: String = secret.chars().take(4).collect();
    format!("{head}... ({} chars)", secret.chars().count())
}

/// Attribute keys whose string values are secrets whatever they look like.
const SECRET_KEY_PATTERN: &str = r"(?i)(^|[._\-])(password|passwd|pwd|secret|client_secret|api[_\-]?key|apikey|access[_\-]?key|secret[_\-]?key|access[_\-]?token|refresh[_\-]?token|auth[_\-]?token|id[_\-]?token|session[_\-]?token|bearer|authorization|cookie|set[_\-]cookie|private[_\-]?key|credentials?)$";

/// Redacts text and JSON with one set of detectors and one per-export key.
pub struct Redactor {
    detectors: Vec<Detector>,
    /// All detectors at once: one scan tells which ones can match a text.
    any: RegexSet,
    secret_key: Regex,
    drop_keys: Vec<String>,
    hasher: std::collections::hash_map::RandomState,
    pub stats: RedactionStats,
}

fn luhn_valid(candidate: &str) -> bool {
    let digits: Vec<u32> = candidate.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) || digits.iter().all(|d| *d == digits[0]) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                *d
            }
        })
        .sum();
    sum % 10 == 0
}

fn ipv4_valid(candidate: &str) -> bool {
    candidate.parse::<std::net::Ipv4Addr>().is_ok()
}

fn ipv6_valid(candidate: &str) -> bool {
    candidate.len() >= 6
        && candidate.chars().filter(|c| *c == ':').count() >= 2
        && candidate.parse::<std::net::Ipv6Addr>().is_ok()
}

fn phone_valid(candidate: &str) -> bool {
    let digits = candidate.chars().filter(char::is_ascii_digit).count();
    (7..=15).contains(&digits)
}

/// The built-in detectors, most specific first.
const BUILT_IN: &[(&str, &str, usize)] = &[
    (
        "private_key",
        r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----(?s:.*?)(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\z)",
        0,
    ),
    (
        "jwt",
        r"\beyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]{4,}",
        0,
    ),
    (
        "authorization",
        r#"(?i)\bauthorization\b\\?["']?\s*[:=]\s*\\?["']?((?:bearer|basic|token|digest)\s+[^\s"'\\,}]+|[^\s"'\\,}]+)"#,
        1,
    ),
    ("bearer", r"(?i)\bbearer\s+([A-Za-z0-9._~+/=\-]{8,})", 1),
    ("api_key", r"\bsk-ant-[A-Za-z0-9_\-]{8,}", 0),
    (
        "api_key",
        r"\bsk-(?:proj-|svcacct-|live-|test-)?[A-Za-z0-9_\-]{16,}",
        0,
    ),
    (
        "aws_access_key",
        r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[0-9A-Z]{16}\b",
        0,
    ),
    (
        "github_token",
        r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})\b",
        0,
    ),
    (
        "api_key",
        r"\b(?:xox[abpr]-[A-Za-z0-9\-]{10,}|AIza[0-9A-Za-z_\-]{35})",
        0,
    ),
    (
        "email",
        r"\b[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}\b",
        0,
    ),
    ("card_number", r"\b[2-6]\d(?:[ \-]?\d){11,17}\b", 0),
    (
        "phone",
        r"(?:\+\d{1,3}[\s.\-]?(?:\(\d{1,4}\)[\s.\-]?)?\d{1,4}(?:[\s.\-]?\d{2,4}){1,4}|\(\d{3}\)\s?\d{3}[\s.\-]\d{4}|\b\d{3}[.\-]\d{3}[.\-]\d{4})\b",
        0,
    ),
    ("ip_address", r"\b(?:\d{1,3}\.){3}\d{1,3}\b", 0),
    ("ip_address", r"(?i)(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}", 0),
];

fn validator(kind: &str, pattern: &str) -> Option<fn(&str) -> bool> {
    match kind {
        "card_number" => Some(luhn_valid),
        "phone" => Some(phone_valid),
        "ip_address" if pattern.contains("[0-9a-f]") => Some(ipv6_valid),
        "ip_address" => Some(ipv4_valid),
        _ => None,
    }
}

/// `8-15`, `16-31`, ...: a secret's length class.
fn length_class(len: usize) -> String {
    match len {
        0..=7 => "1-7".to_owned(),
        256.. => "256+".to_owned(),
        _ => {
            let low = 1usize << (usize::BITS - 1 - len.leading_zeros());
            format!("{low}-{}", low * 2 - 1)
        }
    }
}

impl Redactor {
    /// Builds the detectors; fails naming a user pattern that does not compile.
    pub fn new(options: &RedactOptions) -> Result<Self, PatternError> {
        let mut detectors = Vec::new();
        for (kind, pattern, group) in BUILT_IN {
            // The built-in patterns are constants checked by the tests below.
            let Ok(regex) = Regex::new(pattern) else {
                continue;
            };
            detectors.push(Detector {
                kind,
                regex,
                group: *group,
                validate: validator(kind, pattern),
            });
        }
        for pattern in options.patterns.iter().filter(|p| !p.trim().is_empty()) {
            let regex = Regex::new(pattern).map_err(|source| PatternError {
                pattern: pattern.clone(),
                source,
            })?;
            // User patterns run first: they name what the user knows to be secret.
            detectors.insert(
                0,
                Detector {
                    kind: "custom",
                    regex,
                    group: 0,
                    validate: None,
                },
            );
        }
        let any = RegexSet::new(detectors.iter().map(|d| d.regex.as_str())).map_err(|source| {
            PatternError {
                pattern: options.patterns.join(" | "),
                source,
            }
        })?;
        let secret_key = Regex::new(SECRET_KEY_PATTERN).map_err(|source| PatternError {
            pattern: SECRET_KEY_PATTERN.to_owned(),
            source,
        })?;
        Ok(Self {
            detectors,
            any,
            secret_key,
            drop_keys: options
                .drop_keys
                .iter()
                .map(|k| k.trim().to_lowercase())
                .filter(|k| !k.is_empty())
                .collect(),
            hasher: std::collections::hash_map::RandomState::new(),
            stats: RedactionStats::default(),
        })
    }

    fn marker(&self, kind: &str, secret: &str) -> String {
        let mut h = self.hasher.build_hasher();
        h.write(secret.as_bytes());
        let tag = h.finish() & 0xff_ffff;
        format!(
            "[REDACTED:{kind}:{}#{tag:06x}]",
            length_class(secret.chars().count())
        )
    }

    /// A stand-in for a byte key built from data (resource and scope fingerprints hold the raw
    /// attributes): `row_id` keeps it unique, a keyed hash of `bytes` tells nothing.
    pub fn opaque(&self, row_id: i64, bytes: &[u8]) -> Vec<u8> {
        let mut h = self.hasher.build_hasher();
        h.write(bytes);
        let mut out = row_id.to_le_bytes().to_vec();
        out.extend_from_slice(&h.finish().to_le_bytes());
        out
    }

    /// Redacts free text (and any JSON inside it).
    pub fn text(&mut self, text: &str) -> String {
        if let Some(json) = self.json_text(text) {
            return json;
        }
        self.plain(text)
    }

    /// Text that is a JSON object or array, redacted value by value; `None` for other text.
    fn json_text(&mut self, text: &str) -> Option<String> {
        let trimmed = text.trim_start();
        if !(trimmed.starts_with('{') || trimmed.starts_with('[')) {
            return None;
        }
        let mut value: serde_json::Value = serde_json::from_str(text).ok()?;
        self.json(&mut value);
        serde_json::to_string(&value).ok()
    }

    /// Redacts a JSON value in place: strings through the detectors (recursing into strings that
    /// hold JSON), secret-named keys' strings whole, dropped keys removed.
    pub fn json(&mut self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) => *s = self.text(s),
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.json(v)),
            serde_json::Value::Object(map) => {
                if !self.drop_keys.is_empty() {
                    let before = map.len();
                    let drop = &self.drop_keys;
                    map.retain(|k, _| !drop.contains(&k.to_lowercase()));
                    self.stats.dropped_keys += (before - map.len()) as u64;
                }
                for (key, v) in map.iter_mut() {
                    if self.secret_key.is_match(key) {
                        self.whole(v);
                    } else {
                        self.json(v);
                    }
                }
            }
            _ => {}
        }
    }

    /// The value of a secret-named key: every string in it is a secret whatever it looks like.
    fn whole(&mut self, value: &mut serde_json::Value) {
        match value {
            serde_json::Value::String(s) if !s.is_empty() && !s.starts_with("[REDACTED:") => {
                let marker = self.marker("secret", s);
                self.stats.record("secret", s, &marker);
                *s = marker;
            }
            serde_json::Value::Array(items) => items.iter_mut().for_each(|v| self.whole(v)),
            _ => self.json(value),
        }
    }

    /// Runs every detector over plain text.
    fn plain(&mut self, text: &str) -> String {
        let hits = self.any.matches(text);
        let mut out = text.to_owned();
        if !hits.matched_any() {
            return out;
        }
        for index in hits.iter() {
            let Some(detector) = self.detectors.get(index) else {
                continue;
            };
            if !detector.regex.is_match(&out) {
                continue;
            }
            let mut found: Vec<(std::ops::Range<usize>, String)> = Vec::new();
            for caps in detector.regex.captures_iter(&out) {
                let Some(m) = caps.get(detector.group) else {
                    continue;
                };
                let secret = m.as_str();
                if secret.starts_with("[REDACTED:")
                    || detector.validate.is_some_and(|valid| !valid(secret))
                {
                    continue;
                }
                found.push((m.range(), secret.to_owned()));
            }
            if found.is_empty() {
                continue;
            }
            let kind = detector.kind;
            let mut next = String::with_capacity(out.len());
            let mut last = 0;
            for (range, secret) in found {
                let marker = self.marker(kind, &secret);
                self.stats.record(kind, &secret, &marker);
                next.push_str(out.get(last..range.start).unwrap_or_default());
                next.push_str(&marker);
                last = range.end;
            }
            next.push_str(out.get(last..).unwrap_or_default());
            out = next;
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn redact(text: &str) -> (String, RedactionStats) {
        let Ok(mut r) = Redactor::new(&RedactOptions::default()) else {
            panic!("built-in detectors compile");
        };
        let out = r.text(text);
        (out, r.stats)
    }

    #[test]
    fn every_built_in_pattern_compiles() {
        for (kind, pattern, _) in BUILT_IN {
            assert!(Regex::new(pattern).is_ok(), "{kind}: {pattern}");
        }
        assert!(Regex::new(SECRET_KEY_PATTERN).is_ok());
    }

    #[test]
    fn keys_tokens_and_personal_data_become_markers() {
        let cases = [
            ("key sk-proj-abcdefghijklmnopqrstuvwxyz012345", "api_key"),
            ("key sk-ant-api03-abcdefghijklmnop_qrstuv-wxyz", "api_key"),
            ("aws AKIAIOSFODNN7EXAMPLE here", "aws_access_key"),
            (
                "gh ghp_abcdefghijklmnopqrstuvwxyz0123456789",
                "github_token",
            ),
            ("mail jane.doe@example.com now", "email"),
            ("card 4111 1111 1111 1111 ok", "card_number"),
            ("call +1 415 555 0134 today", "phone"),
            ("from 192.168.10.24 port", "ip_address"),
            ("from 2001:db8::8a2e:370:7334 port", "ip_address"),
            ("Authorization: Bearer abc.def-ghi_jkl", "authorization"),
            (
                "t eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N",
                "jwt",
            ),
        ];
        for (text, kind) in cases {
            let (out, stats) = redact(text);
            assert!(
                out.contains(&format!("[REDACTED:{kind}:")),
                "{text} -> {out}"
            );
            assert_eq!(stats.counts.get(kind), Some(&1), "{text} -> {out}");
        }
    }

    #[test]
    fn look_alikes_stay() {
        for text in [
            "card 4111 1111 1111 1112 fails luhn",
            "version 1.2.3 at 12:30:45",
            "999.1.1.1 is no address",
            "trace 4bf92f3577b34da6a3ce929d0e0e4736",
            "2026-12-05T07:51:12Z",
        ] {
            let (out, stats) = redact(text);
            assert_eq!(out, text, "{stats:?}");
        }
    }

    #[test]
    fn json_stays_json_with_secret_keys_and_dropped_keys_handled() {
        let Ok(mut r) = Redactor::new(&RedactOptions {
            drop_keys: vec!["user.id".to_owned()],
            patterns: vec![r"ACME-\d{6}".to_owned()],
        }) else {
            panic!("compiles");
        };
        let text = r#"{"user.id":"u1","api_key":"hunter2","msg":"[{\"role\":\"user\",\"content\":\"mail bob@corp.io order ACME-123456\"}]","n":3}"#;
        let out = r.text(text);
        let value: serde_json::Value = serde_json::from_str(&out).unwrap_or_default();
        assert!(value.get("user.id").is_none(), "{out}");
        assert!(
            !out.contains("hunter2")
                && !out.contains("bob@corp.io")
                && !out.contains("ACME-123456"),
            "{out}"
        );
        let inner = value
            .get("msg")
            .and_then(|m| m.as_str())
            .unwrap_or_default();
        assert!(
            serde_json::from_str::<serde_json::Value>(inner).is_ok(),
            "{inner}"
        );
        assert_eq!(value.get("n"), Some(&serde_json::json!(3)));
        assert_eq!(r.stats.dropped_keys, 1);
    }

    #[test]
    fn same_secret_same_marker_different_secret_different_marker() {
        let Ok(mut r) = Redactor::new(&RedactOptions::default()) else {
            panic!("compiles");
        };
        let a = r.text("a@example.com");
        let b = r.text("a@example.com");
        let c = r.text("b@example.com");
        assert_eq!(a, b);
        assert_ne!(a, c);
    }

    #[test]
    fn a_bad_user_pattern_is_named() {
        let Err(e) = Redactor::new(&RedactOptions {
            drop_keys: vec![],
            patterns: vec!["(unclosed".to_owned()],
        }) else {
            panic!("must fail");
        };
        assert!(e.to_string().contains("(unclosed"));
    }
}
