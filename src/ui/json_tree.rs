//! A collapsible, pretty JSON viewer for long attribute values (`gen_ai.input.messages`, tool
//! arguments, ...): parses once into an order-preserving [`JsonNode`] (keys stay in the order
//! the producer wrote them, strings that hold JSON themselves are unfolded a few levels), then
//! draws objects and arrays as collapsing rows, only the open ones costing anything per frame.

use std::fmt;

use egui::{Color32, RichText, Ui};
use serde::de::{Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// Strings holding JSON are unfolded this many levels deep.
const MAX_EMBED_DEPTH: usize = 3;
/// Arrays and objects longer than this are shown in chunks of this size.
const CHUNK: usize = 100;

/// A parsed JSON value that keeps object keys in their original order.
#[derive(Clone, Debug, PartialEq)]
pub enum JsonNode {
    Null,
    Bool(bool),
    /// The number as written (integers stay exact).
    Number(String),
    String(String),
    /// A string whose content is itself JSON: the raw text and its parse.
    Embedded(String, Box<JsonNode>),
    Array(Vec<JsonNode>),
    Object(Vec<(String, JsonNode)>),
}

impl<'de> Deserialize<'de> for JsonNode {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NodeVisitor)
    }
}

struct NodeVisitor;

impl<'de> Visitor<'de> for NodeVisitor {
    type Value = JsonNode;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any JSON value")
    }

    fn visit_unit<E>(self) -> Result<JsonNode, E> {
        Ok(JsonNode::Null)
    }

    fn visit_none<E>(self) -> Result<JsonNode, E> {
        Ok(JsonNode::Null)
    }

    fn visit_bool<E>(self, v: bool) -> Result<JsonNode, E> {
        Ok(JsonNode::Bool(v))
    }

    fn visit_i64<E>(self, v: i64) -> Result<JsonNode, E> {
        Ok(JsonNode::Number(v.to_string()))
    }

    fn visit_u64<E>(self, v: u64) -> Result<JsonNode, E> {
        Ok(JsonNode::Number(v.to_string()))
    }

    fn visit_f64<E>(self, v: f64) -> Result<JsonNode, E> {
        Ok(JsonNode::Number(v.to_string()))
    }

    fn visit_str<E>(self, v: &str) -> Result<JsonNode, E> {
        Ok(JsonNode::String(v.to_owned()))
    }

    fn visit_string<E>(self, v: String) -> Result<JsonNode, E> {
        Ok(JsonNode::String(v))
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<JsonNode, A::Error> {
        let mut items = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(JsonNode::Array(items))
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<JsonNode, A::Error> {
        let mut entries = Vec::with_capacity(map.size_hint().unwrap_or(0).min(4096));
        while let Some((k, v)) = map.next_entry::<String, JsonNode>()? {
            entries.push((k, v));
        }
        Ok(JsonNode::Object(entries))
    }
}

/// Whether `text` looks like a JSON object or array (cheap check before parsing).
pub fn looks_structured(text: &str) -> bool {
    let t = text.trim();
    (t.starts_with('{') && t.ends_with('}')) || (t.starts_with('[') && t.ends_with(']'))
}

/// Parses any JSON text, unfolding strings that hold JSON objects or arrays.
pub fn parse(text: &str) -> Option<JsonNode> {
    parse_at(text, 0)
}

/// Parses `text` only when it is a JSON object or array.
pub fn parse_structured(text: &str) -> Option<JsonNode> {
    if looks_structured(text) {
        parse(text)
    } else {
        None
    }
}

fn parse_at(text: &str, embed_depth: usize) -> Option<JsonNode> {
    let mut node: JsonNode = serde_json::from_str(text).ok()?;
    unfold(&mut node, embed_depth);
    Some(node)
}

/// Replaces strings holding JSON by [`JsonNode::Embedded`], with an explicit stack.
fn unfold(root: &mut JsonNode, embed_depth: usize) {
    if embed_depth >= MAX_EMBED_DEPTH {
        return;
    }
    let mut stack: Vec<&mut JsonNode> = vec![root];
    while let Some(node) = stack.pop() {
        match node {
            JsonNode::String(s) if s.len() > 2 && looks_structured(s) => {
                if let Some(inner) = parse_at(s, embed_depth + 1) {
                    let raw = std::mem::take(s);
                    *node = JsonNode::Embedded(raw, Box::new(inner));
                }
            }
            JsonNode::Array(items) => stack.extend(items.iter_mut()),
            JsonNode::Object(entries) => stack.extend(entries.iter_mut().map(|(_, v)| v)),
            _ => {}
        }
    }
}

impl JsonNode {
    /// A short description for a collapsed row: `{3 keys}`, `[12 items]`, or the value.
    pub fn summary(&self) -> String {
        match self {
            JsonNode::Null => "null".to_owned(),
            JsonNode::Bool(b) => b.to_string(),
            JsonNode::Number(n) => n.clone(),
            JsonNode::String(s) => format!("{s:?}"),
            JsonNode::Embedded(_, inner) => format!("JSON string {}", inner.summary()),
            JsonNode::Array(items) => match items.len() {
                1 => "[1 item]".to_owned(),
                n => format!("[{n} items]"),
            },
            JsonNode::Object(entries) => match entries.len() {
                1 => "{1 key}".to_owned(),
                n => format!("{{{n} keys}}"),
            },
        }
    }

    fn is_container(&self) -> bool {
        matches!(
            self,
            JsonNode::Array(_) | JsonNode::Object(_) | JsonNode::Embedded(..)
        )
    }
}

/// Colours of the viewer, from the current theme.
struct Palette {
    key: Color32,
    string: Color32,
    number: Color32,
    literal: Color32,
    summary: Color32,
}

impl Palette {
    fn of(ui: &Ui) -> Self {
        let dark = ui.visuals().dark_mode;
        Self {
            key: if dark {
                Color32::from_rgb(156, 200, 255)
            } else {
                Color32::from_rgb(20, 80, 160)
            },
            string: if dark {
                Color32::from_rgb(206, 180, 130)
            } else {
                Color32::from_rgb(150, 70, 20)
            },
            number: if dark {
                Color32::from_rgb(170, 220, 160)
            } else {
                Color32::from_rgb(30, 120, 40)
            },
            literal: if dark {
                Color32::from_rgb(210, 150, 220)
            } else {
                Color32::from_rgb(130, 40, 150)
            },
            summary: ui.visuals().weak_text_color(),
        }
    }
}

/// Draws `node` as a tree; containers shallower than `open_depth` start open. `id_salt` must be
/// unique among the trees drawn in the same `Ui`.
pub fn show(ui: &mut Ui, id_salt: impl egui::AsIdSalt, node: &JsonNode, open_depth: usize) {
    let id = ui.make_persistent_id(id_salt);
    let palette = Palette::of(ui);
    ui.vertical(|ui| {
        show_entry(ui, id, None, node, 0, open_depth, &palette);
    });
}

fn show_entry(
    ui: &mut Ui,
    id: egui::Id,
    key: Option<&str>,
    node: &JsonNode,
    depth: usize,
    open_depth: usize,
    palette: &Palette,
) {
    if !node.is_container() {
        ui.horizontal_wrapped(|ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            if let Some(k) = key {
                ui.label(
                    RichText::new(format!("{k}:"))
                        .monospace()
                        .color(palette.key),
                );
            }
            leaf(ui, node, palette);
        });
        return;
    }
    let state = egui::collapsing_header::CollapsingState::load_with_default_open(
        ui.ctx(),
        id,
        depth < open_depth,
    );
    state
        .show_header(ui, |ui| {
            ui.spacing_mut().item_spacing.x = 4.0;
            if let Some(k) = key {
                ui.label(
                    RichText::new(format!("{k}:"))
                        .monospace()
                        .color(palette.key),
                );
            }
            ui.label(
                RichText::new(node.summary())
                    .monospace()
                    .color(palette.summary),
            );
            if let JsonNode::Embedded(raw, _) = node
                && ui
                    .small_button("Copy")
                    .on_hover_text("Copy the raw string")
                    .clicked()
            {
                ui.ctx().copy_text(raw.clone());
            }
        })
        .body(|ui| match node {
            JsonNode::Embedded(_, inner) => {
                show_entry(ui, id.with(0), None, inner, depth + 1, open_depth, palette);
            }
            JsonNode::Array(items) => {
                show_children(
                    ui,
                    id,
                    items.len(),
                    |i| (i.to_string(), items.get(i)),
                    depth,
                    open_depth,
                    palette,
                );
            }
            JsonNode::Object(entries) => {
                show_children(
                    ui,
                    id,
                    entries.len(),
                    |i| match entries.get(i) {
                        Some((k, v)) => (k.clone(), Some(v)),
                        None => (String::new(), None),
                    },
                    depth,
                    open_depth,
                    palette,
                );
            }
            _ => {}
        });
}

fn show_children<'a>(
    ui: &mut Ui,
    id: egui::Id,
    len: usize,
    entry: impl Fn(usize) -> (String, Option<&'a JsonNode>),
    depth: usize,
    open_depth: usize,
    palette: &Palette,
) {
    let draw = |ui: &mut Ui, range: std::ops::Range<usize>| {
        for i in range {
            if let (key, Some(child)) = entry(i) {
                show_entry(
                    ui,
                    id.with(i),
                    Some(&key),
                    child,
                    depth + 1,
                    open_depth,
                    palette,
                );
            }
        }
    };
    if len <= CHUNK {
        draw(ui, 0..len);
        return;
    }
    for from in (0..len).step_by(CHUNK) {
        let to = (from + CHUNK).min(len);
        egui::CollapsingHeader::new(
            RichText::new(format!("[{from}..{to})"))
                .monospace()
                .color(palette.summary),
        )
        .id_salt(id.with(("chunk", from)))
        .default_open(false)
        .show(ui, |ui| draw(ui, from..to));
    }
}

fn leaf(ui: &mut Ui, node: &JsonNode, palette: &Palette) {
    let text = match node {
        JsonNode::Null => RichText::new("null").color(palette.literal),
        JsonNode::Bool(b) => RichText::new(b.to_string()).color(palette.literal),
        JsonNode::Number(n) => RichText::new(n.as_str()).color(palette.number),
        JsonNode::String(s) => RichText::new(s.as_str()).color(palette.string),
        _ => RichText::new(node.summary()).color(palette.summary),
    };
    ui.add(egui::Label::new(text.monospace()).wrap().selectable(true));
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn keys_keep_their_order() {
        let node = parse(r#"{"role":"user","content":"hi","a":[1,2.5,null,true]}"#).unwrap();
        let JsonNode::Object(entries) = &node else {
            panic!("object expected")
        };
        let keys: Vec<&str> = entries.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["role", "content", "a"]);
        assert_eq!(entries[2].1.summary(), "[4 items]");
        assert_eq!(node.summary(), "{3 keys}");
    }

    #[test]
    fn strings_holding_json_are_unfolded() {
        let node = parse(r#"[{"arguments":"{\"q\":\"x\"}"}]"#).unwrap();
        let JsonNode::Array(items) = &node else {
            panic!("array expected")
        };
        let JsonNode::Object(entries) = &items[0] else {
            panic!("object expected")
        };
        assert!(matches!(&entries[0].1, JsonNode::Embedded(raw, _) if raw == r#"{"q":"x"}"#));
    }

    #[test]
    fn only_structured_text_is_parsed() {
        assert!(parse_structured("plain text").is_none());
        assert!(parse_structured("{not json}").is_none());
        assert!(parse_structured(" [1] ").is_some());
    }

    #[test]
    fn big_arrays_draw_in_chunks() {
        let text = format!("[{}]", vec!["1"; 250].join(","));
        let node = parse(&text).unwrap();
        let ctx = egui::Context::default();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            show(ui, "t", &node, 2);
        });
        output.textures_delta.clear();
    }
}
