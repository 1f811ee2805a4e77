//! The trace waterfall view (Jaeger-style): a header, a toolbar (expand/collapse, error
//! stepping, zoom reset), a minimap of the whole trace, a time axis, and one row per visible
//! span with its indented name and service on the left and its bar on a shared time axis on the
//! right; the selected span's detail in a resizable side panel.
//!
//! Built for 100k-span traces: the spans are fetched and the tree built on a query thread;
//! a frame draws only the rows in view (fixed row height, `show_rows`), paints bars straight
//! with the painter (spans under a pixel become 1 px lines without labels), and shows the
//! minimap from a cached image that is rebuilt only when the rows or the width change.
//!
//! Mouse: wheel scrolls the rows; Ctrl+wheel (or pinch) zooms the time axis around the
//! pointer; Shift+wheel or dragging pans; double-click resets the zoom; clicking or dragging on
//! the minimap moves the window there. Keys: E / F8 next error, Shift+E / Shift+F8 previous,
//! Up/Down select, Left/Right collapse/expand, Esc deselect. (Icons are painted shapes: the
//! default fonts have no arrow or emoji glyphs.)

pub mod axis;
pub mod minimap;
pub mod palette;
mod rows;

use std::collections::HashSet;
use std::sync::Arc;

use egui::{
    Align2, Color32, FontId, Id, Key, Modifiers, Pos2, Rect, Role, Sense, Stroke, StrokeKind,
    TextureHandle, TextureOptions, Ui, WidgetInfo, pos2, vec2,
};

use self::axis::{TimeToUi, Window};
use self::minimap::MinimapKey;
use self::rows::RowPainter;
use super::query::Query;
use super::span_detail::{DetailAction, SpanDetailView};
use super::{ViewCtx, format};
use crate::analysis::trace_tree::{
    self, NodeId, RowRef, TraceTree, collapse_below_depth, row_of, visible_rows,
};
use crate::model::{SpanId, TraceId, hex_lower};
use crate::store::{Store, StoreError, TraceRow};

/// Height of one span row, in points.
pub const ROW_HEIGHT: f32 = 22.0;
const INDENT_PX: f32 = 14.0;
const MINIMAP_HEIGHT: f32 = 40.0;
const AXIS_HEIGHT: f32 = 20.0;
const SCROLLBAR_ROOM: f32 = 14.0;

/// How the mouse and keys drive the view, for the hover hint.
pub const HINT: &str = "Wheel: scroll rows\n\
Ctrl+wheel or pinch: zoom time around the pointer\n\
Shift+wheel or drag: pan\n\
Double-click: reset zoom\n\
Minimap: click or drag to move the window\n\
E / F8: next error · Shift+E / Shift+F8: previous error\n\
Up / Down: select · Left / Right: collapse / expand · Esc: deselect";

/// One trace, fetched and shaped on a query thread.
pub struct LoadedTrace {
    pub trace_id: TraceId,
    pub generation: u64,
    pub summary: Option<TraceRow>,
    pub tree: TraceTree,
    /// Palette index per node.
    pub service_color: Vec<u8>,
    /// The rows with nothing collapsed.
    pub initial_rows: Vec<RowRef>,
}

impl LoadedTrace {
    /// Fetches a trace's spans and builds everything the view needs (runs on a query thread).
    pub fn load(store: &Store, trace_id: TraceId, generation: u64) -> Result<Self, StoreError> {
        let spans = store.trace_spans(&trace_id)?;
        let summary = store.trace_row(&trace_id)?;
        Ok(Self::from_spans(trace_id, generation, summary, spans))
    }

    pub fn from_spans(
        trace_id: TraceId,
        generation: u64,
        summary: Option<TraceRow>,
        spans: Vec<crate::store::SpanRow>,
    ) -> Self {
        let tree = TraceTree::build(spans);
        let mut service_color: Vec<u8> = Vec::with_capacity(tree.len());
        let mut last: Option<(&str, u8)> = None;
        for i in 0..tree.len() {
            let color = match tree.span(NodeId(i as u32)) {
                Some(span) => match last {
                    Some((name, c)) if name == span.service => c,
                    _ => {
                        let c = palette::service_index(&span.service);
                        last = Some((&span.service, c));
                        c
                    }
                },
                None => 0,
            };
            service_color.push(color);
        }
        let initial_rows = visible_rows(&tree, &HashSet::new());
        Self {
            trace_id,
            generation,
            summary,
            tree,
            service_color,
            initial_rows,
        }
    }
}

/// Where the rows should scroll on the next frame.
#[derive(Clone, Copy, Debug, PartialEq)]
enum ScrollTarget {
    /// Make the row visible, scrolling as little as needed.
    Reveal(usize),
    /// Put the row in the middle.
    Center(usize),
}

/// What a click in the rows asked for.
#[derive(Clone, Copy, Debug, PartialEq)]
enum RowAction {
    Select(NodeId),
    Toggle(NodeId),
    ResetZoom,
}

/// The trace waterfall.
pub struct WaterfallView {
    trace_id: Option<TraceId>,
    pending_focus: Option<SpanId>,
    data: Query<(TraceId, u64), Arc<LoadedTrace>>,
    current: Option<Arc<LoadedTrace>>,
    collapsed: HashSet<NodeId>,
    rows: Vec<RowRef>,
    rows_version: u64,
    selected: Option<NodeId>,
    window: Window,
    collapse_depth: u32,
    /// Share of the width the name column takes.
    name_col_frac: f32,
    scroll_to: Option<ScrollTarget>,
    /// A raw scroll offset asked for by dragging the timeline vertically.
    drag_offset: Option<f32>,
    last_scroll_y: f32,
    last_viewport_h: f32,
    minimap: Option<(MinimapKey, TextureHandle)>,
    detail: SpanDetailView,
}

impl Default for WaterfallView {
    fn default() -> Self {
        Self {
            trace_id: None,
            pending_focus: None,
            data: Query::default(),
            current: None,
            collapsed: HashSet::new(),
            rows: Vec::new(),
            rows_version: 0,
            selected: None,
            window: Window::full(1),
            collapse_depth: 2,
            name_col_frac: 0.32,
            scroll_to: None,
            drag_offset: None,
            last_scroll_y: 0.0,
            last_viewport_h: 400.0,
            minimap: None,
            detail: SpanDetailView::default(),
        }
    }
}

impl WaterfallView {
    /// Shows `trace_id`, selecting `focus` once loaded.
    pub fn open(&mut self, trace_id: TraceId, focus: Option<SpanId>) {
        if self.trace_id != Some(trace_id) {
            self.trace_id = Some(trace_id);
            self.current = None;
            self.collapsed.clear();
            self.rows.clear();
            self.rows_version += 1;
            self.selected = None;
            self.detail.set_target(None);
            self.scroll_to = None;
            self.last_scroll_y = 0.0;
        }
        self.pending_focus = focus;
        if self.current.is_some() {
            self.apply_focus();
        }
    }

    /// The open trace.
    pub fn trace_id(&self) -> Option<TraceId> {
        self.trace_id
    }

    /// Whether the open trace is loaded and drawn (not still fetching).
    pub fn is_loaded(&self) -> bool {
        self.current
            .as_ref()
            .is_some_and(|c| Some(c.trace_id) == self.trace_id)
    }

    /// The loaded trace, if any.
    pub fn loaded(&self) -> Option<&LoadedTrace> {
        self.current.as_deref()
    }

    /// The selected span.
    pub fn selected_span(&self) -> Option<SpanId> {
        let current = self.current.as_ref()?;
        current.tree.span(self.selected?).map(|s| s.span_id)
    }

    /// Rows currently shown (collapsed subtrees excluded).
    pub fn visible_row_count(&self) -> usize {
        self.rows.len()
    }

    /// Selects a span of the open trace (expanding its ancestors); false when it is not there.
    pub fn select_span(&mut self, span_id: SpanId) -> bool {
        let Some(node) = self
            .current
            .as_ref()
            .and_then(|c| c.tree.find_span(&span_id))
        else {
            return false;
        };
        self.select_node(Some(node), true);
        true
    }

    /// How far the rows are scrolled, in points (as of the last frame).
    pub fn scroll_offset(&self) -> f32 {
        self.last_scroll_y
    }

    /// Scrolls so `row` is in the middle on the next frame.
    pub fn scroll_to_row(&mut self, row: usize) {
        self.scroll_to = Some(ScrollTarget::Center(row));
    }

    /// Draws the view.
    pub fn ui(&mut self, ui: &mut Ui, ctx: &ViewCtx) {
        let Some(trace_id) = self.trace_id else {
            ui.label(egui::RichText::new("Open a trace to see its waterfall.").weak());
            return;
        };
        let generation = ctx.generation;
        self.data.ensure(
            ctx.queries,
            ui.ctx(),
            (trace_id, generation),
            move |store| LoadedTrace::load(store, trace_id, generation).map(Arc::new),
        );
        if let Some(value) = self.data.value()
            && value.trace_id == trace_id
            && !self.current.as_ref().is_some_and(|c| Arc::ptr_eq(c, value))
        {
            let value = value.clone();
            self.adopt(value);
        }
        if let Some(error) = self.data.error() {
            ui.colored_label(palette::ERROR, format!("Could not load the trace: {error}"));
        }
        let Some(loaded) = self.current.clone() else {
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label(format!("Loading trace {}…", hex_lower(&trace_id)));
            });
            return;
        };
        if loaded.tree.is_empty() {
            ui.label(format!(
                "Trace {} has no spans in the store.",
                hex_lower(&trace_id)
            ));
            return;
        }
        self.header(ui, &loaded);
        self.toolbar(ui, &loaded);
        self.keys(ui, &loaded);
        ui.separator();
        if self.selected.is_some_and(|s| loaded.tree.span(s).is_some()) {
            let max_w = (ui.available_width() * 0.7).max(260.0);
            let action = egui::Panel::right("waterfall_span_detail")
                .resizable(true)
                .default_size(440.0)
                .size_range(240.0..=max_w)
                .show(ui, |ui| self.detail.ui(ui, ctx))
                .inner;
            match action {
                Some(DetailAction::Close) => self.select_node(None, false),
                Some(DetailAction::Select(span)) => {
                    self.select_span(span);
                }
                None => {}
            }
        }
        self.timeline(ui, &loaded);
    }

    fn adopt(&mut self, value: Arc<LoadedTrace>) {
        let reload = self
            .current
            .as_ref()
            .is_some_and(|c| c.trace_id == value.trace_id);
        let keep = if reload { self.selected_span() } else { None };
        self.rows = value.initial_rows.clone();
        self.collapsed.clear();
        self.rows_version += 1;
        self.selected = None;
        if reload {
            self.window.clamp(value.tree.duration_ns());
        } else {
            self.window = Window::full(value.tree.duration_ns());
            self.collapse_depth = self.collapse_depth.min(value.tree.max_depth);
        }
        self.current = Some(value);
        if self.pending_focus.is_none() {
            self.pending_focus = keep;
        }
        self.apply_focus();
    }

    fn apply_focus(&mut self) {
        if let Some(span) = self.pending_focus.take() {
            self.select_span(span);
        }
    }

    fn refresh_rows(&mut self, tree: &TraceTree) {
        self.rows = visible_rows(tree, &self.collapsed);
        self.rows_version += 1;
    }

    fn selected_row(&self) -> Option<usize> {
        let current = self.current.as_ref()?;
        row_of(&current.tree, &self.rows, self.selected?)
    }

    fn select_node(&mut self, node: Option<NodeId>, scroll: bool) {
        let Some(current) = self.current.clone() else {
            return;
        };
        self.selected = node;
        let Some(node) = node else {
            self.detail.set_target(None);
            return;
        };
        if trace_tree::reveal(&current.tree, &mut self.collapsed, node) {
            self.refresh_rows(&current.tree);
        }
        if scroll && let Some(row) = row_of(&current.tree, &self.rows, node) {
            self.scroll_to = Some(ScrollTarget::Reveal(row));
        }
        self.detail.set_target(
            current
                .tree
                .span(node)
                .map(|s| (current.trace_id, s.span_id)),
        );
    }

    fn toggle(&mut self, node: NodeId) {
        let Some(current) = self.current.clone() else {
            return;
        };
        if !self.collapsed.remove(&node) {
            self.collapsed.insert(node);
        }
        self.refresh_rows(&current.tree);
    }

    fn step_error(&mut self, forward: bool) {
        let Some(current) = self.current.clone() else {
            return;
        };
        let from = self.selected_row();
        let version = self.rows.len();
        let row = if forward {
            trace_tree::next_error_row(&current.tree, &mut self.collapsed, &mut self.rows, from)
        } else {
            trace_tree::prev_error_row(&current.tree, &mut self.collapsed, &mut self.rows, from)
        };
        if self.rows.len() != version {
            self.rows_version += 1;
        }
        if let Some(node) = row.and_then(|r| self.rows.get(r)).map(|r| r.node) {
            self.select_node(Some(node), true);
        }
    }

    fn header(&self, ui: &mut Ui, loaded: &LoadedTrace) {
        let tree = &loaded.tree;
        let root_name = loaded
            .summary
            .as_ref()
            .map(|s| s.root_name.clone())
            .filter(|n| !n.is_empty())
            .or_else(|| tree.root_node().map(|r| tree.label(r)))
            .unwrap_or_default();
        ui.horizontal_wrapped(|ui| {
            ui.heading(root_name);
            ui.add_space(8.0);
            ui.label(egui::RichText::new("Trace").weak());
            ui.add(
                egui::Label::new(egui::RichText::new(hex_lower(&loaded.trace_id)).monospace())
                    .selectable(true),
            );
            if ui
                .small_button("Copy")
                .on_hover_text("Copy the trace id")
                .clicked()
            {
                ui.ctx().copy_text(hex_lower(&loaded.trace_id));
            }
        });
        ui.horizontal_wrapped(|ui| {
            ui.label(format!(
                "Duration {}",
                format::duration_ns(tree.duration_ns())
            ));
            ui.separator();
            ui.label(format!("{} spans", format::count(tree.spans.len() as u64)));
            ui.separator();
            let errors = format!("{} errors", format::count(u64::from(tree.error_count)));
            if tree.error_count > 0 {
                ui.colored_label(palette::ERROR, errors);
            } else {
                ui.label(errors);
            }
            ui.separator();
            ui.label(format!("depth {}", tree.max_depth + 1));
            let mut warn = |n: u32, what: &str, tip: &str| {
                if n > 0 {
                    ui.separator();
                    ui.colored_label(palette::WARNING, format!("{n} {what}"))
                        .on_hover_text(tip);
                }
            };
            warn(
                tree.orphan_count,
                "orphans",
                "Spans whose parent is not in this trace; shown under the \"missing parent\" row.",
            );
            warn(
                tree.cycle_span_count,
                "in parent cycles",
                "Spans whose parent chain loops; each cycle was cut at its earliest span.",
            );
            warn(
                tree.self_parent_count,
                "self-parent",
                "Spans that name themselves as parent; shown at the top level.",
            );
            warn(
                tree.duplicate_count,
                "duplicate ids",
                "Spans sharing a span id with another span of this trace.",
            );
        });
    }

    fn toolbar(&mut self, ui: &mut Ui, loaded: &LoadedTrace) {
        let tree = &loaded.tree;
        ui.horizontal(|ui| {
            if ui
                .button("Expand all")
                .on_hover_text("Show every span")
                .clicked()
            {
                self.collapsed.clear();
                self.refresh_rows(tree);
            }
            let depth_label = ui.label("Depth");
            ui.add(egui::DragValue::new(&mut self.collapse_depth).range(0..=tree.max_depth))
                .labelled_by(depth_label.id)
                .on_hover_text("Depth for “Collapse below depth” (0 = top level)");
            if ui
                .button("Collapse below depth")
                .on_hover_text("Fold every span deeper than the chosen depth")
                .clicked()
            {
                self.collapsed = collapse_below_depth(tree, self.collapse_depth);
                self.refresh_rows(tree);
                // Keep the selection visible: fall back to its nearest shown ancestor.
                if let Some(sel) = self.selected
                    && row_of(tree, &self.rows, sel).is_none()
                {
                    let shown = tree
                        .ancestors(sel)
                        .find(|a| row_of(tree, &self.rows, *a).is_some());
                    self.select_node(shown, true);
                }
            }
            ui.separator();
            let has_errors = tree.error_count > 0;
            if ui
                .add_enabled(has_errors, egui::Button::new("Previous error"))
                .on_hover_text("Select the previous error span (Shift+E or Shift+F8)")
                .clicked()
            {
                self.step_error(false);
            }
            if ui
                .add_enabled(has_errors, egui::Button::new("Next error"))
                .on_hover_text("Select the next error span (E or F8)")
                .clicked()
            {
                self.step_error(true);
            }
            ui.separator();
            let dur_ns = tree.duration_ns();
            if ui
                .add_enabled(
                    !self.window.is_full(dur_ns),
                    egui::Button::new("Reset zoom"),
                )
                .on_hover_text("Show the whole trace (or double-click the timeline)")
                .clicked()
            {
                self.window = Window::full(dur_ns);
            }
            let zoom = Window::full(dur_ns).len_ns() / self.window.len_ns();
            if zoom > 1.001 {
                ui.label(egui::RichText::new(format!("×{zoom:.1}")).weak());
            }
            ui.label(egui::RichText::new("Mouse & keys").weak())
                .on_hover_text(HINT);
        });
    }

    fn keys(&mut self, ui: &mut Ui, loaded: &LoadedTrace) {
        if ui.ctx().egui_wants_keyboard_input() {
            return;
        }
        let (prev_err, next_err, up, down, left, right, esc) = ui.input_mut(|i| {
            let prev =
                i.consume_key(Modifiers::SHIFT, Key::E) | i.consume_key(Modifiers::SHIFT, Key::F8);
            let next =
                i.consume_key(Modifiers::NONE, Key::E) | i.consume_key(Modifiers::NONE, Key::F8);
            (
                prev,
                next,
                i.consume_key(Modifiers::NONE, Key::ArrowUp),
                i.consume_key(Modifiers::NONE, Key::ArrowDown),
                i.consume_key(Modifiers::NONE, Key::ArrowLeft),
                i.consume_key(Modifiers::NONE, Key::ArrowRight),
                i.consume_key(Modifiers::NONE, Key::Escape),
            )
        });
        if prev_err {
            self.step_error(false);
        } else if next_err {
            self.step_error(true);
        }
        if up || down {
            let row = match (self.selected_row(), up) {
                (Some(r), true) => r.saturating_sub(1),
                (Some(r), false) => (r + 1).min(self.rows.len().saturating_sub(1)),
                (None, _) => 0,
            };
            let node = self.rows.get(row).map(|r| r.node);
            self.select_node(node, true);
        }
        if let Some(sel) = self.selected {
            let tree = &loaded.tree;
            let collapsed = self.collapsed.contains(&sel);
            if left {
                if tree.has_children(sel) && !collapsed {
                    self.toggle(sel);
                } else if let Some(parent) = tree.node(sel).and_then(|n| n.parent) {
                    self.select_node(Some(parent), true);
                }
            }
            if right && tree.has_children(sel) && collapsed {
                self.toggle(sel);
            }
        }
        if esc {
            self.select_node(None, false);
        }
    }

    fn timeline(&mut self, ui: &mut Ui, loaded: &LoadedTrace) {
        let tree = &loaded.tree;
        let dur_ns = tree.duration_ns();
        let base_id = ui.make_persistent_id("waterfall");
        let full = ui.available_rect_before_wrap();
        if full.width() < 200.0 || full.height() < MINIMAP_HEIGHT + AXIS_HEIGHT + ROW_HEIGHT {
            ui.label("Not enough room for the waterfall.");
            return;
        }
        let name_w = (full.width() * self.name_col_frac).clamp(140.0, full.width() - 120.0);
        let bar_left = full.left() + name_w + 8.0;
        let bar_right = (full.right() - SCROLLBAR_ROOM).max(bar_left + 40.0);
        let bar_x = bar_left..=bar_right;

        // Minimap.
        let (mini_rect, _) =
            ui.allocate_exact_size(vec2(full.width(), MINIMAP_HEIGHT), Sense::hover());
        let mini_bar =
            Rect::from_x_y_ranges(bar_x.clone(), mini_rect.shrink2(vec2(0.0, 3.0)).y_range());
        self.minimap_ui(ui, loaded, base_id, mini_bar);
        ui.painter().text(
            pos2(mini_rect.left() + 4.0, mini_rect.center().y),
            Align2::LEFT_CENTER,
            "Overview",
            FontId::proportional(12.0),
            ui.visuals().weak_text_color(),
        );

        // Axis and name-column splitter.
        let (axis_rect, _) =
            ui.allocate_exact_size(vec2(full.width(), AXIS_HEIGHT), Sense::hover());
        let splitter = Rect::from_x_y_ranges(
            bar_left - 6.0..=bar_left - 2.0,
            axis_rect.top()..=full.bottom(),
        );
        let split = ui.interact(splitter, base_id.with("splitter"), Sense::drag());
        split.widget_info(|| WidgetInfo::labeled(Role::Splitter, true, "Resize the name column"));
        if split.dragged() {
            self.name_col_frac = ((name_w + split.drag_delta().x) / full.width()).clamp(0.1, 0.8);
        }
        if split.hovered() || split.dragged() {
            ui.ctx().set_cursor_icon(egui::CursorIcon::ResizeHorizontal);
        }

        // Pan/zoom area behind the rows (rows only sense clicks, so drags reach it).
        let rows_rect = Rect::from_min_max(pos2(full.left(), axis_rect.bottom()), full.max);
        let bar_area = Rect::from_x_y_ranges(bar_x.clone(), rows_rect.y_range());
        let pan = ui.interact(bar_area, base_id.with("pan"), Sense::click_and_drag());
        pan.widget_info(|| {
            WidgetInfo::labeled(
                Role::Canvas,
                true,
                "Timeline: drag to pan, Ctrl+wheel to zoom, double-click to reset",
            )
        });
        let mut map = TimeToUi {
            window: self.window,
            left_x: bar_left,
            width_px: bar_right - bar_left,
        };
        if let Some(pos) = ui.ctx().pointer_hover_pos()
            && bar_area.contains(pos)
        {
            let (zoom, scroll_x) = ui.input(|i| (i.zoom_delta(), i.smooth_scroll_delta.x));
            if zoom != 1.0 {
                self.window
                    .zoom_around(map.ns_from_ui(pos.x), f64::from(zoom), dur_ns);
            }
            if scroll_x != 0.0 {
                self.window
                    .pan_ns(-f64::from(scroll_x) * map.ns_per_px(), dur_ns);
                ui.input_mut(|i| i.smooth_scroll_delta.x = 0.0);
            }
        }
        if pan.dragged() {
            let d = pan.drag_delta();
            self.window
                .pan_ns(-f64::from(d.x) * map.ns_per_px(), dur_ns);
            if d.y != 0.0 {
                let offset = (self.last_scroll_y - d.y).max(0.0);
                self.scroll_to = None;
                self.pending_offset(offset);
            }
        }
        if pan.double_clicked() {
            self.window = Window::full(dur_ns);
        }
        map.window = self.window;

        self.axis_ui(ui, axis_rect, bar_left, &map);

        // Rows.
        let mut area = egui::ScrollArea::vertical()
            .id_salt(base_id.with("rows"))
            .auto_shrink([false, false])
            .content_margin(0.0)
            .scroll_source(
                egui::scroll_area::ScrollSource::SCROLL_BAR
                    | egui::scroll_area::ScrollSource::MOUSE_WHEEL,
            );
        if let Some(offset) = self.take_scroll_offset() {
            area = area.vertical_scroll_offset(offset);
        }
        let rows = &self.rows;
        let painter_ctx = RowPainter {
            loaded,
            rows,
            collapsed: &self.collapsed,
            selected: self.selected,
            map,
            name_left: full.left(),
            name_right: bar_left - 8.0,
            bar_right,
            base_id,
        };
        let output = ui
            .scope(|ui| {
                ui.spacing_mut().item_spacing.y = 0.0;
                area.show_rows(ui, ROW_HEIGHT, rows.len(), |ui, range| {
                    painter_ctx.draw(ui, range)
                })
            })
            .inner;
        self.last_scroll_y = output.state.clamped_offset().y;
        self.last_viewport_h = output.inner_rect.height();
        match output.inner {
            Some(RowAction::Select(node)) => self.select_node(Some(node), false),
            Some(RowAction::Toggle(node)) => self.toggle(node),
            Some(RowAction::ResetZoom) => self.window = Window::full(dur_ns),
            None => {}
        }
    }

    /// Records a raw scroll offset request (from dragging the timeline vertically).
    fn pending_offset(&mut self, offset: f32) {
        self.drag_offset = Some(offset);
    }

    fn take_scroll_offset(&mut self) -> Option<f32> {
        if let Some(offset) = self.drag_offset.take() {
            return Some(offset);
        }
        let target = self.scroll_to.take()?;
        let viewport_h = self.last_viewport_h.max(ROW_HEIGHT);
        let y_of = |row: usize| row as f32 * ROW_HEIGHT;
        Some(match target {
            ScrollTarget::Center(row) => (y_of(row) - (viewport_h - ROW_HEIGHT) / 2.0).max(0.0),
            ScrollTarget::Reveal(row) => {
                let y = y_of(row);
                if y >= self.last_scroll_y && y + ROW_HEIGHT <= self.last_scroll_y + viewport_h {
                    return None;
                }
                (y - (viewport_h - ROW_HEIGHT) / 2.0).max(0.0)
            }
        })
    }

    fn minimap_ui(&mut self, ui: &mut Ui, loaded: &LoadedTrace, base_id: Id, rect: Rect) {
        let tree = &loaded.tree;
        let width_px = (rect.width() * ui.ctx().pixels_per_point())
            .round()
            .max(1.0) as usize;
        let key = MinimapKey {
            rows_version: self.rows_version,
            width_px,
        };
        if self.minimap.as_ref().is_none_or(|(k, _)| *k != key) {
            let image = minimap::build_image(tree, &self.rows, &loaded.service_color, width_px);
            match &mut self.minimap {
                Some((k, texture)) => {
                    texture.set(image, TextureOptions::NEAREST);
                    *k = key;
                }
                None => {
                    let texture =
                        ui.ctx()
                            .load_texture("waterfall_minimap", image, TextureOptions::NEAREST);
                    self.minimap = Some((key, texture));
                }
            }
        }
        let painter = ui.painter();
        painter.rect_filled(rect, 2.0, ui.visuals().extreme_bg_color);
        if let Some((_, texture)) = &self.minimap {
            painter.image(
                texture.id(),
                rect,
                Rect::from_min_max(Pos2::ZERO, pos2(1.0, 1.0)),
                Color32::WHITE,
            );
        }
        // The window in view: time across, rows down.
        let dur = Window::full(tree.duration_ns()).len_ns();
        let x0 = rect.left() + (self.window.start_ns / dur) as f32 * rect.width();
        let x1 = rect.left() + (self.window.end_ns / dur) as f32 * rect.width();
        let total_h = (self.rows.len() as f32 * ROW_HEIGHT).max(1.0);
        let y0 = rect.top() + (self.last_scroll_y / total_h).clamp(0.0, 1.0) * rect.height();
        let y1 = rect.top()
            + ((self.last_scroll_y + self.last_viewport_h) / total_h).clamp(0.0, 1.0)
                * rect.height();
        let view = Rect::from_min_max(pos2(x0, y0), pos2(x1.max(x0 + 2.0), y1.max(y0 + 2.0)));
        let shade = Color32::from_black_alpha(if ui.visuals().dark_mode { 110 } else { 50 });
        for outside in [
            Rect::from_min_max(rect.min, pos2(view.left(), rect.bottom())),
            Rect::from_min_max(pos2(view.right(), rect.top()), rect.max),
        ] {
            if outside.width() > 0.0 {
                painter.rect_filled(outside, 0.0, shade);
            }
        }
        painter.rect_stroke(
            view,
            1.0,
            Stroke::new(1.5, ui.visuals().strong_text_color()),
            StrokeKind::Inside,
        );
        let response = ui.interact(rect, base_id.with("minimap"), Sense::click_and_drag());
        response.widget_info(|| {
            WidgetInfo::labeled(
                Role::Canvas,
                true,
                "Trace minimap: click or drag to move the view",
            )
        });
        if (response.clicked() || response.dragged())
            && let Some(pos) = response.interact_pointer_pos()
        {
            let frac_x = f64::from(((pos.x - rect.left()) / rect.width()).clamp(0.0, 1.0));
            self.window.center_on(frac_x * dur, tree.duration_ns());
            let frac_y = ((pos.y - rect.top()) / rect.height()).clamp(0.0, 1.0);
            let row = (frac_y * self.rows.len() as f32) as usize;
            self.scroll_to = Some(ScrollTarget::Center(
                row.min(self.rows.len().saturating_sub(1)),
            ));
        }
        response.on_hover_text("Whole trace. Click or drag to move the view.");
    }

    fn axis_ui(&self, ui: &Ui, rect: Rect, bar_left: f32, map: &TimeToUi) {
        let painter = ui.painter();
        let weak = ui.visuals().weak_text_color();
        painter.text(
            pos2(rect.left() + 4.0, rect.center().y),
            Align2::LEFT_CENTER,
            "Service & Operation",
            FontId::proportional(12.0),
            weak,
        );
        let axis_painter = painter.with_clip_rect(Rect::from_x_y_ranges(
            bar_left - 1.0..=rect.right(),
            rect.y_range(),
        ));
        for t in axis::ticks(map.window, map.width_px, 90.0) {
            let x = map.ui_from_ns(t);
            axis_painter.vline(x, rect.y_range(), Stroke::new(1.0, weak));
            axis_painter.text(
                pos2(x + 3.0, rect.center().y),
                Align2::LEFT_CENTER,
                format::duration_ns(t as i64),
                FontId::proportional(11.0),
                weak,
            );
        }
        painter.hline(
            rect.x_range(),
            rect.bottom() - 0.5,
            Stroke::new(1.0, ui.visuals().widgets.noninteractive.bg_stroke.color),
        );
    }
}
