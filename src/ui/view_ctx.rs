//! What every view gets each frame: the query pool, the global filter, the data generation
//! (bumped whenever an import lands, so views refetch), and a queue of navigation requests a
//! view can make (open a trace, switch tab) that the app carries out after drawing.

use std::cell::RefCell;

use crate::model::{SpanId, TraceId};
use crate::store::SpanFilter;

use super::query::QueryPool;

/// The tabs of the main area.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub enum Tab {
    #[default]
    Overview,
    Traces,
    Latency,
}

impl Tab {
    pub const ALL: [Tab; 3] = [Tab::Overview, Tab::Traces, Tab::Latency];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Traces => "Traces",
            Tab::Latency => "Latency",
        }
    }
}

/// Something a view asks the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum Nav {
    /// Open a trace in the Traces tab's waterfall, optionally selecting a span.
    OpenTrace {
        trace_id: TraceId,
        span_id: Option<SpanId>,
    },
    /// Switch to a tab.
    Tab(Tab),
    /// Replace the global filter (e.g. an overview card opening its view filtered).
    SetFilter(SpanFilter),
}

pub struct ViewCtx<'a> {
    pub queries: &'a QueryPool,
    /// The open store file.
    pub store_path: &'a std::path::Path,
    pub filter: &'a SpanFilter,
    /// Increases each time new data lands in the store.
    pub generation: u64,
    nav: RefCell<Vec<Nav>>,
}

impl<'a> ViewCtx<'a> {
    pub fn new(
        queries: &'a QueryPool,
        store_path: &'a std::path::Path,
        filter: &'a SpanFilter,
        generation: u64,
    ) -> Self {
        Self {
            queries,
            store_path,
            filter,
            generation,
            nav: RefCell::new(Vec::new()),
        }
    }

    /// Asks the app to navigate after this frame's drawing.
    pub fn navigate(&self, nav: Nav) {
        self.nav.borrow_mut().push(nav);
    }

    pub fn take_navigation(&self) -> Vec<Nav> {
        std::mem::take(&mut *self.nav.borrow_mut())
    }
}
