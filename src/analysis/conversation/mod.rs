//! Conversations (issue 5, being built): reconstruction of LLM conversations from every message
//! dialect, and the payload lint. The UI and the report go through the functions here.

pub mod model;

pub use model::{
    Conversation, ConversationSummary, Dialect, Finding, Message, Part, Payload, Role, Rule, Step,
    StepKind, ToolRun,
};

use crate::model::{SpanId, TraceId};
use crate::store::{SpanFilter, Store, StoreError};

/// Every conversation the filter's spans belong to, with its counts, in start order.
pub fn list(_store: &Store, _filter: &SpanFilter) -> Result<Vec<ConversationSummary>, StoreError> {
    Ok(Vec::new())
}

/// One conversation, reconstructed and linted; `None` when no span has this key.
pub fn load(_store: &Store, _key: &str) -> Result<Option<Conversation>, StoreError> {
    Ok(None)
}

/// The conversation key a span belongs to and its step index there.
pub fn locate_span(
    _store: &Store,
    _trace_id: &TraceId,
    _span_id: &SpanId,
) -> Result<Option<(String, usize)>, StoreError> {
    Ok(None)
}
