//! How times, durations, sizes and ids read on screen.

/// A duration in the unit that reads best: `850 ns`, `12.4 µs`, `3.21 ms`, `1.52 s`, `2m 05s`.
pub fn duration_ns(ns: i64) -> String {
    let sign = if ns < 0 { "-" } else { "" };
    let abs = ns.unsigned_abs() as f64;
    let text = if abs < 1e3 {
        format!("{abs:.0} ns")
    } else if abs < 1e6 {
        format!("{:.1} µs", abs / 1e3)
    } else if abs < 1e9 {
        format!("{:.2} ms", abs / 1e6)
    } else if abs < 60e9 {
        format!("{:.2} s", abs / 1e9)
    } else {
        let secs = (abs / 1e9) as u64;
        format!("{}m {:02}s", secs / 60, secs % 60)
    };
    format!("{sign}{text}")
}

/// A Unix-nanosecond timestamp as UTC date and time with milliseconds.
pub fn time_ns(ns: i64) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) => t.format("%Y-%m-%d %H:%M:%S%.3f").to_string(),
        None => format!("{ns} ns"),
    }
}

/// Time of day only (for axes and dense tables).
pub fn clock_ns(ns: i64) -> String {
    utc_ns(ns, "%H:%M:%S%.3f")
}

/// The UTC date of a Unix-nanosecond timestamp (`2026-11-22`).
pub fn date_ns(ns: i64) -> String {
    utc_ns(ns, "%Y-%m-%d")
}

/// The UTC month of `ns`, as `2026-11`.
pub fn month_ns(ns: i64) -> String {
    utc_ns(ns, "%Y-%m")
}

/// The UTC year of `ns`, as `2027`.
pub fn year_ns(ns: i64) -> String {
    utc_ns(ns, "%Y")
}

/// A Unix-nanosecond timestamp in UTC, formatted with chrono's `format`; the bare number when
/// it is out of chrono's range.
fn utc_ns(ns: i64, format: &str) -> String {
    let secs = ns.div_euclid(1_000_000_000);
    let nanos = ns.rem_euclid(1_000_000_000) as u32;
    match chrono::DateTime::from_timestamp(secs, nanos) {
        Some(t) => t.format(format).to_string(),
        None => format!("{ns}"),
    }
}

/// Bytes as `12.3 MB`.
pub fn bytes(n: u64) -> String {
    let n = n as f64;
    if n < 1e3 {
        format!("{n:.0} B")
    } else if n < 1e6 {
        format!("{:.1} kB", n / 1e3)
    } else if n < 1e9 {
        format!("{:.1} MB", n / 1e6)
    } else {
        format!("{:.2} GB", n / 1e9)
    }
}

/// A count with thousands separators: `1 234 567`.
pub fn count(n: u64) -> String {
    let s = n.to_string();
    let mut out = String::with_capacity(s.len() + s.len() / 3);
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push('\u{202f}');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_pick_a_readable_unit() {
        assert_eq!(duration_ns(850), "850 ns");
        assert_eq!(duration_ns(3_210_000), "3.21 ms");
        assert_eq!(duration_ns(-1_500_000), "-1.50 ms");
        assert_eq!(duration_ns(125_000_000_000), "2m 05s");
    }

    #[test]
    fn counts_group_thousands() {
        assert_eq!(count(1_234_567), "1\u{202f}234\u{202f}567");
        assert_eq!(count(12), "12");
    }
}
