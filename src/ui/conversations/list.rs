//! The conversation list: one row per conversation (key, start, steps, findings, errors, what
//! broke first), sortable by start, steps, findings and errors, optionally only those with
//! findings. Virtualised: only visible rows are laid out.

use egui_extras::{Column, TableBuilder};

use crate::analysis::conversation::ConversationSummary;
use crate::ui::format;
use crate::ui::sort_header::sort_header_ui;

const ROW_HEIGHT: f32 = 22.0;

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ConvSort {
    #[default]
    Start,
    Steps,
    Findings,
    Errors,
}

/// The rows to show, in display order (indices into the fetched list).
pub fn order(
    rows: &[ConversationSummary],
    sort: ConvSort,
    descending: bool,
    findings_only: bool,
) -> Vec<usize> {
    let mut order: Vec<usize> = (0..rows.len())
        .filter(|i| !findings_only || rows.get(*i).is_some_and(|r| r.findings > 0))
        .collect();
    let key = |i: &usize| -> (i64, i64) {
        let Some(r) = rows.get(*i) else {
            return (0, 0);
        };
        let primary = match sort {
            ConvSort::Start => r.start_ns,
            ConvSort::Steps => r.steps as i64,
            ConvSort::Findings => r.findings as i64,
            ConvSort::Errors => r.errors as i64,
        };
        (primary, r.start_ns)
    };
    order.sort_by_key(key);
    if descending {
        order.reverse();
    }
    order
}

/// A start time for a dense column: month, day and time to the second (`11-20 23:35:12`).
fn short_time(ns: i64) -> String {
    let full = format::time_ns(ns);
    // `YYYY-MM-DD HH:MM:SS.mmm`: drop the year and the milliseconds.
    full.get(5..19).map_or(full.clone(), str::to_owned)
}

/// The list's own state: sort and the display order it last computed.
#[derive(Default)]
pub struct ConversationList {
    sort: ConvSort,
    descending: bool,
    /// (rows identity, sort, descending, findings_only) the order was computed for.
    order_key: Option<(usize, usize, ConvSort, bool, bool)>,
    order: Vec<usize>,
    /// Scroll the open conversation's row into view once.
    pub scroll_to_selected: bool,
}

impl ConversationList {
    /// The number of rows shown.
    pub fn shown(&self) -> usize {
        self.order.len()
    }

    /// Draws the table; returns the conversation key the user picked.
    pub fn ui(
        &mut self,
        ui: &mut egui::Ui,
        rows: &[ConversationSummary],
        findings_only: bool,
        selected: Option<&str>,
    ) -> Option<String> {
        let key = (
            rows.as_ptr() as usize,
            rows.len(),
            self.sort,
            self.descending,
            findings_only,
        );
        if self.order_key != Some(key) {
            self.order = order(rows, self.sort, self.descending, findings_only);
            self.order_key = Some(key);
        }
        let mut picked = None;
        let mut new_sort = None;
        let mut table = TableBuilder::new(ui)
            .id_salt("conversation_list")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(130.0).at_least(80.0).clip(true))
            .column(Column::initial(112.0).at_least(60.0).clip(true))
            .column(Column::initial(44.0).at_least(36.0))
            .column(Column::initial(60.0).at_least(36.0))
            .column(Column::initial(46.0).at_least(36.0))
            .column(Column::remainder().at_least(110.0).clip(true))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0)
            .max_scroll_height(f32::INFINITY);
        if self.scroll_to_selected {
            self.scroll_to_selected = false;
            if let Some(selected) = selected
                && let Some(pos) = self
                    .order
                    .iter()
                    .position(|i| rows.get(*i).is_some_and(|r| r.key == selected))
            {
                table = table.scroll_to_row(pos, Some(egui::Align::Center));
            }
        }
        let (sort, descending) = (self.sort, self.descending);
        table
            .header(24.0, |mut header| {
                header.col(|ui| {
                    ui.strong("Conversation");
                });
                for (label, column) in [
                    ("Start", Some(ConvSort::Start)),
                    ("Steps", Some(ConvSort::Steps)),
                    ("Findings", Some(ConvSort::Findings)),
                    ("Errors", Some(ConvSort::Errors)),
                    ("What broke", None),
                ] {
                    header.col(|ui| {
                        let Some(column) = column else {
                            ui.strong(label);
                            return;
                        };
                        if sort_header_ui(ui, label, (sort == column).then_some(descending)) {
                            new_sort = Some(column);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, self.order.len(), |mut row| {
                    let Some(summary) = self.order.get(row.index()).and_then(|i| rows.get(*i))
                    else {
                        return;
                    };
                    row.set_selected(selected == Some(summary.key.as_str()));
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(summary.key.as_str())
                                .selectable(false)
                                .truncate(),
                        )
                        .on_hover_text(format!(
                            "{}\n{} trace(s)",
                            summary.key,
                            summary.trace_ids.len()
                        ));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(short_time(summary.start_ns))
                                .selectable(false)
                                .truncate(),
                        )
                        .on_hover_text(format::time_ns(summary.start_ns));
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(summary.steps.to_string()).selectable(false));
                    });
                    row.col(|ui| {
                        let text = egui::RichText::new(summary.findings.to_string());
                        let text = if summary.findings > 0 {
                            text.color(super::replay::FINDING_COLOR).strong()
                        } else {
                            text
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    row.col(|ui| {
                        let text = egui::RichText::new(summary.errors.to_string());
                        let text = if summary.errors > 0 {
                            text.color(crate::ui::waterfall::palette::WARNING).strong()
                        } else {
                            text
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    row.col(|ui| {
                        let rule = summary.first_rule.map_or("", |r| r.as_str());
                        ui.add(egui::Label::new(rule).selectable(false).truncate());
                    });
                    if row.response().clicked() {
                        picked = Some(summary.key.clone());
                    }
                });
            });
        if let Some(column) = new_sort {
            if self.sort == column {
                self.descending = !self.descending;
            } else {
                self.sort = column;
                // Counts read best largest first, times oldest first.
                self.descending = column != ConvSort::Start;
            }
        }
        picked
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(key: &str, start_ns: i64, steps: usize, findings: usize) -> ConversationSummary {
        ConversationSummary {
            key: key.to_owned(),
            start_ns,
            end_ns: start_ns + 10,
            steps,
            findings,
            errors: 0,
            trace_ids: Vec::new(),
            first_rule: None,
        }
    }

    #[test]
    fn short_times() {
        assert_eq!(short_time(1_795_212_000_123_000_000), "11-20 22:00:00");
    }

    #[test]
    fn sorts_and_filters() {
        let rows = vec![row("a", 30, 2, 0), row("b", 10, 5, 1), row("c", 20, 1, 3)];
        assert_eq!(order(&rows, ConvSort::Start, false, false), [1, 2, 0]);
        assert_eq!(order(&rows, ConvSort::Steps, true, false), [1, 0, 2]);
        assert_eq!(order(&rows, ConvSort::Findings, true, true), [2, 1]);
        assert!(order(&[], ConvSort::Errors, false, true).is_empty());
    }
}
