//! The Validation tab's chart: the failure rate per time bucket, one line per series (model,
//! model version, prompt or service version) and one for all outputs, with the 5% alert line.
//! Hovering names the series, the bucket's time and its counts.

use egui_plot::{GridMark, HLine, HoverPosition, Legend, Line, LineStyle, Plot, PlotPoints};

use crate::analysis::validation::{ALERT_RATE, BucketRate, SeriesBy, SeriesRates};
use crate::ui::format;
use crate::ui::time_axis::time_x_axis;

use super::ValidationData;

/// Per series name, its points as (x, failed, validated), for the hover text.
type HoverCounts = Vec<(String, Vec<(f64, u64, u64)>)>;

/// Series beyond this many (by most validated) are left out of the chart.
const MAX_SERIES: usize = 12;

fn points(rates: &[BucketRate], origin_ns: i64, half_width_ns: i64) -> Vec<[f64; 2]> {
    rates
        .iter()
        .map(|b| {
            [
                (b.start_ns + half_width_ns - origin_ns) as f64 / 1e9,
                b.rate.rate * 100.0,
            ]
        })
        .collect()
}

pub fn rate_chart_ui(
    ui: &mut egui::Ui,
    data: &ValidationData,
    series: &[SeriesRates],
    by: SeriesBy,
) {
    let Some(buckets) = &data.buckets else {
        return;
    };
    let origin_ns = buckets.origin_ns;
    let half_width_ns = buckets.width_ns / 2;
    let mut shown: Vec<&SeriesRates> = series.iter().collect();
    shown.sort_by_key(|s| std::cmp::Reverse(s.overall.validated));
    shown.truncate(MAX_SERIES);
    shown.sort_by(|a, b| a.name.cmp(&b.name));
    if series.len() > MAX_SERIES {
        ui.weak(format!(
            "{} {} series; the {MAX_SERIES} with the most validated outputs are drawn",
            series.len(),
            by.label()
        ));
    }
    // Counts per (series name, x) for the hover text.
    let mut counts: HoverCounts = vec![(
        "all outputs".to_owned(),
        data.summary
            .by_bucket
            .iter()
            .map(|b| {
                (
                    (b.start_ns + half_width_ns - origin_ns) as f64 / 1e9,
                    b.rate.failed,
                    b.rate.validated,
                )
            })
            .collect(),
    )];
    for s in &shown {
        counts.push((
            s.name.clone(),
            s.points
                .iter()
                .map(|b| {
                    (
                        (b.start_ns + half_width_ns - origin_ns) as f64 / 1e9,
                        b.rate.failed,
                        b.rate.validated,
                    )
                })
                .collect(),
        ));
    }
    let width_s = buckets.width_ns as f64 / 1e9;
    let plot =
        Plot::new("validation_rate_plot").legend(Legend::default().follow_insertion_order(true));
    time_x_axis(plot, origin_ns, true)
        .y_axis_label("failure rate")
        .y_axis_formatter(|mark: GridMark, _range| format!("{:.0} %", mark.value))
        .include_y(0.0)
        .include_y(ALERT_RATE * 100.0 * 2.0)
        .label_formatter(move |pos: &HoverPosition<'_>| {
            let HoverPosition::NearDataPoint {
                plot_name,
                position,
                ..
            } = pos
            else {
                return None;
            };
            let name: &str = plot_name;
            let ns = origin_ns.saturating_add((position.x * 1e9).round() as i64);
            let found = counts.iter().find(|(n, _)| n == name).and_then(|(_, pts)| {
                pts.iter()
                    .find(|(x, _, _)| (x - position.x).abs() < width_s / 4.0)
            });
            let detail = found.map_or_else(String::new, |(_, failed, validated)| {
                format!("\n{failed} of {validated} failed")
            });
            Some(format!(
                "{name}\n{} UTC\n{:.1} %{detail}",
                format::time_ns(ns),
                position.y
            ))
        })
        .show(ui, |pui| {
            pui.hline(
                HLine::new(
                    format!("{:.0} % alert", ALERT_RATE * 100.0),
                    ALERT_RATE * 100.0,
                )
                .color(egui::Color32::from_rgb(220, 60, 60))
                .style(LineStyle::dashed_loose())
                .width(1.5),
            );
            pui.line(
                Line::new(
                    "all outputs",
                    PlotPoints::new(points(&data.summary.by_bucket, origin_ns, half_width_ns)),
                )
                .color(egui::Color32::GRAY)
                .style(LineStyle::dashed_dense())
                .width(2.0),
            );
            for s in &shown {
                pui.line(
                    Line::new(
                        s.name.as_str(),
                        PlotPoints::new(points(&s.points, origin_ns, half_width_ns)),
                    )
                    .width(2.0),
                );
            }
        });
}
