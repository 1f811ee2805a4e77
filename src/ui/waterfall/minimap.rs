//! The minimap: the whole trace pre-aggregated into a small image (pixel columns by bands of
//! rows), rebuilt only when the rows or the strip width change, so a frame never walks 100k spans.
//! Each cell is tinted by how many spans cover it (with the colour of the band's first span's
//! service); a cell with an error span is red.

use egui::{Color32, ColorImage};

use super::palette;
use crate::analysis::trace_tree::{RowRef, TraceTree};

/// Bands of rows at most (the image height).
pub const MAX_BANDS: usize = 64;

/// What a cached minimap image was built from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MinimapKey {
    pub rows_version: u64,
    pub width_px: usize,
}

/// Band (image row) of a row index.
pub fn band_of_row(row: usize, rows: usize, bands: usize) -> usize {
    (row * bands)
        .checked_div(rows)
        .unwrap_or(0)
        .min(bands.saturating_sub(1))
}

/// Bands used for `rows` rows.
pub fn band_count(rows: usize) -> usize {
    rows.clamp(1, MAX_BANDS)
}

/// Builds the minimap image: `width_px` columns over the whole trace, one band per
/// `rows.len() / bands` rows. `service_of` gives each node's palette index.
pub fn build_image(
    tree: &TraceTree,
    rows: &[RowRef],
    service_of: &[u8],
    width_px: usize,
) -> ColorImage {
    let width_px = width_px.max(1);
    let bands = band_count(rows.len());
    let stride = width_px + 1;
    let mut cover = vec![0i32; bands * stride];
    let mut errors = vec![0i32; bands * stride];
    let mut band_service: Vec<Option<u8>> = vec![None; bands];
    let dur_ns = tree.duration_ns().max(1) as f64;
    let col_of = |t_ns: i64| -> usize {
        let frac = (t_ns.saturating_sub(tree.start_ns)) as f64 / dur_ns;
        ((frac * width_px as f64) as usize).min(width_px - 1)
    };
    for (r, row) in rows.iter().enumerate() {
        let Some(node) = tree.node(row.node) else {
            continue;
        };
        let band = band_of_row(r, rows.len(), bands);
        let (c0, c1) = (col_of(node.start_ns), col_of(node.end_ns));
        let base = band * stride;
        let target = if node.flags.is_error() {
            &mut errors
        } else {
            &mut cover
        };
        if let Some(v) = target.get_mut(base + c0) {
            *v += 1;
        }
        if let Some(v) = target.get_mut(base + c1 + 1) {
            *v -= 1;
        }
        if let Some(slot @ None) = band_service.get_mut(band) {
            *slot = service_of.get(row.node.index()).copied();
        }
    }
    let rows_per_band = (rows.len() as f32 / bands as f32).max(1.0);
    let mut pixels = Vec::with_capacity(width_px * bands);
    for band in 0..bands {
        let color = palette::service_color(band_service.get(band).copied().flatten().unwrap_or(0));
        let (mut c, mut e) = (0i32, 0i32);
        for col in 0..width_px {
            let at = band * stride + col;
            c += cover.get(at).copied().unwrap_or(0);
            e += errors.get(at).copied().unwrap_or(0);
            pixels.push(if e > 0 {
                palette::ERROR
            } else if c > 0 {
                let a = (c as f32 / rows_per_band).sqrt().clamp(0.25, 1.0);
                color.gamma_multiply(a)
            } else {
                Color32::TRANSPARENT
            });
        }
    }
    ColorImage::new([width_px, bands], pixels)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::analysis::trace_tree::visible_rows;
    use crate::model::{SpanKind, StatusCode};
    use crate::store::SpanRow;

    fn span(n: u64, parent: Option<u64>, start_ns: i64, end_ns: i64) -> SpanRow {
        SpanRow {
            span_id: n.to_be_bytes(),
            parent_span_id: parent.map(u64::to_be_bytes),
            name: format!("s{n}"),
            service: "svc".to_owned(),
            kind: SpanKind::Internal,
            start_ns,
            end_ns,
            status_code: if n == 3 {
                StatusCode::Error
            } else {
                StatusCode::Unset
            },
            anomalies: 0,
            http_status: None,
            model: None,
            event_times_ns: Vec::new(),
        }
    }

    #[test]
    fn cells_follow_spans() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(2, Some(1), 0, 50),
            span(3, Some(1), 50, 100),
        ]);
        let rows = visible_rows(&tree, &Default::default());
        let image = build_image(&tree, &rows, &[0, 0, 0], 10);
        assert_eq!(image.size, [10, 3]);
        let px = |x: usize, y: usize| image.pixels[y * 10 + x];
        assert_ne!(px(0, 0), Color32::TRANSPARENT);
        assert_ne!(px(9, 0), Color32::TRANSPARENT);
        assert_ne!(px(0, 1), Color32::TRANSPARENT);
        assert_eq!(px(9, 1), Color32::TRANSPARENT);
        assert_eq!(px(9, 2), palette::ERROR);
        assert_eq!(px(0, 2), Color32::TRANSPARENT);
    }

    #[test]
    fn bands_cover_all_rows() {
        assert_eq!(band_count(100_000), MAX_BANDS);
        assert_eq!(band_of_row(99_999, 100_000, MAX_BANDS), MAX_BANDS - 1);
        assert_eq!(band_of_row(0, 0, 1), 0);
    }
}
