//! The Conversations tab driven through egui_kittest (no display), as a person uses it: the
//! replay of a hand-made conversation (keyboard stepping, the finding's highlighted bytes and
//! rule at its step, bad byte ranges and an empty conversation that still draw), then the whole
//! app on the bundled samples: the list and its "Has findings" filter, the out-of-order tool
//! results conversation stepped with the keyboard, and the links to and from the waterfall.

mod common;

use std::ops::Range;
use std::path::PathBuf;

use common::app::{app_on_samples, shows, shows_containing, step_until};
use egui_kittest::Harness;
use egui_kittest::kittest::Queryable as _;
use tracedeck::analysis::conversation::{
    self, Conversation, Dialect, Finding, Message, Part, Payload, Role, Rule, Step, StepKind,
    ToolRun,
};
use tracedeck::model::error_class::ErrorClass;
use tracedeck::model::hex_lower;
use tracedeck::samples::{self, SampleOptions};
use tracedeck::store::{SpanFilter, Store};
use tracedeck::ui::conversations::payload;
use tracedeck::ui::conversations::replay::Replay;
use tracedeck::ui::query::QueryPool;
use tracedeck::ui::{Tab, ViewCtx};

fn text(role: Role, t: &str) -> Message {
    Message {
        role,
        parts: vec![Part::Text { text: t.to_owned() }],
        finish_reason: None,
        raw_range: None,
    }
}

fn step(index: usize, kind: StepKind, request: Vec<Message>, response: Vec<Message>) -> Step {
    let raw_request = serde_json::to_string(
        &request
            .iter()
            .map(|m| {
                let texts: Vec<String> = m
                    .parts
                    .iter()
                    .map(|p| match p {
                        Part::Text { text } => text.clone(),
                        Part::ToolResult { content, .. } => content.clone(),
                        Part::ToolCall { arguments, .. } => arguments.clone(),
                        _ => String::new(),
                    })
                    .collect();
                serde_json::json!({"role": format!("{:?}", m.role).to_lowercase(), "content": texts})
            })
            .collect::<Vec<_>>(),
    )
    .expect("json");
    Step {
        index,
        kind,
        dialect: Dialect::GenAiMessages,
        trace_id: [7; 16],
        span_id: [index as u8 + 1; 8],
        name: match kind {
            StepKind::ModelCall => "chat claude-sonnet-4".to_owned(),
            StepKind::ToolExecution => "execute_tool get_invoice".to_owned(),
        },
        start_ns: 1_795_212_000_000_000_000 + index as i64 * 1_000_000_000,
        dur_ns: 850_000_000,
        model: Some("claude-sonnet-4".to_owned()),
        request,
        response,
        finish_reason: None,
        input_tokens: Some(1200),
        output_tokens: Some(40),
        failed: false,
        status_message: String::new(),
        error_class: ErrorClass::Ok,
        raw_request,
        raw_response: String::new(),
        tool: None,
        system_instructions: None,
        request_cut_at: None,
        response_cut_at: None,
        output_json_declared: false,
        http_status: None,
        exception_messages: Vec::new(),
    }
}

/// Three steps: a question answered with a tool call, the tool run, then a request whose tool
/// result comes after text (the 400), with a finding on it and two findings with bad ranges.
fn hand_made() -> Conversation {
    let question = text(Role::User, "Why was I charged twice on invoice INV-2291?");
    let call = Message {
        role: Role::Assistant,
        parts: vec![Part::ToolCall {
            id: Some("toolu_01".to_owned()),
            name: "get_invoice".to_owned(),
            arguments: r#"{"invoice_id":"INV-2291"}"#.to_owned(),
        }],
        finish_reason: Some("tool_use".to_owned()),
        raw_range: None,
    };
    let first = step(
        0,
        StepKind::ModelCall,
        vec![question.clone()],
        vec![call.clone()],
    );
    let mut tool = step(1, StepKind::ToolExecution, Vec::new(), Vec::new());
    tool.tool = Some(ToolRun {
        name: "get_invoice".to_owned(),
        call_id: Some("toolu_01".to_owned()),
        arguments: Some(r#"{"invoice_id":"INV-2291"}"#.to_owned()),
        result: Some(r#"{"status":"paid","amount":49.0}"#.to_owned()),
    });
    let results = Message {
        role: Role::User,
        parts: vec![
            Part::Text {
                text: "Here is what the tool said.".to_owned(),
            },
            Part::ToolResult {
                id: Some("toolu_01".to_owned()),
                content: "RESULT-OUT-OF-PLACE".to_owned(),
            },
        ],
        finish_reason: None,
        raw_range: None,
    };
    let mut third = step(
        2,
        StepKind::ModelCall,
        vec![question, call, results],
        Vec::new(),
    );
    third.failed = true;
    third.error_class = ErrorClass::Structural;
    third.status_message = "400 invalid_request_error: tool_result blocks must come first".into();
    let at = third
        .raw_request
        .find("RESULT-OUT-OF-PLACE")
        .expect("the result in the payload");
    let finding = |range, detail: &str| Finding {
        rule: Rule::ToolResultOrder,
        step: 2,
        span_id: third.span_id,
        message_index: Some(2),
        payload: Payload::Request,
        byte_range: range,
        detail: detail.to_owned(),
    };
    let findings = vec![
        finding(
            Some(at..at + "RESULT-OUT-OF-PLACE".len()),
            "tool_result blocks must come first in the user message",
        ),
        finding(Some(at + 5..at + 100_000), "a range past the end"),
        finding(Some(Range { start: 3, end: 2 }), "a reversed range"),
    ];
    Conversation {
        key: "conv_hand_made".to_owned(),
        trace_ids: vec![[7; 16]],
        steps: vec![first, tool, third],
        findings,
    }
}

struct ReplayApp {
    pool: QueryPool,
    store_path: PathBuf,
    filter: SpanFilter,
    replay: Replay,
    conversation: Conversation,
}

fn replay_harness(conversation: Conversation) -> (tempfile::TempDir, Harness<'static, ReplayApp>) {
    let (dir, store) = common::temp_store();
    let store_path = store.path().to_owned();
    drop(store);
    let app = ReplayApp {
        pool: QueryPool::new(&store_path, 1).expect("query pool"),
        store_path,
        filter: SpanFilter::default(),
        replay: Replay::default(),
        conversation,
    };
    let harness = Harness::builder()
        .with_size(egui::vec2(1200.0, 1400.0))
        .build_ui_state(
            |ui, app: &mut ReplayApp| {
                let ctx = ViewCtx::new(&app.pool, &app.store_path, &app.filter, 1);
                app.replay.ui(ui, &ctx, &app.conversation);
            },
            app,
        );
    (dir, harness)
}

#[test]
fn keyboard_steps_the_hand_made_replay_and_lights_up_the_finding() {
    let (_guard, mut harness) = replay_harness(hand_made());
    harness.run();
    assert!(shows(&harness, "Step 1 of 3"));
    assert!(shows(
        &harness,
        "Why was I charged twice on invoice INV-2291?"
    ));
    assert!(!shows_containing(&harness, "Tool run"));

    harness.key_press(egui::Key::ArrowRight);
    harness.run();
    assert!(shows(&harness, "Step 2 of 3"));
    assert!(shows(&harness, "Tool run"));
    assert!(shows_containing(&harness, "\"status\": \"paid\""));

    harness.key_press(egui::Key::End);
    harness.run();
    assert!(shows(&harness, "Step 3 of 3"));
    // The finding: its rule, its explanation, and the bytes it points at.
    assert!(shows(&harness, "tool_result_order"));
    assert!(shows(
        &harness,
        "tool_result blocks must come first in the user message"
    ));
    assert!(shows(&harness, "RESULT-OUT-OF-PLACE"));
    // The message the finding is about is marked new since step 1 (the previous model call).
    assert!(shows(&harness, "Here is what the tool said."));
    assert!(shows(&harness, "new"));

    // Raw JSON: the payload with the highlighted range.
    harness.get_by_label("Raw JSON").click();
    harness.run();
    let conv = hand_made();
    let raw = &conv.steps[2].raw_request;
    let pretty = payload::pretty(raw);
    assert!(shows(&harness, &pretty.text));
    let range = conv.findings[0].byte_range.clone().expect("range");
    assert_eq!(
        &pretty.text[pretty.map_range(&range)],
        "RESULT-OUT-OF-PLACE"
    );

    harness.key_press(egui::Key::Home);
    harness.run();
    assert!(shows(&harness, "Step 1 of 3"));
    harness.key_press(egui::Key::ArrowLeft);
    harness.run();
    assert!(shows(&harness, "Step 1 of 3"), "stays on the first step");
}

#[test]
fn space_plays_to_the_end() {
    let (_guard, mut harness) = replay_harness(hand_made());
    harness.run();
    harness
        .get_by_role_and_label(egui::Role::ComboBox, "Speed")
        .click();
    harness.run();
    harness.get_by_label("10 steps/s").click();
    harness.run();
    let speed = harness.get_by_role_and_label(egui::Role::ComboBox, "Speed");
    assert_eq!(speed.value().as_deref(), Some("10 steps/s"));
    harness.key_press(egui::Key::Space);
    harness.step();
    assert!(shows(&harness, "Pause"));
    common::app::step_until(&mut harness, "playing to the last step", |h| {
        shows(h, "Step 3 of 3")
    });
    common::app::step_until(&mut harness, "playing to stop at the end", |h| {
        shows(h, "Play")
    });
}

#[test]
fn empty_and_odd_conversations_draw() {
    let mut empty = hand_made();
    empty.steps.clear();
    let (_guard, mut harness) = replay_harness(empty);
    harness.run();
    harness.key_press(egui::Key::ArrowRight);
    harness.key_press(egui::Key::End);
    harness.run();
    assert!(shows(&harness, "This conversation has no steps to replay."));

    // Findings pointing at steps that do not exist, and a payload with multi-byte characters
    // cut mid-character.
    let mut odd = hand_made();
    odd.steps[2].raw_request = "[\"héllo wörld\"".to_owned();
    for f in &mut odd.findings {
        f.byte_range = Some(3..4);
    }
    odd.findings.push(Finding {
        step: 99,
        ..odd.findings[0].clone()
    });
    let (_guard, mut harness) = replay_harness(odd);
    harness.run();
    harness.key_press(egui::Key::End);
    harness.run();
    harness.get_by_label("Raw JSON").click();
    harness.run();
    assert!(shows_containing(&harness, "héllo"));
}

/// The conversation the samples plant with out-of-order tool results (from the generator's
/// ground truth), its failed and repaired steps, and the index of its `tool_result_order`
/// finding.
struct OutOfOrder {
    conv: Conversation,
    failed_step: usize,
    repaired_step: usize,
    finding: usize,
}

fn out_of_order_conversation(db: &std::path::Path) -> OutOfOrder {
    let dir = tempfile::tempdir().expect("tempdir");
    let truth = samples::generate(&SampleOptions::default(), dir.path())
        .expect("generate")
        .out_of_order;
    let store = Store::open(db).expect("store");
    let conv = conversation::load(&store, &truth.conversation_id)
        .expect("load")
        .expect("the out-of-order conversation");
    let step_of = |span_hex: &str| {
        conv.steps
            .iter()
            .position(|s| hex_lower(&s.span_id) == span_hex)
            .expect("the span is a step")
    };
    let failed_step = step_of(&truth.failed_span_id);
    let repaired_step = step_of(&truth.repaired_span_id);
    let finding = conv
        .findings
        .iter()
        .position(|f| f.rule == Rule::ToolResultOrder && f.step == failed_step)
        .expect("a tool_result_order finding at the failed step");
    OutOfOrder {
        conv,
        failed_step,
        repaired_step,
        finding,
    }
}

fn open_tab(harness: &mut Harness<'static, tracedeck::ui::TracedeckApp>) {
    harness
        .get_by_role_and_label(egui::Role::Tab, "Conversations")
        .click();
    step_until(harness, "the conversations tab", |h| {
        h.state().tab() == Tab::Conversations
    });
}

#[test]
fn samples_list_and_findings_filter() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let all = conversation::list(&store, &SpanFilter::default()).expect("list");
    let with_findings = all.iter().filter(|c| c.findings > 0).count();
    assert!(all.len() > with_findings && with_findings > 0);
    open_tab(&mut harness);
    let total = all.len();
    step_until(&mut harness, "the conversation list", |h| {
        shows(
            h,
            &format!("{total} of {total} conversations, {with_findings} with findings"),
        )
    });
    harness.get_by_label("Has findings").click();
    step_until(&mut harness, "the filtered list", |h| {
        shows(
            h,
            &format!("{with_findings} of {total} conversations, {with_findings} with findings"),
        )
    });

    // Sorting by steps: largest first, then (a second click) smallest first.
    let flagged: Vec<_> = all.iter().filter(|c| c.findings > 0).collect();
    let most = flagged.iter().max_by_key(|c| c.steps).expect("one");
    let fewest = flagged.iter().min_by_key(|c| c.steps).expect("one");
    assert!(
        most.steps > fewest.steps,
        "the samples' flagged conversations differ in length"
    );
    let y = |h: &Harness<'_, _>, key: &str| h.get_by_label(key).rect().top();
    harness
        .get_by_role_and_label(egui::Role::Button, "Steps")
        .click();
    harness.run();
    assert!(y(&harness, &most.key) < y(&harness, &fewest.key));
    harness
        .get_by_role_and_label(egui::Role::Button, "Steps")
        .click();
    harness.run();
    assert!(y(&harness, &most.key) > y(&harness, &fewest.key));
}

#[test]
fn samples_out_of_order_results_replay_and_waterfall_links() {
    let (_guard, db, mut harness) = app_on_samples();
    let OutOfOrder {
        conv,
        failed_step,
        repaired_step,
        finding,
    } = out_of_order_conversation(&db);
    let finding = conv.findings[finding].clone();
    let failed = &conv.steps[failed_step];
    let steps = conv.steps.len();
    let at_step = |i: usize| format!("Step {} of {steps}", i + 1);

    // The overview card opens the list filtered to conversations with findings.
    step_until(&mut harness, "the malformed conversations card", |h| {
        shows(h, "Malformed conversations")
    });
    harness.get_by_label("Malformed conversations").click();
    step_until(&mut harness, "the filtered list", |h| {
        h.state().tab() == Tab::Conversations && shows(h, &conv.key)
    });
    harness.get_by_label(&conv.key).click();
    // It opens at its first finding.
    let first = conv.findings[0].step;
    step_until(&mut harness, "the replay at the first finding", |h| {
        shows(h, &at_step(first))
    });

    // Step with the keyboard from the first step to the failed request.
    harness.key_press(egui::Key::Home);
    step_until(&mut harness, "the first step", |h| shows(h, &at_step(0)));
    let first_question = match conv.steps[0].request.first().and_then(|m| m.parts.first()) {
        Some(Part::Text { text }) => text.clone(),
        other => panic!("the conversation starts with a question, not {other:?}"),
    };
    assert!(shows(&harness, &first_question));
    for i in 1..=failed_step {
        harness.key_press(egui::Key::ArrowRight);
        step_until(&mut harness, "the next step", |h| shows(h, &at_step(i)));
    }
    // The failed step: its 400, the rule, and the highlighted bytes.
    assert!(shows(&harness, "Findings at this step (1)"));
    assert!(shows(&harness, "tool_result_order"));
    assert!(shows(&harness, "HTTP 400") || shows_containing(&harness, "error (structural)"));
    assert!(shows_containing(&harness, "invalid_request_error"));
    let excerpt = tracedeck::ui::conversations::replay::excerpt(failed, &finding)
        .expect("the finding has bytes to highlight");
    assert!(
        shows(&harness, &excerpt),
        "the highlighted bytes: {excerpt}"
    );
    assert!(shows(&harness, "(customer is waiting) please hurry"));

    // The repaired retry: the reordered message is marked changed, the finding is gone.
    assert_eq!(
        repaired_step,
        failed_step + 1,
        "the retry follows the failure"
    );
    harness.key_press(egui::Key::ArrowRight);
    step_until(&mut harness, "the repaired step", |h| {
        shows(h, &at_step(repaired_step))
    });
    assert!(shows(
        &harness,
        &format!("changed since step {}", failed_step + 1)
    ));
    assert!(!shows_containing(&harness, "Findings at this step"));
    assert!(shows(&harness, "repaired tool_result_order"));
    harness.key_press(egui::Key::ArrowLeft);
    step_until(&mut harness, "back at the failed step", |h| {
        shows(h, &at_step(failed_step))
    });

    // Raw JSON: the payload as recorded, re-indented, with the finding's bytes in it.
    harness.get_by_label("Raw JSON").click();
    let pretty = payload::pretty(&failed.raw_request);
    step_until(&mut harness, "the raw payload", |h| shows(h, &pretty.text));
    let range = finding.byte_range.clone().expect("range");
    let shown = &pretty.text[pretty.map_range(&range)];
    let compact: String = shown.split_whitespace().collect();
    let recorded: String = failed.raw_request[range].split_whitespace().collect();
    assert_eq!(compact.replace(':', ""), recorded.replace(':', ""));

    // To the waterfall, with the step's span selected ...
    harness.get_by_label("Open span in waterfall").click();
    step_until(&mut harness, "the failed span in the waterfall", |h| {
        h.state().tab() == Tab::Traces && shows(h, &hex_lower(&failed.span_id))
    });
    assert!(shows(&harness, &hex_lower(&failed.trace_id)));
    // ... and back from its span detail, at the same step.
    harness.get_by_label("Open conversation").click();
    step_until(&mut harness, "the conversation at the span's step", |h| {
        h.state().tab() == Tab::Conversations && shows(h, &at_step(failed_step))
    });
}

#[test]
fn samples_retry_storm_shows_the_same_request_still_broken() {
    let (_guard, db, mut harness) = app_on_samples();
    let store = Store::open(&db).expect("store");
    let all = conversation::list(&store, &SpanFilter::default()).expect("list");
    let storm = all
        .iter()
        .filter(|c| c.first_rule == Some(Rule::ToolResultMissing))
        .max_by_key(|c| c.findings)
        .expect("the samples' storm conversation");
    let conv = conversation::load(&store, &storm.key)
        .expect("load")
        .expect("conversation");
    let flagged: Vec<usize> = conv
        .findings
        .iter()
        .filter(|f| f.rule == Rule::ToolResultMissing)
        .map(|f| f.step)
        .collect();
    let (Some(&first), Some(&second)) = (flagged.first(), flagged.get(1)) else {
        panic!("the storm repeats its broken request");
    };
    let steps = conv.steps.len();
    open_tab(&mut harness);
    harness.get_by_label("Has findings").click();
    step_until(&mut harness, "the storm in the list", |h| {
        shows(h, &conv.key)
    });
    harness.get_by_label(&conv.key).click();
    step_until(&mut harness, "the replay at the first finding", |h| {
        shows(h, &format!("Step {} of {steps}", first + 1))
    });
    for _ in first..second {
        harness.key_press(egui::Key::ArrowRight);
        harness.step();
    }
    step_until(&mut harness, "the retry", |h| {
        shows(h, &format!("Step {} of {steps}", second + 1))
    });
    assert!(shows(&harness, "still broken: tool_result_missing"));
    assert!(shows_containing(&harness, "re-sent unchanged"));
}
