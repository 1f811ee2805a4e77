//! Error classification of a span (DESIGN.md section 4): `transient`, `quota`, `structural`,
//! `auth`, `ok` or `unknown`, with the evidence that decided it. The classifier is a pure
//! function over a span's status, HTTP status, `error.type`, exception events and error texts;
//! it recognises the provider error types and bodies of Anthropic and OpenAI (`rate_limit_error`,
//! `overloaded_error`, `invalid_request_error`, `insufficient_quota`, `rate_limit_exceeded`,
//! `authentication_error`, `not_found_error`, `model_not_found`, `request_too_large`, ...) and
//! `Error code: NNN - {...}` status messages as the Python SDKs write them.
//!
//! It lives in `model` beside the other derived facts because the store computes the class at
//! import time (`store::prepare`) and when it migrates a store imported before the column existed.
//!
//! Which spans are errors at all: status `ERROR`, an HTTP status >= 500, an HTTP status >= 400
//! on any span but a SERVER span (OpenTelemetry's HTTP conventions: a 4xx answer is the client's
//! error, not the server's), or an `error.type` attribute. Exception events alone do not make a
//! span an error (they may have been handled); they do count as evidence once it is one.

use serde::Serialize;

use crate::model::{AnyValue, Span, SpanKind, StatusCode};

/// How a failed call should be handled, from the evidence on its span.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErrorClass {
    /// No error.
    #[default]
    Ok,
    /// Retry with backoff: 408, 409, 429 rate limits, 5xx, 529 overloaded, timeouts, connection errors.
    Transient,
    /// No retry helps: `insufficient_quota`, spend limits, "Request too large" for the rate limit.
    Quota,
    /// The request itself is wrong: 400 `invalid_request_error`, 413, 422. Repair, do not retry.
    Structural,
    /// 401, 403, 404 (`not_found_error`, `model_not_found`): fail fast.
    Auth,
    /// An error, but nothing says which kind.
    Unknown,
}

impl ErrorClass {
    /// The error classes (every class but `ok`), in report order.
    pub const ERRORS: [ErrorClass; 5] = [
        Self::Transient,
        Self::Quota,
        Self::Structural,
        Self::Auth,
        Self::Unknown,
    ];

    /// The name stored in `spans.error_class` and printed in reports.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::Transient => "transient",
            Self::Quota => "quota",
            Self::Structural => "structural",
            Self::Auth => "auth",
            Self::Unknown => "unknown",
        }
    }

    /// The class of a stored name; `None` for anything else.
    pub fn parse(name: &str) -> Option<Self> {
        Some(match name {
            "ok" => Self::Ok,
            "transient" => Self::Transient,
            "quota" => Self::Quota,
            "structural" => Self::Structural,
            "auth" => Self::Auth,
            "unknown" => Self::Unknown,
            _ => return None,
        })
    }

    pub fn is_error(self) -> bool {
        self != Self::Ok
    }

    /// Whether retrying an error of this class can never help (`structural`, `quota`, `auth`).
    pub fn retry_is_pointless(self) -> bool {
        matches!(self, Self::Structural | Self::Quota | Self::Auth)
    }
}

/// Which piece of evidence decided the class.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum EvidenceSource {
    /// The span is not an error.
    #[default]
    NoError,
    /// A provider error type or code in a message or body (`rate_limit_error`, ...).
    ProviderType,
    /// The HTTP status (attribute, or `Error code: NNN` in a message).
    HttpStatus,
    /// The exception class (`error.type`, `exception.type`).
    ExceptionClass,
    /// Words in the message (`timed out`, `connection reset`, ...).
    MessageText,
    /// Only the error status: nothing says why.
    StatusOnly,
}

/// What a classification was based on.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorEvidence {
    pub source: EvidenceSource,
    /// The HTTP status, from the attribute or parsed from a message.
    pub http_status: Option<i64>,
    /// The provider error type or code found (`rate_limit_exceeded`, `overloaded_error`, ...).
    pub provider_type: Option<String>,
    /// `error.type`, else the first exception event's `exception.type`.
    pub error_type: Option<String>,
    /// The status message, else the first exception message (cut to [`MESSAGE_CHARS`]).
    pub message: Option<String>,
}

/// A span's class and its evidence.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Classification {
    pub class: ErrorClass,
    pub evidence: ErrorEvidence,
}

/// Characters of a message kept as evidence.
pub const MESSAGE_CHARS: usize = 300;

/// The fields of a span the classifier reads, borrowed from a [`Span`] or from stored columns.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ErrorInput<'a> {
    pub kind: SpanKind,
    pub status_code: StatusCode,
    pub status_message: &'a str,
    pub http_status: Option<i64>,
    /// The `error.type` attribute.
    pub error_type: Option<&'a str>,
    /// `exception.type` of exception events (and of span attributes, as Jaeger tags put it).
    pub exception_types: Vec<&'a str>,
    /// `exception.message` of exception events, `error.message` / `exception.message` attributes.
    pub messages: Vec<&'a str>,
}

/// Event names that carry `exception.*` attributes.
fn is_exception_event(name: &str) -> bool {
    name == "exception" || name.ends_with(".exception")
}

impl<'a> ErrorInput<'a> {
    /// The input of a parsed span; `http_status` as derived at import (see `SpanFacts`).
    pub fn from_span(span: &'a Span, http_status: Option<i64>) -> Self {
        let attr_str = |attrs: &'a [crate::model::KeyValue], key: &str| -> Option<&'a str> {
            attrs
                .iter()
                .find(|kv| kv.key == key)
                .and_then(|kv| match &kv.value {
                    AnyValue::String(s) if !s.trim().is_empty() => Some(s.as_str()),
                    _ => None,
                })
        };
        let mut input = Self {
            kind: span.kind,
            status_code: span.status_code,
            status_message: &span.status_message,
            http_status,
            error_type: attr_str(&span.attributes, "error.type"),
            ..Self::default()
        };
        input
            .exception_types
            .extend(attr_str(&span.attributes, "exception.type"));
        for key in ["exception.message", "error.message"] {
            input.messages.extend(attr_str(&span.attributes, key));
        }
        for event in span.events.iter().filter(|e| is_exception_event(&e.name)) {
            input
                .exception_types
                .extend(attr_str(&event.attributes, "exception.type"));
            input
                .messages
                .extend(attr_str(&event.attributes, "exception.message"));
        }
        input
    }

    /// The input of a stored span: its attributes and its events' attributes as parsed JSON
    /// objects (events as `(name, attributes)`).
    pub fn from_stored(
        kind: SpanKind,
        status_code: StatusCode,
        status_message: &'a str,
        http_status: Option<i64>,
        attributes: &'a serde_json::Value,
        events: &'a [(String, serde_json::Value)],
    ) -> Self {
        let get = |v: &'a serde_json::Value, key: &str| -> Option<&'a str> {
            v.get(key)
                .and_then(serde_json::Value::as_str)
                .filter(|s| !s.trim().is_empty())
        };
        let mut input = Self {
            kind,
            status_code,
            status_message,
            http_status,
            error_type: get(attributes, "error.type"),
            ..Self::default()
        };
        input
            .exception_types
            .extend(get(attributes, "exception.type"));
        for key in ["exception.message", "error.message"] {
            input.messages.extend(get(attributes, key));
        }
        for (name, attrs) in events.iter().filter(|(n, _)| is_exception_event(n)) {
            let _ = name;
            input.exception_types.extend(get(attrs, "exception.type"));
            input.messages.extend(get(attrs, "exception.message"));
        }
        input
    }

    /// Whether the span failed at all (see the module documentation).
    pub fn is_error(&self) -> bool {
        if self.status_code == StatusCode::Error {
            return true;
        }
        if let Some(code) = self.http_status {
            if code >= 500 {
                return true;
            }
            if code >= 400 && self.kind != SpanKind::Server {
                return true;
            }
        }
        self.error_type.is_some()
    }
}

/// Provider error types and codes, and texts from their bodies, in the order they are tried:
/// quota before everything (OpenAI's "Request too large" comes with `rate_limit_exceeded`,
/// Anthropic's low credit balance with `invalid_request_error`), auth before structural
/// (OpenAI's `model_not_found` and `invalid_api_key` come with `invalid_request_error`).
const PROVIDER_TYPES: &[(&str, ErrorClass)] = &[
    ("insufficient_quota", ErrorClass::Quota),
    ("request too large", ErrorClass::Quota),
    ("billing_hard_limit_reached", ErrorClass::Quota),
    ("billing_not_active", ErrorClass::Quota),
    ("exceeded your current quota", ErrorClass::Quota),
    ("credit balance is too low", ErrorClass::Quota),
    ("spend limit", ErrorClass::Quota),
    ("authentication_error", ErrorClass::Auth),
    ("permission_error", ErrorClass::Auth),
    ("not_found_error", ErrorClass::Auth),
    ("model_not_found", ErrorClass::Auth),
    ("invalid_api_key", ErrorClass::Auth),
    ("permission_denied", ErrorClass::Auth),
    ("request_too_large", ErrorClass::Structural),
    ("context_length_exceeded", ErrorClass::Structural),
    ("invalid_request_error", ErrorClass::Structural),
    ("rate_limit_exceeded", ErrorClass::Transient),
    ("rate_limit_error", ErrorClass::Transient),
    ("overloaded_error", ErrorClass::Transient),
    ("server_error", ErrorClass::Transient),
    ("api_error", ErrorClass::Transient),
];

/// Exception class name fragments (lowercase, without module path), in the order tried.
const EXCEPTION_CLASSES: &[(&str, ErrorClass)] = &[
    ("ratelimit", ErrorClass::Transient),
    ("timeout", ErrorClass::Transient),
    ("timedout", ErrorClass::Transient),
    ("connect", ErrorClass::Transient),
    ("overloaded", ErrorClass::Transient),
    ("internalserver", ErrorClass::Transient),
    ("serviceunavailable", ErrorClass::Transient),
    ("conflict", ErrorClass::Transient),
    ("authentication", ErrorClass::Auth),
    ("permissiondenied", ErrorClass::Auth),
    ("unauthorized", ErrorClass::Auth),
    ("forbidden", ErrorClass::Auth),
    ("notfound", ErrorClass::Auth),
    ("badrequest", ErrorClass::Structural),
    ("unprocessable", ErrorClass::Structural),
    ("invalidrequest", ErrorClass::Structural),
    ("validation", ErrorClass::Structural),
];

/// Words of free-text messages, in the order tried.
const MESSAGE_WORDS: &[(&str, ErrorClass)] = &[
    ("quota", ErrorClass::Quota),
    ("timed out", ErrorClass::Transient),
    ("timeout", ErrorClass::Transient),
    ("deadline exceeded", ErrorClass::Transient),
    ("connection reset", ErrorClass::Transient),
    ("connection refused", ErrorClass::Transient),
    ("connection error", ErrorClass::Transient),
    ("temporarily unavailable", ErrorClass::Transient),
    ("overloaded", ErrorClass::Transient),
    ("too many requests", ErrorClass::Transient),
    ("rate limit", ErrorClass::Transient),
    ("unauthorized", ErrorClass::Auth),
    ("forbidden", ErrorClass::Auth),
    ("invalid api key", ErrorClass::Auth),
];

/// The class an HTTP status implies on its own, if any.
pub fn class_of_http_status(code: i64) -> Option<ErrorClass> {
    Some(match code {
        408 | 409 | 425 | 429 => ErrorClass::Transient,
        402 => ErrorClass::Quota,
        401 | 403 | 404 => ErrorClass::Auth,
        400..=499 => ErrorClass::Structural,
        500..=599 => ErrorClass::Transient,
        _ => return None,
    })
}

/// An HTTP status written in a message: `Error code: 429`, `status code 503`, `status_code=500`,
/// `HTTP 502`.
fn status_in_text(lower: &str) -> Option<i64> {
    for marker in [
        "error code:",
        "status code:",
        "status code",
        "status_code=",
        "status_code:",
        "http ",
    ] {
        let mut rest = lower;
        while let Some(at) = rest.find(marker) {
            let after = rest.get(at + marker.len()..).unwrap_or_default();
            let digits: String = after
                .trim_start()
                .chars()
                .take_while(char::is_ascii_digit)
                .collect();
            if digits.len() == 3
                && let Ok(code) = digits.parse::<i64>()
                && (100..=599).contains(&code)
            {
                return Some(code);
            }
            rest = after;
        }
    }
    None
}

fn cut(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((at, _)) => format!("{}...", text.get(..at).unwrap_or(text)),
        None => text.to_owned(),
    }
}

/// The class of one span, with its evidence.
pub fn classify(input: &ErrorInput<'_>) -> Classification {
    let message = [input.status_message]
        .into_iter()
        .chain(input.messages.iter().copied())
        .find(|m| !m.trim().is_empty())
        .map(|m| cut(m.trim(), MESSAGE_CHARS));
    let error_type = input
        .error_type
        .or_else(|| input.exception_types.first().copied())
        .map(str::to_owned);
    let mut evidence = ErrorEvidence {
        source: EvidenceSource::NoError,
        http_status: input.http_status,
        provider_type: None,
        error_type,
        message,
    };
    if !input.is_error() {
        return Classification {
            class: ErrorClass::Ok,
            evidence,
        };
    }
    let texts: Vec<String> = [input.status_message]
        .into_iter()
        .chain(input.messages.iter().copied())
        .filter(|t| !t.trim().is_empty())
        .map(str::to_lowercase)
        .collect();
    let class_names: Vec<&str> = input
        .error_type
        .into_iter()
        .chain(input.exception_types.iter().copied())
        .collect();
    let decide = |class, source, mut evidence: ErrorEvidence| {
        evidence.source = source;
        Classification { class, evidence }
    };

    // 1. A provider error type or code in a message or body.
    for (needle, class) in PROVIDER_TYPES {
        let in_text = texts.iter().any(|t| t.contains(needle));
        let in_class = class_names
            .iter()
            .any(|c| c.to_ascii_lowercase().contains(needle));
        if in_text || in_class {
            evidence.provider_type = Some((*needle).to_owned());
            if evidence.http_status.is_none() {
                evidence.http_status = texts.iter().find_map(|t| status_in_text(t));
            }
            return decide(*class, EvidenceSource::ProviderType, evidence);
        }
    }
    // 2. The HTTP status: the attribute, a numeric `error.type`, or one written in a message.
    let numeric_type = class_names
        .iter()
        .find_map(|c| c.trim().parse::<i64>().ok())
        .filter(|c| (100..=599).contains(c));
    let status = input
        .http_status
        .filter(|c| *c >= 400)
        .or(numeric_type)
        .or_else(|| texts.iter().find_map(|t| status_in_text(t)));
    if let Some(code) = status {
        evidence.http_status = Some(code);
        if let Some(class) = class_of_http_status(code) {
            return decide(class, EvidenceSource::HttpStatus, evidence);
        }
    }
    // 3. The exception class.
    for name in &class_names {
        let short = name
            .rsplit(['.', ':'])
            .next()
            .unwrap_or(name)
            .to_ascii_lowercase()
            .replace('_', "");
        if let Some((_, class)) = EXCEPTION_CLASSES
            .iter()
            .find(|(fragment, _)| short.contains(fragment))
        {
            return decide(*class, EvidenceSource::ExceptionClass, evidence);
        }
    }
    // 4. Words in the messages.
    for (word, class) in MESSAGE_WORDS {
        if texts.iter().any(|t| t.contains(word)) {
            return decide(*class, EvidenceSource::MessageText, evidence);
        }
    }
    decide(ErrorClass::Unknown, EvidenceSource::StatusOnly, evidence)
}

/// The class of a parsed span (what the importer stores).
pub fn classify_span(span: &Span, http_status: Option<i64>) -> Classification {
    // Fast path for the common case (import runs this on every span): nothing says error.
    let quiet = span.status_code != StatusCode::Error
        && http_status.is_none_or(|c| c < 400 || (c < 500 && span.kind == SpanKind::Server))
        && span.attr("error.type").is_none();
    if quiet {
        return Classification {
            class: ErrorClass::Ok,
            evidence: ErrorEvidence {
                http_status,
                ..ErrorEvidence::default()
            },
        };
    }
    classify(&ErrorInput::from_span(span, http_status))
}

/// Spans per class, as `errors` in the report.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct ErrorCounts {
    pub transient: u64,
    pub quota: u64,
    pub structural: u64,
    pub auth: u64,
    pub unknown: u64,
}

impl ErrorCounts {
    /// Counts from `(class name, spans)` pairs as the store returns them; `ok` and unknown names
    /// are ignored (an unrecognised stored name counts as `unknown`).
    pub fn from_pairs<'a>(pairs: impl IntoIterator<Item = (&'a str, u64)>) -> Self {
        let mut out = Self::default();
        for (name, n) in pairs {
            match ErrorClass::parse(name) {
                Some(ErrorClass::Ok) => {}
                Some(class) => *out.slot(class) += n,
                None => out.unknown += n,
            }
        }
        out
    }

    fn slot(&mut self, class: ErrorClass) -> &mut u64 {
        match class {
            ErrorClass::Transient => &mut self.transient,
            ErrorClass::Quota => &mut self.quota,
            ErrorClass::Structural => &mut self.structural,
            ErrorClass::Auth => &mut self.auth,
            ErrorClass::Ok | ErrorClass::Unknown => &mut self.unknown,
        }
    }

    pub fn get(&self, class: ErrorClass) -> u64 {
        match class {
            ErrorClass::Transient => self.transient,
            ErrorClass::Quota => self.quota,
            ErrorClass::Structural => self.structural,
            ErrorClass::Auth => self.auth,
            ErrorClass::Unknown => self.unknown,
            ErrorClass::Ok => 0,
        }
    }

    pub fn total(&self) -> u64 {
        self.transient + self.quota + self.structural + self.auth + self.unknown
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{KeyValue, SpanEvent};

    fn failed(message: &str, http: Option<i64>) -> ErrorClass {
        let input = ErrorInput {
            kind: SpanKind::Client,
            status_code: StatusCode::Error,
            status_message: message,
            http_status: http,
            ..ErrorInput::default()
        };
        classify(&input).class
    }

    // Real texts (research-notes.md, the SDKs' exception strings and provider docs).
    const ANTHROPIC_TOOL_RESULT: &str = "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'messages.22: `tool_use` ids were found without `tool_result` blocks immediately after: toolu_01A. Each `tool_use` block must have a corresponding `tool_result` block in the next message.'}}";
    const ANTHROPIC_ORPHAN: &str = "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'messages.48.content.1: unexpected `tool_use_id` found in `tool_result` blocks: toolu_019E. Each `tool_result` block must have a corresponding `tool_use` block in the previous message.'}}";
    const ANTHROPIC_ROLES: &str = "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'messages: roles must alternate between \"user\" and \"assistant\", but found multiple \"user\" roles in a row'}}";
    const ANTHROPIC_404: &str = "Error code: 404 - {'type': 'error', 'error': {'type': 'not_found_error', 'message': 'model: claude-3-opus-2024'}}";
    const ANTHROPIC_429: &str = "Error code: 429 - {'type': 'error', 'error': {'type': 'rate_limit_error', 'message': 'This request would exceed the rate limit for your organization of 50,000 input tokens per minute.'}}";
    const ANTHROPIC_529: &str = "Error code: 529 - {'type': 'error', 'error': {'type': 'overloaded_error', 'message': 'Overloaded'}, 'request_id': 'req_011CA'}";
    const ANTHROPIC_401: &str = "Error code: 401 - {'type': 'error', 'error': {'type': 'authentication_error', 'message': 'invalid x-api-key'}}";
    const ANTHROPIC_403: &str = "Error code: 403 - {'type': 'error', 'error': {'type': 'permission_error', 'message': 'Your API key does not have permission to use the specified resource.'}}";
    const ANTHROPIC_413: &str = "Error code: 413 - {'type': 'error', 'error': {'type': 'request_too_large', 'message': 'Request exceeds the maximum allowed number of bytes.'}}";
    const ANTHROPIC_500: &str = "Error code: 500 - {'type': 'error', 'error': {'type': 'api_error', 'message': 'Internal server error'}}";
    const ANTHROPIC_CREDIT: &str = "Error code: 400 - {'type': 'error', 'error': {'type': 'invalid_request_error', 'message': 'Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits.'}}";
    const OPENAI_TOOL_CALLS: &str = "Error code: 400 - {'error': {'message': \"An assistant message with 'tool_calls' must be followed by tool messages responding to each 'tool_call_id'. The following tool_call_ids did not have response messages: call_VSPy\", 'type': 'invalid_request_error', 'param': 'messages.[3].role', 'code': None}}";
    const OPENAI_TOOL_ROLE: &str = "Error code: 400 - {'error': {'message': \"Invalid parameter: messages with role 'tool' must be a response to a preceeding message with 'tool_calls'.\", 'type': 'invalid_request_error', 'param': 'messages.[2].role', 'code': None}}";
    const OPENAI_TPM: &str = "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Used 29500, Requested 1874. Please try again in 2.748s.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}";
    const OPENAI_QUOTA: &str = "Error code: 429 - {'error': {'message': 'You exceeded your current quota, please check your plan and billing details.', 'type': 'insufficient_quota', 'param': None, 'code': 'insufficient_quota'}}";
    const OPENAI_TOO_LARGE: &str = "Error code: 429 - {'error': {'message': 'Request too large for gpt-4o in organization org-abc on tokens per min (TPM): Limit 30000, Requested 45210. The input or output tokens must be reduced in order to run successfully.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}";
    const OPENAI_MODEL_404: &str = "Error code: 404 - {'error': {'message': 'The model `gpt-5-turbo` does not exist or you do not have access to it.', 'type': 'invalid_request_error', 'param': None, 'code': 'model_not_found'}}";
    const OPENAI_KEY: &str = "Error code: 401 - {'error': {'message': 'Incorrect API key provided: sk-abc. You can find your API key at https://platform.openai.com/account/api-keys.', 'type': 'invalid_request_error', 'param': None, 'code': 'invalid_api_key'}}";
    const OPENAI_CONTEXT: &str = "Error code: 400 - {'error': {'message': \"This model's maximum context length is 128000 tokens. However, your messages resulted in 130412 tokens.\", 'type': 'invalid_request_error', 'param': 'messages', 'code': 'context_length_exceeded'}}";
    const OPENAI_JSON_BODY: &str = r#"{"error":{"message":"You exceeded your current quota","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;

    #[test]
    fn anthropic_texts() {
        assert_eq!(
            failed(ANTHROPIC_TOOL_RESULT, Some(400)),
            ErrorClass::Structural
        );
        assert_eq!(failed(ANTHROPIC_ORPHAN, None), ErrorClass::Structural);
        assert_eq!(failed(ANTHROPIC_ROLES, None), ErrorClass::Structural);
        assert_eq!(failed(ANTHROPIC_404, None), ErrorClass::Auth);
        assert_eq!(failed(ANTHROPIC_429, Some(429)), ErrorClass::Transient);
        assert_eq!(failed(ANTHROPIC_529, None), ErrorClass::Transient);
        assert_eq!(failed(ANTHROPIC_401, None), ErrorClass::Auth);
        assert_eq!(failed(ANTHROPIC_403, None), ErrorClass::Auth);
        assert_eq!(failed(ANTHROPIC_413, None), ErrorClass::Structural);
        assert_eq!(failed(ANTHROPIC_500, None), ErrorClass::Transient);
        assert_eq!(failed(ANTHROPIC_CREDIT, Some(400)), ErrorClass::Quota);
    }

    #[test]
    fn openai_texts() {
        assert_eq!(failed(OPENAI_TOOL_CALLS, None), ErrorClass::Structural);
        assert_eq!(failed(OPENAI_TOOL_ROLE, None), ErrorClass::Structural);
        assert_eq!(failed(OPENAI_TPM, Some(429)), ErrorClass::Transient);
        assert_eq!(failed(OPENAI_QUOTA, Some(429)), ErrorClass::Quota);
        assert_eq!(failed(OPENAI_TOO_LARGE, Some(429)), ErrorClass::Quota);
        assert_eq!(failed(OPENAI_MODEL_404, None), ErrorClass::Auth);
        assert_eq!(failed(OPENAI_KEY, None), ErrorClass::Auth);
        assert_eq!(failed(OPENAI_CONTEXT, None), ErrorClass::Structural);
        assert_eq!(failed(OPENAI_JSON_BODY, None), ErrorClass::Quota);
    }

    #[test]
    fn evidence_names_status_type_and_message() {
        let c = classify(&ErrorInput {
            kind: SpanKind::Client,
            status_code: StatusCode::Error,
            status_message: OPENAI_TPM,
            error_type: Some("RateLimitError"),
            ..ErrorInput::default()
        });
        assert_eq!(c.class, ErrorClass::Transient);
        assert_eq!(c.evidence.source, EvidenceSource::ProviderType);
        assert_eq!(
            c.evidence.provider_type.as_deref(),
            Some("rate_limit_exceeded")
        );
        assert_eq!(c.evidence.http_status, Some(429));
        assert_eq!(c.evidence.error_type.as_deref(), Some("RateLimitError"));
        assert!(
            c.evidence
                .message
                .is_some_and(|m| m.starts_with("Error code: 429"))
        );
    }

    #[test]
    fn http_status_alone_and_server_spans() {
        let span = |kind, status_code, http| ErrorInput {
            kind,
            status_code,
            http_status: Some(http),
            ..ErrorInput::default()
        };
        let class = |i: ErrorInput<'_>| classify(&i).class;
        assert_eq!(
            class(span(SpanKind::Client, StatusCode::Unset, 429)),
            ErrorClass::Transient
        );
        assert_eq!(
            class(span(SpanKind::Client, StatusCode::Unset, 503)),
            ErrorClass::Transient
        );
        assert_eq!(
            class(span(SpanKind::Client, StatusCode::Unset, 422)),
            ErrorClass::Structural
        );
        assert_eq!(
            class(span(SpanKind::Client, StatusCode::Error, 403)),
            ErrorClass::Auth
        );
        // A server answering 404 did its job.
        assert_eq!(
            class(span(SpanKind::Server, StatusCode::Unset, 404)),
            ErrorClass::Ok
        );
        assert_eq!(
            class(span(SpanKind::Server, StatusCode::Unset, 502)),
            ErrorClass::Transient
        );
        assert_eq!(
            class(span(SpanKind::Client, StatusCode::Unset, 200)),
            ErrorClass::Ok
        );
    }

    #[test]
    fn exception_events_classes_and_words() {
        let mut span = Span {
            kind: SpanKind::Internal,
            status_code: StatusCode::Error,
            status_message: "ReadTimeout: timed out".into(),
            ..Span::default()
        };
        assert_eq!(classify_span(&span, None).class, ErrorClass::Transient);
        span.status_message.clear();
        span.attributes.push(KeyValue::new(
            "error.type",
            AnyValue::String("httpx.ConnectError".into()),
        ));
        let c = classify_span(&span, None);
        assert_eq!(c.class, ErrorClass::Transient);
        assert_eq!(c.evidence.source, EvidenceSource::ExceptionClass);
        span.attributes.clear();
        span.events.push(SpanEvent {
            name: "exception".into(),
            attributes: vec![
                KeyValue::new(
                    "exception.type",
                    AnyValue::String("anthropic.BadRequestError".into()),
                ),
                KeyValue::new(
                    "exception.message",
                    AnyValue::String(ANTHROPIC_ROLES.into()),
                ),
            ],
            ..SpanEvent::default()
        });
        let c = classify_span(&span, None);
        assert_eq!(c.class, ErrorClass::Structural);
        assert_eq!(
            c.evidence.provider_type.as_deref(),
            Some("invalid_request_error")
        );
        assert_eq!(c.evidence.http_status, Some(400));
        // `error.type` set to an HTTP status, as the HTTP conventions allow.
        let c = classify(&ErrorInput {
            kind: SpanKind::Client,
            error_type: Some("504"),
            ..ErrorInput::default()
        });
        assert_eq!(c.class, ErrorClass::Transient);
        // An error with nothing else said.
        let c = classify(&ErrorInput {
            status_code: StatusCode::Error,
            ..ErrorInput::default()
        });
        assert_eq!(c.class, ErrorClass::Unknown);
        assert_eq!(c.evidence.source, EvidenceSource::StatusOnly);
    }

    #[test]
    fn handled_exception_alone_is_not_an_error() {
        let span = Span {
            events: vec![SpanEvent {
                name: "exception".into(),
                attributes: vec![KeyValue::new(
                    "exception.type",
                    AnyValue::String("RateLimitError".into()),
                )],
                ..SpanEvent::default()
            }],
            ..Span::default()
        };
        assert_eq!(classify_span(&span, None).class, ErrorClass::Ok);
    }

    #[test]
    fn stored_and_parsed_inputs_agree() -> Result<(), serde_json::Error> {
        let attrs: serde_json::Value = serde_json::from_str(
            r#"{"error.type": "OverloadedError", "gen_ai.request.model": "x"}"#,
        )?;
        let events = vec![(
            "exception".to_owned(),
            serde_json::json!({"exception.type": "anthropic.OverloadedError", "exception.message": ANTHROPIC_529}),
        )];
        let stored = classify(&ErrorInput::from_stored(
            SpanKind::Client,
            StatusCode::Error,
            "",
            Some(529),
            &attrs,
            &events,
        ));
        assert_eq!(stored.class, ErrorClass::Transient);
        assert_eq!(
            stored.evidence.provider_type.as_deref(),
            Some("overloaded_error")
        );
        Ok(())
    }

    #[test]
    fn names_round_trip_and_counts() {
        for class in ErrorClass::ERRORS.into_iter().chain([ErrorClass::Ok]) {
            assert_eq!(ErrorClass::parse(class.as_str()), Some(class));
        }
        let counts =
            ErrorCounts::from_pairs([("ok", 10), ("quota", 2), ("transient", 3), ("?", 1)]);
        assert_eq!(counts.quota, 2);
        assert_eq!(counts.transient, 3);
        assert_eq!(counts.unknown, 1);
        assert_eq!(counts.total(), 6);
        assert!(ErrorClass::Quota.retry_is_pointless());
        assert!(!ErrorClass::Transient.retry_is_pointless());
    }
}
