//! The span detail panel: one span in full (name, kind, service, times, status, ids with copy
//! buttons, attributes with long JSON values as collapsible trees, events, links that open their
//! trace, resource and scope). Fetched through the query pool; attribute JSON is parsed on the
//! query thread, so a frame only draws.

use std::sync::Arc;

use egui::{Color32, RichText, Ui};

use super::json_tree::{self, JsonNode};
use super::query::Query;
use super::{Nav, ViewCtx, format};
use crate::model::{Anomalies, SpanId, TraceId, hex_lower};
use crate::store::{EventRow, LinkRow, SpanDetail};

/// String values longer than this that hold JSON are shown as a tree.
const JSON_TREE_MIN_LEN: usize = 40;

/// One attribute, ready to draw.
#[derive(Clone, Debug, PartialEq)]
pub struct Attr {
    pub key: String,
    pub value: AttrValue,
}

#[derive(Clone, Debug, PartialEq)]
pub enum AttrValue {
    /// A scalar, as text.
    Text(String),
    /// A structured value (an array or object, or a string that holds one).
    Json(JsonNode),
}

/// A fetched span with its attribute lists parsed.
#[derive(Clone, Debug)]
pub struct PreparedDetail {
    pub detail: SpanDetail,
    pub attributes: Vec<Attr>,
    pub events: Vec<(EventRow, Vec<Attr>)>,
    pub links: Vec<(LinkRow, Vec<Attr>)>,
    pub resource: Vec<Attr>,
    pub scope: Vec<Attr>,
}

/// Parses a stored attribute object (`{"key": value}`) into rows, keeping key order.
pub fn parse_attributes(json_text: &str) -> Vec<Attr> {
    let Some(JsonNode::Object(entries)) = json_tree::parse(json_text) else {
        return if json_text.trim().is_empty() || json_text.trim() == "{}" {
            Vec::new()
        } else {
            vec![Attr {
                key: "(unreadable attributes)".to_owned(),
                value: AttrValue::Text(json_text.to_owned()),
            }]
        };
    };
    entries
        .into_iter()
        .map(|(key, node)| {
            let value = match node {
                JsonNode::String(s) => AttrValue::Text(s),
                JsonNode::Embedded(raw, inner) => {
                    if raw.len() >= JSON_TREE_MIN_LEN {
                        AttrValue::Json(*inner)
                    } else {
                        AttrValue::Text(raw)
                    }
                }
                JsonNode::Array(_) | JsonNode::Object(_) => AttrValue::Json(node),
                other => AttrValue::Text(other.summary()),
            };
            Attr { key, value }
        })
        .collect()
}

impl PreparedDetail {
    pub fn new(detail: SpanDetail) -> Self {
        let attributes = parse_attributes(&detail.attributes);
        let events = detail
            .events
            .iter()
            .map(|e| (e.clone(), parse_attributes(&e.attributes)))
            .collect();
        let links = detail
            .links
            .iter()
            .map(|l| (l.clone(), parse_attributes(&l.attributes)))
            .collect();
        let resource = parse_attributes(&detail.resource_attributes);
        let scope = parse_attributes(&detail.scope_attributes);
        Self {
            detail,
            attributes,
            events,
            links,
            resource,
            scope,
        }
    }
}

/// What the user asked the detail panel for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DetailAction {
    /// Close the panel (deselect the span).
    Close,
    /// Select another span of the same trace (the parent).
    Select(SpanId),
}

type DetailKey = (TraceId, SpanId, u64);

/// Shows one span in full.
#[derive(Default)]
pub struct SpanDetailView {
    target: Option<(TraceId, SpanId)>,
    query: Query<DetailKey, Option<Arc<PreparedDetail>>>,
    /// The trace's predictions (issue 6), each opening in the Drift tab.
    predictions: super::drift::TracePredictions,
}

impl SpanDetailView {
    /// Which span to show (`None` shows nothing).
    pub fn set_target(&mut self, target: Option<(TraceId, SpanId)>) {
        self.target = target;
    }

    pub fn target(&self) -> Option<(TraceId, SpanId)> {
        self.target
    }

    /// The loaded detail, when it is the target's.
    pub fn loaded(&self) -> Option<&PreparedDetail> {
        let (trace_id, span_id) = self.target?;
        self.query
            .value()?
            .as_deref()
            .filter(|p| p.detail.trace_id == trace_id && p.detail.span_id == span_id)
    }

    /// Draws the panel; returns what the user asked for.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewCtx) -> Option<DetailAction> {
        let (trace_id, span_id) = self.target?;
        self.query.ensure(
            ctx.queries,
            ui.ctx(),
            (trace_id, span_id, ctx.generation),
            move |store| {
                Ok(store
                    .span_detail(&trace_id, &span_id)?
                    .map(|d| Arc::new(PreparedDetail::new(d))))
            },
        );
        if let Some(error) = self.query.error() {
            ui.colored_label(Color32::RED, format!("Could not load the span: {error}"));
            return None;
        }
        let prepared = self
            .query
            .value()
            .and_then(|v| v.clone())
            .filter(|p| p.detail.trace_id == trace_id && p.detail.span_id == span_id);
        let Some(prepared) = prepared else {
            if self.query.is_loading() {
                ui.horizontal(|ui| {
                    ui.spinner();
                    ui.label("Loading span…");
                });
            } else if self.query.value().is_some_and(Option::is_none) {
                ui.label(format!("Span {} is not in the store.", hex_lower(&span_id)));
            }
            return None;
        };
        let mut action = None;
        egui::ScrollArea::vertical()
            .id_salt("span_detail_scroll")
            .auto_shrink([false, false])
            .show(ui, |ui| {
                self.predictions.ui(ui, ctx, trace_id);
                action = draw(ui, ctx, &prepared);
            });
        action
    }
}

fn draw(ui: &mut Ui, ctx: &ViewCtx, p: &PreparedDetail) -> Option<DetailAction> {
    let d = &p.detail;
    let mut action = None;
    ui.horizontal(|ui| {
        ui.add(egui::Label::new(RichText::new(&d.name).heading().strong()).wrap());
        ui.with_layout(egui::Layout::right_to_left(egui::Align::Center), |ui| {
            if ui
                .button("Close")
                .on_hover_text("Close the span detail")
                .clicked()
            {
                action = Some(DetailAction::Close);
            }
        });
    });
    let is_error = d.status == "error";
    egui::Grid::new("span_detail_summary")
        .num_columns(2)
        .spacing([12.0, 4.0])
        .show(ui, |ui| {
            field(ui, "Service", &d.service);
            field(ui, "Kind", &d.kind);
            field(ui, "Start", &format::time_ns(d.start_ns));
            field(
                ui,
                "Duration",
                &format::duration_ns(d.end_ns.saturating_sub(d.start_ns)),
            );
            ui.label(RichText::new("Status").weak());
            let status = RichText::new(&d.status);
            ui.label(if is_error {
                status.color(Color32::from_rgb(220, 50, 47)).strong()
            } else {
                status
            });
            ui.end_row();
            id_field(ui, "Trace ID", &hex_lower(&d.trace_id));
            id_field(ui, "Span ID", &hex_lower(&d.span_id));
            if let Some(parent) = d.parent_span_id {
                ui.label(RichText::new("Parent ID").weak());
                ui.horizontal(|ui| {
                    copyable(ui, &hex_lower(&parent));
                    if parent != d.span_id
                        && ui
                            .small_button("Go to parent")
                            .on_hover_text("Select the parent span in the waterfall")
                            .clicked()
                    {
                        action = Some(DetailAction::Select(parent));
                    }
                });
                ui.end_row();
            }
            if !d.trace_state.is_empty() {
                field(ui, "Trace state", &d.trace_state);
            }
        });
    // The status message below the grid, full width: a grid row does not grow with a wrapped
    // label, so a long provider error written there ran over the id rows.
    if !d.status_message.is_empty() {
        egui::Frame::group(ui.style()).show(ui, |ui| {
            ui.set_width(ui.available_width());
            ui.add(egui::Label::new(&d.status_message).wrap().selectable(true));
        });
    }
    conversation_link_ui(ui, ctx, p);
    let anomalies = Anomalies(d.anomalies);
    if anomalies.self_parent() {
        ui.colored_label(
            super::waterfall::palette::WARNING,
            "Warning: this span names itself as its parent.",
        );
    }
    if anomalies.end_before_start() {
        ui.colored_label(
            super::waterfall::palette::WARNING,
            "Warning: this span ends before it starts (clock skew?).",
        );
    }
    ui.add_space(6.0);
    egui::CollapsingHeader::new(format!("Attributes ({})", p.attributes.len()))
        .id_salt("attributes")
        .default_open(true)
        .show(ui, |ui| attr_grid(ui, "span_attrs", &p.attributes));
    if !p.events.is_empty() {
        egui::CollapsingHeader::new(format!("Events ({})", p.events.len()))
            .id_salt("events")
            .default_open(true)
            .show(ui, |ui| {
                for (i, (event, attrs)) in p.events.iter().enumerate() {
                    let offset = format::duration_ns(event.time_ns.saturating_sub(d.start_ns));
                    egui::CollapsingHeader::new(format!("+{offset}  {}", event.name))
                        .id_salt(("event", i))
                        .default_open(p.events.len() <= 5)
                        .show(ui, |ui| attr_grid(ui, ("event_attrs", i), attrs));
                }
            });
    }
    if !p.links.is_empty() {
        egui::CollapsingHeader::new(format!("Links ({})", p.links.len()))
            .id_salt("links")
            .default_open(true)
            .show(ui, |ui| {
                for (i, (link, attrs)) in p.links.iter().enumerate() {
                    ui.horizontal_wrapped(|ui| {
                        copyable(
                            ui,
                            &format!("{}/{}", hex_lower(&link.trace_id), hex_lower(&link.span_id)),
                        );
                        if link.target_in_store {
                            if ui
                                .button("Open linked trace")
                                .on_hover_text("Open the linked span's trace in the waterfall")
                                .clicked()
                            {
                                ctx.navigate(Nav::OpenTrace {
                                    trace_id: link.trace_id,
                                    span_id: Some(link.span_id),
                                });
                            }
                        } else {
                            ui.label(RichText::new("(not in the store)").weak());
                        }
                    });
                    if !attrs.is_empty() {
                        attr_grid(ui, ("link_attrs", i), attrs);
                    }
                }
            });
    }
    egui::CollapsingHeader::new(format!("Resource ({})", p.resource.len()))
        .id_salt("resource")
        .default_open(false)
        .show(ui, |ui| attr_grid(ui, "resource_attrs", &p.resource));
    let scope_title = if d.scope_version.is_empty() {
        format!("Scope: {}", d.scope_name)
    } else {
        format!("Scope: {} {}", d.scope_name, d.scope_version)
    };
    egui::CollapsingHeader::new(scope_title)
        .id_salt("scope")
        .default_open(false)
        .show(ui, |ui| {
            if p.scope.is_empty() {
                ui.label(RichText::new("no scope attributes").weak());
            } else {
                attr_grid(ui, "scope_attrs", &p.scope);
            }
        });
    action
}

/// A span that carries GenAI messages or tool facts belongs to a conversation.
fn is_genai_span(p: &PreparedDetail) -> bool {
    let genai_key = |key: &str| {
        key.starts_with("gen_ai.") || key.starts_with("llm.") || key == "openinference.span.kind"
    };
    p.attributes.iter().any(|a| genai_key(&a.key))
        || p.events.iter().any(|(e, _)| e.name.starts_with("gen_ai."))
}

/// "Open conversation": the replay of the conversation this GenAI span is a step of.
fn conversation_link_ui(ui: &mut Ui, ctx: &ViewCtx, p: &PreparedDetail) {
    if !is_genai_span(p) {
        return;
    }
    if ui
        .button("Open conversation")
        .on_hover_text("Replay this span's conversation at this step")
        .clicked()
    {
        ctx.navigate(Nav::OpenConversationAtSpan {
            trace_id: p.detail.trace_id,
            span_id: p.detail.span_id,
        });
    }
}

fn field(ui: &mut Ui, name: &str, value: &str) {
    ui.label(RichText::new(name).weak());
    ui.add(egui::Label::new(value).wrap().selectable(true));
    ui.end_row();
}

fn id_field(ui: &mut Ui, name: &str, hex: &str) {
    ui.label(RichText::new(name).weak());
    copyable(ui, hex);
    ui.end_row();
}

/// Selectable monospace text with a copy button.
fn copyable(ui: &mut Ui, text: &str) {
    ui.horizontal(|ui| {
        ui.add(egui::Label::new(RichText::new(text).monospace()).selectable(true));
        if ui
            .small_button("Copy")
            .on_hover_text(format!("Copy {text}"))
            .clicked()
        {
            ui.ctx().copy_text(text.to_owned());
        }
    });
}

fn attr_grid(ui: &mut Ui, id_salt: impl egui::AsIdSalt + Copy, attrs: &[Attr]) {
    if attrs.is_empty() {
        ui.label(RichText::new("none").weak());
        return;
    }
    // Keys like `gen_ai.usage.output_tokens` must stay readable: give them a good share.
    let key_width = (ui.available_width() * 0.42).clamp(80.0, 280.0);
    egui::Grid::new(id_salt)
        .num_columns(2)
        .striped(true)
        .min_col_width(key_width)
        .spacing([12.0, 3.0])
        .show(ui, |ui| {
            for (i, attr) in attrs.iter().enumerate() {
                ui.add(
                    egui::Label::new(RichText::new(&attr.key).monospace())
                        .selectable(true)
                        .truncate(),
                );
                match &attr.value {
                    AttrValue::Text(text) => {
                        ui.add(
                            egui::Label::new(RichText::new(text).monospace())
                                .wrap()
                                .selectable(true),
                        );
                    }
                    AttrValue::Json(node) => {
                        json_tree::show(ui, (id_salt, i), node, 1);
                    }
                }
                ui.end_row();
            }
        });
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn attributes_keep_order_and_unfold_long_json() {
        let messages =
            r#"[{\"role\":\"user\",\"parts\":[{\"type\":\"text\",\"content\":\"hello there\"}]}]"#;
        let text = format!(
            r#"{{"z":1,"gen_ai.input.messages":"{messages}","a":"short","b":true,"c":[1,2]}}"#
        );
        let attrs = parse_attributes(&text);
        let keys: Vec<&str> = attrs.iter().map(|a| a.key.as_str()).collect();
        assert_eq!(keys, ["z", "gen_ai.input.messages", "a", "b", "c"]);
        assert_eq!(attrs[0].value, AttrValue::Text("1".to_owned()));
        assert!(matches!(
            attrs[1].value,
            AttrValue::Json(JsonNode::Array(_))
        ));
        assert_eq!(attrs[2].value, AttrValue::Text("short".to_owned()));
        assert_eq!(attrs[3].value, AttrValue::Text("true".to_owned()));
        assert!(matches!(attrs[4].value, AttrValue::Json(_)));
    }

    #[test]
    fn empty_and_broken_attributes() {
        assert!(parse_attributes("{}").is_empty());
        assert!(parse_attributes("").is_empty());
        assert_eq!(parse_attributes("{oops").len(), 1);
    }
}
