//! Ordinary traffic of the sample system for `agent-service.otlp.jsonl`: multi-turn support
//! conversations (gateway -> `invoke_agent` -> triage `chat gpt-4o` with JSON output,
//! `chat claude-sonnet-4` rounds with tool calls, `execute_tool` -> billing-api / vector-store),
//! account page requests, and queued conversation summaries that link back to the conversation.
//! Rare healthy-night noise: a 529 retried once, a tool timing out. Jobs are planned first, then
//! generated in start order and streamed, so memory stays flat at any size.

use std::io::{self, Write};

use serde_json::Value;

use super::batch::{Batcher, Catalog, res, scope};
use super::build::{CLAUDE, Chat, GPT4O, ModelCfg, Outcome, TraceB, i, overloaded, s};
use super::content::{self as c, Facts, JsonOutcome, Topic};
use super::rng::{Gen, ms};
use super::{RetryChain, Truth};
use crate::model::{SpanId, SpanKind, SpanLink, TraceId, hex_lower};

const SEC: u64 = 1_000_000_000;

/// The shape of one conversation turn, fixed at planning time.
pub(crate) struct TurnShape {
    pub(crate) triage: bool,
    /// Each round is one model call that asks for these tools.
    pub(crate) rounds: Vec<Vec<&'static str>>,
}

impl TurnShape {
    pub(crate) fn draw(g: &mut Gen, topic: Topic, first: bool) -> Self {
        let n_rounds = match g.weighted(&[0.45, 0.45, 0.1]) {
            0 => 0,
            1 => 1,
            _ => 2,
        };
        let rounds = (0..n_rounds)
            .map(|_| {
                let first = *g.pick(topic.tools());
                let second = *g.pick(topic.tools());
                if second != first && g.chance(0.25) {
                    vec![first, second]
                } else {
                    vec![first]
                }
            })
            .collect();
        Self {
            triage: first && g.chance(0.7),
            rounds,
        }
    }

    pub(crate) fn span_estimate(&self) -> usize {
        let tools: usize = self
            .rounds
            .iter()
            .map(|r| {
                1 + r
                    .iter()
                    .map(|t| if *t == "search_kb" { 2 } else { 3 })
                    .sum::<usize>()
            })
            .sum();
        3 + usize::from(self.triage) + tools
    }
}

/// A conversation's state while its turns are generated.
pub(crate) struct Conversation {
    pub(crate) id: String,
    pub(crate) session: Option<String>,
    pub(crate) facts: Facts,
    pub(crate) history: Vec<Value>,
    pub(crate) last_invoke: Option<(TraceId, SpanId)>,
}

impl Conversation {
    pub(crate) fn draw(g: &mut Gen) -> Self {
        let topic = Topic::draw(g);
        Self {
            id: format!("conv_{}", g.base62(24)),
            session: g.chance(0.3).then(|| format!("sess-{}", g.hex(8))),
            facts: Facts::draw(g, topic),
            history: Vec::new(),
            last_invoke: None,
        }
    }

    /// The agent's context window: at most the last 6 messages, starting at a user's text, so a
    /// tool result never loses its call.
    pub(crate) fn trim_context(&mut self) {
        let len = self.history.len();
        if len <= 6 {
            return;
        }
        let cut = (len - 6..len).find(|&k| {
            let m = &self.history[k];
            m["role"] == "user" && m["parts"][0]["type"] == "text"
        });
        if let Some(cut) = cut {
            self.history.drain(..cut);
        }
    }
}

enum Job {
    Turn { conv: usize, shape: TurnShape },
    Account,
    Summary { conv: usize },
}

/// Writes the ordinary traffic, about `budget` spans, starting at `t0` and spread over `night_ns`.
pub(crate) fn write_traffic<'c, W: Write>(
    out: W,
    catalog: &'c Catalog,
    seed: u64,
    t0: u64,
    night_ns: u64,
    budget: usize,
    truth: &mut Truth,
) -> io::Result<Batcher<'c, W>> {
    let mut plan_rng = Gen::new(seed ^ 0x7261_6666_6963_0001);
    let mut g = Gen::new(seed ^ 0x7261_6666_6963_0002);
    let mut batcher = Batcher::new(out, catalog, seed ^ 0x7261_6666_6963_0003);

    // Plan.
    let mut convs: Vec<Option<Conversation>> = Vec::new();
    let mut jobs: Vec<(u64, usize, Job)> = Vec::new();
    let mut planned = 0usize;
    let last_start = night_ns.saturating_sub(20 * 60 * SEC).max(SEC);
    while planned < budget {
        if plan_rng.chance(0.08) {
            let idx = convs.len();
            let conv = Conversation::draw(&mut plan_rng);
            let turns = plan_rng.between(3, 8);
            let mut start = t0 + plan_rng.range(0, last_start);
            for turn in 0..turns {
                let shape = TurnShape::draw(&mut plan_rng, conv.facts.topic, turn == 0);
                planned += shape.span_estimate();
                jobs.push((start, jobs.len(), Job::Turn { conv: idx, shape }));
                start += 45 * SEC + plan_rng.dur_ms(35_000.0, 0.6, 8_000.0, 300_000.0);
            }
            if plan_rng.chance(0.4) {
                jobs.push((
                    start + 45 * SEC + plan_rng.range(0, 120 * SEC),
                    jobs.len(),
                    Job::Summary { conv: idx },
                ));
                planned += 2;
            }
            convs.push(Some(conv));
        } else {
            jobs.push((t0 + plan_rng.range(0, night_ns), jobs.len(), Job::Account));
            planned += 3;
        }
    }
    jobs.sort_by_key(|(start, seq, _)| (*start, *seq));
    truth.conversations += convs.len();

    // Generate in start order.
    for (start, _, job) in jobs {
        batcher.flush_until(start)?;
        let trace = match job {
            Job::Turn { conv, shape } => {
                let Some(Some(state)) = convs.get_mut(conv) else {
                    continue;
                };
                normal_turn(&mut g, state, &shape, start, truth)
            }
            Job::Account => account_request(&mut g, start),
            Job::Summary { conv } => {
                let Some(state) = convs.get_mut(conv).and_then(Option::take) else {
                    continue;
                };
                summary_job(&mut g, &state, start, truth)
            }
        };
        note_trace(&trace, truth);
        batcher.push(trace.spans);
    }
    Ok(batcher)
}

/// Counts exception spans and links of a finished trace.
pub(crate) fn note_trace(t: &TraceB, truth: &mut Truth) {
    for e in &t.spans {
        if e.span.events.iter().any(|ev| ev.name == "exception") {
            truth.exception_spans += 1;
        }
        if !e.span.links.is_empty() {
            truth.spans_with_links += 1;
        }
    }
}

/// A healthy conversation turn.
pub(crate) fn normal_turn(
    g: &mut Gen,
    conv: &mut Conversation,
    shape: &TurnShape,
    start: u64,
    truth: &mut Truth,
) -> TraceB {
    let (mut t, root, inv, mut cursor) = open_turn(g, conv, start);
    conv.trim_context();
    let question = if conv.history.is_empty() {
        c::first_question(g, &conv.facts)
    } else {
        c::follow_up(g, &conv.facts)
    };
    conv.history.push(c::user(&question));
    if shape.triage {
        cursor = triage(g, &mut t, inv, cursor, &question, &conv.facts, truth)
            + g.dur_ms(2.0, 0.5, 0.2, 20.0);
    }
    for round in &shape.rounds {
        let calls: Vec<(&str, String)> = round.iter().map(|n| (*n, g.toolu_id())).collect();
        cursor = tool_round(g, &mut t, conv, inv, cursor, &calls, truth, &[]);
    }
    cursor = final_answer(g, &mut t, conv, inv, cursor, truth);
    close_turn(g, &mut t, conv, root, inv, cursor, 200);
    t
}

/// Starts a turn trace: gateway root and `invoke_agent`. Returns the trace, root, invoke span
/// and the time the agent starts working.
pub(crate) fn open_turn(
    g: &mut Gen,
    conv: &Conversation,
    start: u64,
) -> (TraceB, SpanId, SpanId, u64) {
    let mut t = TraceB::new(g);
    t.conversation = Some(conv.id.clone());
    t.session = conv.session.clone();
    let root = t.gateway_root(g, start, "POST", "/v1/support/chat", "/v1/support/chat");
    let inv_start = start + g.dur_ms(3.0, 0.4, 0.5, 20.0);
    let inv = t.invoke_agent(g, root, inv_start);
    let cursor = inv_start + g.dur_ms(1.5, 0.5, 0.2, 10.0);
    (t, root, inv, cursor)
}

/// Ends the invoke and root spans after `cursor`.
pub(crate) fn close_turn(
    g: &mut Gen,
    t: &mut TraceB,
    conv: &mut Conversation,
    root: SpanId,
    inv: SpanId,
    cursor: u64,
    http_status: i64,
) -> u64 {
    let inv_end = cursor + g.dur_ms(1.0, 0.5, 0.1, 10.0);
    t.close(inv, inv_end, vec![]);
    let root_end = inv_end + g.dur_ms(2.0, 0.5, 0.2, 20.0);
    t.close(
        root,
        root_end,
        vec![i("http.response.status_code", http_status)],
    );
    conv.last_invoke = Some((t.trace_id, inv));
    root_end
}

/// One model round that asks for `calls`, then runs the tools in order. `extra_parts` are text
/// parts the model writes before its tool calls. Returns the time after the last tool.
#[allow(clippy::too_many_arguments)]
pub(crate) fn tool_round(
    g: &mut Gen,
    t: &mut TraceB,
    conv: &mut Conversation,
    inv: SpanId,
    cursor: u64,
    calls: &[(&str, String)],
    truth: &mut Truth,
    fail_tools: &[usize],
) -> u64 {
    let mut parts = Vec::new();
    if g.chance(0.5) {
        parts.push(serde_json::json!({"type": "text", "content": "Let me check that for you."}));
    }
    for (name, id) in calls {
        parts.push(c::tool_call_part(
            id,
            name,
            &c::tool_args(name, &conv.facts),
        ));
    }
    let msg = c::assistant_parts(parts);
    let end = chat_with_retry(
        g,
        t,
        &CLAUDE,
        inv,
        cursor,
        &conv.history,
        c::output(msg.clone(), "tool_call"),
        CLAUDE.tool_use,
        truth,
    );
    conv.history.push(msg);
    let mut cursor = end + g.dur_ms(2.0, 0.5, 0.2, 30.0);
    for (k, (name, id)) in calls.iter().enumerate() {
        let fail = fail_tools.contains(&k) || (*name != "search_kb" && g.chance(0.015));
        let (_, tool_end, response) = t.tool(g, inv, cursor, name, id, &conv.facts, fail);
        conv.history.push(c::tool_message(id, &response));
        cursor = tool_end + g.dur_ms(0.8, 0.5, 0.1, 10.0);
    }
    cursor
}

/// The final text answer of a turn.
pub(crate) fn final_answer(
    g: &mut Gen,
    t: &mut TraceB,
    conv: &mut Conversation,
    inv: SpanId,
    cursor: u64,
    truth: &mut Truth,
) -> u64 {
    let text = c::answer(g, &conv.facts);
    let msg = c::assistant_text(&text);
    let end = chat_with_retry(
        g,
        t,
        &CLAUDE,
        inv,
        cursor,
        &conv.history,
        c::output(msg.clone(), "stop"),
        CLAUDE.stop,
        truth,
    );
    conv.history.push(msg);
    end
}

/// A model call that, rarely, is overloaded once and retried by the SDK.
#[allow(clippy::too_many_arguments)]
fn chat_with_retry(
    g: &mut Gen,
    t: &mut TraceB,
    model: &'static ModelCfg,
    parent: SpanId,
    start: u64,
    input: &[Value],
    output: Value,
    finish: &'static str,
    truth: &mut Truth,
) -> u64 {
    let mut chat = Chat {
        model,
        parent,
        start,
        system: Some(c::AGENT_SYSTEM),
        input,
        output_type: None,
        resend_count: None,
        max_tokens: 1024,
    };
    if g.chance(0.02) {
        chat.resend_count = Some(0);
        let err = overloaded(g);
        let first = t.chat(g, &chat, Outcome::Err(err));
        let wait = g.dur_ms(700.0, 0.3, 400.0, 2000.0);
        chat.start = first.end + wait;
        chat.resend_count = Some(1);
        let second = t.chat(
            g,
            &chat,
            Outcome::Ok {
                output,
                finish,
                eval: None,
            },
        );
        truth.retry_chains.push(RetryChain {
            file: super::AGENT_FILE.to_owned(),
            trace_id: hex_lower(&t.trace_id),
            parent_span_id: hex_lower(&parent),
            attempt_span_ids: vec![hex_lower(&first.span_id), hex_lower(&second.span_id)],
            model: model.request.to_owned(),
            http_statuses: vec![529, 200],
            waits_ms: vec![wait as f64 / 1e6],
            succeeded: true,
            wasted_input_tokens: 0,
        });
        second.end
    } else {
        t.chat(
            g,
            &chat,
            Outcome::Ok {
                output,
                finish,
                eval: None,
            },
        )
        .end
    }
}

/// Draws whether a declared-JSON output is valid: 8% are not, spread evenly with some jitter
/// (an accumulator rather than independent draws, so small samples keep the rate).
pub(crate) fn draw_json_outcome(g: &mut Gen, truth: &mut Truth) -> JsonOutcome {
    truth.json_invalid_acc += 0.04 + 0.08 * g.f64();
    if truth.json_invalid_acc >= 1.0 {
        truth.json_invalid_acc -= 1.0;
        JsonOutcome::draw_invalid(g)
    } else {
        JsonOutcome::Valid
    }
}

/// A structured-output model call; records it in `truth`. Returns its end.
#[allow(clippy::too_many_arguments)]
pub(crate) fn structured_chat(
    g: &mut Gen,
    t: &mut TraceB,
    parent: SpanId,
    start: u64,
    system: &str,
    input: &[Value],
    value: &Value,
    outcome: JsonOutcome,
    truth: &mut Truth,
) -> (SpanId, u64) {
    let (text, finish) = c::structured_text(value, outcome);
    let eval = g.chance(0.5).then_some(outcome.is_valid());
    let provider_finish = if finish == "length" {
        GPT4O.length
    } else {
        GPT4O.stop
    };
    let chat = Chat {
        model: &GPT4O,
        parent,
        start,
        system: Some(system),
        input,
        output_type: Some("json"),
        resend_count: None,
        max_tokens: if outcome == JsonOutcome::Truncated {
            24
        } else {
            256
        },
    };
    let done = t.chat(
        g,
        &chat,
        Outcome::Ok {
            output: c::output(c::assistant_text(&text), finish),
            finish: provider_finish,
            eval,
        },
    );
    truth.structured.declared_json += 1;
    if !outcome.is_valid() {
        truth.structured.invalid_json += 1;
        truth
            .structured
            .invalid_span_ids
            .push(hex_lower(&done.span_id));
    }
    match eval {
        Some(true) => truth.structured.eval_pass += 1,
        Some(false) => truth.structured.eval_fail += 1,
        None => {}
    }
    (done.span_id, done.end)
}

fn triage(
    g: &mut Gen,
    t: &mut TraceB,
    inv: SpanId,
    start: u64,
    question: &str,
    facts: &Facts,
    truth: &mut Truth,
) -> u64 {
    let value = c::triage_json(g, facts);
    let outcome = draw_json_outcome(g, truth);
    structured_chat(
        g,
        t,
        inv,
        start,
        c::TRIAGE_SYSTEM,
        &[c::user(question)],
        &value,
        outcome,
        truth,
    )
    .1
}

/// A queued summary of a finished conversation, linked to its last turn.
pub(crate) fn summary_job(
    g: &mut Gen,
    conv: &Conversation,
    start: u64,
    truth: &mut Truth,
) -> TraceB {
    let mut t = TraceB::new(g);
    t.agent = res::SUMMARIZER;
    t.conversation = Some(conv.id.clone());
    t.session = conv.session.clone();
    let message_id = g.hex(16);
    let consumer = t.add(
        g,
        None,
        "process ticket-summaries",
        SpanKind::Consumer,
        (start, start),
        (res::SUMMARIZER, scope::PIKA),
        vec![
            s("messaging.system", "rabbitmq"),
            s("messaging.operation.type", "process"),
            s("messaging.operation.name", "process"),
            s("messaging.destination.name", "ticket-summaries"),
            s("messaging.message.id", message_id),
        ],
    );
    if let Some((trace_id, span_id)) = conv.last_invoke {
        t.link(
            consumer,
            SpanLink {
                trace_id,
                span_id,
                flags: 0x101,
                ..SpanLink::default()
            },
        );
    }
    let first = c::first_question(g, &conv.facts);
    let transcript = format!("Customer: {first}\nAgent: {}", c::answer(g, &conv.facts));
    let value = c::summary_json(g, &conv.facts);
    let outcome = draw_json_outcome(g, truth);
    let cursor = start + g.dur_ms(4.0, 0.5, 0.5, 40.0);
    let (_, end) = structured_chat(
        g,
        &mut t,
        consumer,
        cursor,
        c::SUMMARY_SYSTEM,
        &[c::user(&transcript)],
        &value,
        outcome,
        truth,
    );
    t.close(consumer, end + g.dur_ms(3.0, 0.5, 0.3, 30.0), vec![]);
    t
}

/// An account page request through the gateway to billing-api and its database.
fn account_request(g: &mut Gen, start: u64) -> TraceB {
    let mut t = TraceB::new(g);
    let (route, path, table) = if g.chance(0.5) {
        (
            "/v1/account/invoices",
            "/v1/account/invoices".to_owned(),
            "invoices",
        )
    } else {
        let id = format!("ORD-{}", g.range(100_000, 999_999));
        (
            "/v1/orders/{order_id}",
            format!("/v1/orders/{id}"),
            "orders",
        )
    };
    let root = t.gateway_root(g, start, "GET", route, &path);
    let not_found = table == "orders" && g.chance(0.03);
    let status = if not_found { 404 } else { 200 };
    let srv_start = start + g.dur_ms(1.5, 0.4, 0.3, 20.0);
    let db_start = srv_start + g.dur_ms(1.5, 0.5, 0.2, 15.0);
    let db_end = db_start + g.dur_ms(4.0, 0.8, 0.4, 400.0);
    let srv_end = db_end + g.dur_ms(2.5, 0.5, 0.2, 40.0);
    let (srv_route, srv_path) = if table == "orders" {
        (
            "/orders/{order_id}",
            path.trim_start_matches("/v1").to_owned(),
        )
    } else {
        ("/invoices", "/invoices".to_owned())
    };
    let billing = t.billing;
    let srv = t.add(
        g,
        Some(root),
        format!("GET {srv_route}"),
        SpanKind::Server,
        (srv_start, srv_end),
        (billing, scope::FASTAPI),
        vec![
            s("http.request.method", "GET"),
            s("http.route", srv_route),
            s("url.path", srv_path),
            i("http.response.status_code", status),
        ],
    );
    t.add(
        g,
        Some(srv),
        format!("SELECT billing.{table}"),
        SpanKind::Client,
        (db_start, db_end),
        (billing, scope::SQLALCHEMY),
        vec![
            s("db.system.name", "postgresql"),
            s("db.operation.name", "SELECT"),
            s("db.collection.name", table),
            s(
                "db.query.text",
                format!("SELECT * FROM {table} WHERE account_id = $1 LIMIT 20"),
            ),
            s("server.address", "billing-db"),
        ],
    );
    t.close(
        root,
        srv_end + ms(0.9) + g.dur_ms(1.0, 0.5, 0.1, 10.0),
        vec![i("http.response.status_code", status)],
    );
    t
}
