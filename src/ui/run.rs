//! Opening the window: picks the renderer (wgpu when it finds an adapter, OpenGL via glow
//! otherwise, or what `TRACEDECK_RENDERER` says), sets the window up, and runs the app.

use std::path::PathBuf;

use super::app::{StartOptions, TracedeckApp};

/// Which renderer to use: `TRACEDECK_RENDERER=glow|wgpu`, else wgpu if it finds an adapter.
pub fn choose_renderer() -> eframe::Renderer {
    match std::env::var("TRACEDECK_RENDERER").ok().as_deref() {
        Some("glow") => return eframe::Renderer::Glow,
        Some("wgpu") => return eframe::Renderer::Wgpu,
        _ => {}
    }
    if wgpu_has_adapter() {
        eframe::Renderer::Wgpu
    } else {
        eframe::Renderer::Glow
    }
}

/// Whether wgpu finds any adapter (a GPU, or a software Vulkan such as lavapipe).
fn wgpu_has_adapter() -> bool {
    use std::future::Future as _;
    use std::task::{Context, Poll, Waker};
    let wgpu = eframe::wgpu::Instance::default();
    let mut adapters = std::pin::pin!(wgpu.enumerate_adapters(eframe::wgpu::Backends::all()));
    // On native targets the answer is ready at once.
    match adapters
        .as_mut()
        .poll(&mut Context::from_waker(Waker::noop()))
    {
        Poll::Ready(list) => !list.is_empty(),
        Poll::Pending => false,
    }
}

/// Opens the window on the store `db`, importing `import_paths` first (in the background).
pub fn run_app(db: PathBuf, import_paths: Vec<PathBuf>) -> Result<(), String> {
    run_app_opening(db, None, import_paths)
}

/// Opens the window with `home` as the user's own store, showing `other` (a file from someone
/// else, checked and opened read-only) when given.
pub fn run_app_opening(
    home: PathBuf,
    other: Option<PathBuf>,
    import_paths: Vec<PathBuf>,
) -> Result<(), String> {
    let db = home;
    let renderer = choose_renderer();
    let renderer_name = match renderer {
        eframe::Renderer::Glow => "OpenGL (glow)",
        eframe::Renderer::Wgpu => "wgpu",
    };
    let options = eframe::NativeOptions {
        renderer,
        viewport: egui::ViewportBuilder::default()
            .with_title("tracedeck")
            .with_app_id("tracedeck")
            .with_inner_size([1280.0, 800.0])
            .with_min_inner_size([720.0, 480.0])
            .with_drag_and_drop(true),
        persist_window: true,
        ..Default::default()
    };
    eframe::run_native(
        "tracedeck",
        options,
        Box::new(move |cc| {
            let mut app = TracedeckApp::new(
                &cc.egui_ctx,
                cc.storage,
                StartOptions {
                    db,
                    import_paths,
                    renderer: renderer_name.to_owned(),
                },
            );
            if let Some(other) = other {
                app.open_store(other);
            }
            Ok(Box::new(app))
        }),
    )
    .map_err(|e| format!("cannot open the window ({renderer_name}): {e}"))
}
