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
    Retries,
    Validation,
    Conversations,
    Drift,
}

impl Tab {
    /// In display order; Ctrl+1.. selects them in this order.
    pub const ALL: [Tab; 7] = [
        Tab::Overview,
        Tab::Traces,
        Tab::Latency,
        Tab::Retries,
        Tab::Validation,
        Tab::Conversations,
        Tab::Drift,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Tab::Overview => "Overview",
            Tab::Traces => "Traces",
            Tab::Latency => "Latency",
            Tab::Retries => "Retries",
            Tab::Validation => "Validation",
            Tab::Conversations => "Conversations",
            Tab::Drift => "Drift",
        }
    }
}

/// Which retry chains the Retries tab lists.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ChainFocus {
    #[default]
    All,
    Pointless,
    Storms,
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
    /// Open the Retries tab listing these chains.
    ShowRetries(ChainFocus),
    /// Open the Conversations tab, optionally listing only conversations with findings.
    ShowConversations { findings_only: bool },
    /// Open one conversation in the replay, at a step (0-based) or at its first finding.
    OpenConversation { key: String, step: Option<usize> },
    /// Open the conversation a span belongs to, at that span's step.
    OpenConversationAtSpan { trace_id: TraceId, span_id: SpanId },
    /// Open one prediction (by its store row id) in the Drift tab's prediction detail.
    OpenPrediction { id: i64 },
    /// Import a prediction log as the reference drift is measured against.
    ImportReference { path: std::path::PathBuf },
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
