//! The Retries tab's tables: the chains (virtualised, sortable by start, attempts, wasted time
//! and wasted tokens, filtered by the tab's focus), the selected chain's attempts (status, error
//! class, message, wait since the previous attempt; each opens in the waterfall), and retry
//! amplification per operation and model.

use egui_extras::{Column, TableBuilder};

use crate::analysis::retries::{Amplification, ChainAttempt, RetryChain};
use crate::ui::format;
use crate::ui::sort_header::sort_header_ui;
use crate::ui::view_ctx::{ChainFocus, Nav, ViewCtx};

use super::{chain_in_focus, class_color, lane_name};

const ROW_HEIGHT: f32 = 22.0;

/// What the chain table is sorted by.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChainSort {
    #[default]
    Start,
    Attempts,
    WastedTime,
    WastedTokens,
}

/// The chains listed under `focus`, as indices into `chains`, in `sort` order.
pub fn listed_chains(
    chains: &[RetryChain],
    focus: ChainFocus,
    sort: ChainSort,
    descending: bool,
) -> Vec<usize> {
    let mut listed: Vec<usize> = chains
        .iter()
        .enumerate()
        .filter(|(_, c)| chain_in_focus(c, focus))
        .map(|(i, _)| i)
        .collect();
    let start = |c: &RetryChain| c.attempts.first().map_or(0, |a| a.start_ns);
    listed.sort_by(|a, b| {
        let (Some(x), Some(y)) = (chains.get(*a), chains.get(*b)) else {
            return std::cmp::Ordering::Equal;
        };
        let order = match sort {
            ChainSort::Start => start(x).cmp(&start(y)),
            ChainSort::Attempts => x.attempts.len().cmp(&y.attempts.len()),
            ChainSort::WastedTime => x.wasted_ms.total_cmp(&y.wasted_ms),
            ChainSort::WastedTokens => x.wasted_tokens.cmp(&y.wasted_tokens),
        }
        .then_with(|| start(x).cmp(&start(y)));
        if descending { order.reverse() } else { order }
    });
    listed
}

/// The chain table's state, borrowed from the view for one frame.
pub struct ChainTable<'a> {
    pub focus: ChainFocus,
    /// The listed chains in order ([`listed_chains`]), indices into the chains.
    pub listed: &'a [usize],
    pub sort: &'a mut ChainSort,
    pub descending: &'a mut bool,
    pub selected: &'a mut Option<usize>,
    pub scroll_to_selected: &'a mut bool,
}

/// A chain's flags as words.
pub fn flags_text(chain: &RetryChain) -> String {
    let mut flags = Vec::new();
    if chain.pointless {
        flags.push("pointless");
    }
    if chain.storm {
        flags.push("storm");
    }
    if chain.cross_trace {
        flags.push("across traces");
    }
    flags.join(" ")
}

impl ChainTable<'_> {
    pub fn ui(&mut self, ui: &mut egui::Ui, chains: &[RetryChain]) {
        let listed = self.listed;
        if listed.is_empty() {
            ui.label(match self.focus {
                ChainFocus::All => "No retry chains.",
                ChainFocus::Pointless => {
                    "No pointless retries: every retried error was one a retry can fix."
                }
                ChainFocus::Storms => "No retry storms.",
            });
            return;
        }
        let mut table = TableBuilder::new(ui)
            .id_salt("retry_chains")
            .striped(true)
            .resizable(true)
            .sense(egui::Sense::click())
            .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
            .column(Column::initial(170.0).at_least(80.0))
            .column(Column::initial(220.0).at_least(100.0).clip(true))
            .column(Column::initial(70.0).at_least(50.0))
            .column(Column::initial(80.0).at_least(50.0))
            .column(Column::initial(90.0).at_least(60.0))
            .column(Column::initial(95.0).at_least(60.0))
            .column(Column::initial(95.0).at_least(60.0))
            .column(Column::remainder().at_least(80.0).clip(true))
            .auto_shrink([false, false])
            .min_scrolled_height(0.0)
            .max_scroll_height(f32::INFINITY);
        if std::mem::take(self.scroll_to_selected)
            && let Some(row) = self
                .selected
                .and_then(|s| listed.iter().position(|i| *i == s))
        {
            table = table.scroll_to_row(row, Some(egui::Align::Center));
        }
        let (sort, descending) = (*self.sort, *self.descending);
        let mut new_sort = None;
        let mut picked = None;
        table
            .header(24.0, |mut header| {
                let columns: [(&str, Option<ChainSort>); 8] = [
                    ("Start", Some(ChainSort::Start)),
                    ("Operation", None),
                    ("Attempts", Some(ChainSort::Attempts)),
                    ("Backoff", None),
                    ("Outcome", None),
                    ("Wasted time", Some(ChainSort::WastedTime)),
                    ("Wasted tokens", Some(ChainSort::WastedTokens)),
                    ("Flags", None),
                ];
                for (label, column) in columns {
                    header.col(|ui| {
                        let title = egui::RichText::new(label).strong();
                        let Some(column) = column else {
                            ui.label(title);
                            return;
                        };
                        if sort_header_ui(ui, label, (sort == column).then_some(descending)) {
                            new_sort = Some(column);
                        }
                    });
                }
            })
            .body(|body| {
                body.rows(ROW_HEIGHT, listed.len(), |mut row| {
                    let Some((index, chain)) = listed
                        .get(row.index())
                        .and_then(|i| chains.get(*i).map(|c| (*i, c)))
                    else {
                        return;
                    };
                    row.set_selected(*self.selected == Some(index));
                    let start_ns = chain.attempts.first().map_or(0, |a| a.start_ns);
                    let error = |ui: &egui::Ui| ui.visuals().error_fg_color;
                    row.col(|ui| {
                        ui.add(egui::Label::new(format::time_ns(start_ns)).selectable(false));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(lane_name(&chain.operation, chain.model.as_deref()))
                                .selectable(false)
                                .truncate(),
                        );
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(chain.attempts.len().to_string()).selectable(false),
                        );
                    });
                    row.col(|ui| {
                        ui.add(egui::Label::new(chain.backoff.as_str()).selectable(false));
                    });
                    row.col(|ui| {
                        let text = if chain.succeeded {
                            egui::RichText::new("succeeded")
                        } else {
                            egui::RichText::new("failed").color(error(ui))
                        };
                        ui.add(egui::Label::new(text).selectable(false));
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(format::duration_ns((chain.wasted_ms * 1e6) as i64))
                                .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        ui.add(
                            egui::Label::new(format::count(chain.wasted_tokens.max(0) as u64))
                                .selectable(false),
                        );
                    });
                    row.col(|ui| {
                        let text = egui::RichText::new(flags_text(chain));
                        let text = if chain.pointless || chain.storm {
                            text.color(error(ui)).strong()
                        } else {
                            text
                        };
                        ui.add(egui::Label::new(text).selectable(false).truncate());
                    });
                    if row.response().clicked() {
                        picked = Some(index);
                    }
                });
            });
        if let Some(column) = new_sort {
            if *self.sort == column {
                *self.descending = !*self.descending;
            } else {
                *self.sort = column;
                // Attempts and waste read best largest first.
                *self.descending = column != ChainSort::Start;
            }
        }
        if let Some(i) = picked {
            *self.selected = Some(i);
        }
    }
}

/// The columns of an attempts table (a chain's attempts, a validation failure's re-asks).
pub(crate) const ATTEMPT_COLUMNS: [&str; 8] = [
    "#",
    "Start",
    "Wait",
    "Status",
    "Class",
    "Tokens",
    "Waterfall",
    "Message",
];

/// The attempts of the selected chain; each opens its span in the waterfall.
pub fn attempts_ui(ui: &mut egui::Ui, ctx: &ViewCtx, chain: Option<&RetryChain>) {
    let Some(chain) = chain else {
        ui.weak("Select a chain to list its attempts.");
        return;
    };
    ui.horizontal(|ui| {
        ui.strong(format!(
            "{} attempts of {}",
            chain.attempts.len(),
            lane_name(&chain.operation, chain.model.as_deref())
        ));
        ui.weak(format!(
            "backoff {}, {}, {} tokens and {} wasted{}",
            chain.backoff.as_str(),
            if chain.succeeded {
                "succeeded"
            } else {
                "never succeeded"
            },
            format::count(chain.wasted_tokens.max(0) as u64),
            format::duration_ns((chain.wasted_ms * 1e6) as i64),
            if chain.pointless {
                "; retried an error no retry can fix"
            } else {
                ""
            }
        ));
    });
    let mut open = None;
    TableBuilder::new(ui)
        .id_salt("retry_attempts")
        .striped(true)
        .resizable(true)
        .sense(egui::Sense::click())
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::exact(30.0))
        .column(Column::initial(110.0).at_least(60.0))
        .column(Column::initial(80.0).at_least(50.0))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::initial(85.0).at_least(50.0))
        .column(Column::initial(70.0).at_least(40.0))
        .column(Column::initial(70.0).at_least(40.0))
        .column(Column::remainder().at_least(120.0).clip(true))
        .auto_shrink([false, false])
        .min_scrolled_height(0.0)
        .max_scroll_height(f32::INFINITY)
        .header(22.0, |mut header| {
            for title in ATTEMPT_COLUMNS {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, chain.attempts.len(), |mut row| {
                let i = row.index();
                let Some(a) = chain.attempts.get(i) else {
                    return;
                };
                attempt_row_ui(&mut row, i, a, &mut open);
                if row.response().double_clicked() {
                    open = Some(a);
                }
            });
        });
    if let Some(a) = open {
        ctx.navigate(Nav::OpenTrace {
            trace_id: a.trace_id,
            span_id: Some(a.span_id),
        });
    }
}

/// One attempt's cells (shared with the Validation tab's re-asks): number, start, wait,
/// status, class, tokens, an Open button, message.
pub(crate) fn attempt_row_ui<'a>(
    row: &mut egui_extras::TableRow<'_, '_>,
    index: usize,
    a: &'a ChainAttempt,
    open: &mut Option<&'a ChainAttempt>,
) {
    row.col(|ui| {
        ui.label((index + 1).to_string());
    });
    row.col(|ui| {
        ui.label(format::clock_ns(a.start_ns));
    });
    row.col(|ui| {
        let wait = a.wait_ms.map_or_else(
            || "first".to_owned(),
            |w| format::duration_ns((w * 1e6) as i64),
        );
        ui.label(wait);
    });
    row.col(|ui| {
        ui.label(
            a.http_status
                .map_or_else(|| "-".to_owned(), |s| s.to_string()),
        );
    });
    row.col(|ui| {
        ui.colored_label(class_color(a.class), a.class.as_str());
    });
    row.col(|ui| {
        ui.label(format::count(a.tokens.max(0) as u64));
    });
    row.col(|ui| {
        if ui
            .small_button("Open")
            .on_hover_text("Open this attempt in the waterfall")
            .clicked()
        {
            *open = Some(a);
        }
    });
    row.col(|ui| {
        let message = if a.message.is_empty() {
            "-"
        } else {
            a.message.as_str()
        };
        ui.add(egui::Label::new(message).truncate())
            .on_hover_text(message);
    });
}

/// Attempts per logical call of each operation and model that had retries.
pub fn amplification_ui(ui: &mut egui::Ui, amplification: &[Amplification]) {
    ui.strong("Retry amplification");
    ui.weak("attempts per logical call");
    if amplification.is_empty() {
        ui.label("No retries.");
        return;
    }
    TableBuilder::new(ui)
        .id_salt("retry_amplification")
        .striped(true)
        .resizable(true)
        .cell_layout(egui::Layout::left_to_right(egui::Align::Center))
        .column(Column::remainder().at_least(100.0).clip(true))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::initial(60.0).at_least(40.0))
        .column(Column::initial(50.0).at_least(40.0))
        .auto_shrink([false, false])
        .header(22.0, |mut header| {
            for title in ["Operation", "Attempts", "Calls", "Ratio"] {
                header.col(|ui| {
                    ui.strong(title);
                });
            }
        })
        .body(|body| {
            body.rows(ROW_HEIGHT, amplification.len(), |mut row| {
                let Some(a) = amplification.get(row.index()) else {
                    return;
                };
                row.col(|ui| {
                    ui.add(
                        egui::Label::new(lane_name(&a.operation, a.model.as_deref())).truncate(),
                    );
                });
                row.col(|ui| {
                    ui.label(format::count(a.attempts));
                });
                row.col(|ui| {
                    ui.label(format::count(a.logical_calls));
                });
                row.col(|ui| {
                    let text = egui::RichText::new(format!("{:.2}x", a.ratio));
                    let text = if a.ratio >= 1.5 {
                        text.color(ui.visuals().warn_fg_color)
                    } else {
                        text
                    };
                    ui.label(text);
                });
            });
        });
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::retries::ChainAttempt;

    fn chain(
        start_ns: i64,
        attempts: usize,
        tokens: i64,
        pointless: bool,
        storm: bool,
    ) -> RetryChain {
        RetryChain {
            attempts: (0..attempts)
                .map(|k| ChainAttempt {
                    start_ns: start_ns + k as i64,
                    ..ChainAttempt::default()
                })
                .collect(),
            wasted_tokens: tokens,
            wasted_ms: tokens as f64 / 10.0,
            pointless,
            storm,
            ..RetryChain::default()
        }
    }

    #[test]
    fn chains_are_filtered_by_focus_and_sorted() {
        let chains = vec![
            chain(300, 2, 50, false, false),
            chain(100, 8, 900, true, true),
            chain(200, 3, 10, true, false),
        ];
        assert_eq!(
            listed_chains(&chains, ChainFocus::All, ChainSort::Start, false),
            vec![1, 2, 0]
        );
        assert_eq!(
            listed_chains(&chains, ChainFocus::All, ChainSort::Attempts, true),
            vec![1, 2, 0]
        );
        assert_eq!(
            listed_chains(&chains, ChainFocus::All, ChainSort::WastedTokens, false),
            vec![2, 0, 1]
        );
        assert_eq!(
            listed_chains(&chains, ChainFocus::All, ChainSort::WastedTime, true),
            vec![1, 0, 2]
        );
        assert_eq!(
            listed_chains(&chains, ChainFocus::Pointless, ChainSort::Start, false),
            vec![1, 2]
        );
        assert_eq!(
            listed_chains(&chains, ChainFocus::Storms, ChainSort::Start, false),
            vec![1]
        );
        assert_eq!(flags_text(&chains[1]), "pointless storm");
        assert_eq!(flags_text(&chains[0]), "");
    }
}
