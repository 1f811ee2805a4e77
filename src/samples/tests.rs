//! Tests of the sample generator: determinism, sizes, and that the manifest's ground truth matches
//! what the files hold (checked by reading the OTLP/JSON back as plain JSON).

use std::collections::{HashMap, HashSet};
use std::path::Path;

use serde_json::Value;

use super::*;

fn small(seed: u64) -> SampleOptions {
    SampleOptions {
        spans: 900,
        seed,
        ..SampleOptions::default()
    }
}

/// Every span of an OTLP/JSON Lines file, as JSON objects.
fn spans_of(path: &Path) -> anyhow::Result<Vec<Value>> {
    let text = fs::read_to_string(path)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let req: Value = serde_json::from_str(line)?;
        for rs in req["resourceSpans"].as_array().into_iter().flatten() {
            for ss in rs["scopeSpans"].as_array().into_iter().flatten() {
                out.extend(ss["spans"].as_array().into_iter().flatten().cloned());
            }
        }
    }
    Ok(out)
}

fn attr<'a>(span: &'a Value, key: &str) -> Option<&'a Value> {
    span["attributes"]
        .as_array()?
        .iter()
        .find(|kv| kv["key"] == key)
        .map(|kv| &kv["value"])
}

fn attr_str<'a>(span: &'a Value, key: &str) -> Option<&'a str> {
    attr(span, key)?.get("stringValue")?.as_str()
}

fn attr_int(span: &Value, key: &str) -> Option<i64> {
    attr(span, key)?.get("intValue")?.as_str()?.parse().ok()
}

fn ns(v: &Value) -> u64 {
    v.as_str().and_then(|s| s.parse().ok()).unwrap_or(0)
}

#[test]
fn same_seed_same_bytes_other_seed_other_bytes() -> anyhow::Result<()> {
    let a = tempfile::tempdir()?;
    let b = tempfile::tempdir()?;
    let c = tempfile::tempdir()?;
    let ma = generate(&small(5), a.path())?;
    let mb = generate(&small(5), b.path())?;
    generate(&small(6), c.path())?;
    assert_eq!(ma, mb);
    for name in [AGENT_FILE, INCIDENT_FILE, PREDICTIONS_FILE, README_FILE] {
        let x = fs::read(a.path().join(name))?;
        assert!(!x.is_empty(), "{name} is empty");
        assert_eq!(x, fs::read(b.path().join(name))?, "{name} differs");
        if name != README_FILE {
            assert_ne!(x, fs::read(c.path().join(name))?, "{name} ignores the seed");
        }
    }
    Ok(())
}

#[test]
fn default_samples_match_their_manifest() -> anyhow::Result<()> {
    let dir = tempfile::tempdir()?;
    let opts = SampleOptions::default();
    let m = generate(&opts, dir.path())?;

    let total_bytes: u64 = m.files.iter().map(|f| f.bytes).sum();
    assert!(total_bytes < 5_000_000, "samples take {total_bytes} bytes");
    assert!(
        m.total_spans.abs_diff(opts.spans) < opts.spans / 10,
        "{} spans for {} asked",
        m.total_spans,
        opts.spans
    );

    let mut spans = spans_of(&dir.path().join(AGENT_FILE))?;
    assert_eq!(spans.len(), m.file(AGENT_FILE).map_or(0, |f| f.spans));
    let incident = spans_of(&dir.path().join(INCIDENT_FILE))?;
    assert_eq!(incident.len(), m.file(INCIDENT_FILE).map_or(0, |f| f.spans));
    spans.extend(incident);
    assert_eq!(spans.len(), m.total_spans);
    let by_id: HashMap<&str, &Value> = spans
        .iter()
        .filter_map(|s| Some((s["spanId"].as_str()?, s)))
        .collect();
    assert_eq!(by_id.len(), spans.len(), "span ids are unique");
    let traces: HashSet<&str> = spans.iter().filter_map(|s| s["traceId"].as_str()).collect();
    assert_eq!(traces.len(), m.total_traces);

    // Every span lies in the night (give or take a minute), ends after it starts, and its parent
    // is in the same trace.
    for s in &spans {
        let (start, end) = (ns(&s["startTimeUnixNano"]), ns(&s["endTimeUnixNano"]));
        assert!(start >= m.start_unix_ns && end >= start);
        assert!(end <= m.night_end_unix_ns + 15 * 60 * 1_000_000_000);
        if let Some(p) = s["parentSpanId"].as_str() {
            let parent = by_id.get(p).ok_or_else(|| anyhow::anyhow!("orphan {s}"))?;
            assert_eq!(parent["traceId"], s["traceId"]);
        }
    }

    // Conversations: distinct keys, session.id first.
    let keys: HashSet<&str> = spans
        .iter()
        .filter_map(|s| attr_str(s, "session.id").or_else(|| attr_str(s, "gen_ai.conversation.id")))
        .collect();
    assert_eq!(keys.len(), m.conversations);

    // (a) the 429 chain.
    let chain = &m.rate_limit_chain;
    assert_eq!(chain.http_statuses, vec![429, 429, 429, 200]);
    let attempts: Vec<&Value> = chain
        .attempt_span_ids
        .iter()
        .filter_map(|id| by_id.get(id.as_str()).copied())
        .collect();
    assert_eq!(attempts.len(), 4);
    for (k, a) in attempts.iter().enumerate() {
        assert_eq!(a["name"], "chat gpt-4o");
        assert_eq!(
            a["parentSpanId"].as_str(),
            Some(chain.parent_span_id.as_str())
        );
        assert_eq!(attr_int(a, "http.request.resend_count"), Some(k as i64));
        if k < 3 {
            assert_eq!(a["status"]["code"], 2);
            assert_eq!(attr_int(a, "http.response.status_code"), Some(429));
            assert_eq!(attr_str(a, "error.type"), Some("RateLimitError"));
            let msg = a["status"]["message"].as_str().unwrap_or("");
            assert!(msg.starts_with(
                "Error code: 429 - {'error': {'message': 'Rate limit reached for gpt-4o"
            ));
            assert!(msg.contains("'code': 'rate_limit_exceeded'"));
            let wait = ns(&attempts[k + 1]["startTimeUnixNano"]) - ns(&a["endTimeUnixNano"]);
            assert!((wait as f64 / 1e6 - chain.waits_ms[k]).abs() < 0.001);
        } else {
            assert!(a["status"].get("code").is_none());
        }
    }
    assert!(chain.waits_ms.windows(2).all(|w| w[1] > 1.5 * w[0]));

    // (b) the 400 storm.
    let storm = &m.invalid_request_storm;
    assert_eq!(storm.attempt_span_ids.len(), 8);
    assert!(storm.waits_ms.iter().all(|w| *w < 5.0));
    assert!(!storm.succeeded);
    let mut inputs = HashSet::new();
    let mut tokens = 0;
    for id in &storm.attempt_span_ids {
        let a = by_id
            .get(id.as_str())
            .ok_or_else(|| anyhow::anyhow!("no {id}"))?;
        assert_eq!(a["name"], "chat claude-sonnet-4");
        assert_eq!(
            a["parentSpanId"].as_str(),
            Some(storm.parent_span_id.as_str())
        );
        assert_eq!(attr_int(a, "http.response.status_code"), Some(400));
        let msg = a["status"]["message"].as_str().unwrap_or("");
        assert!(msg.contains("'type': 'invalid_request_error'"), "{msg}");
        assert!(msg.contains(
            "`tool_use` ids were found without `tool_result` blocks immediately after: toolu_01"
        ));
        inputs.insert(attr_str(a, "gen_ai.input.messages").unwrap_or(""));
        tokens += attr_int(a, "gen_ai.usage.input_tokens").unwrap_or(0);
    }
    assert_eq!(inputs.len(), 1, "the same request every time");
    assert_eq!(tokens, storm.wasted_input_tokens);
    // The user's retry links back to the first attempt.
    assert!(spans.iter().any(|s| {
        s["links"]
            .as_array()
            .into_iter()
            .flatten()
            .any(|l| l["spanId"].as_str() == storm.attempt_span_ids.first().map(String::as_str))
    }));
    // Only the storm has 5 attempts or more.
    let storms: Vec<_> = m
        .retry_chains
        .iter()
        .filter(|c| c.attempt_span_ids.len() >= 5)
        .collect();
    assert_eq!(storms, vec![storm]);

    // (c) structured outputs: recount from the files.
    let mut declared = 0;
    let mut invalid = 0;
    let mut eval = (0, 0);
    for s in &spans {
        if attr_str(s, "gen_ai.output.type") != Some("json") {
            continue;
        }
        declared += 1;
        let out: Value = serde_json::from_str(attr_str(s, "gen_ai.output.messages").unwrap_or(""))?;
        let text = out[0]["parts"][0]["content"].as_str().unwrap_or("");
        if serde_json::from_str::<Value>(text).is_err() {
            invalid += 1;
        }
        for e in s["events"].as_array().into_iter().flatten() {
            if e["name"] == "gen_ai.evaluation.result" {
                match attr_str(e, "gen_ai.evaluation.score.label") {
                    Some("pass") => eval.0 += 1,
                    _ => eval.1 += 1,
                }
            }
        }
    }
    let so = &m.structured_outputs;
    assert_eq!((declared, invalid), (so.declared_json, so.invalid_json));
    assert_eq!(eval, (so.eval_pass, so.eval_fail));
    assert!(declared >= 30, "{declared} structured outputs");
    let rate = invalid as f64 / declared as f64;
    assert!((0.02..0.16).contains(&rate), "invalid rate {rate}");

    // (d) the out-of-order conversation.
    let ooo = &m.out_of_order;
    let failed = by_id
        .get(ooo.failed_span_id.as_str())
        .ok_or_else(|| anyhow::anyhow!("no failed span"))?;
    assert_eq!(
        attr_str(failed, "gen_ai.conversation.id"),
        Some(ooo.conversation_id.as_str())
    );
    let input: Value =
        serde_json::from_str(attr_str(failed, "gen_ai.input.messages").unwrap_or(""))?;
    let call_msg = &input[ooo.tool_call_message_index];
    assert_eq!(call_msg["role"], "assistant");
    assert_eq!(
        call_msg["parts"][0]["id"].as_str(),
        ooo.tool_call_ids.first().map(String::as_str)
    );
    let next = &input[ooo.tool_call_message_index + 1]["parts"];
    assert_eq!(next[0]["type"], "text");
    assert_eq!(
        next[1]["id"].as_str(),
        ooo.tool_call_ids.get(1).map(String::as_str)
    );
    assert_eq!(
        next[2]["id"].as_str(),
        ooo.tool_call_ids.first().map(String::as_str)
    );
    let msg = failed["status"]["message"].as_str().unwrap_or("");
    assert!(msg.contains(&format!(
        "messages.{}: `tool_use` ids",
        ooo.tool_call_message_index
    )));

    // Exceptions and links.
    let exc = spans
        .iter()
        .filter(|s| {
            s["events"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|e| e["name"] == "exception")
        })
        .count();
    assert_eq!(exc, m.exception_spans);
    let linked = spans.iter().filter(|s| s.get("links").is_some()).count();
    assert_eq!(linked, m.spans_with_links);
    assert!(linked >= 2);

    // Predictions: drift in amount and country, versions switch.
    let text = fs::read_to_string(dir.path().join(PREDICTIONS_FILE))?;
    let rows: Vec<Value> = text
        .lines()
        .map(serde_json::from_str)
        .collect::<Result<_, _>>()?;
    let p = &m.predictions;
    assert_eq!(rows.len(), p.rows);
    assert!((2700..3300).contains(&p.rows));
    assert!(p.amount_mean_current > 1.5 * p.amount_mean_reference);
    let ng = |shares: &BTreeMap<String, f64>| shares.get("NG").copied().unwrap_or(0.0);
    assert!(ng(&p.country_share_current) > ng(&p.country_share_reference) + 0.1);
    assert!(p.skew_rows > 0);
    let versions: HashSet<(&str, &str)> = rows
        .iter()
        .filter_map(|r| {
            Some((
                r["model_version"].as_str()?,
                r["pipeline_version"].as_str()?,
            ))
        })
        .collect();
    assert_eq!(versions.len(), 3);
    assert_eq!(rows[0]["model"], "fraud-scorer");
    assert!(rows[0]["features"]["amount"].is_f64());
    Ok(())
}

#[test]
fn bench_spans_are_realistic() {
    let blocks = generate_bench_spans(5000, 3);
    let spans: Vec<&crate::model::Span> = blocks
        .iter()
        .flat_map(|b| b.scope_spans.iter().flat_map(|s| s.spans.iter()))
        .collect();
    assert_eq!(spans.len(), 5000);
    assert!(
        spans
            .iter()
            .all(|s| (10..=30).contains(&s.attributes.len()))
    );
    let services: HashSet<&str> = blocks.iter().map(|b| b.resource.service_name()).collect();
    assert!(services.len() >= 5);
    assert!(spans.iter().any(|s| !s.events.is_empty()));
    assert!(spans.iter().any(|s| !s.links.is_empty()));
    let mut per_trace: HashMap<[u8; 16], usize> = HashMap::new();
    for s in &spans {
        *per_trace.entry(s.trace_id).or_default() += 1;
    }
    // Every trace but possibly the last (cut to the requested total) has 5-50 spans.
    let sizes_ok = per_trace.values().filter(|n| (5..=50).contains(*n)).count();
    assert!(sizes_ok + 1 >= per_trace.len());
    assert_eq!(generate_bench_spans(300, 9), generate_bench_spans(300, 9));
}
