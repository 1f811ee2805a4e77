//! The normalised conversation: what every message dialect is read into, what the payload lint
//! reports, and what the Conversations tab and `tracedeck report` show. Plain data; the
//! reconstruction and the lint live beside this module.

use std::ops::Range;

use crate::model::error_class::ErrorClass;
use crate::model::{SpanId, TraceId};

/// Who sent a message.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Role {
    System,
    User,
    Assistant,
    Tool,
    /// A role the dialect named that is none of the above (kept as written).
    Other(String),
}

impl Role {
    /// Reads a role as dialects spell it (`human`, `ai`, `model`, `developer`, `function`, ...).
    pub fn parse(text: &str) -> Self {
        match text.trim().to_ascii_lowercase().as_str() {
            "system" | "developer" => Role::System,
            "user" | "human" => Role::User,
            "assistant" | "ai" | "model" | "bot" => Role::Assistant,
            "tool" | "function" | "ipython" => Role::Tool,
            _ => Role::Other(text.trim().to_owned()),
        }
    }

    pub fn as_str(&self) -> &str {
        match self {
            Role::System => "system",
            Role::User => "user",
            Role::Assistant => "assistant",
            Role::Tool => "tool",
            Role::Other(name) => name,
        }
    }
}

/// One part of a message's content.
#[derive(Clone, Debug, PartialEq)]
pub enum Part {
    Text {
        text: String,
    },
    /// A tool call the model made; `arguments` is the arguments' text as recorded (JSON that may
    /// not parse: the lint checks it).
    ToolCall {
        id: Option<String>,
        name: String,
        arguments: String,
    },
    /// A tool's result sent back to the model.
    ToolResult {
        id: Option<String>,
        content: String,
    },
    Reasoning {
        text: String,
    },
    /// Any other part type (images, files, ...), with its type and its JSON text.
    Other {
        kind: String,
        raw: String,
    },
}

/// One message of a request or a response.
#[derive(Clone, Debug, PartialEq)]
pub struct Message {
    pub role: Role,
    pub parts: Vec<Part>,
    /// Set on response messages (`stop`, `length`, `tool_calls`, `max_tokens`, ...).
    pub finish_reason: Option<String>,
    /// Where this message sits in its step's raw payload text (request or response), when known.
    pub raw_range: Option<Range<usize>>,
}

/// Which message format the step's span was written in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Dialect {
    /// `gen_ai.input.messages` / `gen_ai.output.messages` / `gen_ai.system_instructions`.
    GenAiMessages,
    /// The older span events `gen_ai.*.message` / `gen_ai.choice`.
    GenAiEvents,
    /// Indexed `gen_ai.prompt.N.*` / `gen_ai.completion.N.*` (OpenLLMetry).
    IndexedPrompt,
    /// OpenInference `llm.input_messages.N.*` / `llm.output_messages.N.*`.
    OpenInference,
    /// A tool execution span (`execute_tool`, OpenInference TOOL).
    ToolSpan,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    ModelCall,
    ToolExecution,
}

/// A tool execution step's facts.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ToolRun {
    pub name: String,
    pub call_id: Option<String>,
    pub arguments: Option<String>,
    pub result: Option<String>,
}

/// One model call or one tool execution.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// 0-based position in the conversation (time order).
    pub index: usize,
    pub kind: StepKind,
    pub dialect: Dialect,
    pub trace_id: TraceId,
    pub span_id: SpanId,
    /// The span's name.
    pub name: String,
    pub start_ns: i64,
    pub dur_ns: i64,
    pub model: Option<String>,
    /// The messages sent (model calls).
    pub request: Vec<Message>,
    /// The messages received (model calls).
    pub response: Vec<Message>,
    pub finish_reason: Option<String>,
    pub input_tokens: Option<i64>,
    pub output_tokens: Option<i64>,
    /// The span's status: true when it ended in error.
    pub failed: bool,
    pub status_message: String,
    pub error_class: ErrorClass,
    /// The request as the span recorded it: the `gen_ai.input.messages` text verbatim, or for
    /// dialects without one JSON payload, a JSON rendering of the messages read from the span.
    /// Finding byte ranges and `Message::raw_range` index into it.
    pub raw_request: String,
    /// The response the same way.
    pub raw_response: String,
    /// Set for tool executions.
    pub tool: Option<ToolRun>,
    /// `gen_ai.system_instructions` as recorded (not part of `request`, so message indices match
    /// the provider's `messages.N`).
    pub system_instructions: Option<String>,
    /// Where the recorded request attribute was cut mid-value (telemetry limit): the byte offset
    /// in `raw_request` of the first incomplete message.
    pub request_cut_at: Option<usize>,
    /// The same for `raw_response`.
    pub response_cut_at: Option<usize>,
    /// The request declared a JSON output (`gen_ai.output.type = json`, a JSON response format).
    pub output_json_declared: bool,
    pub http_status: Option<i64>,
    /// `exception.message` of the span's exception events.
    pub exception_messages: Vec<String>,
}

/// The lint rules (DESIGN.md section 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Rule {
    ToolResultMissing,
    ToolResultOrphan,
    ToolResultOrder,
    ToolArgsInvalidJson,
    OutputInvalidJson,
    OutputTruncated,
    TelemetryTruncated,
    RoleAlternation,
    EmptyMessage,
}

impl Rule {
    pub const ALL: [Rule; 9] = [
        Rule::ToolResultMissing,
        Rule::ToolResultOrphan,
        Rule::ToolResultOrder,
        Rule::ToolArgsInvalidJson,
        Rule::OutputInvalidJson,
        Rule::OutputTruncated,
        Rule::TelemetryTruncated,
        Rule::RoleAlternation,
        Rule::EmptyMessage,
    ];

    /// The rule id as reports and the UI spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Rule::ToolResultMissing => "tool_result_missing",
            Rule::ToolResultOrphan => "tool_result_orphan",
            Rule::ToolResultOrder => "tool_result_order",
            Rule::ToolArgsInvalidJson => "tool_args_invalid_json",
            Rule::OutputInvalidJson => "output_invalid_json",
            Rule::OutputTruncated => "output_truncated",
            Rule::TelemetryTruncated => "telemetry_truncated",
            Rule::RoleAlternation => "role_alternation",
            Rule::EmptyMessage => "empty_message",
        }
    }
}

/// Which raw payload of a step a finding's byte range points into.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Payload {
    Request,
    Response,
}

/// One lint finding.
#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub rule: Rule,
    /// The step's index in its conversation.
    pub step: usize,
    pub span_id: SpanId,
    /// The message the finding is about, in the step's request (or response) messages.
    pub message_index: Option<usize>,
    pub payload: Payload,
    /// The bytes to highlight in the step's raw payload.
    pub byte_range: Option<Range<usize>>,
    /// One line; quotes the provider's error text when the span's own error matches it.
    pub detail: String,
}

/// A whole conversation, its steps in time order, and what the lint found.
#[derive(Clone, Debug, PartialEq)]
pub struct Conversation {
    /// The conversation key (DESIGN.md), or the trace id in hex when the spans name none.
    pub key: String,
    pub trace_ids: Vec<TraceId>,
    pub steps: Vec<Step>,
    pub findings: Vec<Finding>,
}

/// One row of the conversation list.
#[derive(Clone, Debug, PartialEq)]
pub struct ConversationSummary {
    pub key: String,
    pub start_ns: i64,
    pub end_ns: i64,
    pub steps: usize,
    pub findings: usize,
    /// Steps that ended in error.
    pub errors: usize,
    pub trace_ids: Vec<TraceId>,
    /// The first finding's rule, for the list's "what broke" column.
    pub first_rule: Option<Rule>,
}
