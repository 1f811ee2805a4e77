//! The Latency tab: span durations over time as a (downsampled) scatter with p50/p95/p99 lines
//! per time bucket, a log-binned histogram beside it, a summary per group, and the traces whose
//! spans fall inside a box dragged over the scatter. Store reads and statistics run on the
//! query pool; the view keeps plot-ready vectors and rebuilds them only when their inputs change.

use std::sync::Arc;

use egui::{Color32, RichText, Sense, Stroke};
use egui_extras::{Column, TableBuilder};
use egui_plot::{
    Bar, BarChart, GridInput, GridMark, HoverPosition, Legend, Line, LineStyle, Plot, PlotPoint,
    PlotPoints, Points, Polygon, VLine,
};

use crate::analysis::latency::{self as stats, BucketStats, DEFAULT_GRID, LatencyReport};
use crate::store::{Durations, LatencyGroup, SpanFilter, TraceRow};

use super::query::Query;
use super::time_axis::time_x_axis;
use super::{Nav, ViewCtx, format};

/// Most traces a box selection lists.
const BOX_TRACE_LIMIT: u64 = 5_000;
/// Groups that get their own colour in the "all groups" scatter; the rest share one.
const COLORED_GROUPS: usize = 8;
/// Shortest duration drawn on the log scale, in ms (1 ns).
const LOG_FLOOR_MS: f64 = 1e-6;

const GROUP_COLORS: [Color32; COLORED_GROUPS] = [
    Color32::from_rgb(31, 119, 180),
    Color32::from_rgb(44, 160, 44),
    Color32::from_rgb(148, 103, 189),
    Color32::from_rgb(23, 190, 207),
    Color32::from_rgb(188, 189, 34),
    Color32::from_rgb(140, 86, 75),
    Color32::from_rgb(227, 119, 194),
    Color32::from_rgb(127, 127, 127),
];
const OTHER_COLOR: Color32 = Color32::from_rgb(170, 170, 170);

/// The three percentile lines: name, colour, style.
fn percentile_styles() -> [(&'static str, Color32, LineStyle); 3] {
    [
        ("p50", Color32::from_rgb(30, 150, 60), LineStyle::Solid),
        (
            "p95",
            Color32::from_rgb(240, 140, 0),
            LineStyle::Dashed { length: 8.0 },
        ),
        (
            "p99",
            Color32::from_rgb(220, 40, 40),
            LineStyle::Dotted { spacing: 6.0 },
        ),
    ]
}

fn group_by_label(g: LatencyGroup) -> &'static str {
    match g {
        LatencyGroup::Service => "Service",
        LatencyGroup::Operation => "Operation",
        LatencyGroup::Model => "Model",
    }
}

/// What the span data was fetched for.
#[derive(Clone, Debug, PartialEq)]
struct DataKey {
    store_path: std::path::PathBuf,
    filter: SpanFilter,
    group_by: LatencyGroup,
    generation: u64,
}

/// The fetched spans and everything computed from them.
struct LatencyData {
    key: DataKey,
    durations: Durations,
    report: LatencyReport,
    /// Non-empty groups, most spans first.
    summary_order: Vec<u32>,
}

impl LatencyData {
    /// Plot x origin: the first bucket's start (so x is small and ticks land on round times).
    fn origin_ns(&self) -> i64 {
        self.report.buckets.map_or(0, |b| b.origin_ns)
    }

    fn group_index(&self, name: &str) -> Option<u32> {
        self.durations
            .groups
            .iter()
            .position(|g| g == name)
            .map(|i| i as u32)
    }
}

/// One group's own downsampled scatter, with what it was computed for.
struct GroupSample {
    data: DataKey,
    group: u32,
    indices: Vec<u32>,
}

/// A box over the scatter, in data units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct SelectBox {
    from_ns: i64,
    to_ns: i64,
    min_dur_ns: i64,
    max_dur_ns: i64,
}

#[derive(Clone, Debug, PartialEq)]
struct BoxKey {
    data: DataKey,
    group: Option<String>,
    bounds: SelectBox,
}

/// How plot y relates to a duration.
#[derive(Clone, Copy, Debug, PartialEq)]
struct YScale {
    log: bool,
}

impl YScale {
    fn y(self, dur_ns: i64) -> f64 {
        let ms = dur_ns as f64 / 1e6;
        if self.log {
            ms.max(LOG_FLOOR_MS).log10()
        } else {
            ms
        }
    }

    fn dur_ns(self, y: f64) -> i64 {
        let ms = if self.log { 10f64.powf(y) } else { y };
        (ms * 1e6).round().clamp(i64::MIN as f64, i64::MAX as f64) as i64
    }

    fn label(self, y: f64) -> String {
        format::duration_ns(self.dur_ns(y))
    }
}

struct Series {
    name: String,
    color: Color32,
    points: Vec<PlotPoint>,
}

struct PercentileLine {
    name: &'static str,
    color: Color32,
    style: LineStyle,
    /// Runs of adjacent non-empty buckets: the line breaks where buckets are empty, so data
    /// hours or years apart is not joined by a line through time with no spans.
    segments: Vec<Vec<PlotPoint>>,
}

/// Plot-ready vectors, rebuilt only when `CacheKey` changes.
struct PlotCache {
    data: Arc<LatencyData>,
    group: Option<u32>,
    scale: YScale,
    /// Whether `scatter` used the group's own downsample (not the overall one filtered).
    own_sample: bool,
    scatter: Vec<Series>,
    lines: Vec<PercentileLine>,
    bars: Vec<Bar>,
    bar_width: f64,
    zero_count: u64,
    /// p50/p95/p99 of what is shown, as histogram x (log10 ms).
    marks: Vec<(&'static str, Color32, f64)>,
}

/// The Latency tab.
pub struct LatencyView {
    group_by: LatencyGroup,
    /// The group shown alone; `None` shows all.
    group: Option<String>,
    log_y: bool,
    /// When on, a plain drag draws a selection box instead of panning.
    select_mode: bool,
    data: Query<DataKey, Arc<LatencyData>>,
    group_sample: Query<(DataKey, u32), Arc<GroupSample>>,
    cache: Option<PlotCache>,
    /// A selection drag under way: where it started and where the pointer is, in plot
    /// coordinates.
    drag: Option<(PlotPoint, PlotPoint)>,
    /// Set when the scatter's viewport should go back to fit the data.
    reset_plot: bool,
    selection: Option<SelectBox>,
    traces: Query<BoxKey, Vec<TraceRow>>,
    /// Where the scatter's data area was last drawn, in ui points.
    scatter_frame_in_ui: Option<egui::Rect>,
}

impl Default for LatencyView {
    fn default() -> Self {
        Self {
            group_by: LatencyGroup::Service,
            group: None,
            log_y: true,
            select_mode: false,
            data: Query::default(),
            group_sample: Query::default(),
            cache: None,
            drag: None,
            reset_plot: false,
            scatter_frame_in_ui: None,
            selection: None,
            traces: Query::default(),
        }
    }
}

impl LatencyView {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn group_by(&self) -> LatencyGroup {
        self.group_by
    }

    /// Switches the grouping (forgets the picked group and the selection).
    pub fn set_group_by(&mut self, group_by: LatencyGroup) {
        if self.group_by != group_by {
            self.group_by = group_by;
            self.group = None;
            self.selection = None;
        }
    }

    /// The group shown alone, if one is picked.
    pub fn picked_group(&self) -> Option<&str> {
        self.group.as_deref()
    }

    /// Where the scatter's data area was last drawn, in ui points (what a box drag spans).
    pub fn scatter_frame_in_ui(&self) -> Option<egui::Rect> {
        self.scatter_frame_in_ui
    }

    /// The traces listed for the box drawn over the scatter (empty without a box).
    pub fn selected_traces(&self) -> &[TraceRow] {
        match (self.selection, self.traces.value()) {
            (Some(_), Some(rows)) => rows,
            _ => &[],
        }
    }

    /// Whether the spans for the current key are still on their way.
    pub fn is_loading(&self) -> bool {
        self.data.is_loading()
    }

    /// Whether data for the current filter and grouping has arrived.
    pub fn is_loaded(&self) -> bool {
        !self.data.is_loading() && self.data.value().is_some()
    }

    /// Names of the groups of the loaded data.
    pub fn group_names(&self) -> Vec<String> {
        self.data
            .value()
            .map(|d| d.durations.groups.clone())
            .unwrap_or_default()
    }

    pub fn ui(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        self.fetch(ui.ctx(), ctx);
        self.toolbar(ui);
        if let Some(err) = self.data.error() {
            ui.colored_label(ui.visuals().error_fg_color, format!("Query failed: {err}"));
        }
        let Some(data) = self.data.value().cloned() else {
            if self.data.error().is_some() {
                return;
            }
            ui.horizontal(|ui| {
                ui.spinner();
                ui.label("Loading span durations…");
            });
            return;
        };
        if data.durations.dur_ns.is_empty() {
            ui.label("No spans match the current filter.");
            return;
        }
        let group_idx = self.group.as_deref().and_then(|g| data.group_index(g));
        if self.group.is_some() && group_idx.is_none() {
            // The picked group is gone from the new data.
            self.group = None;
        }
        if let Some(g) = group_idx {
            let d = Arc::clone(&data);
            self.group_sample.ensure(
                ctx.queries,
                ui.ctx(),
                (data.key.clone(), g),
                move |_store| {
                    Ok(Arc::new(GroupSample {
                        data: d.key.clone(),
                        group: g,
                        indices: stats::downsample(&d.durations, Some(g), DEFAULT_GRID),
                    }))
                },
            );
        }
        self.refresh_cache(&data, group_idx);
        self.fetch_box(ui.ctx(), ctx, &data);

        egui::Panel::bottom("latency_tables")
            .resizable(true)
            .default_size(240.0)
            .min_size(80.0)
            .show(ui, |ui| self.tables(ui, ctx, &data));
        egui::Panel::right("latency_histogram")
            .resizable(true)
            .default_size(300.0)
            .min_size(140.0)
            .show(ui, |ui| self.histogram(ui));
        egui::CentralPanel::no_frame().show(ui, |ui| self.scatter(ui, &data));
    }

    fn fetch(&mut self, repaint: &egui::Context, ctx: &ViewCtx) {
        let key = DataKey {
            store_path: ctx.store_path.to_owned(),
            filter: ctx.filter.clone(),
            group_by: self.group_by,
            generation: ctx.generation,
        };
        let fetch_key = key.clone();
        self.data.ensure(ctx.queries, repaint, key, move |store| {
            let durations = store.span_durations(&fetch_key.filter, fetch_key.group_by)?;
            let report = stats::latency_report(&durations, None);
            let mut summary_order: Vec<u32> = report
                .summaries
                .iter()
                .enumerate()
                .filter(|(_, s)| s.stats.count > 0)
                .map(|(g, _)| g as u32)
                .collect();
            summary_order.sort_by(|&a, &b| {
                match (
                    report.summaries.get(a as usize),
                    report.summaries.get(b as usize),
                ) {
                    (Some(x), Some(y)) => y
                        .stats
                        .count
                        .cmp(&x.stats.count)
                        .then_with(|| x.name.cmp(&y.name)),
                    _ => a.cmp(&b),
                }
            });
            Ok(Arc::new(LatencyData {
                key: fetch_key,
                durations,
                report,
                summary_order,
            }))
        });
        self.group_sample.poll();
        self.traces.poll();
    }

    fn fetch_box(&mut self, repaint: &egui::Context, ctx: &ViewCtx, data: &LatencyData) {
        let Some(bounds) = self.selection else {
            return;
        };
        let key = BoxKey {
            data: data.key.clone(),
            group: self.group.clone(),
            bounds,
        };
        let k = key.clone();
        self.traces.ensure(ctx.queries, repaint, key, move |store| {
            store.traces_in_box(
                &k.data.filter,
                k.data.group_by,
                k.group.as_deref(),
                (k.bounds.from_ns, k.bounds.to_ns),
                (k.bounds.min_dur_ns, k.bounds.max_dur_ns),
                BOX_TRACE_LIMIT,
            )
        });
    }

    fn toolbar(&mut self, ui: &mut egui::Ui) {
        ui.horizontal_wrapped(|ui| {
            ui.label("Group by:");
            for g in [
                LatencyGroup::Service,
                LatencyGroup::Operation,
                LatencyGroup::Model,
            ] {
                if ui
                    .selectable_label(self.group_by == g, group_by_label(g))
                    .clicked()
                {
                    self.set_group_by(g);
                }
            }
            ui.separator();
            let data = self.data.value().cloned();
            let shown = self
                .group
                .clone()
                .unwrap_or_else(|| "All groups".to_owned());
            let mut picked: Option<Option<String>> = None;
            egui::ComboBox::from_label("Show")
                .selected_text(shown)
                .show_ui(ui, |ui| {
                    if ui
                        .selectable_label(self.group.is_none(), "All groups")
                        .clicked()
                    {
                        picked = Some(None);
                    }
                    let groups = data
                        .as_ref()
                        .map_or(&[][..], |d| d.durations.groups.as_slice());
                    for name in groups {
                        if ui
                            .selectable_label(self.group.as_ref() == Some(name), name)
                            .clicked()
                        {
                            picked = Some(Some(name.clone()));
                        }
                    }
                });
            if let Some(p) = picked {
                self.pick_group(p);
            }
            ui.separator();
            ui.checkbox(&mut self.log_y, "Log scale");
            ui.toggle_value(&mut self.select_mode, "Select")
                .on_hover_text("Drag a box over the plot to list the traces with spans inside it");
            if self.selection.is_some() && ui.button("Clear selection").clicked() {
                self.selection = None;
            }
            if self.data.is_loading() || self.group_sample.is_loading() {
                ui.spinner();
            }
        });
        let hint = if self.select_mode {
            "Drag to select spans · scroll to zoom · double-click to reset"
        } else {
            "Shift+drag to select spans · drag to pan · scroll to zoom · right-drag to zoom a box · double-click to reset"
        };
        ui.label(RichText::new(hint).small().weak());
    }

    fn pick_group(&mut self, group: Option<String>) {
        if self.group != group {
            self.group = group;
            self.selection = None;
        }
    }

    fn refresh_cache(&mut self, data: &Arc<LatencyData>, group: Option<u32>) {
        let scale = YScale { log: self.log_y };
        // The group's own downsample, once it was computed for this data and group.
        let own = group.and_then(|g| {
            self.group_sample
                .value()
                .filter(|s| s.group == g && s.data == data.key)
                .map(Arc::clone)
        });
        if let Some(c) = &self.cache
            && Arc::ptr_eq(&c.data, data)
            && c.group == group
            && c.scale == scale
            && c.own_sample == own.is_some()
        {
            return;
        }
        // A new scale, group or data set makes the old viewport meaningless.
        self.reset_plot = self
            .cache
            .as_ref()
            .is_none_or(|c| !Arc::ptr_eq(&c.data, data) || c.group != group || c.scale != scale);
        let sample: Vec<u32> = match (group, &own) {
            (Some(_), Some(s)) => s.indices.clone(),
            (Some(g), None) => data
                .report
                .sample
                .iter()
                .copied()
                .filter(|&i| data.durations.group.get(i as usize) == Some(&g))
                .collect(),
            (None, _) => data.report.sample.clone(),
        };
        self.cache = Some(build_cache(data, group, scale, &sample, own.is_some()));
    }

    fn scatter(&mut self, ui: &mut egui::Ui, data: &LatencyData) {
        let Some(cache) = &self.cache else {
            return;
        };
        let origin_ns = data.origin_ns();
        let scale = cache.scale;
        let shift = ui.input(|i| i.modifiers.shift);
        let selecting = self.select_mode || shift || self.drag.is_some();
        let selection = self.selection;

        let plot = Plot::new("latency_scatter")
            .legend(Legend::default().follow_insertion_order(true))
            .allow_drag(!selecting);
        let mut plot = time_x_axis(plot, origin_ns, true)
            .y_axis_label(if scale.log {
                "duration (log)"
            } else {
                "duration"
            })
            .y_axis_formatter(move |mark: GridMark, _range| scale.label(mark.value))
            .label_formatter(move |pos: &HoverPosition<'_>| {
                let (name, p) = match pos {
                    HoverPosition::NearDataPoint {
                        plot_name,
                        position,
                        ..
                    } => (*plot_name, *position),
                    HoverPosition::Elsewhere { position } => ("", *position),
                };
                let head = if name.is_empty() {
                    String::new()
                } else {
                    format!("{name}\n")
                };
                let ns = origin_ns.saturating_add((p.x * 1e9).round() as i64);
                Some(format!(
                    "{head}{}\n{}",
                    format::time_ns(ns),
                    scale.label(p.y)
                ))
            });
        if std::mem::take(&mut self.reset_plot) {
            plot = plot.reset();
        }
        if scale.log {
            plot = plot.y_grid_spacer(log_ms_grid_spacer);
        } else {
            plot = plot.include_y(0.0);
        }

        let response = plot.show(ui, |pui| {
            for s in &cache.scatter {
                pui.points(
                    Points::new(s.name.as_str(), PlotPoints::Borrowed(&s.points))
                        .color(s.color)
                        .radius(1.5),
                );
            }
            for l in &cache.lines {
                for segment in &l.segments {
                    pui.line(
                        Line::new(l.name, PlotPoints::Borrowed(segment))
                            .color(l.color)
                            .style(l.style)
                            .width(2.0),
                    );
                }
            }
            if let Some(b) = selection {
                let x0 = (b.from_ns - origin_ns) as f64 / 1e9;
                let x1 = (b.to_ns - origin_ns) as f64 / 1e9;
                let y0 = scale.y(b.min_dur_ns);
                let y1 = scale.y(b.max_dur_ns);
                pui.polygon(
                    Polygon::new(
                        "selection",
                        PlotPoints::new(vec![[x0, y0], [x1, y0], [x1, y1], [x0, y1]]),
                    )
                    .fill_color(Color32::from_rgba_unmultiplied(100, 150, 255, 40))
                    .stroke(Stroke::new(1.0, Color32::from_rgb(100, 150, 255)))
                    .allow_hover(false),
                );
            }
        });

        // Box selection with the plot transform: both corners in plot coordinates, so the
        // box survives the plot moving under it; the last corner is kept for the release frame.
        let r = &response.response;
        let transform = response.transform;
        self.scatter_frame_in_ui = Some(*transform.frame());
        let pointer = r
            .interact_pointer_pos()
            .or_else(|| ui.input(|i| i.pointer.latest_pos()))
            .map(|p| transform.value_from_position(p));
        if selecting
            && r.drag_started_by(egui::PointerButton::Primary)
            && let Some(from) = pointer
        {
            self.drag = Some((from, from));
        }
        if let Some((from, last)) = self.drag {
            let to = pointer.unwrap_or(last);
            self.drag = Some((from, to));
            let rect = transform.rect_from_values(&from, &to);
            ui.painter().with_clip_rect(*transform.frame()).rect(
                rect,
                0.0,
                Color32::from_rgba_unmultiplied(100, 150, 255, 30),
                Stroke::new(1.0, Color32::from_rgb(100, 150, 255)),
                egui::StrokeKind::Inside,
            );
            if r.drag_stopped() || !ui.input(|i| i.pointer.primary_down()) {
                self.drag = None;
                self.finish_box(origin_ns, scale, from, to);
            }
        }
    }

    fn finish_box(&mut self, origin_ns: i64, scale: YScale, a: PlotPoint, b: PlotPoint) {
        let to_ns = |x: f64| origin_ns.saturating_add((x * 1e9).round() as i64);
        let (x0, x1) = (a.x.min(b.x), a.x.max(b.x));
        let (y0, y1) = (a.y.min(b.y), a.y.max(b.y));
        let bounds = SelectBox {
            from_ns: to_ns(x0),
            to_ns: to_ns(x1),
            min_dur_ns: scale.dur_ns(y0).max(0),
            max_dur_ns: scale.dur_ns(y1),
        };
        if bounds.to_ns > bounds.from_ns && bounds.max_dur_ns >= bounds.min_dur_ns {
            self.selection = Some(bounds);
        }
    }

    fn histogram(&mut self, ui: &mut egui::Ui) {
        let Some(cache) = &self.cache else {
            return;
        };
        ui.label(RichText::new("Duration histogram").strong());
        if cache.zero_count > 0 {
            ui.label(format!(
                "{} spans of 0 ns not shown",
                format::count(cache.zero_count)
            ));
        }
        let chart = BarChart::new("spans", cache.bars.clone())
            .width(cache.bar_width)
            .color(Color32::from_rgb(90, 130, 200));
        let marks = cache.marks.clone();
        Plot::new("latency_histogram_plot")
            .x_axis_formatter(|mark: GridMark, _range| ms_label(10f64.powf(mark.value)))
            .x_grid_spacer(log_ms_grid_spacer)
            .y_axis_label("spans")
            .include_y(0.0)
            .allow_drag(false)
            .allow_scroll(false)
            .allow_zoom(false)
            .label_formatter(|pos: &HoverPosition<'_>| {
                let p = match pos {
                    HoverPosition::NearDataPoint { position, .. }
                    | HoverPosition::Elsewhere { position } => *position,
                };
                Some(format!("{}\n{:.0} spans", ms_label(10f64.powf(p.x)), p.y))
            })
            .show(ui, |pui| {
                pui.bar_chart(chart);
                for (name, color, x) in marks {
                    pui.vline(
                        VLine::new(name, x)
                            .color(color)
                            .style(LineStyle::dashed_dense()),
                    );
                }
            });
    }

    fn tables(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx, data: &LatencyData) {
        egui::Panel::left("latency_summary")
            .resizable(true)
            .default_size(460.0)
            .min_size(200.0)
            .show(ui, |ui| self.summary_table(ui, data));
        egui::CentralPanel::no_frame().show(ui, |ui| self.box_table(ui, ctx));
    }

    fn summary_table(&mut self, ui: &mut egui::Ui, data: &LatencyData) {
        ui.label(
            RichText::new(format!(
                "Per {}",
                group_by_label(self.group_by).to_lowercase()
            ))
            .strong(),
        );
        // Row 0 is all spans, then the groups by span count (sorted on the query thread).
        let rows = data.summary_order.len() + 1;
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut picked: Option<Option<String>> = None;
        TableBuilder::new(ui)
            .id_salt("latency_summary_table")
            .striped(true)
            .auto_shrink([false, false])
            .column(Column::initial(180.0).at_least(80.0).clip(true))
            .columns(Column::auto().at_least(50.0), 5)
            .header(row_height, |mut header| {
                for h in ["Group", "Spans", "p50", "p95", "p99", "max"] {
                    header.col(|ui| {
                        ui.strong(h);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows, |mut row| {
                    let summary = match row.index() {
                        0 => data.report.summary_all.as_ref(),
                        i => data
                            .summary_order
                            .get(i - 1)
                            .and_then(|&g| data.report.summaries.get(g as usize)),
                    };
                    let Some(s) = summary else {
                        return;
                    };
                    row.col(|ui| {
                        let (on, text) = match s.group {
                            None => (self.group.is_none(), "All groups"),
                            Some(_) => (
                                self.group.as_deref() == Some(s.name.as_str()),
                                s.name.as_str(),
                            ),
                        };
                        if ui.selectable_label(on, text).clicked() {
                            picked = Some(s.group.map(|_| s.name.clone()));
                        }
                    });
                    for v in [
                        format::count(s.stats.count),
                        format::duration_ns(s.stats.p50_ns),
                        format::duration_ns(s.stats.p95_ns),
                        format::duration_ns(s.stats.p99_ns),
                        format::duration_ns(s.stats.max_ns),
                    ] {
                        row.col(|ui| {
                            ui.label(v);
                        });
                    }
                });
            });
        if let Some(p) = picked {
            self.pick_group(p);
        }
    }

    fn box_table(&mut self, ui: &mut egui::Ui, ctx: &ViewCtx) {
        if self.selection.is_none() {
            ui.label("Shift+drag (or turn on Select and drag) a box over the plot to list the traces with spans inside it.");
            return;
        }
        ui.horizontal(|ui| {
            let n = self.traces.value().map_or(0, Vec::len);
            ui.label(RichText::new("Traces in the box").strong());
            ui.label(if n as u64 >= BOX_TRACE_LIMIT {
                format!("first {}", format::count(n as u64))
            } else {
                format::count(n as u64)
            });
            if self.traces.is_loading() {
                ui.spinner();
            }
            if let Some(err) = self.traces.error() {
                ui.colored_label(ui.visuals().error_fg_color, err);
            }
        });
        let Some(rows) = self.traces.value() else {
            return;
        };
        let row_height = ui.text_style_height(&egui::TextStyle::Body) + 4.0;
        let mut open = None;
        TableBuilder::new(ui)
            .id_salt("latency_box_traces")
            .striped(true)
            .sense(Sense::click())
            .auto_shrink([false, false])
            .column(Column::auto().at_least(90.0))
            .column(Column::auto().at_least(70.0))
            .column(Column::initial(220.0).at_least(80.0).clip(true))
            .column(Column::initial(140.0).at_least(60.0).clip(true))
            .column(Column::auto().at_least(40.0))
            .column(Column::auto().at_least(40.0))
            .column(Column::remainder().clip(true))
            .header(row_height, |mut header| {
                for h in [
                    "Start",
                    "Duration",
                    "Root span",
                    "Service",
                    "Spans",
                    "Errors",
                    "Models",
                ] {
                    header.col(|ui| {
                        ui.strong(h);
                    });
                }
            })
            .body(|body| {
                body.rows(row_height, rows.len(), |mut row| {
                    let Some(t) = rows.get(row.index()) else {
                        return;
                    };
                    let cells = [
                        format::clock_ns(t.start_ns),
                        format::duration_ns(t.dur_ns),
                        t.root_name.clone(),
                        t.root_service.clone(),
                        format::count(t.span_count),
                        format::count(t.error_count),
                        t.models.clone(),
                    ];
                    let mut clicked = false;
                    for text in cells {
                        let (_, r) = row.col(|ui| {
                            ui.add(egui::Label::new(text).truncate().selectable(false));
                        });
                        clicked |= r.clicked();
                    }
                    if clicked {
                        open = Some(t.trace_id);
                    }
                });
            });
        if let Some(trace_id) = open {
            ctx.navigate(Nav::OpenTrace {
                trace_id,
                span_id: None,
            });
        }
    }
}

fn build_cache(
    data: &Arc<LatencyData>,
    group: Option<u32>,
    scale: YScale,
    sample: &[u32],
    own_sample: bool,
) -> PlotCache {
    let d = &data.durations;
    let report = &data.report;
    let origin_ns = data.origin_ns();
    let point = |i: u32| -> Option<PlotPoint> {
        let t = *d.start_ns.get(i as usize)?;
        let dur = *d.dur_ns.get(i as usize)?;
        Some(PlotPoint::new((t - origin_ns) as f64 / 1e9, scale.y(dur)))
    };

    // Scatter: one series for a picked group; otherwise the largest groups in their own colour.
    let scatter = match group {
        Some(g) => vec![Series {
            name: d.groups.get(g as usize).cloned().unwrap_or_default(),
            color: GROUP_COLORS.first().copied().unwrap_or(OTHER_COLOR),
            points: sample.iter().filter_map(|&i| point(i)).collect(),
        }],
        None => {
            let mut by_count: Vec<(u32, u64)> = report
                .summaries
                .iter()
                .enumerate()
                .map(|(g, s)| (g as u32, s.stats.count))
                .filter(|(_, n)| *n > 0)
                .collect();
            by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
            let mut slot_of = vec![COLORED_GROUPS; d.groups.len()];
            for (slot, (g, _)) in by_count.iter().take(COLORED_GROUPS).enumerate() {
                if let Some(s) = slot_of.get_mut(*g as usize) {
                    *s = slot;
                }
            }
            let mut series: Vec<Series> = by_count
                .iter()
                .take(COLORED_GROUPS)
                .enumerate()
                .map(|(slot, (g, _))| Series {
                    name: d.groups.get(*g as usize).cloned().unwrap_or_default(),
                    color: GROUP_COLORS.get(slot).copied().unwrap_or(OTHER_COLOR),
                    points: Vec::new(),
                })
                .collect();
            series.push(Series {
                name: "other groups".to_owned(),
                color: OTHER_COLOR,
                points: Vec::new(),
            });
            for &i in sample {
                let slot = d
                    .group
                    .get(i as usize)
                    .and_then(|g| slot_of.get(*g as usize))
                    .copied()
                    .unwrap_or(COLORED_GROUPS);
                if let (Some(s), Some(p)) = (series.get_mut(slot), point(i)) {
                    s.points.push(p);
                }
            }
            series.retain(|s| !s.points.is_empty());
            series
        }
    };

    // Percentile lines per bucket (bucket middles).
    let buckets = match group {
        Some(g) => report
            .by_group
            .get(g as usize)
            .map_or(&[][..], Vec::as_slice),
        None => report.overall.as_slice(),
    };
    let width_ns = report.buckets.map_or(0, |b| b.width_ns);
    let lines = percentile_styles()
        .into_iter()
        .enumerate()
        .map(|(k, (name, color, style))| PercentileLine {
            name,
            color,
            style,
            segments: adjacent_runs(buckets)
                .map(|run| {
                    run.iter()
                        .map(|b| {
                            let v = match k {
                                0 => b.stats.p50_ns,
                                1 => b.stats.p95_ns,
                                _ => b.stats.p99_ns,
                            };
                            PlotPoint::new(
                                (b.start_ns + width_ns / 2 - origin_ns) as f64 / 1e9,
                                scale.y(v),
                            )
                        })
                        .collect()
                })
                .collect(),
        })
        .collect();

    // Histogram bars in log10(ms).
    let hist = match group {
        Some(g) => report
            .histograms
            .get(g as usize)
            .unwrap_or(&report.histogram),
        None => &report.histogram,
    };
    let bar_width = 0.95 / f64::from(hist.bins_per_decade.max(1));
    let bars = hist
        .counts
        .iter()
        .enumerate()
        .filter(|(_, c)| **c > 0)
        .map(|(i, &c)| {
            let (lo, hi) = hist.bin_edges_ns(i);
            let mid = ((lo / 1e6).log10() + (hi / 1e6).log10()) / 2.0;
            Bar::new(mid, c as f64).width(bar_width).name(format!(
                "{} – {}",
                ns_label(lo),
                ns_label(hi)
            ))
        })
        .collect();
    let summary = match group {
        Some(g) => report.summaries.get(g as usize).map(|s| s.stats),
        None => report.summary_all.as_ref().map(|s| s.stats),
    };
    let marks = summary
        .filter(|s| s.count > 0)
        .map(|s| {
            percentile_styles()
                .into_iter()
                .zip([s.p50_ns, s.p95_ns, s.p99_ns])
                .map(|((name, color, _), v)| (name, color, (v.max(1) as f64 / 1e6).log10()))
                .collect()
        })
        .unwrap_or_default();

    PlotCache {
        data: Arc::clone(data),
        group,
        scale,
        own_sample,
        scatter,
        lines,
        bars,
        bar_width,
        zero_count: hist.zero_count,
        marks,
    }
}

/// Splits non-empty buckets (in bucket order) into runs of consecutive bucket numbers.
fn adjacent_runs(buckets: &[BucketStats]) -> impl Iterator<Item = &[BucketStats]> {
    buckets.chunk_by(|a, b| b.bucket == a.bucket + 1)
}

fn ns_label(ns: f64) -> String {
    format::duration_ns(ns.round().clamp(i64::MIN as f64, i64::MAX as f64) as i64)
}

fn ms_label(ms: f64) -> String {
    ns_label(ms * 1e6)
}

/// Grid marks for an axis in log10(ms): decades, and 2x / 5x within them.
fn log_ms_grid_spacer(input: GridInput) -> Vec<GridMark> {
    let (lo, hi) = input.bounds;
    if !(lo.is_finite() && hi.is_finite()) || hi - lo > 40.0 {
        return Vec::new();
    }
    let span = hi - lo;
    let mut marks = Vec::new();
    for d in (lo.floor() as i64)..=(hi.ceil() as i64) {
        let d = d as f64;
        marks.push(GridMark {
            value: d,
            step_size: 1.0,
        });
        if span < 6.0 {
            for f in [2f64, 5.0] {
                marks.push(GridMark {
                    value: d + f.log10(),
                    step_size: 0.3,
                });
            }
        }
    }
    marks
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bucket(n: usize) -> BucketStats {
        BucketStats {
            bucket: n,
            start_ns: n as i64 * 1_000,
            stats: Default::default(),
        }
    }

    #[test]
    fn percentile_lines_break_at_empty_buckets() {
        let buckets: Vec<BucketStats> = [0, 1, 2, 7, 8, 20].into_iter().map(bucket).collect();
        let runs: Vec<Vec<usize>> = adjacent_runs(&buckets)
            .map(|r| r.iter().map(|b| b.bucket).collect())
            .collect();
        assert_eq!(runs, vec![vec![0, 1, 2], vec![7, 8], vec![20]]);
    }
}
