//! The trace list: one row per trace (root name, service, start, duration, spans, errors,
//! models), sortable by every column. It stays smooth with a million spans: only visible rows
//! are laid out, and rows arrive in pages fetched off the UI thread.

use std::collections::HashMap;

use egui_extras::{Column, TableBuilder};

use crate::model::{TraceId, hex_lower};
use crate::store::{SpanFilter, TraceRow, TraceSort};

use super::format;
use super::query::{Pending, Query};
use super::sort_header::sort_header_ui;
use super::view_ctx::ViewCtx;

const PAGE_ROWS: u64 = 200;
const ROW_HEIGHT: f32 = 22.0;

/// What the list shows: changing any of it refetches.
#[derive(Clone, Debug, PartialEq)]
struct ListKey {
    filter: SpanFilter,
    sort: TraceSort,
    descending: bool,
    generation: u64,
}

enum Page {
    Loading(Pending<Vec<TraceRow>>),
    Ready(Vec<TraceRow>),
    Failed(String),
}

pub struct TracesTable {
    sort: TraceSort,
    descending: bool,
    total: Query<ListKey, u64>,
    pages: HashMap<u64, Page>,
    pages_key: Option<ListKey>,
    pub selected: Option<TraceId>,
    /// Scroll the selected row into view once (after a jump from another view).
    scroll_to_selected: bool,
}

impl Default for TracesTable {
    fn default() -> Self {
        Self {
            sort: TraceSort::Start,
            descending: false,
            total: Query::default(),
            pages: HashMap::new(),
            pages_key: None,
            selected: None,
            scroll_to_selected: false,
        }
    }
}

impl TracesTable {
    pub fn select(&mut self, trace_id: TraceId) {
        self.selected = Some(trace_id);
        self.scroll_to_selected = true;
    }

    /// Rows loaded so far, in display order (for keyboard navigation and tests).
    fn row(&self, index: u64) -> Option<&TraceRow> {
        match self.pages.get(&(index / PAGE_ROWS))? {
            Page::Ready(rows) => rows.get((index % PAGE_ROWS) as usize),
            _ => None,
        }
    }

    /// Draws the table; returns the trace the user picked this frame.
    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) -> Option<TraceId> {
        let key = ListKey {
            filter: ctx.filter.clone(),
            sort: self.sort,
            descending: self.descending,
            generation: ctx.generation,
        };
        if self.pages_key.as_ref() != Some(&key) {
            self.pages.clear();
            self.pages_key = Some(key.clone());
        }
        let filter = key.filter.clone();
        self.total
            .ensure(ctx.queries, ui.ctx(), key.clone(), move |s| {
                s.trace_count(&filter)
            });
        for page in self.pages.values_mut() {
            if let Page::Loading(p) = page
                && let Some(result) = p.poll()
            {
                *page = match result {
                    Ok(rows) => Page::Ready(rows),
                    Err(e) => Page::Failed(e),
                };
            }
        }
        let total = self.total.value().copied().unwrap_or(0);
        ui.horizontal(|ui| {
            ui.label(format!("{} traces", format::count(total)));
            if self.total.is_loading() {
                ui.spinner();
            }
            if let Some(e) = self.total.error() {
                ui.colored_label(ui.visuals().error_fg_color, e);
            }
            ui.weak("Up/Down moves the selection; click a column title to sort");
        });
        let mut picked = None;
        let mut needed_pages = Vec::new();
        let selected_index = self.selected_index(total);
        let mut keyboard_move = 0i64;
        if ui.memory(|m| m.focused().is_none()) {
            ui.input(|i| {
                if i.key_pressed(egui::Key::ArrowDown) {
                    keyboard_move = 1;
                }
                if i.key_pressed(egui::Key::ArrowUp) {
                    keyboard_move = -1;
                }
            });
        }
        if keyboard_move != 0 && total > 0 {
            let next = selected_index.map_or(0, |i| {
                (i as i64 + keyboard_move).clamp(0, total as i64 - 1) as u64
            });
            if let Some(row) = self.row(next) {
                picked = Some(row.trace_id);
                self.selected = Some(row.trace_id);
                self.scroll_to_selected = true;
            }
        }
        let mut table = TableBuilder::new(ui)
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(260.0).at_least(120.0).clip(true))
            .column(Column::initial(140.0).at_least(60.0).clip(true))
            .column(Column::initial(170.0).at_least(80.0))
            .column(Column::initial(90.0).at_least(60.0))
            .column(Column::initial(60.0).at_least(40.0))
            .column(Column::initial(60.0).at_least(40.0))
            .column(Column::remainder().at_least(80.0).clip(true))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0)
            .max_scroll_height(f32::INFINITY);
        if self.scroll_to_selected
            && let Some(i) = self.selected_index(total)
        {
            table = table.scroll_to_row(i as usize, Some(egui::Align::Center));
            self.scroll_to_selected = false;
        }
        let (sort, descending) = (self.sort, self.descending);
        let mut new_sort = None;
        table
            .header(24.0, |mut header| {
                for (label, column) in [
                    ("Root span", TraceSort::Name),
                    ("Service", TraceSort::Service),
                    ("Start", TraceSort::Start),
                    ("Duration", TraceSort::Duration),
                    ("Spans", TraceSort::Spans),
                    ("Errors", TraceSort::Errors),
                    ("Models", TraceSort::Models),
                ] {
                    header.col(|ui| {
                        if sort_header_ui(ui, label, (sort == column).then_some(descending)) {
                            new_sort = Some(column);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, total as usize, |mut row| {
                    let index = row.index() as u64;
                    let page = index / PAGE_ROWS;
                    let Some(trace) = self.row(index).cloned() else {
                        if !needed_pages.contains(&page) {
                            needed_pages.push(page);
                        }
                        row.col(|ui| {
                            ui.weak("loading");
                        });
                        for _ in 0..6 {
                            row.col(|_| {});
                        }
                        return;
                    };
                    row.set_selected(self.selected == Some(trace.trace_id));
                    let has_errors = trace.error_count > 0;
                    row.col(|ui| {
                        let text = egui::RichText::new(if trace.root_name.is_empty() {
                            "(no name)"
                        } else {
                            trace.root_name.as_str()
                        });
                        ui.add(egui::Label::new(text).selectable(false).truncate())
                            .on_hover_text(format!("trace {}", hex_lower(&trace.trace_id)));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(trace.root_service.as_str())
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(format::time_ns(trace.start_ns)).selectable(false));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(format::duration_ns(trace.dur_ns)).selectable(false),
                        );
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(trace.span_count.to_string()).selectable(false));
                    });
                    row.col(|ui| {
                        let text = egui::RichText::new(trace.error_count.to_string());
                        let text = if has_errors {
                            text.color(ui.visuals().error_fg_color).strong()
                        } else {
                            text
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(trace.models.replace(',', ", "))
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    if row.response().clicked() {
                        picked = Some(trace.trace_id);
                    }
                });
            });
        if let Some(column) = new_sort {
            if self.sort == column {
                self.descending = !self.descending;
            } else {
                self.sort = column;
                // Durations, spans and errors read best largest first.
                self.descending = matches!(
                    column,
                    TraceSort::Duration | TraceSort::Spans | TraceSort::Errors
                );
            }
        }
        for page in needed_pages {
            let key = key.clone();
            let pending = ctx.queries.run(ui.ctx(), move |s| {
                s.traces_page(
                    &key.filter,
                    key.sort,
                    key.descending,
                    page * PAGE_ROWS,
                    PAGE_ROWS,
                )
            });
            self.pages.insert(page, Page::Loading(pending));
        }
        if let Some(Page::Failed(e)) = self.pages.values().find(|p| matches!(p, Page::Failed(_))) {
            ui.colored_label(ui.visuals().error_fg_color, e.as_str());
        }
        if let Some(id) = picked {
            self.selected = Some(id);
        }
        picked
    }

    fn selected_index(&self, total: u64) -> Option<u64> {
        let selected = self.selected?;
        self.pages.iter().find_map(|(page, p)| match p {
            Page::Ready(rows) => rows
                .iter()
                .position(|r| r.trace_id == selected)
                .map(|i| page * PAGE_ROWS + i as u64)
                .filter(|i| *i < total),
            _ => None,
        })
    }
}
