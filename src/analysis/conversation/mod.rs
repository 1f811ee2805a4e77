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
use crate::store::{SpanFilter, StepSpanRow, Store, StoreError};

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

/// Every conversation with a span that matches the filter, reconstructed and linted, in
/// start order.
pub fn all(store: &Store, filter: &SpanFilter) -> Result<Vec<Conversation>, StoreError> {
    let rows = store.conversation_step_spans(filter)?;
    let mut groups: Vec<(String, Vec<StepSpanRow>)> = Vec::new();
    let mut index: std::collections::HashMap<String, usize> = std::collections::HashMap::new();
    for row in rows {
        let key = key_of(&row);
        match index.get(&key) {
            Some(&i) => {
                if let Some(group) = groups.get_mut(i) {
                    group.1.push(row);
                }
            }
            None => {
                index.insert(key.clone(), groups.len());
                groups.push((key, vec![row]));
            }
        }
    }
    let mut conversations = assemble_all(groups);
    conversations.sort_by(|a, b| {
        let start = |c: &Conversation| c.steps.first().map_or(0, |s| s.start_ns);
        start(a).cmp(&start(b)).then_with(|| a.key.cmp(&b.key))
    });
    Ok(conversations)
}

/// Assembles the groups on up to two threads (the machine this runs on has few cores and the
/// UI thread needs one).
fn assemble_all(groups: Vec<(String, Vec<StepSpanRow>)>) -> Vec<Conversation> {
    const THREADS: usize = 2;
    let total_rows: usize = groups.iter().map(|g| g.1.len()).sum();
    if total_rows < 2_000 {
        return groups
            .into_iter()
            .filter_map(|(key, rows)| assemble(key, &rows))
            .collect();
    }
    // Deal the groups round-robin so both threads get long and short conversations.
    let mut shares: Vec<Vec<(String, Vec<StepSpanRow>)>> =
        (0..THREADS).map(|_| Vec::new()).collect();
    for (i, group) in groups.into_iter().enumerate() {
        if let Some(share) = shares.get_mut(i % THREADS) {
            share.push(group);
        }
    }
    std::thread::scope(|scope| {
        let handles: Vec<_> = shares
            .into_iter()
            .map(|share| {
                scope.spawn(move || {
                    share
                        .into_iter()
                        .filter_map(|(key, rows)| assemble(key, &rows))
                        .collect::<Vec<_>>()
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| match h.join() {
                Ok(conversations) => conversations,
                // A panic here is a bug in the analysis: let it reach the caller.
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}

/// Every conversation the filter's spans belong to, with its counts, in start order.
pub fn list(store: &Store, filter: &SpanFilter) -> Result<Vec<ConversationSummary>, StoreError> {
    Ok(all(store, filter)?.iter().map(summary_of).collect())
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
