//! Building blocks for sample traces: a trace under construction (`TraceB`) and the spans the
//! sample system records: the gateway's SERVER root, `invoke_agent`, `chat {model}` calls (with
//! GenAI attributes, messages, usage, provider errors), `execute_tool {name}` with the downstream
//! HTTP and database spans it causes, and messaging consumers.

use serde_json::Value;

use super::batch::{Emitted, ResId, res, scope};
use super::content::{self, Facts, estimate_tokens};
use super::rng::{Gen, ms};
use crate::model::{
    AnyValue, KeyValue, Span, SpanEvent, SpanId, SpanKind, SpanLink, StatusCode, TraceId,
};

// ---------------------------------------------------------------------------------------------
// Attribute shorthands

pub(crate) fn s(k: &str, v: impl Into<String>) -> KeyValue {
    KeyValue::new(k, AnyValue::String(v.into()))
}

pub(crate) fn i(k: &str, v: i64) -> KeyValue {
    KeyValue::new(k, AnyValue::Int(v))
}

pub(crate) fn d(k: &str, v: f64) -> KeyValue {
    KeyValue::new(k, AnyValue::Double(v))
}

pub(crate) fn sa(k: &str, v: &[&str]) -> KeyValue {
    KeyValue::new(
        k,
        AnyValue::Array(
            v.iter()
                .map(|x| AnyValue::String((*x).to_owned()))
                .collect(),
        ),
    )
}

// ---------------------------------------------------------------------------------------------
// Models

/// A model as the provider and its instrumentation name it.
pub(crate) struct ModelCfg {
    pub(crate) provider: &'static str,
    pub(crate) request: &'static str,
    pub(crate) response: &'static str,
    pub(crate) server: &'static str,
    pub(crate) scope: u8,
    /// Provider finish reasons: normal stop, tool use, token limit.
    pub(crate) stop: &'static str,
    pub(crate) tool_use: &'static str,
    pub(crate) length: &'static str,
    pub(crate) response_id_prefix: &'static str,
}

pub(crate) const CLAUDE: ModelCfg = ModelCfg {
    provider: "anthropic",
    request: "claude-sonnet-4",
    response: "claude-sonnet-4-20250514",
    server: "api.anthropic.com",
    scope: scope::ANTHROPIC,
    stop: "end_turn",
    tool_use: "tool_use",
    length: "max_tokens",
    response_id_prefix: "msg_01",
};

pub(crate) const GPT4O: ModelCfg = ModelCfg {
    provider: "openai",
    request: "gpt-4o",
    response: "gpt-4o-2024-08-06",
    server: "api.openai.com",
    scope: scope::OPENAI,
    stop: "stop",
    tool_use: "tool_calls",
    length: "length",
    response_id_prefix: "chatcmpl-",
};

/// A provider error returned to a model call.
pub(crate) struct ApiError {
    pub(crate) http_status: i64,
    /// `error.type`: the SDK's exception class name.
    pub(crate) error_type: &'static str,
    /// `exception.type`: the fully qualified exception class.
    pub(crate) exception_type: &'static str,
    /// The status message (the SDK's exception text).
    pub(crate) message: String,
    pub(crate) dur_ns: u64,
    /// Record `gen_ai.usage.input_tokens` even though the call failed.
    pub(crate) count_input_tokens: bool,
}

/// How a model call ended.
pub(crate) enum Outcome {
    Ok {
        /// The output message, with `finish_reason`.
        output: Value,
        /// Provider finish reason for `gen_ai.response.finish_reasons`.
        finish: &'static str,
        /// Add a `gen_ai.evaluation.result` event: `Some(true)` = pass.
        eval: Option<bool>,
    },
    Err(ApiError),
}

/// One model call to record.
pub(crate) struct Chat<'a> {
    pub(crate) model: &'static ModelCfg,
    pub(crate) parent: SpanId,
    pub(crate) start: u64,
    pub(crate) system: Option<&'a str>,
    pub(crate) input: &'a [Value],
    pub(crate) output_type: Option<&'static str>,
    pub(crate) resend_count: Option<i64>,
    pub(crate) max_tokens: i64,
}

pub(crate) struct ChatDone {
    pub(crate) span_id: SpanId,
    pub(crate) end: u64,
    pub(crate) input_tokens: i64,
}

/// A trace being built.
pub(crate) struct TraceB {
    pub(crate) trace_id: TraceId,
    pub(crate) spans: Vec<Emitted>,
    pub(crate) agent: ResId,
    pub(crate) gateway: ResId,
    pub(crate) billing: ResId,
    pub(crate) conversation: Option<String>,
    pub(crate) session: Option<String>,
}

impl TraceB {
    pub(crate) fn new(g: &mut Gen) -> Self {
        let trace_id = g.trace_id();
        Self {
            trace_id,
            spans: Vec::new(),
            agent: res::AGENT[g.between(0, 1)],
            gateway: res::GATEWAY[g.between(0, 1)],
            billing: res::BILLING[g.between(0, 1)],
            conversation: None,
            session: None,
        }
    }

    /// Adds a span and returns its id.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add(
        &mut self,
        g: &mut Gen,
        parent: Option<SpanId>,
        name: impl Into<String>,
        kind: SpanKind,
        (start, end): (u64, u64),
        (res, scope): (ResId, u8),
        attributes: Vec<KeyValue>,
    ) -> SpanId {
        let span_id = g.span_id();
        self.add_with_id(
            span_id,
            parent,
            name,
            kind,
            (start, end),
            (res, scope),
            attributes,
        );
        span_id
    }

    #[allow(clippy::too_many_arguments)]
    pub(crate) fn add_with_id(
        &mut self,
        span_id: SpanId,
        parent: Option<SpanId>,
        name: impl Into<String>,
        kind: SpanKind,
        (start, end): (u64, u64),
        (res, scope): (ResId, u8),
        attributes: Vec<KeyValue>,
    ) {
        self.spans.push(Emitted {
            res,
            scope,
            span: Span {
                trace_id: self.trace_id,
                span_id,
                parent_span_id: parent,
                flags: 0x101,
                name: name.into(),
                kind,
                start_ns: start,
                end_ns: end,
                attributes,
                ..Span::default()
            },
        });
    }

    pub(crate) fn get_mut(&mut self, id: SpanId) -> Option<&mut Span> {
        self.spans
            .iter_mut()
            .map(|e| &mut e.span)
            .find(|s| s.span_id == id)
    }

    /// Sets a span's end (and optionally an attribute) once its children are known.
    pub(crate) fn close(&mut self, id: SpanId, end: u64, extra: Vec<KeyValue>) {
        if let Some(s) = self.get_mut(id) {
            s.end_ns = end;
            s.attributes.extend(extra);
        }
    }

    pub(crate) fn fail(&mut self, id: SpanId, message: &str) {
        if let Some(s) = self.get_mut(id) {
            s.status_code = StatusCode::Error;
            s.status_message = message.to_owned();
        }
    }

    pub(crate) fn link(&mut self, id: SpanId, link: SpanLink) {
        if let Some(s) = self.get_mut(id) {
            s.links.push(link);
        }
    }

    fn conversation_attrs(&self, attrs: &mut Vec<KeyValue>) {
        if let Some(c) = &self.conversation {
            attrs.push(s("gen_ai.conversation.id", c.clone()));
        }
        if let Some(x) = &self.session {
            attrs.push(s("session.id", x.clone()));
        }
    }

    /// The gateway's SERVER root span; close it with [`TraceB::close`].
    pub(crate) fn gateway_root(
        &mut self,
        g: &mut Gen,
        start: u64,
        method: &str,
        route: &str,
        path: &str,
    ) -> SpanId {
        let attrs = vec![
            s("http.request.method", method),
            s("http.route", route),
            s("url.path", path),
            s("client.address", format!("203.0.113.{}", g.range(2, 250))),
            s(
                "user_agent.original",
                *g.pick(&[
                    "Mozilla/5.0 (Macintosh) Safari/605.1.15",
                    "Mozilla/5.0 (Windows NT 10.0) Chrome/131.0",
                    "AcmeSupport/5.2.0 (iOS 18.1)",
                ]),
            ),
        ];
        let name = format!("{method} {route}");
        self.add(
            g,
            None,
            name,
            SpanKind::Server,
            (start, start),
            (self.gateway, scope::HTTP_NODE),
            attrs,
        )
    }

    /// `invoke_agent support-agent`; close it with [`TraceB::close`].
    pub(crate) fn invoke_agent(&mut self, g: &mut Gen, parent: SpanId, start: u64) -> SpanId {
        let mut attrs = vec![
            s("gen_ai.operation.name", "invoke_agent"),
            s("gen_ai.agent.name", "support-agent"),
            s("gen_ai.agent.id", "asst_support_v7"),
            s("gen_ai.provider.name", CLAUDE.provider),
            s("gen_ai.request.model", CLAUDE.request),
        ];
        self.conversation_attrs(&mut attrs);
        self.add(
            g,
            Some(parent),
            "invoke_agent support-agent",
            SpanKind::Internal,
            (start, start),
            (self.agent, scope::AGENT),
            attrs,
        )
    }

    /// Records one `chat {model}` span.
    pub(crate) fn chat(&mut self, g: &mut Gen, c: &Chat<'_>, outcome: Outcome) -> ChatDone {
        let m = c.model;
        let input_json = Value::Array(c.input.to_vec()).to_string();
        let input_tokens = 420 + estimate_tokens(input_json.len());
        let mut attrs = vec![
            s("gen_ai.operation.name", "chat"),
            s("gen_ai.provider.name", m.provider),
            s("gen_ai.request.model", m.request),
            i("gen_ai.request.max_tokens", c.max_tokens),
            d(
                "gen_ai.request.temperature",
                if c.output_type.is_some() { 0.0 } else { 0.3 },
            ),
            s("server.address", m.server),
        ];
        self.conversation_attrs(&mut attrs);
        if let Some(t) = c.output_type {
            attrs.push(s("gen_ai.output.type", t));
        }
        if let Some(n) = c.resend_count {
            attrs.push(i("http.request.resend_count", n));
            let header = n.to_string();
            attrs.push(sa(
                "http.request.header.x-stainless-retry-count",
                &[header.as_str()],
            ));
        }
        if let Some(sys) = c.system {
            attrs.push(s(
                "gen_ai.system_instructions",
                serde_json::json!([{"type": "text", "content": sys}]).to_string(),
            ));
        }
        attrs.push(s("gen_ai.input.messages", input_json));

        let span_id = g.span_id();
        let mut events = Vec::new();
        let (end, status, message) = match outcome {
            Outcome::Ok {
                output,
                finish,
                eval,
            } => {
                let out_json = Value::Array(vec![output]).to_string();
                let output_tokens = estimate_tokens(out_json.len()).min(c.max_tokens);
                let per_token = g.lognormal(14.0, 0.25);
                let dur = ms(
                    (g.lognormal(520.0, 0.45) + output_tokens as f64 * per_token)
                        .clamp(300.0, 8000.0),
                );
                let end = c.start + dur;
                let response_id = format!("{}{}", m.response_id_prefix, g.base62(24));
                attrs.push(i("http.response.status_code", 200));
                attrs.push(s("gen_ai.response.model", m.response));
                attrs.push(s("gen_ai.response.id", response_id));
                attrs.push(sa("gen_ai.response.finish_reasons", &[finish]));
                attrs.push(i("gen_ai.usage.input_tokens", input_tokens));
                attrs.push(i("gen_ai.usage.output_tokens", output_tokens));
                if m.provider == "anthropic" && g.chance(0.6) {
                    attrs.push(i("gen_ai.usage.cache_read.input_tokens", 420));
                }
                attrs.push(s("gen_ai.output.messages", out_json));
                if let Some(pass) = eval {
                    let mut ev = vec![
                        s("gen_ai.evaluation.name", "json_schema"),
                        d(
                            "gen_ai.evaluation.score.value",
                            if pass { 1.0 } else { 0.0 },
                        ),
                        s(
                            "gen_ai.evaluation.score.label",
                            if pass { "pass" } else { "fail" },
                        ),
                    ];
                    if !pass {
                        ev.push(s(
                            "gen_ai.evaluation.explanation",
                            "output is not valid JSON for the declared schema",
                        ));
                    }
                    events.push(SpanEvent {
                        time_ns: end,
                        name: "gen_ai.evaluation.result".into(),
                        attributes: ev,
                        dropped_attributes_count: 0,
                    });
                }
                (end, StatusCode::Unset, String::new())
            }
            Outcome::Err(e) => {
                let end = c.start + e.dur_ns;
                attrs.push(i("http.response.status_code", e.http_status));
                attrs.push(s("error.type", e.error_type));
                if e.count_input_tokens {
                    attrs.push(i("gen_ai.usage.input_tokens", input_tokens));
                }
                events.push(SpanEvent {
                    time_ns: end,
                    name: "exception".into(),
                    attributes: vec![
                        s("exception.type", e.exception_type),
                        s("exception.message", e.message.clone()),
                    ],
                    dropped_attributes_count: 0,
                });
                (end, StatusCode::Error, e.message)
            }
        };
        let name = format!("chat {}", m.request);
        self.add_with_id(
            span_id,
            Some(c.parent),
            name,
            SpanKind::Client,
            (c.start, end),
            (self.agent, m.scope),
            attrs,
        );
        if let Some(sp) = self.get_mut(span_id) {
            sp.events = events;
            sp.status_code = status;
            sp.status_message = message;
        }
        ChatDone {
            span_id,
            end,
            input_tokens,
        }
    }

    /// Records `execute_tool {name}` and what it calls downstream. Returns the span id, its end
    /// and the tool's response (an error object when `fail`).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn tool(
        &mut self,
        g: &mut Gen,
        parent: SpanId,
        start: u64,
        name: &str,
        call_id: &str,
        facts: &Facts,
        fail: bool,
    ) -> (SpanId, u64, Value) {
        let args = content::tool_args(name, facts);
        let tool_id = g.span_id();
        let mut cursor = start + g.dur_ms(0.4, 0.5, 0.05, 3.0);
        let response;
        let mut failure = None;
        if fail {
            // The billing call hangs until the client's 5 s timeout.
            let t_end = cursor + ms(5000.0 + g.f64() * 30.0);
            let (route, method) = downstream_route(name, facts);
            let srv = self.add(
                g,
                Some(tool_id),
                format!("{method} {}", route.0),
                SpanKind::Server,
                (cursor + ms(1.2), t_end + ms(180.0)),
                (self.billing, scope::FASTAPI),
                vec![
                    s("http.request.method", method),
                    s("http.route", route.0),
                    s("url.path", route.1.clone()),
                    i("http.response.status_code", 504),
                    s("server.address", "billing-api.support-prod.svc"),
                ],
            );
            self.fail(srv, "upstream payment processor timed out");
            cursor = t_end;
            response =
                serde_json::json!({"error": "timeout: billing-api did not answer within 5.0 s"});
            failure = Some("httpx.ReadTimeout");
        } else {
            match name {
                "search_kb" => {
                    let dur = g.dur_ms(28.0, 0.5, 4.0, 400.0);
                    self.add(
                        g,
                        Some(tool_id),
                        "POST /collections/{collection_name}/points/search",
                        SpanKind::Server,
                        (cursor + ms(0.8), cursor + dur),
                        (res::VECTOR, scope::VECTOR_HTTP),
                        vec![
                            s("http.request.method", "POST"),
                            s("http.route", "/collections/{collection_name}/points/search"),
                            s("url.path", "/collections/support_kb/points/search"),
                            i("http.response.status_code", 200),
                            s("db.system.name", "qdrant"),
                            s("db.collection.name", "support_kb"),
                            i("db.response.returned_rows", 3),
                        ],
                    );
                    cursor += dur + ms(1.0);
                }
                _ => {
                    let (route, method) = downstream_route(name, facts);
                    let srv_start = cursor + ms(1.1);
                    let db_start = srv_start + g.dur_ms(2.0, 0.5, 0.3, 20.0);
                    let db_dur = g.dur_ms(6.0, 0.7, 0.5, 300.0);
                    let srv_end = db_start + db_dur + g.dur_ms(3.0, 0.5, 0.3, 50.0);
                    let srv = self.add(
                        g,
                        Some(tool_id),
                        format!("{method} {}", route.0),
                        SpanKind::Server,
                        (srv_start, srv_end),
                        (self.billing, scope::FASTAPI),
                        vec![
                            s("http.request.method", method),
                            s("http.route", route.0),
                            s("url.path", route.1),
                            i(
                                "http.response.status_code",
                                if method == "POST" { 201 } else { 200 },
                            ),
                        ],
                    );
                    let (op, table, sql) = match name {
                        "refund_payment" => (
                            "INSERT",
                            "refunds",
                            "INSERT INTO refunds (invoice_id, amount, reason) VALUES ($1, $2, $3) RETURNING id",
                        ),
                        "lookup_order" => (
                            "SELECT",
                            "orders",
                            "SELECT id, status, carrier, eta FROM orders WHERE id = $1",
                        ),
                        _ => (
                            "SELECT",
                            "invoices",
                            "SELECT id, status, currency, amount FROM invoices WHERE id = $1",
                        ),
                    };
                    self.add(
                        g,
                        Some(srv),
                        format!("{op} billing.{table}"),
                        SpanKind::Client,
                        (db_start, db_start + db_dur),
                        (self.billing, scope::SQLALCHEMY),
                        vec![
                            s("db.system.name", "postgresql"),
                            s("db.operation.name", op),
                            s("db.collection.name", table),
                            s("db.query.text", sql),
                            s("server.address", "billing-db"),
                        ],
                    );
                    cursor = srv_end + ms(2.0);
                }
            }
            response = content::tool_result(g, name, facts);
        }
        let end = cursor + g.dur_ms(0.5, 0.5, 0.05, 5.0);
        let attrs = vec![
            s("gen_ai.operation.name", "execute_tool"),
            s("gen_ai.tool.name", name),
            s("gen_ai.tool.type", "function"),
            s("gen_ai.tool.call.id", call_id),
            s("gen_ai.tool.call.arguments", args.to_string()),
            s("gen_ai.tool.call.result", response.to_string()),
        ];
        self.add_with_id(
            tool_id,
            Some(parent),
            format!("execute_tool {name}"),
            SpanKind::Internal,
            (start, end),
            (self.agent, scope::AGENT),
            attrs,
        );
        if let Some(kind) = failure
            && let Some(sp) = self.get_mut(tool_id)
        {
            sp.status_code = StatusCode::Error;
            sp.status_message = "ReadTimeout: timed out".into();
            sp.attributes.push(s("error.type", kind));
            sp.events.push(SpanEvent {
                time_ns: end,
                name: "exception".into(),
                attributes: vec![
                    s("exception.type", kind),
                    s("exception.message", "timed out"),
                    s("exception.stacktrace", "Traceback (most recent call last):\n  File \"/app/support_agent/tools/billing.py\", line 88, in call\n    resp = await self.client.get(url, timeout=5.0)\nhttpx.ReadTimeout: timed out"),
                ],
                dropped_attributes_count: 0,
            });
        }
        (tool_id, end, response)
    }
}

/// Billing route template, concrete path and method for a tool.
fn downstream_route(name: &str, f: &Facts) -> ((&'static str, String), &'static str) {
    match name {
        "refund_payment" => (("/refunds", "/refunds".to_owned()), "POST"),
        "lookup_order" => (
            ("/orders/{order_id}", format!("/orders/{}", f.order)),
            "GET",
        ),
        _ => (
            ("/invoices/{invoice_id}", format!("/invoices/{}", f.invoice)),
            "GET",
        ),
    }
}

/// Anthropic's 529 `overloaded_error`, as the Python SDK reports it.
pub(crate) fn overloaded(g: &mut Gen) -> ApiError {
    ApiError {
        http_status: 529,
        error_type: "OverloadedError",
        exception_type: "anthropic.OverloadedError",
        message: format!(
            "Error code: 529 - {{'type': 'error', 'error': {{'type': 'overloaded_error', 'message': 'Overloaded'}}, 'request_id': 'req_011C{}'}}",
            g.base62(20)
        ),
        dur_ns: g.dur_ms(180.0, 0.4, 60.0, 900.0),
        count_input_tokens: false,
    }
}

/// Anthropic's 400 `invalid_request_error` for tool results that do not follow their tool uses.
pub(crate) fn tool_result_missing(g: &mut Gen, message_index: usize, ids: &[&str]) -> ApiError {
    ApiError {
        http_status: 400,
        error_type: "BadRequestError",
        exception_type: "anthropic.BadRequestError",
        message: format!(
            "Error code: 400 - {{'type': 'error', 'error': {{'type': 'invalid_request_error', 'message': 'messages.{message_index}: `tool_use` ids were found without `tool_result` blocks immediately after: {}. Each `tool_use` block must have a corresponding `tool_result` block in the next message.'}}, 'request_id': 'req_011C{}'}}",
            ids.join(", "),
            g.base62(20)
        ),
        dur_ns: g.dur_ms(240.0, 0.3, 90.0, 700.0),
        count_input_tokens: true,
    }
}
