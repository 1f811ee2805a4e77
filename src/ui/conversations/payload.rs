//! A step's raw payload (the request or the response text as the span recorded it),
//! pretty-printed, with each finding's byte range painted red and its explanation on hover.
//! Ranges come from the data: they are clamped to the text and snapped to character
//! boundaries, so a range past the end or inside a character never panics.

use std::ops::Range;

use egui::text::{CCursor, LayoutJob, TextFormat};
use egui::{Color32, FontId, Sense, Ui};

/// Payloads longer than this are shown as recorded (no re-indentation).
const PRETTY_MAX_BYTES: usize = 2_000_000;
const INDENT: &str = "  ";

/// A range of the raw payload to paint, with the text shown when the pointer is on it.
#[derive(Clone, Debug, PartialEq)]
pub struct Highlight {
    pub range: Range<usize>,
    pub explanation: String,
    /// The finding the user picked: painted stronger and scrolled into view.
    pub focused: bool,
}

/// The payload re-indented, and where each byte of the original went.
#[derive(Clone, Debug, PartialEq)]
pub struct Pretty {
    pub text: String,
    /// `positions[i]`: the offset in `text` of the original byte `i`.
    positions: Vec<usize>,
}

impl Pretty {
    /// Where an original byte range lands in the pretty text: clamped to the payload and
    /// snapped outwards to character boundaries.
    pub fn map_range(&self, range: &Range<usize>) -> Range<usize> {
        let len = self.positions.len();
        let start_raw = range.start.min(len);
        let end_raw = range.end.clamp(start_raw, len);
        let start = self
            .positions
            .get(start_raw)
            .copied()
            .unwrap_or(self.text.len());
        let end = if end_raw > start_raw {
            end_raw
                .checked_sub(1)
                .and_then(|last| self.positions.get(last))
                .map_or(self.text.len(), |p| p + 1)
        } else {
            start
        };
        snap_to_chars(&self.text, start..end.max(start))
    }
}

/// Clamps a byte range to `text` and widens it to the nearest character boundaries.
pub fn snap_to_chars(text: &str, range: Range<usize>) -> Range<usize> {
    let mut start = range.start.min(text.len());
    let mut end = range.end.clamp(start, text.len());
    while start > 0 && !text.is_char_boundary(start) {
        start -= 1;
    }
    while end < text.len() && !text.is_char_boundary(end) {
        end += 1;
    }
    start..end
}

/// Re-indents JSON text (two spaces a level) without parsing it, so truncated or invalid JSON
/// keeps every byte; text that does not start like JSON is returned as is.
pub fn pretty(raw: &str) -> Pretty {
    let trimmed = raw.trim_start();
    let looks_json = trimmed.starts_with('{') || trimmed.starts_with('[');
    if !looks_json || raw.len() > PRETTY_MAX_BYTES {
        return Pretty {
            text: raw.to_owned(),
            positions: (0..raw.len()).collect(),
        };
    }
    let mut text = String::with_capacity(raw.len() + raw.len() / 4);
    let mut positions = vec![0; raw.len()];
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    let chars = raw.char_indices();
    let newline = |text: &mut String, depth: usize| {
        text.push('\n');
        for _ in 0..depth {
            text.push_str(INDENT);
        }
    };
    for (i, c) in chars {
        let record = |positions: &mut Vec<usize>, at: usize| {
            for b in 0..c.len_utf8() {
                if let Some(p) = positions.get_mut(i + b) {
                    *p = at + b;
                }
            }
        };
        if in_string {
            record(&mut positions, text.len());
            text.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                in_string = false;
            }
            continue;
        }
        match c {
            '"' => {
                in_string = true;
                record(&mut positions, text.len());
                text.push(c);
            }
            '{' | '[' => {
                record(&mut positions, text.len());
                text.push(c);
                depth += 1;
                let closes_at_once = raw
                    .get(i + 1..)
                    .and_then(|rest| rest.trim_start().chars().next())
                    .is_some_and(|next| next == '}' || next == ']');
                if !closes_at_once {
                    newline(&mut text, depth);
                }
            }
            '}' | ']' => {
                depth = depth.saturating_sub(1);
                let last = text.trim_end_matches(' ').chars().last();
                if !matches!(last, Some('{' | '[')) {
                    newline(&mut text, depth);
                }
                record(&mut positions, text.len());
                text.push(c);
            }
            ',' => {
                record(&mut positions, text.len());
                text.push(c);
                newline(&mut text, depth);
            }
            ':' => {
                record(&mut positions, text.len());
                text.push_str(": ");
            }
            c if c.is_whitespace() => {
                // Dropped: it points at the next byte written.
                record(&mut positions, text.len());
            }
            _ => {
                record(&mut positions, text.len());
                text.push(c);
            }
        }
    }
    Pretty { text, positions }
}

/// A colour for highlighted bytes that reads on light and dark backgrounds.
fn highlight_fill(ui: &Ui, focused: bool) -> Color32 {
    let alpha = if focused { 150 } else { 90 };
    if ui.visuals().dark_mode {
        Color32::from_rgba_unmultiplied(220, 50, 47, alpha)
    } else {
        Color32::from_rgba_unmultiplied(240, 80, 70, alpha - 20)
    }
}

/// Builds the text with backgrounds: segments between highlight edges, each painted when a
/// highlight covers it (the focused one first).
pub fn layout_job(
    ui: &Ui,
    text: &str,
    highlights: &[(Range<usize>, bool)],
    wrap_width: f32,
) -> LayoutJob {
    let font_id = FontId::monospace(12.0);
    let color = ui.visuals().text_color();
    let highlights: Vec<(Range<usize>, bool)> = highlights
        .iter()
        .map(|(range, focused)| (snap_to_chars(text, range.clone()), *focused))
        .collect();
    let mut edges: Vec<usize> = vec![0, text.len()];
    for (r, _) in &highlights {
        edges.push(r.start);
        edges.push(r.end);
    }
    edges.sort_unstable();
    edges.dedup();
    let mut job = LayoutJob::default();
    job.wrap.max_width = wrap_width;
    for pair in edges.windows(2) {
        let (Some(&a), Some(&b)) = (pair.first(), pair.get(1)) else {
            continue;
        };
        let Some(segment) = text.get(a..b) else {
            continue;
        };
        let covering: Vec<bool> = highlights
            .iter()
            .filter(|(r, _)| r.start <= a && b <= r.end && r.start < r.end)
            .map(|(_, focused)| *focused)
            .collect();
        let background = if covering.is_empty() {
            Color32::TRANSPARENT
        } else {
            highlight_fill(ui, covering.contains(&true))
        };
        job.append(
            segment,
            0.0,
            TextFormat {
                font_id: font_id.clone(),
                color,
                background,
                ..Default::default()
            },
        );
    }
    job
}

/// Draws a payload with its highlights; the explanation of the highlight under the pointer
/// shows on hover. When `scroll_to_focused`, the focused highlight (else the first) is scrolled
/// into view.
pub fn payload_ui(ui: &mut Ui, pretty: &Pretty, highlights: &[Highlight], scroll_to_focused: bool) {
    if pretty.text.is_empty() {
        ui.weak("(empty: the span recorded no payload here)");
        return;
    }
    let mapped: Vec<(Range<usize>, bool)> = highlights
        .iter()
        .map(|h| (pretty.map_range(&h.range), h.focused))
        .collect();
    let job = layout_job(ui, &pretty.text, &mapped, ui.available_width());
    let galley = ui.painter().layout_job(job);
    let (rect, response) = ui.allocate_exact_size(galley.size(), Sense::hover());
    let text_for_access = pretty.text.clone();
    response.widget_info(|| {
        egui::WidgetInfo::labeled(egui::Role::Label, true, text_for_access.as_str())
    });
    if scroll_to_focused
        && let Some((range, _)) = mapped
            .iter()
            .find(|(_, focused)| *focused)
            .or_else(|| mapped.iter().find(|(r, _)| !r.is_empty()))
    {
        let char_index = pretty
            .text
            .get(..range.start)
            .map_or(0, |head| head.chars().count());
        let at = galley.pos_from_cursor(CCursor::new(char_index));
        ui.scroll_to_rect(at.translate(rect.min.to_vec2()), Some(egui::Align::Center));
    }
    if let Some(pointer) = response.hover_pos() {
        let cursor = galley.cursor_from_pos(pointer - rect.min);
        let byte = pretty
            .text
            .char_indices()
            .nth(cursor.index.0)
            .map_or(pretty.text.len(), |(b, _)| b);
        let explanations: Vec<&str> = highlights
            .iter()
            .zip(&mapped)
            .filter(|(_, (r, _))| r.start <= byte && byte < r.end)
            .map(|(h, _)| h.explanation.as_str())
            .collect();
        if !explanations.is_empty() {
            response.on_hover_ui_at_pointer(|ui| {
                for e in explanations {
                    ui.label(e);
                }
            });
        }
    }
    ui.painter()
        .galley(rect.min, galley, ui.visuals().text_color());
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn pretty_keeps_every_byte_and_maps_ranges() {
        let raw = r#"[{"role":"user","parts":[{"type":"text","content":"a, b: {c}"}]},{"x":[]}]"#;
        let p = pretty(raw);
        assert!(p.text.contains("\n"));
        let compact: String = p.text.split_whitespace().collect();
        let raw_compact: String = raw.split_whitespace().collect();
        // Only whitespace (and the space after a colon) was added.
        assert_eq!(compact.replace(": ", ":"), raw_compact.replace(": ", ":"));
        let needle = "\"content\":\"a, b: {c}\"";
        let start = raw.find(needle).unwrap();
        let mapped = p.map_range(&(start..start + needle.len()));
        assert_eq!(&p.text[mapped], "\"content\": \"a, b: {c}\"");
        // Strings keep their commas and braces.
        assert!(p.text.contains("\"a, b: {c}\""));
        assert!(p.text.contains("\"x\": []"));
    }

    #[test]
    fn truncated_json_and_plain_text_survive() {
        let raw = r#"[{"role":"assistant","parts":[{"type":"text","content":"cut he"#;
        let p = pretty(raw);
        assert!(p.text.ends_with("\"cut he"));
        let plain = pretty("hello");
        assert_eq!(plain.text, "hello");
        assert_eq!(plain.map_range(&(1..3)), 1..3);
    }

    #[test]
    fn bad_ranges_are_clamped_and_snapped() {
        let raw = r#"["héllo wörld"]"#;
        let p = pretty(raw);
        // Past the end, reversed, inside a multi-byte character: none panics.
        let r = p.map_range(&(5..500));
        assert!(p.text.get(r).is_some());
        #[allow(clippy::reversed_empty_ranges)]
        let r = p.map_range(&(9..3));
        assert!(p.text.get(r.clone()).is_some());
        assert!(r.is_empty());
        let e = raw.find('é').unwrap();
        let r = p.map_range(&(e + 1..e + 2));
        assert_eq!(&p.text[r], "é");
        assert_eq!(snap_to_chars("é", 1..1), 0..2);
        assert_eq!(snap_to_chars("abc", 7..9), 3..3);
        let empty = pretty("");
        assert_eq!(empty.map_range(&(0..10)), 0..0);
    }

    #[test]
    fn layout_paints_exactly_the_highlighted_bytes() {
        let ctx = egui::Context::default();
        let mut painted = String::new();
        let mut output = ctx.run_ui(egui::RawInput::default(), |ui| {
            let text = "ab€cd";
            // Starts inside the euro sign: the whole character is painted.
            let job = layout_job(ui, text, &[(3..4, false), (40..50, true)], 100.0);
            for section in &job.sections {
                if section.format.background != Color32::TRANSPARENT {
                    painted.push_str(
                        job.text
                            .get(section.byte_range.start.0..section.byte_range.end.0)
                            .unwrap_or(""),
                    );
                }
            }
            assert_eq!(job.text, text);
        });
        output.textures_delta.clear();
        assert_eq!(painted, "€");
    }
}
