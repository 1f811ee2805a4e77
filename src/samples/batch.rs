//! The services, resources and instrumentation scopes of the sample system, and the `Batcher` that
//! writes spans to OTLP/JSON Lines the way a Collector would: spans leave when they end, and each
//! line holds about one to two seconds of ended spans, grouped by resource and scope.

use std::collections::{BTreeMap, HashSet};
use std::io::{self, Write};

use super::rng::Gen;
use crate::encode::otlp_json::write_jsonl_line;
use crate::model::{AnyValue, KeyValue, Resource, ResourceSpans, Scope, ScopeSpans, Span, TraceId};

const SEMCONV_SCHEMA: &str = "https://opentelemetry.io/schemas/1.37.0";

/// A service instance (index into [`Catalog::resources`]).
pub(crate) type ResId = u8;
/// An instrumentation scope (index into [`Catalog::scopes`]).
pub(crate) type ScopeId = u8;

/// Resource ids.
pub(crate) mod res {
    use super::ResId;
    pub(crate) const GATEWAY: [ResId; 2] = [0, 1];
    pub(crate) const AGENT: [ResId; 2] = [2, 3];
    pub(crate) const VECTOR: ResId = 4;
    pub(crate) const BILLING: [ResId; 2] = [5, 6];
    pub(crate) const SUMMARIZER: ResId = 7;
}

/// Scope ids.
pub(crate) mod scope {
    use super::ScopeId;
    pub(crate) const HTTP_NODE: ScopeId = 0;
    pub(crate) const AGENT: ScopeId = 1;
    pub(crate) const ANTHROPIC: ScopeId = 2;
    pub(crate) const OPENAI: ScopeId = 3;
    pub(crate) const VECTOR_HTTP: ScopeId = 4;
    pub(crate) const FASTAPI: ScopeId = 5;
    pub(crate) const SQLALCHEMY: ScopeId = 6;
    pub(crate) const PIKA: ScopeId = 7;
}

/// A span with the resource and scope that recorded it.
pub(crate) struct Emitted {
    pub(crate) res: ResId,
    pub(crate) scope: ScopeId,
    pub(crate) span: Span,
}

fn s(k: &str, v: &str) -> KeyValue {
    KeyValue::new(k, AnyValue::String(v.to_owned()))
}

fn resource(
    service: &str,
    version: &str,
    instance: &str,
    lang: &str,
    sdk_version: &str,
) -> Resource {
    Resource {
        attributes: vec![
            s("service.name", service),
            s("service.version", version),
            s("service.instance.id", instance),
            s("deployment.environment.name", "production"),
            s("telemetry.sdk.language", lang),
            s("telemetry.sdk.version", sdk_version),
        ],
        dropped_attributes_count: 0,
        schema_url: SEMCONV_SCHEMA.to_owned(),
    }
}

fn scope_of(name: &str, version: &str, schema: bool) -> Scope {
    Scope {
        name: name.to_owned(),
        version: version.to_owned(),
        schema_url: if schema {
            SEMCONV_SCHEMA.to_owned()
        } else {
            String::new()
        },
        ..Scope::default()
    }
}

/// Every resource and scope the sample system uses.
pub(crate) struct Catalog {
    pub(crate) resources: Vec<Resource>,
    pub(crate) scopes: Vec<Scope>,
}

impl Catalog {
    pub(crate) fn new() -> Self {
        let resources = vec![
            resource(
                "api-gateway",
                "2.8.1",
                "7d9f6c5b8-x2kqp",
                "nodejs",
                "1.30.1",
            ),
            resource(
                "api-gateway",
                "2.8.1",
                "7d9f6c5b8-m4hzt",
                "nodejs",
                "1.30.1",
            ),
            resource(
                "support-agent",
                "1.14.0",
                "5c8b9d7f4-qw8rn",
                "python",
                "1.38.0",
            ),
            resource(
                "support-agent",
                "1.14.0",
                "5c8b9d7f4-tb2vl",
                "python",
                "1.38.0",
            ),
            resource("vector-store", "1.15.4", "0", "rust", "0.31.0"),
            resource(
                "billing-api",
                "4.2.0",
                "6f7c8d9b5-lp5sd",
                "python",
                "1.38.0",
            ),
            resource(
                "billing-api",
                "4.2.0",
                "6f7c8d9b5-zz9wq",
                "python",
                "1.38.0",
            ),
            resource(
                "support-agent",
                "1.14.0",
                "summarizer-0",
                "python",
                "1.38.0",
            ),
        ];
        let scopes = vec![
            scope_of("@opentelemetry/instrumentation-http", "0.57.2", false),
            scope_of("support_agent", "1.14.0", false),
            scope_of("opentelemetry.instrumentation.anthropic", "0.2b0", false),
            scope_of("opentelemetry.instrumentation.openai_v2", "2.2b0", true),
            scope_of("actix-web-opentelemetry", "0.22.0", false),
            scope_of("opentelemetry.instrumentation.fastapi", "0.56b0", false),
            scope_of("opentelemetry.instrumentation.sqlalchemy", "0.56b0", false),
            scope_of("opentelemetry.instrumentation.pika", "0.56b0", false),
        ];
        Self { resources, scopes }
    }
}

/// What a [`Batcher`] wrote.
pub(crate) struct Counts {
    pub(crate) spans: usize,
    pub(crate) lines: usize,
    pub(crate) traces: usize,
}

/// Streams ended spans into OTLP/JSON lines of about 1-2 s each.
pub(crate) struct Batcher<'c, W: Write> {
    out: W,
    catalog: &'c Catalog,
    jitter: Gen,
    pending: Vec<Emitted>,
    line: Vec<Emitted>,
    window_end: u64,
    lines: usize,
    spans: usize,
    traces: HashSet<TraceId>,
}

impl<'c, W: Write> Batcher<'c, W> {
    pub(crate) fn new(out: W, catalog: &'c Catalog, seed: u64) -> Self {
        Self {
            out,
            catalog,
            jitter: Gen::new(seed),
            pending: Vec::new(),
            line: Vec::new(),
            window_end: 0,
            lines: 0,
            spans: 0,
            traces: HashSet::new(),
        }
    }

    /// Queues spans; they are written once [`Batcher::flush_until`] passes their end.
    pub(crate) fn push(&mut self, spans: impl IntoIterator<Item = Emitted>) {
        self.pending.extend(spans);
    }

    /// Releases every queued span that ended at or before `t`. Call with the start of the next
    /// trace: nothing generated later can end before it.
    pub(crate) fn flush_until(&mut self, t: u64) -> io::Result<()> {
        if self.pending.is_empty() {
            return Ok(());
        }
        self.pending.sort_by_key(|e| e.span.end_ns);
        let n = self.pending.partition_point(|e| e.span.end_ns <= t);
        let ready: Vec<Emitted> = self.pending.drain(..n).collect();
        for e in ready {
            if !self.line.is_empty() && e.span.end_ns >= self.window_end {
                self.write_line()?;
            }
            if self.line.is_empty() {
                self.window_end =
                    e.span.end_ns + 1_000_000_000 + self.jitter.range(0, 1_000_000_000);
            }
            self.line.push(e);
        }
        Ok(())
    }

    /// Writes everything still queued and returns what was written.
    pub(crate) fn finish(mut self) -> io::Result<Counts> {
        self.flush_until(u64::MAX)?;
        self.write_line()?;
        self.out.flush()?;
        Ok(Counts {
            spans: self.spans,
            lines: self.lines,
            traces: self.traces.len(),
        })
    }

    fn write_line(&mut self) -> io::Result<()> {
        if self.line.is_empty() {
            return Ok(());
        }
        let mut groups: BTreeMap<ResId, BTreeMap<ScopeId, Vec<Span>>> = BTreeMap::new();
        for e in self.line.drain(..) {
            self.spans += 1;
            self.traces.insert(e.span.trace_id);
            groups
                .entry(e.res)
                .or_default()
                .entry(e.scope)
                .or_default()
                .push(e.span);
        }
        let blocks: Vec<ResourceSpans> = groups
            .into_iter()
            .map(|(r, scopes)| ResourceSpans {
                resource: self
                    .catalog
                    .resources
                    .get(usize::from(r))
                    .cloned()
                    .unwrap_or_default(),
                scope_spans: scopes
                    .into_iter()
                    .map(|(sc, spans)| ScopeSpans {
                        scope: self
                            .catalog
                            .scopes
                            .get(usize::from(sc))
                            .cloned()
                            .unwrap_or_default(),
                        spans,
                    })
                    .collect(),
            })
            .collect();
        write_jsonl_line(&mut self.out, &blocks)?;
        self.lines += 1;
        Ok(())
    }
}
