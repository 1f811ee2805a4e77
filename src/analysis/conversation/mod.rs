//! Conversations (issue 5): reconstruction of LLM conversations from every message dialect
//! (`dialects`, `reconstruct`), grouping by conversation key (DESIGN.md section 4: the span's
//! `session.id`, `gen_ai.conversation.id` or `langfuse.session.id`, else its trace's, else the
//! trace itself), steps in time order, and the payload lint (`lint`). The UI and the report go
//! through [`list`], [`load`] and [`locate_span`].

pub mod dialects;
pub mod json_scan;
pub mod lint;
pub mod model;
pub mod reconstruct;

pub use model::{
    Conversation, ConversationSummary, Dialect, Finding, Message, Part, Payload, Role, Rule, Step,
    StepKind, ToolRun,
};

use crate::model::{SpanId, TraceId, hex_lower};
use std::collections::HashMap;
use std::sync::mpsc;

use crate::store::{SpanFilter, StepRef, StepSpanRow, Store, StoreError};

/// The conversation key of a step span: its resolved key, else its trace in hex.
fn key_of(row: &StepSpanRow) -> String {
    row.conversation_key
        .clone()
        .unwrap_or_else(|| hex_lower(&row.trace_id))
}

/// Builds a conversation from its step spans (in start order): steps numbered, findings linted.
pub fn assemble(key: String, rows: &[StepSpanRow]) -> Option<Conversation> {
    let mut cache = dialects::MessageCache::default();
    let mut steps: Vec<Step> = rows
        .iter()
        .filter_map(|row| reconstruct::step_with_cache(row, &mut cache))
        .collect();
    if steps.is_empty() {
        return None;
    }
    steps.sort_by_key(|s| s.start_ns);
    let mut trace_ids: Vec<TraceId> = Vec::new();
    for (i, step) in steps.iter_mut().enumerate() {
        step.index = i;
        if !trace_ids.contains(&step.trace_id) {
            trace_ids.push(step.trace_id);
        }
    }
    let findings = lint::lint(&steps);
    Some(Conversation {
        key,
        trace_ids,
        steps,
        findings,
    })
}

fn summary_of(conversation: &Conversation) -> ConversationSummary {
    let steps = &conversation.steps;
    ConversationSummary {
        key: conversation.key.clone(),
        start_ns: steps.first().map_or(0, |s| s.start_ns),
        end_ns: steps
            .iter()
            .map(|s| s.start_ns.saturating_add(s.dur_ns))
            .max()
            .unwrap_or(0),
        steps: steps.len(),
        findings: conversation.findings.len(),
        errors: steps.iter().filter(|s| s.failed).count(),
        trace_ids: conversation.trace_ids.clone(),
        first_rule: conversation.findings.first().map(|f| f.rule),
    }
}

/// Reconstructs and lints every conversation with a span that matches the filter, and maps each
/// with `map` (dropping `None`). The store is read on the calling thread one conversation at a
/// time while two worker threads reconstruct, so memory holds a few conversations' payloads,
/// never all of them. Results come in no particular order.
pub fn map_conversations<T: Send>(
    store: &Store,
    filter: &SpanFilter,
    map: impl Fn(Conversation) -> Option<T> + Sync,
) -> Result<Vec<T>, StoreError> {
    const WORKERS: usize = 2;
    let refs = store.conversation_step_refs(filter)?;
    let mut groups: Vec<(String, Vec<StepRef>)> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for r in refs {
        let key = r.key();
        match index.get(&key) {
            Some(&i) => {
                if let Some(group) = groups.get_mut(i) {
                    group.1.push(r);
                }
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![r]));
            }
        }
    }
    let map = &map;
    std::thread::scope(|scope| {
        let mut senders = Vec::with_capacity(WORKERS);
        let mut handles = Vec::with_capacity(WORKERS);
        for _ in 0..WORKERS {
            let (tx, rx) = mpsc::sync_channel::<(String, Vec<StepSpanRow>)>(2);
            senders.push(tx);
            handles.push(scope.spawn(move || {
                rx.iter()
                    .filter_map(|(key, rows)| assemble(key, &rows))
                    .filter_map(map)
                    .collect::<Vec<T>>()
            }));
        }
        let mut read = Ok(());
        for (i, (key, refs)) in groups.into_iter().enumerate() {
            let rows = match store.step_spans(&refs) {
                Ok(rows) => rows,
                Err(e) => {
                    read = Err(e);
                    break;
                }
            };
            let Some(tx) = senders.get(i % WORKERS) else {
                break;
            };
            if tx.send((key, rows)).is_err() {
                break;
            }
        }
        drop(senders);
        let mut out = Vec::new();
        for handle in handles {
            match handle.join() {
                Ok(found) => out.extend(found),
                // A panic here is a bug in the analysis: let it reach the caller.
                Err(panic) => std::panic::resume_unwind(panic),
            }
        }
        read.map(|()| out)
    })
}

fn start_of(c: &Conversation) -> i64 {
    c.steps.first().map_or(0, |s| s.start_ns)
}

/// Every conversation with a span that matches the filter, reconstructed and linted, in
/// start order. Holds every payload in memory: prefer [`list`] or [`map_conversations`].
pub fn all(store: &Store, filter: &SpanFilter) -> Result<Vec<Conversation>, StoreError> {
    let mut conversations = map_conversations(store, filter, Some)?;
    conversations.sort_by(|a, b| {
        start_of(a)
            .cmp(&start_of(b))
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok(conversations)
}

/// How many conversations the filter's spans belong to, and those with a finding, in start
/// order.
pub fn with_findings(
    store: &Store,
    filter: &SpanFilter,
) -> Result<(usize, Vec<Conversation>), StoreError> {
    let seen = map_conversations(store, filter, |c| {
        Some((!c.findings.is_empty()).then_some(c))
    })?;
    let count = seen.len();
    let mut found: Vec<Conversation> = seen.into_iter().flatten().collect();
    found.sort_by(|a, b| {
        start_of(a)
            .cmp(&start_of(b))
            .then_with(|| a.key.cmp(&b.key))
    });
    Ok((count, found))
}

/// Every conversation the filter's spans belong to, with its counts, in start order.
pub fn list(store: &Store, filter: &SpanFilter) -> Result<Vec<ConversationSummary>, StoreError> {
    let mut summaries = map_conversations(store, filter, |c| Some(summary_of(&c)))?;
    summaries.sort_by(|a, b| a.start_ns.cmp(&b.start_ns).then_with(|| a.key.cmp(&b.key)));
    Ok(summaries)
}

/// One conversation, reconstructed and linted; `None` when no span has this key.
pub fn load(store: &Store, key: &str) -> Result<Option<Conversation>, StoreError> {
    let rows: Vec<StepSpanRow> = store
        .conversation_spans(key)?
        .into_iter()
        .filter(|r| key_of(r) == key)
        .collect();
    Ok(assemble(key.to_owned(), &rows))
}

/// The conversation key a span belongs to and its step index there (a span that is not a
/// step, such as the agent span around the calls, gives the first step of its trace).
pub fn locate_span(
    store: &Store,
    trace_id: &TraceId,
    span_id: &SpanId,
) -> Result<Option<(String, usize)>, StoreError> {
    let Some(key) = store.span_conversation_key(trace_id, span_id)? else {
        return Ok(None);
    };
    let key = key.unwrap_or_else(|| hex_lower(trace_id));
    let Some(conversation) = load(store, &key)? else {
        return Ok(None);
    };
    let step = conversation
        .steps
        .iter()
        .find(|s| s.span_id == *span_id && s.trace_id == *trace_id)
        .or_else(|| conversation.steps.iter().find(|s| s.trace_id == *trace_id))
        .map(|s| s.index);
    Ok(step.map(|index| (key, index)))
}
