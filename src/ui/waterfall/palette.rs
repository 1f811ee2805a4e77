//! Colours of the waterfall: one stable colour per service (FNV-1a hash of the name into a
//! fixed palette, so a service keeps its colour across traces and runs) and the error red.

use egui::Color32;

/// Error spans' bars and markers.
pub const ERROR: Color32 = Color32::from_rgb(220, 50, 47);
/// Warning icons (structural anomalies).
pub const WARNING: Color32 = Color32::from_rgb(230, 160, 20);

/// Distinguishable, colour-blind-friendlier hues (Tableau 10 without its red, plus a few).
const SERVICE: [Color32; 12] = [
    Color32::from_rgb(78, 121, 167),
    Color32::from_rgb(242, 142, 43),
    Color32::from_rgb(118, 183, 178),
    Color32::from_rgb(89, 161, 79),
    Color32::from_rgb(237, 201, 72),
    Color32::from_rgb(176, 122, 161),
    Color32::from_rgb(255, 157, 167),
    Color32::from_rgb(156, 117, 95),
    Color32::from_rgb(186, 176, 172),
    Color32::from_rgb(95, 160, 220),
    Color32::from_rgb(160, 203, 232),
    Color32::from_rgb(140, 209, 125),
];

/// FNV-1a, 64 bit: stable across runs and platforms.
fn fnv1a(bytes: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in bytes {
        h ^= u64::from(*b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    h
}

/// Palette index of a service.
pub fn service_index(service: &str) -> u8 {
    (fnv1a(service.as_bytes()) % SERVICE.len() as u64) as u8
}

/// Colour of a palette index.
pub fn service_color(index: u8) -> Color32 {
    SERVICE
        .get(usize::from(index))
        .copied()
        .unwrap_or(Color32::GRAY)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn colours_are_stable() {
        assert_eq!(service_index("checkout"), service_index("checkout"));
        assert!(usize::from(service_index("")) < SERVICE.len());
        let distinct: std::collections::HashSet<u8> = ["a", "b", "c", "d", "e", "f"]
            .iter()
            .map(|s| service_index(s))
            .collect();
        assert!(distinct.len() >= 3);
    }
}
