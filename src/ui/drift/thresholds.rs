//! The drift thresholds: a small settings popup next to the Drift tab's controls; the values
//! are remembered between runs (egui's persisted memory).

use crate::analysis::drift::Thresholds;

fn memory_id() -> egui::Id {
    egui::Id::unique("tracedeck.drift.thresholds")
}

/// The remembered thresholds (the defaults the first time).
pub fn load(ctx: &egui::Context) -> Thresholds {
    ctx.data_mut(|d| d.get_persisted::<Thresholds>(memory_id()))
        .unwrap_or_default()
}

fn store(ctx: &egui::Context, thresholds: Thresholds) {
    ctx.data_mut(|d| d.insert_persisted(memory_id(), thresholds));
}

/// The "Thresholds..." button and its popup; returns true when a value changed.
pub fn button_ui(ui: &mut egui::Ui, thresholds: &mut Thresholds) -> bool {
    let before = *thresholds;
    let response = ui
        .button("Thresholds...")
        .on_hover_text("When a measure says \"drifted\"");
    egui::Popup::from_toggle_button_response(&response)
        .close_behavior(egui::PopupCloseBehavior::CloseOnClickOutside)
        .show(|ui| {
            ui.set_min_width(300.0);
            egui::Grid::new("drift_thresholds")
                .num_columns(2)
                .spacing([12.0, 6.0])
                .show(ui, |ui| {
                    row(
                        ui,
                        "KS / chi-square p-value <=",
                        &mut thresholds.p_value,
                        0.001,
                    );
                    row(ui, "PSI >=", &mut thresholds.psi, 0.01);
                    row(ui, "KL divergence >=", &mut thresholds.kl_div, 0.01);
                    row(
                        ui,
                        "Normed Wasserstein >=",
                        &mut thresholds.wasserstein,
                        0.01,
                    );
                    row(
                        ui,
                        "Jensen-Shannon >=",
                        &mut thresholds.jensen_shannon,
                        0.01,
                    );
                    row(
                        ui,
                        "Missing share rise >=",
                        &mut thresholds.missing_share_rise,
                        0.01,
                    );
                    row(
                        ui,
                        "New-category share >=",
                        &mut thresholds.new_category_share,
                        0.001,
                    );
                    ui.label("p-values for references of at most (rows)");
                    ui.add(
                        egui::DragValue::new(&mut thresholds.small_reference_rows)
                            .range(0..=10_000_000)
                            .speed(10.0),
                    );
                    ui.end_row();
                });
            if ui.button("Reset to defaults").clicked() {
                *thresholds = Thresholds::default();
            }
        });
    let changed = before != *thresholds;
    if changed {
        store(ui.ctx(), *thresholds);
    }
    changed
}

fn row(ui: &mut egui::Ui, label: &str, value: &mut f64, speed: f64) {
    ui.label(label);
    ui.add(
        egui::DragValue::new(value)
            .range(0.0..=10.0)
            .speed(speed)
            .max_decimals(4),
    );
    ui.end_row();
}
