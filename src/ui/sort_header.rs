//! Sortable column titles for the app's tables: a bold title that sorts on click, says so on
//! hover, and carries a painted triangle (the default fonts have no arrows) when the table is
//! sorted by it.

/// A column title that sorts its table; `sorted` is `Some(descending)` when the table is sorted
/// by this column. Returns whether it was clicked.
pub fn sort_header_ui(ui: &mut egui::Ui, label: &str, sorted: Option<bool>) -> bool {
    let response = ui
        .add(egui::Button::new(egui::RichText::new(label).strong()).frame(false))
        .on_hover_text(format!("Sort by {}", label.to_lowercase()));
    if let Some(descending) = sorted {
        sort_marker_ui(ui, response.rect, descending);
    }
    response.clicked()
}

/// The triangle beside a sorted column's title: pointing down when descending.
fn sort_marker_ui(ui: &egui::Ui, title_rect: egui::Rect, descending: bool) {
    let size = 4.0;
    let center = egui::pos2(title_rect.right() + size + 4.0, title_rect.center().y);
    let (tip_dy, base_dy) = if descending {
        (size, -size)
    } else {
        (-size, size)
    };
    let points = vec![
        egui::pos2(center.x - size, center.y + base_dy),
        egui::pos2(center.x + size, center.y + base_dy),
        egui::pos2(center.x, center.y + tip_dy),
    ];
    ui.painter().add(egui::Shape::convex_polygon(
        points,
        ui.visuals().strong_text_color(),
        egui::Stroke::NONE,
    ));
}
