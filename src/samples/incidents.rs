//! The incidents of the bad night, written to `incident-night.otlp.jsonl` with their ground truth:
//! (a) `chat gpt-4o` rate-limited (HTTP 429) three times and retried with growing backoff until it
//! succeeds; (b) one conversation whose out-of-order tool results (text, then B's result, then A's)
//! get Anthropic's 400 and are repaired; (c) an agent that drops a failed tool's result and sends
//! the same invalid request 8 times without waiting (a retry storm of a structural error), then a
//! user retry in a later trace that links back to the first attempt.

use std::io::{self, Write};

use serde_json::{Value, json};

use super::batch::{Batcher, Catalog, res, scope};
use super::build::{ApiError, CLAUDE, Chat, GPT4O, Outcome, TraceB, s, tool_result_missing};
use super::content::{self as c, Facts, Topic};
use super::rng::{Gen, ms};
use super::traffic::{
    Conversation, TurnShape, close_turn, final_answer, normal_turn, note_trace, open_turn,
    tool_round,
};
use super::{INCIDENT_FILE, OutOfOrder, RetryChain, Truth};
use crate::model::{SpanKind, SpanLink, hex_lower};

const MIN: u64 = 60_000_000_000;

/// Ground truth of the featured incidents.
pub(crate) struct Incidents {
    pub(crate) rate_limit_chain: RetryChain,
    pub(crate) invalid_request_storm: RetryChain,
    pub(crate) out_of_order: OutOfOrder,
}

pub(crate) fn write_incidents<'c, W: Write>(
    out: W,
    catalog: &'c Catalog,
    seed: u64,
    t0: u64,
    truth: &mut Truth,
) -> io::Result<(Batcher<'c, W>, Incidents)> {
    let mut g = Gen::new(seed ^ 0x696e_6369_6465_6e74);
    let mut batcher = Batcher::new(out, catalog, seed ^ 0x696e_6369_6465_6e75);
    let emit =
        |b: &mut Batcher<'_, W>, t: TraceB, start: u64, truth: &mut Truth| -> io::Result<()> {
            b.flush_until(start)?;
            note_trace(&t, truth);
            b.push(t.spans);
            Ok(())
        };

    // (a) 429 chain at +50 min.
    let start = t0 + 50 * MIN + g.range(0, MIN);
    let (trace, rate_limit_chain) = rate_limit_chain(&mut g, start);
    emit(&mut batcher, trace, start, truth)?;
    truth.retry_chains.push(rate_limit_chain.clone());
    truth.conversations += 1;

    // (b) Out-of-order tool results at +95 min, a 4-turn conversation.
    let mut conv = Conversation::draw(&mut g);
    conv.facts = Facts::draw(&mut g, Topic::Billing);
    truth.conversations += 1;
    let mut start = t0 + 95 * MIN + g.range(0, MIN);
    let shape = TurnShape {
        triage: true,
        rounds: vec![vec!["get_invoice"]],
    };
    let t = normal_turn(&mut g, &mut conv, &shape, start, truth);
    emit(&mut batcher, t, start, truth)?;
    start += 90_000_000_000 + g.range(0, 30_000_000_000);
    let (t, out_of_order) = out_of_order_turn(&mut g, &mut conv, start);
    emit(&mut batcher, t, start, truth)?;
    for _ in 0..2 {
        start += 90_000_000_000 + g.range(0, 30_000_000_000);
        let shape = TurnShape {
            triage: false,
            rounds: vec![],
        };
        let t = normal_turn(&mut g, &mut conv, &shape, start, truth);
        emit(&mut batcher, t, start, truth)?;
    }

    // (c) 400 storm at +140 min: a billing conversation whose refund tool times out.
    let mut conv = Conversation::draw(&mut g);
    conv.facts = Facts::draw(&mut g, Topic::Billing);
    truth.conversations += 1;
    let start = t0 + 137 * MIN + g.range(0, MIN);
    let shape = TurnShape {
        triage: false,
        rounds: vec![vec!["get_invoice"]],
    };
    let t = normal_turn(&mut g, &mut conv, &shape, start, truth);
    emit(&mut batcher, t, start, truth)?;
    let start = t0 + 140 * MIN + g.range(0, MIN / 2);
    let (t, storm, pending_call) = storm_turn(&mut g, &mut conv, start, truth);
    emit(&mut batcher, t, start, truth)?;
    truth.retry_chains.push(storm.clone());
    // The user presses "retry" 40-60 s later: a new trace that links to the first attempt.
    let start = t0 + 141 * MIN + g.range(0, 20_000_000_000);
    let t = user_retry_turn(&mut g, &mut conv, start, &storm, &pending_call, truth);
    emit(&mut batcher, t, start, truth)?;

    Ok((
        batcher,
        Incidents {
            rate_limit_chain,
            invalid_request_storm: storm,
            out_of_order,
        },
    ))
}

/// A summary job whose `chat gpt-4o` is rate limited three times, waits about 0.5 s, 1.1 s and
/// 2.3 s, and succeeds on the fourth attempt.
fn rate_limit_chain(g: &mut Gen, start: u64) -> (TraceB, RetryChain) {
    let mut t = TraceB::new(g);
    t.agent = res::SUMMARIZER;
    let conv_id = format!("conv_{}", g.base62(24));
    t.conversation = Some(conv_id);
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
    let input = vec![c::user(
        "Summarize for the account manager: customer reports API latency spikes since the 18th, asked for a credit, agent opened ticket T-88213 and offered a 10% credit.",
    )];
    let base_waits = [500.0, 1100.0, 2300.0];
    let mut cursor = start + g.dur_ms(4.0, 0.4, 1.0, 20.0);
    let mut ids = Vec::new();
    let mut waits_ms = Vec::new();
    let mut statuses = Vec::new();
    let org = format!("org-{}", g.base62(24));
    let mut end = cursor;
    for attempt in 0..4 {
        let chat = Chat {
            model: &GPT4O,
            parent: consumer,
            start: cursor,
            system: Some("You write short account-manager summaries of support conversations."),
            input: &input,
            output_type: None,
            resend_count: Some(attempt),
            max_tokens: 400,
        };
        let outcome = if attempt < 3 {
            let used = 29_000 + g.range(0, 900);
            let retry_in = 0.4 + 0.6 * attempt as f64 + g.f64() * 0.3;
            Outcome::Err(ApiError {
                http_status: 429,
                error_type: "RateLimitError",
                exception_type: "openai.RateLimitError",
                message: format!(
                    "Error code: 429 - {{'error': {{'message': 'Rate limit reached for gpt-4o in organization {org} on tokens per min (TPM): Limit 30000, Used {used}, Requested 1874. Please try again in {retry_in:.3}s. Visit https://platform.openai.com/account/rate-limits to learn more.', 'type': 'tokens', 'param': None, 'code': 'rate_limit_exceeded'}}}}"
                ),
                dur_ns: g.dur_ms(160.0, 0.3, 80.0, 400.0),
                count_input_tokens: false,
            })
        } else {
            Outcome::Ok {
                output: c::output(
                    c::assistant_text(
                        "Customer sees API latency spikes since Nov 18 and asked for a credit; ticket T-88213 is open and a 10% credit was offered pending engineering review.",
                    ),
                    "stop",
                ),
                finish: GPT4O.stop,
                eval: None,
            }
        };
        let done = t.chat(g, &chat, outcome);
        ids.push(hex_lower(&done.span_id));
        statuses.push(if attempt < 3 { 429 } else { 200 });
        end = done.end;
        if attempt < 3 {
            let wait = ms(base_waits[attempt as usize] * (1.0 + g.f64() * 0.08));
            waits_ms.push(wait as f64 / 1e6);
            cursor = done.end + wait;
        }
    }
    t.close(consumer, end + g.dur_ms(3.0, 0.4, 0.5, 20.0), vec![]);
    let chain = RetryChain {
        file: INCIDENT_FILE.to_owned(),
        trace_id: hex_lower(&t.trace_id),
        parent_span_id: hex_lower(&consumer),
        attempt_span_ids: ids,
        model: GPT4O.request.to_owned(),
        http_statuses: statuses,
        waits_ms,
        succeeded: true,
        wasted_input_tokens: 0,
    };
    (t, chain)
}

/// The assistant calls get_invoice (A) and lookup_order (B) together; B finishes first, and the
/// next request puts the user's new text, then B's result, then A's result in one user message.
/// Anthropic answers 400; the agent reorders the results and the call succeeds.
fn out_of_order_turn(g: &mut Gen, conv: &mut Conversation, start: u64) -> (TraceB, OutOfOrder) {
    let (mut t, root, inv, cursor) = open_turn(g, conv, start);
    let question = format!(
        "Also my order {} never arrived, is it linked to the invoice?",
        conv.facts.order
    );
    conv.history.push(c::user(&question));
    let a = g.toolu_id();
    let b = g.toolu_id();
    let args_a = c::tool_args("get_invoice", &conv.facts);
    let args_b = c::tool_args("lookup_order", &conv.facts);
    let call_msg = c::assistant_parts(vec![
        c::tool_call_part(&a, "get_invoice", &args_a),
        c::tool_call_part(&b, "lookup_order", &args_b),
    ]);
    let done = t.chat(
        g,
        &agent_chat(inv, cursor, &conv.history),
        Outcome::Ok {
            output: c::output(call_msg.clone(), "tool_call"),
            finish: CLAUDE.tool_use,
            eval: None,
        },
    );
    let call_index = conv.history.len();
    conv.history.push(call_msg);
    // Both tools run in parallel; B (lookup_order) returns first.
    let tools_start = done.end + ms(1.5);
    let (_, end_a, resp_a) = t.tool(g, inv, tools_start, "get_invoice", &a, &conv.facts, false);
    let (_, end_b, resp_b) = t.tool(
        g,
        inv,
        tools_start + ms(0.4),
        "lookup_order",
        &b,
        &conv.facts,
        false,
    );
    let tools_end = end_a.max(end_b);
    // The broken request: text before the results, and B before A.
    let mut bad = conv.history.clone();
    bad.push(json!({"role": "user", "parts": [
        {"type": "text", "content": "(customer is waiting) please hurry"},
        c::tool_response_part(&b, &resp_b),
        c::tool_response_part(&a, &resp_a),
    ]}));
    let err = tool_result_missing(g, call_index, &[&a, &b]);
    let failed = t.chat(
        g,
        &agent_chat(inv, tools_end + ms(2.0), &bad),
        Outcome::Err(err),
    );
    // Repaired: the results first, in call order, then the text.
    conv.history.push(c::tool_message(&a, &resp_a));
    conv.history.push(c::tool_message(&b, &resp_b));
    conv.history
        .push(c::user("(customer is waiting) please hurry"));
    let repair_start = failed.end + g.dur_ms(30.0, 0.3, 10.0, 80.0);
    let text = format!(
        "{} was charged twice and order {} is delayed at the UPS depot; I have refunded the duplicate charge.",
        conv.facts.invoice, conv.facts.order
    );
    let msg = c::assistant_text(&text);
    let repaired = t.chat(
        g,
        &agent_chat(inv, repair_start, &conv.history),
        Outcome::Ok {
            output: c::output(msg.clone(), "stop"),
            finish: CLAUDE.stop,
            eval: None,
        },
    );
    conv.history.push(msg);
    close_turn(g, &mut t, conv, root, inv, repaired.end, 200);
    let ooo = OutOfOrder {
        file: INCIDENT_FILE.to_owned(),
        conversation_id: conv.id.clone(),
        trace_id: hex_lower(&t.trace_id),
        failed_span_id: hex_lower(&failed.span_id),
        repaired_span_id: hex_lower(&repaired.span_id),
        tool_call_message_index: call_index,
        tool_call_ids: vec![a, b],
        http_status: 400,
    };
    (t, ooo)
}

fn agent_chat<'a>(parent: crate::model::SpanId, start: u64, input: &'a [Value]) -> Chat<'a> {
    Chat {
        model: &CLAUDE,
        parent,
        start,
        system: Some(c::AGENT_SYSTEM),
        input,
        output_type: None,
        resend_count: None,
        max_tokens: 1024,
    }
}

/// The refund tool times out, the agent drops its result, and the same invalid request is sent 8
/// times back to back. Returns the trace, the chain, and the dropped tool call (id, response).
fn storm_turn(
    g: &mut Gen,
    conv: &mut Conversation,
    start: u64,
    truth: &mut Truth,
) -> (TraceB, RetryChain, (String, Value)) {
    let (mut t, root, inv, cursor) = open_turn(g, conv, start);
    conv.history
        .push(c::user("Yes, please go ahead with the refund."));
    let call = g.toolu_id();
    let call_index = conv.history.len();
    let before = conv.history.len();
    let mut cursor = tool_round(
        g,
        &mut t,
        conv,
        inv,
        cursor,
        &[("refund_payment", call.clone())],
        truth,
        &[0],
    );
    // The agent's bug: the failed tool's result is dropped from the history.
    let dropped_response = if conv.history.len() > before + 1 {
        conv.history
            .pop()
            .and_then(|m| m.pointer("/parts/0/response").cloned())
            .unwrap_or(Value::Null)
    } else {
        Value::Null
    };
    let mut input = conv.history.clone();
    input.push(c::user("Also, can you email me the receipt?"));
    let mut ids = Vec::new();
    let mut waits_ms = Vec::new();
    let mut wasted = 0;
    let mut end = cursor;
    for attempt in 0..8 {
        let err = tool_result_missing(g, call_index, &[&call]);
        let done = t.chat(g, &agent_chat(inv, cursor, &input), Outcome::Err(err));
        ids.push(hex_lower(&done.span_id));
        wasted += done.input_tokens;
        end = done.end;
        if attempt < 7 {
            let wait = ms(1.0 + g.f64() * 3.0);
            waits_ms.push(wait as f64 / 1e6);
            cursor = done.end + wait;
        }
    }
    let message = "BadRequestError: invalid_request_error after 8 attempts";
    t.fail(inv, message);
    if let Some(sp) = t.get_mut(inv) {
        sp.attributes.push(s("error.type", "BadRequestError"));
    }
    close_turn(g, &mut t, conv, root, inv, end, 502);
    t.fail(root, "");
    let chain = RetryChain {
        file: INCIDENT_FILE.to_owned(),
        trace_id: hex_lower(&t.trace_id),
        parent_span_id: hex_lower(&inv),
        attempt_span_ids: ids,
        model: CLAUDE.request.to_owned(),
        http_statuses: vec![400; 8],
        waits_ms,
        succeeded: false,
        wasted_input_tokens: wasted,
    };
    conv.history = input;
    (t, chain, (call, dropped_response))
}

/// The user retries: the agent rebuilds the history with the failed tool's error result in
/// place, and the turn succeeds. The new `invoke_agent` links to the storm's first attempt.
fn user_retry_turn(
    g: &mut Gen,
    conv: &mut Conversation,
    start: u64,
    storm: &RetryChain,
    pending: &(String, Value),
    truth: &mut Truth,
) -> TraceB {
    let (mut t, root, inv, cursor) = open_turn(g, conv, start);
    // Insert the tool result right after the assistant's tool call, before the user's text.
    let text = conv.history.pop();
    conv.history.push(c::tool_message(&pending.0, &pending.1));
    if let Some(text) = text {
        conv.history.push(text);
    }
    if let (Some(trace_id), Some(span_id)) = (
        decode_hex::<16>(&storm.trace_id),
        storm
            .attempt_span_ids
            .first()
            .and_then(|s| decode_hex::<8>(s)),
    ) {
        t.link(
            inv,
            SpanLink {
                trace_id,
                span_id,
                flags: 0x101,
                ..SpanLink::default()
            },
        );
    }
    let end = final_answer(g, &mut t, conv, inv, cursor, truth);
    close_turn(g, &mut t, conv, root, inv, end, 200);
    t
}

fn decode_hex<const N: usize>(s: &str) -> Option<[u8; N]> {
    let mut out = [0u8; N];
    if s.len() != 2 * N {
        return None;
    }
    for (k, byte) in out.iter_mut().enumerate() {
        *byte = u8::from_str_radix(s.get(2 * k..2 * k + 2)?, 16).ok()?;
    }
    Some(out)
}
