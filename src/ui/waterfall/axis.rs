//! The waterfall's time axis: the visible time window (nanoseconds relative to the trace start),
//! zooming and panning it, mapping it to screen x, and choosing round tick steps.

/// The visible part of the trace, in nanoseconds since the trace start.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Window {
    pub start_ns: f64,
    pub end_ns: f64,
}

/// The narrowest window zooming allows.
pub const MIN_WINDOW_NS: f64 = 100.0;

impl Window {
    /// The whole trace (at least 1 ns wide, so the mapping never divides by zero).
    pub fn full(trace_dur_ns: i64) -> Self {
        Self {
            start_ns: 0.0,
            end_ns: (trace_dur_ns as f64).max(1.0),
        }
    }

    pub fn len_ns(&self) -> f64 {
        (self.end_ns - self.start_ns).max(1.0)
    }

    pub fn is_full(&self, trace_dur_ns: i64) -> bool {
        *self == Self::full(trace_dur_ns)
    }

    /// Zooms by `factor` (> 1 zooms in) keeping `anchor_ns` at the same screen position.
    pub fn zoom_around(&mut self, anchor_ns: f64, factor: f64, trace_dur_ns: i64) {
        if !(factor.is_finite() && factor > 0.0) {
            return;
        }
        let full = Self::full(trace_dur_ns);
        let len = (self.len_ns() / factor).clamp(MIN_WINDOW_NS.min(full.len_ns()), full.len_ns());
        let frac = ((anchor_ns - self.start_ns) / self.len_ns()).clamp(0.0, 1.0);
        self.start_ns = anchor_ns - frac * len;
        self.end_ns = self.start_ns + len;
        self.clamp(trace_dur_ns);
    }

    /// Moves the window by `delta_ns` (positive moves later), staying inside the trace.
    pub fn pan_ns(&mut self, delta_ns: f64, trace_dur_ns: i64) {
        self.start_ns += delta_ns;
        self.end_ns += delta_ns;
        self.clamp(trace_dur_ns);
    }

    /// Centres the window on `center_ns`, keeping its length.
    pub fn center_on(&mut self, center_ns: f64, trace_dur_ns: i64) {
        let half = self.len_ns() / 2.0;
        self.start_ns = center_ns - half;
        self.end_ns = center_ns + half;
        self.clamp(trace_dur_ns);
    }

    /// Keeps the window inside `[0, trace duration]` without changing its length when possible.
    pub fn clamp(&mut self, trace_dur_ns: i64) {
        let full = Self::full(trace_dur_ns);
        let len = self.len_ns().min(full.len_ns());
        if self.start_ns < 0.0 || !self.start_ns.is_finite() {
            self.start_ns = 0.0;
        }
        if self.start_ns + len > full.end_ns {
            self.start_ns = full.end_ns - len;
        }
        self.end_ns = self.start_ns + len;
    }
}

/// Maps the window onto a horizontal strip of the screen.
#[derive(Clone, Copy, Debug)]
pub struct TimeToUi {
    pub window: Window,
    pub left_x: f32,
    pub width_px: f32,
}

impl TimeToUi {
    /// Screen x of a time (ns since the trace start).
    pub fn ui_from_ns(&self, t_ns: f64) -> f32 {
        let frac = (t_ns - self.window.start_ns) / self.window.len_ns();
        // Far-off times are clamped so painting never sees huge coordinates.
        self.left_x + (frac.clamp(-1.0, 2.0) as f32) * self.width_px
    }

    /// Time (ns since the trace start) at screen x.
    pub fn ns_from_ui(&self, x_in_ui: f32) -> f64 {
        let frac = f64::from((x_in_ui - self.left_x) / self.width_px.max(1.0));
        self.window.start_ns + frac * self.window.len_ns()
    }

    /// Nanoseconds per screen point.
    pub fn ns_per_px(&self) -> f64 {
        self.window.len_ns() / f64::from(self.width_px.max(1.0))
    }
}

/// A round tick step (1, 2 or 5 times a power of ten ns) giving ticks at least
/// `min_spacing_px` apart.
pub fn tick_step_ns(window: Window, width_px: f32, min_spacing_px: f32) -> f64 {
    let min_step = window.len_ns() * f64::from(min_spacing_px) / f64::from(width_px.max(1.0));
    let mut step = 1.0;
    while step < min_step {
        for m in [2.0, 2.5, 2.0] {
            step *= m;
            if step >= min_step {
                return step;
            }
        }
    }
    step
}

/// Tick times (ns since the trace start) inside the window.
pub fn ticks(window: Window, width_px: f32, min_spacing_px: f32) -> Vec<f64> {
    let step = tick_step_ns(window, width_px, min_spacing_px);
    let first = (window.start_ns / step).ceil() as i64;
    let last = (window.end_ns / step).floor() as i64;
    (first..=last.min(first + 1000))
        .map(|i| i as f64 * step)
        .collect()
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn mapping_round_trips() {
        let map = TimeToUi {
            window: Window {
                start_ns: 1000.0,
                end_ns: 2000.0,
            },
            left_x: 100.0,
            width_px: 500.0,
        };
        assert_eq!(map.ui_from_ns(1000.0), 100.0);
        assert_eq!(map.ui_from_ns(2000.0), 600.0);
        assert!((map.ns_from_ui(350.0) - 1500.0).abs() < 1e-6);
    }

    #[test]
    fn zoom_keeps_the_anchor_and_stays_inside() {
        let mut w = Window::full(1_000_000);
        w.zoom_around(250_000.0, 2.0, 1_000_000);
        assert!((w.start_ns - 125_000.0).abs() < 1e-6);
        assert!((w.end_ns - 625_000.0).abs() < 1e-6);
        w.zoom_around(0.0, 0.0001, 1_000_000);
        assert_eq!(w, Window::full(1_000_000));
        w.zoom_around(500_000.0, 1e12, 1_000_000);
        assert!((w.len_ns() - MIN_WINDOW_NS).abs() < 1e-6);
        w.pan_ns(-1e9, 1_000_000);
        assert_eq!(w.start_ns, 0.0);
        w.pan_ns(1e9, 1_000_000);
        assert!((w.end_ns - 1_000_000.0).abs() < 1e-6);
    }

    #[test]
    fn ticks_are_round() {
        let w = Window::full(10_000_000);
        assert_eq!(tick_step_ns(w, 1000.0, 80.0), 1_000_000.0);
        let t = ticks(w, 1000.0, 80.0);
        assert_eq!(t.first(), Some(&0.0));
        assert_eq!(t.len(), 11);
        assert_eq!(tick_step_ns(Window::full(3), 1000.0, 80.0), 1.0);
    }
}
