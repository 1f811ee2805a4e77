//! Tool executions: `execute_tool` spans (`gen_ai.tool.name`, `gen_ai.tool.call.id`,
//! `gen_ai.tool.call.arguments`, `gen_ai.tool.call.result`) and OpenInference TOOL spans
//! (`tool.name`, `tool_call.id`, `tool.parameters` / `input.value`, `output.value`).

use super::{Attrs, str_attr, text_of};
use crate::analysis::conversation::model::ToolRun;

/// Whether the span is a tool execution.
pub fn is_tool_span(attrs: &Attrs, operation: Option<&str>, name: &str) -> bool {
    operation == Some("execute_tool")
        || str_attr(attrs, "openinference.span.kind")
            .is_some_and(|k| k.eq_ignore_ascii_case("TOOL"))
        || name.starts_with("execute_tool")
}

/// What the tool span recorded.
pub fn tool_run(attrs: &Attrs, name: &str) -> ToolRun {
    let get = |keys: &[&str]| keys.iter().find_map(|k| attrs.get(*k)).map(text_of);
    let tool_name = get(&["gen_ai.tool.name", "tool.name"])
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| {
            name.strip_prefix("execute_tool")
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .unwrap_or(name)
                .to_owned()
        });
    ToolRun {
        name: tool_name,
        call_id: get(&["gen_ai.tool.call.id", "tool_call.id", "tool.call.id"])
            .map(|s| s.trim().to_owned())
            .filter(|s| !s.is_empty()),
        arguments: get(&[
            "gen_ai.tool.call.arguments",
            "tool.parameters",
            "input.value",
        ]),
        result: get(&["gen_ai.tool.call.result", "output.value"]),
    }
}
