//! Benchmark data: many realistic spans, fast to build. Traces of 5-50 spans across six services,
//! 10-30 attributes of mixed types per span (HTTP, database, GenAI with short message JSON), some
//! events (exceptions, evaluation results), a few links to earlier traces. Spans come in batches
//! of whole traces, grouped by resource like a Collector batch.

use super::rng::Gen;
use crate::model::{
    AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, SpanEvent, SpanId,
    SpanKind, SpanLink, StatusCode, TraceId,
};

const SERVICES: [&str; 6] = [
    "api-gateway",
    "support-agent",
    "vector-store",
    "billing-api",
    "auth-service",
    "search-api",
];
const SCOPES: [&str; 6] = [
    "@opentelemetry/instrumentation-http",
    "opentelemetry.instrumentation.anthropic",
    "actix-web-opentelemetry",
    "opentelemetry.instrumentation.fastapi",
    "io.opentelemetry.spring-webmvc-6.0",
    "go.opentelemetry.io/contrib/instrumentation/net/http/otelhttp",
];
const ROUTES: [&str; 8] = [
    "/v1/support/chat",
    "/v1/account/invoices",
    "/v1/orders/{order_id}",
    "/invoices/{invoice_id}",
    "/collections/{collection_name}/points/search",
    "/oauth/token",
    "/search",
    "/refunds",
];
const WORDS: [&str; 4] = [
    "https",
    "python-httpx/0.28.1",
    "handle_request",
    "Mozilla/5.0",
];
const TIERS: [&str; 3] = ["free", "team", "enterprise"];
const MODELS: [&str; 3] = ["claude-sonnet-4", "gpt-4o", "gpt-4o-mini"];
const TOOLS: [&str; 4] = ["search_kb", "get_invoice", "lookup_order", "refund_payment"];

fn kv(k: &'static str, v: AnyValue) -> KeyValue {
    KeyValue::new(k, v)
}

fn st(v: &str) -> AnyValue {
    AnyValue::String(v.to_owned())
}

/// Iterator over batches of whole traces, about `batch_spans` spans each, totalling `n` spans.
pub struct BenchBatches {
    g: Gen,
    remaining: usize,
    batch_spans: usize,
    t: u64,
    resources: Vec<Resource>,
    previous: Option<(TraceId, SpanId)>,
}

impl BenchBatches {
    pub fn new(n: usize, seed: u64, batch_spans: usize) -> Self {
        let resources = SERVICES
            .iter()
            .enumerate()
            .map(|(k, name)| Resource {
                attributes: vec![
                    kv("service.name", st(name)),
                    kv("service.version", st(&format!("1.{k}.0"))),
                    kv("deployment.environment.name", st("production")),
                    kv("host.name", st(&format!("node-{k}.internal"))),
                    kv("telemetry.sdk.language", st("python")),
                ],
                dropped_attributes_count: 0,
                schema_url: "https://opentelemetry.io/schemas/1.37.0".into(),
            })
            .collect();
        Self {
            g: Gen::new(seed ^ 0x6265_6e63_6800_0001),
            remaining: n,
            batch_spans: batch_spans.max(1),
            t: 1_795_212_000_000_000_000,
            resources,
            previous: None,
        }
    }

    fn span(&mut self, trace_id: TraceId, parent: Option<(SpanId, u64, u64)>, svc: usize) -> Span {
        let g = &mut self.g;
        let (start, end) = match parent {
            Some((_, ps, pe)) => {
                let room = pe.saturating_sub(ps);
                let off = g.range(0, room / 2 + 1);
                let dur = g.range(room / 20 + 1, room.saturating_sub(off).max(room / 20 + 2));
                (ps + off, ps + off + dur)
            }
            None => {
                let s = self.t;
                (s, s + g.dur_ms(180.0, 1.0, 2.0, 30_000.0))
            }
        };
        let route = *g.pick(&ROUTES);
        let genai = svc == 1 && parent.is_some();
        let n_attrs = 10 + g.between(0, 8) + if g.chance(0.3) { g.between(0, 12) } else { 0 };
        let mut attributes = Vec::with_capacity(n_attrs);
        let (name, kind) = if genai {
            let model = *g.pick(&MODELS);
            if g.chance(0.3) {
                let tool = *g.pick(&TOOLS);
                attributes.push(kv("gen_ai.operation.name", st("execute_tool")));
                attributes.push(kv("gen_ai.tool.name", st(tool)));
                attributes.push(kv("gen_ai.tool.call.id", st(&g.toolu_id())));
                (format!("execute_tool {tool}"), SpanKind::Internal)
            } else {
                attributes.push(kv("gen_ai.operation.name", st("chat")));
                attributes.push(kv(
                    "gen_ai.provider.name",
                    st(if model.starts_with("claude") {
                        "anthropic"
                    } else {
                        "openai"
                    }),
                ));
                attributes.push(kv("gen_ai.request.model", st(model)));
                attributes.push(kv("gen_ai.response.model", st(model)));
                attributes.push(kv(
                    "gen_ai.usage.input_tokens",
                    AnyValue::Int(g.range(200, 9000) as i64),
                ));
                attributes.push(kv(
                    "gen_ai.usage.output_tokens",
                    AnyValue::Int(g.range(5, 900) as i64),
                ));
                attributes.push(kv(
                    "gen_ai.response.finish_reasons",
                    AnyValue::Array(vec![st("stop")]),
                ));
                attributes.push(kv(
                    "gen_ai.conversation.id",
                    st(&format!("conv_{}", g.base62(12))),
                ));
                attributes.push(kv("gen_ai.input.messages", st(&format!(
                    r#"[{{"role":"user","parts":[{{"type":"text","content":"Where is my order ORD-{}? It said 2 days."}}]}}]"#,
                    g.range(100_000, 999_999)
                ))));
                attributes.push(kv("gen_ai.output.messages", st(r#"[{"role":"assistant","parts":[{"type":"text","content":"Your order is with UPS, expected Tuesday."}],"finish_reason":"stop"}]"#)));
                (format!("chat {model}"), SpanKind::Client)
            }
        } else if parent.is_none() || g.chance(0.6) {
            (
                format!("GET {route}"),
                if parent.is_none() {
                    SpanKind::Server
                } else {
                    SpanKind::Client
                },
            )
        } else {
            ("SELECT billing.invoices".to_owned(), SpanKind::Client)
        };
        let error = g.chance(0.03);
        let status = if error { 500 } else { 200 };
        attributes.push(kv("http.request.method", st("GET")));
        attributes.push(kv("http.route", st(route)));
        attributes.push(kv("http.response.status_code", AnyValue::Int(status)));
        attributes.push(kv("server.port", AnyValue::Int(443)));
        attributes.push(kv(
            "network.peer.address",
            st(&format!("10.0.{}.{}", g.range(0, 255), g.range(1, 255))),
        ));
        let fillers: [(&'static str, u8); 12] = [
            ("url.scheme", 0),
            ("user_agent.original", 0),
            ("net.sock.peer.port", 1),
            ("http.request.body.size", 1),
            ("http.response.body.size", 1),
            ("sampling.ratio", 2),
            ("cache.hit", 3),
            ("retry.enabled", 3),
            ("thread.id", 1),
            ("code.function.name", 0),
            ("app.tenant.tier", 4),
            ("app.feature.flags", 5),
        ];
        let mut k = 0;
        while attributes.len() < n_attrs {
            let (key, ty) = fillers[k % fillers.len()];
            k += 1;
            let value = match ty {
                0 => st(g.pick_str(&WORDS)),
                1 => AnyValue::Int(g.range(1, 65_000) as i64),
                2 => AnyValue::Double(g.f64()),
                3 => AnyValue::Bool(g.chance(0.5)),
                4 => st(g.pick_str(&TIERS)),
                _ => AnyValue::Array(vec![st("new-checkout"), st("fast-search")]),
            };
            attributes.push(kv(key, value));
        }
        let mut events = Vec::new();
        if error {
            events.push(SpanEvent {
                time_ns: end,
                name: "exception".into(),
                attributes: vec![
                    kv("exception.type", st("httpx.ReadTimeout")),
                    kv("exception.message", st("timed out")),
                ],
                dropped_attributes_count: 0,
            });
        } else if g.chance(0.1) {
            events.push(SpanEvent {
                time_ns: end,
                name: "gen_ai.evaluation.result".into(),
                attributes: vec![
                    kv("gen_ai.evaluation.name", st("json_schema")),
                    kv("gen_ai.evaluation.score.label", st("pass")),
                    kv("gen_ai.evaluation.score.value", AnyValue::Double(1.0)),
                ],
                dropped_attributes_count: 0,
            });
        }
        let mut links = Vec::new();
        if parent.is_none()
            && let Some((trace_id, span_id)) = self.previous
            && self.g.chance(0.05)
        {
            links.push(SpanLink {
                trace_id,
                span_id,
                flags: 0x101,
                ..SpanLink::default()
            });
        }
        Span {
            trace_id,
            span_id: self.g.span_id(),
            parent_span_id: parent.map(|p| p.0),
            trace_state: String::new(),
            flags: 0x101,
            name,
            kind,
            start_ns: start,
            end_ns: end,
            attributes,
            dropped_attributes_count: 0,
            events,
            dropped_events_count: 0,
            links,
            dropped_links_count: 0,
            status_code: if error {
                StatusCode::Error
            } else {
                StatusCode::Unset
            },
            status_message: if error {
                "timed out".into()
            } else {
                String::new()
            },
        }
    }

    /// One trace: (service index, span) pairs.
    fn trace(&mut self) -> Vec<(usize, Span)> {
        let size = if self.g.chance(0.8) {
            self.g.between(5, 20)
        } else {
            self.g.between(21, 50)
        }
        .min(self.remaining.max(1));
        let trace_id = self.g.trace_id();
        let mut spans: Vec<(usize, Span)> = Vec::with_capacity(size);
        let root = self.span(trace_id, None, 0);
        spans.push((0, root));
        while spans.len() < size {
            let p = self.g.between(0, spans.len() - 1);
            let (pid, ps, pe) = {
                let s = &spans[p].1;
                (s.span_id, s.start_ns, s.end_ns)
            };
            let svc = self.g.between(1, SERVICES.len() - 1);
            let span = self.span(trace_id, Some((pid, ps, pe)), svc);
            spans.push((svc, span));
        }
        if let Some((_, s)) = spans.first() {
            self.previous = Some((s.trace_id, s.span_id));
        }
        self.t += self.g.range(1_000_000, 40_000_000);
        spans
    }
}

impl Iterator for BenchBatches {
    type Item = Vec<ResourceSpans>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.remaining == 0 {
            return None;
        }
        let mut by_service: Vec<Vec<Span>> = vec![Vec::new(); SERVICES.len()];
        let mut count = 0;
        while count < self.batch_spans && self.remaining > 0 {
            let trace = self.trace();
            count += trace.len();
            self.remaining = self.remaining.saturating_sub(trace.len());
            for (svc, span) in trace {
                if let Some(v) = by_service.get_mut(svc) {
                    v.push(span);
                }
            }
        }
        Some(
            by_service
                .into_iter()
                .enumerate()
                .filter(|(_, spans)| !spans.is_empty())
                .map(|(k, spans)| ResourceSpans {
                    resource: self.resources.get(k).cloned().unwrap_or_default(),
                    scope_spans: vec![ScopeSpans {
                        scope: Scope {
                            name: SCOPES.get(k).copied().unwrap_or("bench").to_owned(),
                            version: "1.0.0".into(),
                            ..Scope::default()
                        },
                        spans,
                    }],
                })
                .collect(),
        )
    }
}
