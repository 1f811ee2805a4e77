//! Plot x axes of wall-clock time. Plots keep x as seconds after an origin (f64 keeps
//! sub-microsecond precision there); the marks fall on round UTC clock steps (whole minutes,
//! hours, days) and read as times of day, or dates and times when the view spans days. Views
//! of months or years step on calendar months and read as `2026-11` or `2027`.

use egui_plot::{GridInput, GridMark, Plot};

use super::format;

/// Gives `plot` a time x axis (round clock marks and their labels) for x in seconds after
/// `origin_ns`, labelled "time (UTC)" when `labelled`.
pub fn time_x_axis(plot: Plot<'_>, origin_ns: i64, labelled: bool) -> Plot<'_> {
    let plot = if labelled {
        plot.x_axis_label("time (UTC)")
    } else {
        plot
    };
    plot.x_axis_formatter(
        move |mark: GridMark, range: &std::ops::RangeInclusive<f64>| {
            axis_time_label(
                origin_ns,
                mark.value,
                mark.step_size,
                range.end() - range.start(),
            )
        },
    )
    .x_grid_spacer(move |input| clock_grid_marks(origin_ns, input))
}

/// An axis label for plot x (seconds after `origin_ns`) that suits the visible span: the time
/// of day within a day (without `.000` on whole seconds), date and time across days, the date
/// alone for whole-day marks.
pub fn axis_time_label(origin_ns: i64, x_s: f64, step_s: f64, visible_s: f64) -> String {
    let ns = origin_ns.saturating_add((x_s * 1e9).round() as i64);
    const DAY_S: f64 = 86_400.0;
    if step_s >= 12.0 * AVG_MONTH_S {
        return format::year_ns(ns);
    }
    if step_s >= AVG_MONTH_S {
        return format::month_ns(ns);
    }
    if step_s >= DAY_S {
        return format::date_ns(ns);
    }
    let clock = format::clock_ns(ns);
    let clock = clock.strip_suffix(".000").unwrap_or(&clock);
    if visible_s > DAY_S {
        format!("{} {clock}", format::date_ns(ns))
    } else {
        clock.to_owned()
    }
}

/// Round clock steps, in milliseconds.
const CLOCK_STEPS_MS: &[i64] = &[
    1,
    2,
    5,
    10,
    20,
    50,
    100,
    200,
    500,
    1_000,
    2_000,
    5_000,
    10_000,
    15_000,
    30_000,
    60_000,
    120_000,
    300_000,
    600_000,
    900_000,
    1_800_000,
    3_600_000,
    7_200_000,
    10_800_000,
    21_600_000,
    43_200_000,
    86_400_000,
    172_800_000,
    604_800_000,
];

const MS_PER_DAY: i64 = 86_400_000;

/// The smallest round clock step of at least `at_least_ms` (whole days beyond a week).
fn clock_step_ms(at_least_ms: f64) -> i64 {
    CLOCK_STEPS_MS
        .iter()
        .copied()
        .find(|s| *s as f64 >= at_least_ms)
        .unwrap_or_else(|| ((at_least_ms / MS_PER_DAY as f64).ceil() as i64).max(1) * MS_PER_DAY)
}

/// The mean length of a calendar month, in seconds (what a month step stands for).
const AVG_MONTH_S: f64 = 2_629_746.0;

/// Calendar steps in months, for views of months and years.
const MONTH_STEPS: &[i64] = &[1, 2, 3, 6, 12, 24, 60, 120, 240, 600, 1_200];

/// Clock steps end at a week; coarser marks step on calendar months.
const LONGEST_CLOCK_STEP_MS: f64 = 604_800_000.0;

/// The smallest calendar step of at least `at_least_s` seconds.
fn month_step(at_least_s: f64) -> i64 {
    MONTH_STEPS
        .iter()
        .copied()
        .find(|m| *m as f64 * AVG_MONTH_S >= at_least_s)
        .unwrap_or(1_200)
}

/// Months since January 1970 of the UTC month `ms` falls in.
fn month_index(ms: i64) -> Option<i64> {
    use chrono::Datelike as _;
    let t = chrono::DateTime::from_timestamp_millis(ms)?;
    Some((i64::from(t.year()) - 1970) * 12 + i64::from(t.month0()))
}

/// Milliseconds since the epoch at the start of month `index` (months since January 1970).
fn month_start_ms(index: i64) -> Option<i64> {
    let year = i32::try_from(1970 + index.div_euclid(12)).ok()?;
    let month = u32::try_from(index.rem_euclid(12) + 1).ok()?;
    let day = chrono::NaiveDate::from_ymd_opt(year, month, 1)?;
    Some(day.and_hms_opt(0, 0, 0)?.and_utc().timestamp_millis())
}

/// A plot's time origin split into whole milliseconds since the epoch and the rest, so marks on
/// whole milliseconds convert to plot x (seconds after the origin) without losing precision.
struct Origin {
    ms: i64,
    rest_s: f64,
}

impl Origin {
    fn of(origin_ns: i64) -> Self {
        Self {
            ms: origin_ns.div_euclid(1_000_000),
            rest_s: origin_ns.rem_euclid(1_000_000) as f64 / 1e9,
        }
    }

    /// Whole milliseconds since the epoch at plot x `x_s`, rounded by `round`.
    fn ms_at(&self, x_s: f64, round: fn(f64) -> f64) -> i64 {
        self.ms
            .saturating_add(round((x_s - self.rest_s) * 1e3) as i64)
    }

    /// Plot x of `ms` milliseconds since the epoch.
    fn x_at(&self, ms: i64) -> f64 {
        (ms - self.ms) as f64 / 1e3 - self.rest_s
    }
}

/// The coarsest of `[fine, medium, coarse]` steps that `at` (a multiple of `fine`) falls on.
fn coarsest_step(at: i64, [fine, medium, coarse]: [i64; 3]) -> i64 {
    if at.rem_euclid(coarse) == 0 {
        coarse
    } else if at.rem_euclid(medium) == 0 {
        medium
    } else {
        fine
    }
}

/// Grid marks on the first of a month, midnight UTC, for views too long for clock steps.
fn calendar_grid_marks(origin_ns: i64, lo_s: f64, hi_s: f64, base_step_s: f64) -> Vec<GridMark> {
    let fine = month_step(base_step_s);
    let medium = month_step(fine as f64 * AVG_MONTH_S * 4.0);
    let coarse = month_step(medium as f64 * AVG_MONTH_S * 4.0);
    let origin = Origin::of(origin_ns);
    let (Some(lo), Some(hi)) = (
        month_index(origin.ms_at(lo_s, f64::floor)),
        month_index(origin.ms_at(hi_s, f64::ceil)),
    ) else {
        return Vec::new();
    };
    let (first, last) = (lo.div_euclid(fine), hi.div_euclid(fine) + 1);
    if last - first > 10_000 {
        return Vec::new();
    }
    (first..=last)
        .filter_map(|k| {
            let index = k * fine;
            Some(GridMark {
                value: origin.x_at(month_start_ms(index)?),
                step_size: coarsest_step(index, [fine, medium, coarse]) as f64 * AVG_MONTH_S,
            })
        })
        .collect()
}

/// Grid marks where the UTC clock is round (x in seconds after `origin_ns`): fine, medium and
/// coarse steps, each mark tagged with the coarsest step it falls on.
fn clock_grid_marks(origin_ns: i64, input: GridInput) -> Vec<GridMark> {
    let (lo_s, hi_s) = input.bounds;
    if !(lo_s.is_finite() && hi_s.is_finite()) || hi_s < lo_s {
        return Vec::new();
    }
    let base_step_s = input.base_step_size.abs().max(1e-9);
    if base_step_s * 1e3 > LONGEST_CLOCK_STEP_MS {
        return calendar_grid_marks(origin_ns, lo_s, hi_s, base_step_s);
    }
    let fine_ms = clock_step_ms(base_step_s * 1e3);
    let medium_ms = clock_step_ms(fine_ms as f64 * 4.0);
    let coarse_ms = clock_step_ms(medium_ms as f64 * 4.0);
    let origin = Origin::of(origin_ns);
    let lo_ms = origin.ms_at(lo_s, f64::floor);
    let hi_ms = origin.ms_at(hi_s, f64::ceil);
    let first = lo_ms.div_euclid(fine_ms);
    let last = hi_ms.div_euclid(fine_ms) + 1;
    if last - first > 10_000 {
        return Vec::new();
    }
    (first..=last)
        .map(|k| {
            let at_ms = k * fine_ms;
            GridMark {
                value: origin.x_at(at_ms),
                step_size: coarsest_step(at_ms, [fine_ms, medium_ms, coarse_ms]) as f64 / 1e3,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    // 2026-11-22 10:30:00 UTC.
    const ORIGIN_NS: i64 = 1_795_343_400_000_000_000;

    #[test]
    fn axis_labels_show_dates_when_the_view_spans_days() {
        assert_eq!(axis_time_label(ORIGIN_NS, 0.0, 60.0, 3_600.0), "10:30:00");
        assert_eq!(
            axis_time_label(ORIGIN_NS, 0.0, 3_600.0, 5.0 * 86_400.0),
            "2026-11-22 10:30:00"
        );
        assert_eq!(
            axis_time_label(ORIGIN_NS, 0.0, 86_400.0, 700.0 * 86_400.0),
            "2026-11-22"
        );
    }

    #[test]
    fn marks_fall_on_round_clock_times_whatever_the_origin() {
        // An origin at 10:30:00.204: the marks are whole minutes of the clock, not multiples of
        // a minute after the origin.
        let origin_ns = ORIGIN_NS + 204_000_000;
        let marks = clock_grid_marks(
            origin_ns,
            GridInput {
                bounds: (0.0, 600.0),
                base_step_size: 50.0,
            },
        );
        assert!(!marks.is_empty());
        for mark in &marks {
            let ns = origin_ns + (mark.value * 1e9).round() as i64;
            assert_eq!(ns.rem_euclid(60_000_000_000), 0, "{mark:?}");
        }
        let labels: Vec<String> = marks
            .iter()
            .filter(|m| m.value >= 0.0 && m.step_size >= 300.0)
            .map(|m| axis_time_label(origin_ns, m.value, m.step_size, 600.0))
            .collect();
        assert_eq!(labels, ["10:35:00", "10:40:00"]);
    }

    #[test]
    fn views_of_years_step_on_calendar_months_and_read_as_months_and_years() {
        // About three years, asked for a mark every 50 days or so.
        let marks = clock_grid_marks(
            ORIGIN_NS,
            GridInput {
                bounds: (0.0, 3.0 * 365.0 * 86_400.0),
                base_step_size: 50.0 * 86_400.0,
            },
        );
        assert!(marks.len() > 10, "{}", marks.len());
        let visible_s = 3.0 * 365.0 * 86_400.0;
        let labels: Vec<String> = marks
            .iter()
            .filter(|m| m.value >= 0.0)
            .map(|m| {
                let ns = ORIGIN_NS + (m.value * 1e9).round() as i64;
                // Every mark is the first of a month at midnight UTC.
                assert!(
                    format::time_ns(ns).contains("-01 00:00:00"),
                    "{}",
                    format::time_ns(ns)
                );
                axis_time_label(ORIGIN_NS, m.value, m.step_size, visible_s)
            })
            .collect();
        // Two-month steps from 2027-01; the years stand out.
        assert_eq!(
            labels.get(..4),
            Some(&["2027", "2027-03", "2027-05", "2027-07"].map(String::from)[..])
        );
        assert!(labels.contains(&"2028".to_owned()), "{labels:?}");
    }

    #[test]
    fn marks_of_a_degenerate_view_are_empty() {
        let input = GridInput {
            bounds: (f64::NAN, 1.0),
            base_step_size: 1.0,
        };
        assert!(clock_grid_marks(ORIGIN_NS, input).is_empty());
    }
}
