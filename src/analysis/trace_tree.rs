//! The span tree of one trace, as the waterfall shows it, built so that it always displays:
//! spans without a parent are roots; spans whose parent is not in the trace (orphans) hang under
//! one synthetic "missing parent" node; a span that names itself as parent is top-level; parent
//! cycles are broken (every span of the cycle flagged); duplicate span ids keep all their spans
//! (children attach to the first). Children are ordered by start time.
//!
//! Also owns the row model on top of the tree: flattening to visible rows with collapsed
//! subtrees skipped, collapsing below a depth, and stepping to the next or previous error span
//! (expanding its ancestors). Everything is iterative (explicit stacks, flat arrays): building is
//! O(n log n), flattening O(visible rows), and a 100k-deep chain cannot overflow the stack.

use std::collections::{HashMap, HashSet};

use crate::model::{Anomalies, SpanId, StatusCode};
use crate::store::SpanRow;

/// A node of a [`TraceTree`]: an index into its nodes. Span nodes come first, in the order of
/// [`TraceTree::spans`] (node `i` is span `i`); the synthetic "missing parent" node, if any, is last.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct NodeId(pub u32);

impl NodeId {
    pub fn index(self) -> usize {
        self.0 as usize
    }
}

/// What is special about a node, as bit flags.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct NodeFlags(pub u8);

impl NodeFlags {
    /// The span's status is error.
    pub const ERROR: u8 = 1;
    /// The span's parent id names a span that is not in the trace.
    pub const ORPHAN: u8 = 1 << 1;
    /// The span names itself as parent (shown top-level).
    pub const SELF_PARENT: u8 = 1 << 2;
    /// The span is part of a parent cycle (the cycle was cut at its earliest span).
    pub const CYCLE: u8 = 1 << 3;
    /// Another span of the trace has the same span id (children attach to the first).
    pub const DUPLICATE_ID: u8 = 1 << 4;
    /// The span ends before it starts.
    pub const END_BEFORE_START: u8 = 1 << 5;
    /// The placeholder node standing for missing parents.
    pub const SYNTHETIC: u8 = 1 << 6;

    pub fn has(self, bit: u8) -> bool {
        self.0 & bit != 0
    }

    pub fn is_error(self) -> bool {
        self.has(Self::ERROR)
    }

    /// Any structural anomaly worth a warning icon (orphan, self-parent, cycle, duplicate id,
    /// end before start).
    pub fn is_anomalous(self) -> bool {
        self.has(
            Self::ORPHAN
                | Self::SELF_PARENT
                | Self::CYCLE
                | Self::DUPLICATE_ID
                | Self::END_BEFORE_START,
        )
    }

    /// One line per anomaly, for a tooltip.
    pub fn describe(self) -> Vec<&'static str> {
        let mut out = Vec::new();
        if self.has(Self::SYNTHETIC) {
            out.push("placeholder for parent spans that are not in this trace");
        }
        if self.has(Self::ORPHAN) {
            out.push("its parent span is not in this trace");
        }
        if self.has(Self::SELF_PARENT) {
            out.push("names itself as its parent; shown at the top level");
        }
        if self.has(Self::CYCLE) {
            out.push("part of a parent cycle; the cycle was cut to show it");
        }
        if self.has(Self::DUPLICATE_ID) {
            out.push("another span of this trace has the same span id");
        }
        if self.has(Self::END_BEFORE_START) {
            out.push("ends before it starts (clock skew?)");
        }
        out
    }
}

/// One node: a span, or the synthetic missing-parent placeholder.
#[derive(Clone, Debug, PartialEq)]
pub struct TreeNode {
    /// Index into [`TraceTree::spans`]; `None` for the synthetic node.
    pub span: Option<u32>,
    pub parent: Option<NodeId>,
    /// 0 for top-level nodes.
    pub depth: u32,
    pub start_ns: i64,
    /// The node's own end, never before its start.
    pub end_ns: i64,
    /// Latest end in the node's subtree (itself included).
    pub subtree_end_ns: i64,
    pub flags: NodeFlags,
    /// Nodes in the subtree, itself included.
    pub subtree_len: u32,
    first_child: u32,
    child_count: u32,
    /// Position in the fully expanded pre-order.
    pre: u32,
}

/// One row of the flattened tree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RowRef {
    pub node: NodeId,
    pub depth: u32,
}

/// A trace's spans and the tree over them.
#[derive(Clone, Debug, Default)]
pub struct TraceTree {
    /// The spans, in the order they were given (node `i` is span `i`).
    pub spans: Vec<SpanRow>,
    nodes: Vec<TreeNode>,
    roots: Vec<NodeId>,
    child_list: Vec<NodeId>,
    preorder: Vec<NodeId>,
    /// Pre-order positions of error nodes, ascending.
    errors_pre: Vec<u32>,
    by_span_id: HashMap<SpanId, NodeId>,
    synthetic: Option<NodeId>,
    /// The one parent id all orphans share, when they do.
    missing_parent: Option<SpanId>,
    /// Earliest start and latest end over all nodes (0, 0 when empty).
    pub start_ns: i64,
    pub end_ns: i64,
    pub error_count: u32,
    pub orphan_count: u32,
    pub self_parent_count: u32,
    pub cycle_span_count: u32,
    pub duplicate_count: u32,
    /// Spans that are top-level because they have no parent id at all.
    pub real_root_count: u32,
    pub max_depth: u32,
}

enum ParentOf {
    Top,
    Span(u32),
    Missing,
}

const UNVISITED: u8 = 0;
const ON_PATH: u8 = 1;
const DONE: u8 = 2;

impl TraceTree {
    /// Builds the tree over `spans` (any order; the store returns them by start time).
    pub fn build(spans: Vec<SpanRow>) -> Self {
        let n = spans.len();
        let mut flags = vec![0u8; n];
        let mut by_span_id: HashMap<SpanId, NodeId> = HashMap::with_capacity(n);
        let mut duplicate_count = 0;
        for (i, span) in spans.iter().enumerate() {
            let bits = flags.get_mut(i);
            let Some(bits) = bits else { continue };
            if span.status_code == StatusCode::Error {
                *bits |= NodeFlags::ERROR;
            }
            let anomalies = Anomalies(span.anomalies);
            if anomalies.end_before_start() || span.end_ns < span.start_ns {
                *bits |= NodeFlags::END_BEFORE_START;
            }
            if anomalies.self_parent() {
                *bits |= NodeFlags::SELF_PARENT;
            }
            match by_span_id.entry(span.span_id) {
                std::collections::hash_map::Entry::Vacant(e) => {
                    e.insert(NodeId(i as u32));
                }
                std::collections::hash_map::Entry::Occupied(_) => {
                    *bits |= NodeFlags::DUPLICATE_ID;
                    duplicate_count += 1;
                }
            }
        }

        // Parent of each span, before cycle breaking.
        let mut parent_of: Vec<ParentOf> = Vec::with_capacity(n);
        let mut real_root_count = 0;
        for (i, span) in spans.iter().enumerate() {
            let p = match span.parent_span_id {
                None => {
                    real_root_count += 1;
                    ParentOf::Top
                }
                Some(p) if p == span.span_id => ParentOf::Top,
                Some(p) => match by_span_id.get(&p) {
                    Some(j) if j.index() != i => ParentOf::Span(j.0),
                    Some(_) => ParentOf::Top,
                    None => ParentOf::Missing,
                },
            };
            if let (Some(bits), Some(parent)) = (flags.get_mut(i), span.parent_span_id) {
                if parent == span.span_id {
                    *bits |= NodeFlags::SELF_PARENT;
                }
                if matches!(p, ParentOf::Missing) {
                    *bits |= NodeFlags::ORPHAN;
                }
            }
            parent_of.push(p);
        }

        // Break parent cycles: walk each chain once; a chain that meets itself is a cycle.
        let mut state = vec![UNVISITED; n];
        let mut path: Vec<u32> = Vec::new();
        for start in 0..n {
            if state.get(start) != Some(&UNVISITED) {
                continue;
            }
            let mut cur = start as u32;
            loop {
                if let Some(s) = state.get_mut(cur as usize) {
                    *s = ON_PATH;
                }
                path.push(cur);
                let next = match parent_of.get(cur as usize) {
                    Some(ParentOf::Span(j)) => *j,
                    _ => break,
                };
                match state.get(next as usize) {
                    Some(&UNVISITED) => cur = next,
                    Some(&ON_PATH) => {
                        let from = path.iter().rposition(|&k| k == next).unwrap_or(0);
                        let cycle = path.get(from..).unwrap_or_default();
                        // Cut the cycle at its earliest span: it becomes top-level.
                        let cut = cycle.iter().copied().min_by_key(|&k| {
                            (spans.get(k as usize).map_or(i64::MAX, |s| s.start_ns), k)
                        });
                        for &k in cycle {
                            if let Some(bits) = flags.get_mut(k as usize) {
                                *bits |= NodeFlags::CYCLE;
                            }
                        }
                        if let Some(p) = cut.and_then(|c| parent_of.get_mut(c as usize)) {
                            *p = ParentOf::Top;
                        }
                        break;
                    }
                    _ => break,
                }
            }
            for k in path.drain(..) {
                if let Some(s) = state.get_mut(k as usize) {
                    *s = DONE;
                }
            }
        }

        // Orphans go under one synthetic node.
        let mut orphan_count = 0u32;
        let mut shared_missing: Option<Option<SpanId>> = None;
        let mut synth_start = i64::MAX;
        let mut synth_end = i64::MIN;
        for (p, span) in parent_of.iter().zip(&spans) {
            if matches!(p, ParentOf::Missing) {
                orphan_count += 1;
                synth_start = synth_start.min(span.start_ns);
                synth_end = synth_end.max(span.end_ns.max(span.start_ns));
                shared_missing = Some(match shared_missing {
                    None => span.parent_span_id,
                    Some(prev) if prev == span.parent_span_id => prev,
                    Some(_) => None,
                });
            }
        }
        let synthetic = (orphan_count > 0).then_some(NodeId(n as u32));
        let total = n + usize::from(synthetic.is_some());

        let mut nodes: Vec<TreeNode> = Vec::with_capacity(total);
        for (i, span) in spans.iter().enumerate() {
            let parent = match parent_of.get(i) {
                Some(ParentOf::Span(j)) => Some(NodeId(*j)),
                Some(ParentOf::Missing) => synthetic,
                _ => None,
            };
            let end_ns = span.end_ns.max(span.start_ns);
            nodes.push(TreeNode {
                span: Some(i as u32),
                parent,
                depth: 0,
                start_ns: span.start_ns,
                end_ns,
                subtree_end_ns: end_ns,
                flags: NodeFlags(flags.get(i).copied().unwrap_or(0)),
                subtree_len: 1,
                first_child: 0,
                child_count: 0,
                pre: 0,
            });
        }
        if synthetic.is_some() {
            nodes.push(TreeNode {
                span: None,
                parent: None,
                depth: 0,
                start_ns: synth_start,
                end_ns: synth_end,
                subtree_end_ns: synth_end,
                flags: NodeFlags(NodeFlags::SYNTHETIC),
                subtree_len: 1,
                first_child: 0,
                child_count: 0,
                pre: 0,
            });
        }

        // Children lists: one flat array, grouped by parent, by start within a parent.
        let mut edges: Vec<(u32, i64, u32)> = Vec::with_capacity(total);
        let mut roots: Vec<(i64, u32)> = Vec::new();
        for (i, node) in nodes.iter().enumerate() {
            match node.parent {
                Some(p) => edges.push((p.0, node.start_ns, i as u32)),
                None => roots.push((node.start_ns, i as u32)),
            }
        }
        edges.sort_unstable();
        roots.sort_unstable();
        let child_list: Vec<NodeId> = edges.iter().map(|&(_, _, c)| NodeId(c)).collect();
        let mut at = 0usize;
        while let Some(&(p, _, _)) = edges.get(at) {
            let mut end = at;
            while edges.get(end).is_some_and(|e| e.0 == p) {
                end += 1;
            }
            if let Some(node) = nodes.get_mut(p as usize) {
                node.first_child = at as u32;
                node.child_count = (end - at) as u32;
            }
            at = end;
        }
        let roots: Vec<NodeId> = roots.into_iter().map(|(_, r)| NodeId(r)).collect();

        // Pre-order with an explicit stack; depths on the way down.
        let mut preorder: Vec<NodeId> = Vec::with_capacity(total);
        let mut stack: Vec<(NodeId, u32)> = roots.iter().rev().map(|&r| (r, 0)).collect();
        while let Some((id, depth)) = stack.pop() {
            let Some(node) = nodes.get_mut(id.index()) else {
                continue;
            };
            node.depth = depth;
            node.pre = preorder.len() as u32;
            preorder.push(id);
            let range = node.first_child as usize..(node.first_child + node.child_count) as usize;
            if let Some(children) = child_list.get(range) {
                stack.extend(children.iter().rev().map(|&c| (c, depth + 1)));
            }
        }

        // Subtree sizes and ends, children before parents (reverse pre-order).
        for &id in preorder.iter().rev() {
            let Some(node) = nodes.get(id.index()) else {
                continue;
            };
            let (parent, len, end) = (node.parent, node.subtree_len, node.subtree_end_ns);
            if let Some(p) = parent.and_then(|p| nodes.get_mut(p.index())) {
                p.subtree_len += len;
                p.subtree_end_ns = p.subtree_end_ns.max(end);
            }
        }

        let mut errors_pre = Vec::new();
        let mut max_depth = 0;
        for (pos, id) in preorder.iter().enumerate() {
            if let Some(node) = nodes.get(id.index()) {
                max_depth = max_depth.max(node.depth);
                if node.flags.is_error() {
                    errors_pre.push(pos as u32);
                }
            }
        }
        let start_ns = nodes.iter().map(|n| n.start_ns).min().unwrap_or(0);
        let end_ns = nodes.iter().map(|n| n.end_ns).max().unwrap_or(0);
        let count = |bit: u8| flags.iter().filter(|f| *f & bit != 0).count() as u32;

        Self {
            error_count: errors_pre.len() as u32,
            orphan_count,
            self_parent_count: count(NodeFlags::SELF_PARENT),
            cycle_span_count: count(NodeFlags::CYCLE),
            duplicate_count,
            real_root_count,
            max_depth,
            spans,
            nodes,
            roots,
            child_list,
            preorder,
            errors_pre,
            by_span_id,
            synthetic,
            missing_parent: shared_missing.flatten(),
            start_ns,
            end_ns,
        }
    }

    /// Number of nodes (spans plus the synthetic node, if any).
    pub fn len(&self) -> usize {
        self.nodes.len()
    }

    pub fn is_empty(&self) -> bool {
        self.nodes.is_empty()
    }

    pub fn duration_ns(&self) -> i64 {
        self.end_ns.saturating_sub(self.start_ns)
    }

    pub fn node(&self, id: NodeId) -> Option<&TreeNode> {
        self.nodes.get(id.index())
    }

    /// The span a node stands for (`None` for the synthetic node).
    pub fn span(&self, id: NodeId) -> Option<&SpanRow> {
        self.node(id)
            .and_then(|n| n.span)
            .and_then(|i| self.spans.get(i as usize))
    }

    pub fn roots(&self) -> &[NodeId] {
        &self.roots
    }

    pub fn children(&self, id: NodeId) -> &[NodeId] {
        self.node(id)
            .and_then(|n| {
                self.child_list
                    .get(n.first_child as usize..(n.first_child + n.child_count) as usize)
            })
            .unwrap_or_default()
    }

    pub fn has_children(&self, id: NodeId) -> bool {
        self.node(id).is_some_and(|n| n.child_count > 0)
    }

    /// The node of a span id (the first span with that id).
    pub fn find_span(&self, span_id: &SpanId) -> Option<NodeId> {
        self.by_span_id.get(span_id).copied()
    }

    /// The synthetic missing-parent node, if the trace has orphans.
    pub fn synthetic(&self) -> Option<NodeId> {
        self.synthetic
    }

    /// The parent id every orphan names, when they all name the same one.
    pub fn missing_parent(&self) -> Option<SpanId> {
        self.missing_parent
    }

    /// What a row shows as the node's name.
    pub fn label(&self, id: NodeId) -> String {
        match self.span(id) {
            Some(span) => span.name.clone(),
            None => match self.missing_parent {
                Some(p) => format!("missing span {}", crate::model::hex_lower(&p)),
                None => "missing parent".to_owned(),
            },
        }
    }

    /// The top-level span with the earliest start that has no parent id, else the first top-level node.
    pub fn root_node(&self) -> Option<NodeId> {
        self.roots
            .iter()
            .copied()
            .find(|&r| self.span(r).is_some_and(|s| s.parent_span_id.is_none()))
            .or_else(|| self.roots.first().copied())
    }

    /// Every node in fully expanded display order.
    pub fn preorder(&self) -> &[NodeId] {
        &self.preorder
    }

    /// Ancestors of a node, nearest first.
    pub fn ancestors(&self, id: NodeId) -> impl Iterator<Item = NodeId> + '_ {
        std::iter::successors(self.node(id).and_then(|n| n.parent), |p| {
            self.node(*p).and_then(|n| n.parent)
        })
    }

    fn pre(&self, id: NodeId) -> Option<u32> {
        self.node(id).map(|n| n.pre)
    }
}

/// The rows to show: every node in display order, skipping the subtrees of collapsed nodes (the
/// collapsed node itself is shown).
pub fn visible_rows(tree: &TraceTree, collapsed: &HashSet<NodeId>) -> Vec<RowRef> {
    let mut rows = Vec::with_capacity(if collapsed.is_empty() { tree.len() } else { 0 });
    let mut at = 0usize;
    while let Some(&id) = tree.preorder.get(at) {
        let Some(node) = tree.node(id) else { break };
        rows.push(RowRef {
            node: id,
            depth: node.depth,
        });
        at += if collapsed.contains(&id) {
            node.subtree_len.max(1) as usize
        } else {
            1
        };
    }
    rows
}

/// The collapsed set that shows nodes down to `depth` and folds everything below: every node
/// with children at `depth` or deeper (so expanding one reveals one more level).
pub fn collapse_below_depth(tree: &TraceTree, depth: u32) -> HashSet<NodeId> {
    tree.nodes
        .iter()
        .enumerate()
        .filter(|(_, n)| n.depth >= depth && n.child_count > 0)
        .map(|(i, _)| NodeId(i as u32))
        .collect()
}

/// Expands every ancestor of `id`; true when something changed.
pub fn reveal(tree: &TraceTree, collapsed: &mut HashSet<NodeId>, id: NodeId) -> bool {
    let mut changed = false;
    for a in tree.ancestors(id) {
        changed |= collapsed.remove(&a);
    }
    changed
}

/// The row showing `id`, if it is visible (rows are in pre-order, so this is a binary search).
pub fn row_of(tree: &TraceTree, rows: &[RowRef], id: NodeId) -> Option<usize> {
    let pre = tree.pre(id)?;
    let at = rows
        .binary_search_by_key(&pre, |r| tree.pre(r.node).unwrap_or(u32::MAX))
        .ok()?;
    (rows.get(at)?.node == id).then_some(at)
}

/// The row of the next error span after row `from_row` (from the top when `None`), wrapping
/// around at the end. Expands the error's ancestors and refreshes `rows` when needed.
pub fn next_error_row(
    tree: &TraceTree,
    collapsed: &mut HashSet<NodeId>,
    rows: &mut Vec<RowRef>,
    from_row: Option<usize>,
) -> Option<usize> {
    let from_pre = from_row
        .and_then(|r| rows.get(r))
        .and_then(|r| tree.pre(r.node));
    let next = match from_pre {
        None => tree.errors_pre.first(),
        Some(p) => {
            let at = tree.errors_pre.partition_point(|&e| e <= p);
            tree.errors_pre.get(at).or_else(|| tree.errors_pre.first())
        }
    };
    go_to_pre(tree, collapsed, rows, *next?)
}

/// The row of the previous error span before row `from_row` (from the bottom when `None`),
/// wrapping around at the top. Expands the error's ancestors and refreshes `rows` when needed.
pub fn prev_error_row(
    tree: &TraceTree,
    collapsed: &mut HashSet<NodeId>,
    rows: &mut Vec<RowRef>,
    from_row: Option<usize>,
) -> Option<usize> {
    let from_pre = from_row
        .and_then(|r| rows.get(r))
        .and_then(|r| tree.pre(r.node));
    let prev = match from_pre {
        None => tree.errors_pre.last(),
        Some(p) => {
            let at = tree.errors_pre.partition_point(|&e| e < p);
            at.checked_sub(1)
                .and_then(|i| tree.errors_pre.get(i))
                .or_else(|| tree.errors_pre.last())
        }
    };
    go_to_pre(tree, collapsed, rows, *prev?)
}

fn go_to_pre(
    tree: &TraceTree,
    collapsed: &mut HashSet<NodeId>,
    rows: &mut Vec<RowRef>,
    pre: u32,
) -> Option<usize> {
    let id = *tree.preorder.get(pre as usize)?;
    if reveal(tree, collapsed, id) {
        *rows = visible_rows(tree, collapsed);
    }
    row_of(tree, rows, id)
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use crate::model::SpanKind;

    fn id(n: u64) -> SpanId {
        n.to_be_bytes()
    }

    fn span(n: u64, parent: Option<u64>, start_ns: i64, end_ns: i64) -> SpanRow {
        SpanRow {
            span_id: id(n),
            parent_span_id: parent.map(id),
            name: format!("s{n}"),
            service: "svc".to_owned(),
            kind: SpanKind::Internal,
            start_ns,
            end_ns,
            status_code: StatusCode::Unset,
            anomalies: 0,
            http_status: None,
            model: None,
            event_times_ns: Vec::new(),
        }
    }

    fn names(tree: &TraceTree, rows: &[RowRef]) -> Vec<String> {
        rows.iter()
            .map(|r| format!("{}{}", " ".repeat(r.depth as usize), tree.label(r.node)))
            .collect()
    }

    fn all_rows(tree: &TraceTree) -> Vec<String> {
        names(tree, &visible_rows(tree, &HashSet::new()))
    }

    #[test]
    fn simple_tree_orders_children_by_start() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(3, Some(1), 50, 60),
            span(2, Some(1), 10, 20),
            span(4, Some(2), 11, 30),
        ]);
        assert_eq!(all_rows(&tree), ["s1", " s2", "  s4", " s3"]);
        assert_eq!(tree.max_depth, 2);
        assert_eq!(tree.real_root_count, 1);
        let s2 = tree.find_span(&id(2)).unwrap();
        assert_eq!(tree.node(s2).unwrap().subtree_end_ns, 30);
        assert_eq!(tree.node(s2).unwrap().subtree_len, 2);
        assert_eq!(tree.synthetic(), None);
        assert_eq!((tree.start_ns, tree.end_ns), (0, 100));
    }

    #[test]
    fn orphans_go_under_one_synthetic_node_beside_the_real_root() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(2, Some(99), 10, 20),
            span(3, Some(98), 5, 30),
            span(4, Some(3), 6, 7),
        ]);
        assert_eq!(
            all_rows(&tree),
            ["s1", "missing parent", " s3", "  s4", " s2"]
        );
        assert_eq!(tree.orphan_count, 2);
        let synth = tree.synthetic().unwrap();
        assert!(tree.node(synth).unwrap().flags.has(NodeFlags::SYNTHETIC));
        let s2 = tree.find_span(&id(2)).unwrap();
        assert!(tree.node(s2).unwrap().flags.has(NodeFlags::ORPHAN));
        assert_eq!(tree.node(synth).unwrap().start_ns, 5);
    }

    #[test]
    fn without_a_real_root_the_shared_missing_parent_is_the_root() {
        let tree = TraceTree::build(vec![span(2, Some(9), 10, 20), span(3, Some(9), 5, 30)]);
        assert_eq!(
            all_rows(&tree),
            ["missing span 0000000000000009", " s3", " s2"]
        );
        assert_eq!(tree.real_root_count, 0);
        assert_eq!(tree.missing_parent(), Some(id(9)));
        assert_eq!(tree.root_node(), tree.synthetic());
    }

    #[test]
    fn self_parent_spans_are_top_level_and_flagged() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 30),
            span(2, Some(2), 1, 20),
            span(3, Some(2), 2, 3),
        ]);
        assert_eq!(all_rows(&tree), ["s1", "s2", " s3"]);
        let s2 = tree.find_span(&id(2)).unwrap();
        assert!(tree.node(s2).unwrap().flags.has(NodeFlags::SELF_PARENT));
        assert_eq!(tree.self_parent_count, 1);
    }

    #[test]
    fn cycles_are_cut_and_every_member_flagged() {
        // 2 -> 3 -> 4 -> 2, with 5 hanging under 4 and 1 the real root.
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(2, Some(4), 10, 20),
            span(3, Some(2), 11, 20),
            span(4, Some(3), 12, 20),
            span(5, Some(4), 13, 14),
        ]);
        assert_eq!(all_rows(&tree), ["s1", "s2", " s3", "  s4", "   s5"]);
        for n in [2, 3, 4] {
            let node = tree.find_span(&id(n)).unwrap();
            assert!(tree.node(node).unwrap().flags.has(NodeFlags::CYCLE), "s{n}");
        }
        let s5 = tree.find_span(&id(5)).unwrap();
        assert!(!tree.node(s5).unwrap().flags.has(NodeFlags::CYCLE));
        assert_eq!(tree.cycle_span_count, 3);
    }

    #[test]
    fn two_span_cycle_terminates() {
        let tree = TraceTree::build(vec![span(1, Some(2), 5, 10), span(2, Some(1), 0, 10)]);
        assert_eq!(all_rows(&tree), ["s2", " s1"]);
        assert_eq!(tree.cycle_span_count, 2);
    }

    #[test]
    fn duplicate_ids_keep_both_spans() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 20),
            span(2, Some(1), 30, 40),
            span(3, Some(2), 11, 12),
        ]);
        assert_eq!(all_rows(&tree), ["s1", " s2", "  s3", " s2"]);
        assert_eq!(tree.duplicate_count, 1);
        let dup = NodeId(2);
        assert!(tree.node(dup).unwrap().flags.has(NodeFlags::DUPLICATE_ID));
    }

    #[test]
    fn end_before_start_is_flagged_and_clamped() {
        let mut s = span(1, None, 50, 10);
        s.anomalies = Anomalies::END_BEFORE_START;
        let tree = TraceTree::build(vec![s]);
        let node = tree.node(NodeId(0)).unwrap();
        assert!(node.flags.has(NodeFlags::END_BEFORE_START));
        assert_eq!(node.end_ns, 50);
        assert_eq!(tree.duration_ns(), 0);
    }

    #[test]
    fn empty_trace_builds() {
        let tree = TraceTree::build(Vec::new());
        assert!(tree.is_empty());
        assert!(visible_rows(&tree, &HashSet::new()).is_empty());
        assert_eq!(tree.root_node(), None);
    }

    #[test]
    fn collapsing_skips_subtrees() {
        let tree = TraceTree::build(vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 20),
            span(3, Some(2), 11, 12),
            span(4, Some(3), 11, 12),
            span(5, Some(1), 30, 40),
        ]);
        let s2 = tree.find_span(&id(2)).unwrap();
        let rows = visible_rows(&tree, &HashSet::from([s2]));
        assert_eq!(names(&tree, &rows), ["s1", " s2", " s5"]);
        let collapsed = collapse_below_depth(&tree, 1);
        assert_eq!(
            names(&tree, &visible_rows(&tree, &collapsed)),
            ["s1", " s2", " s5"]
        );
        let collapsed = collapse_below_depth(&tree, 0);
        assert_eq!(names(&tree, &visible_rows(&tree, &collapsed)), ["s1"]);
        assert_eq!(row_of(&tree, &rows, s2), Some(1));
        assert_eq!(row_of(&tree, &rows, tree.find_span(&id(3)).unwrap()), None);
    }

    #[test]
    fn error_navigation_expands_and_wraps() {
        let mut spans = vec![
            span(1, None, 0, 100),
            span(2, Some(1), 10, 20),
            span(3, Some(2), 11, 12),
            span(4, Some(1), 30, 40),
            span(5, Some(4), 31, 32),
        ];
        spans[2].status_code = StatusCode::Error;
        spans[4].status_code = StatusCode::Error;
        let tree = TraceTree::build(spans);
        assert_eq!(tree.error_count, 2);
        let mut collapsed = collapse_below_depth(&tree, 1);
        let mut rows = visible_rows(&tree, &collapsed);
        assert_eq!(rows.len(), 3);
        let first = next_error_row(&tree, &mut collapsed, &mut rows, None).unwrap();
        assert_eq!(tree.label(rows[first].node), "s3");
        assert_eq!(rows.len(), 4);
        let second = next_error_row(&tree, &mut collapsed, &mut rows, Some(first)).unwrap();
        assert_eq!(tree.label(rows[second].node), "s5");
        let wrapped = next_error_row(&tree, &mut collapsed, &mut rows, Some(second)).unwrap();
        assert_eq!(tree.label(rows[wrapped].node), "s3");
        let back = prev_error_row(&tree, &mut collapsed, &mut rows, Some(wrapped)).unwrap();
        assert_eq!(tree.label(rows[back].node), "s5");
        let from_top = prev_error_row(&tree, &mut collapsed, &mut rows, Some(0)).unwrap();
        assert_eq!(tree.label(rows[from_top].node), "s5");
        // From a row between the two errors.
        let s4_row = row_of(&tree, &rows, tree.find_span(&id(4)).unwrap()).unwrap();
        let prev = prev_error_row(&tree, &mut collapsed, &mut rows, Some(s4_row)).unwrap();
        assert_eq!(tree.label(rows[prev].node), "s3");
    }

    #[test]
    fn no_errors_means_no_error_row() {
        let tree = TraceTree::build(vec![span(1, None, 0, 1)]);
        let mut collapsed = HashSet::new();
        let mut rows = visible_rows(&tree, &collapsed);
        assert_eq!(next_error_row(&tree, &mut collapsed, &mut rows, None), None);
        assert_eq!(
            prev_error_row(&tree, &mut collapsed, &mut rows, Some(0)),
            None
        );
    }

    #[test]
    fn a_100k_deep_chain_and_a_100k_cycle_do_not_overflow() {
        let n = 100_000u64;
        let mut spans: Vec<SpanRow> = (0..n)
            .map(|i| span(i + 1, (i > 0).then_some(i), i as i64, (2 * n - i) as i64))
            .collect();
        let tree = TraceTree::build(spans.clone());
        assert_eq!(tree.max_depth, (n - 1) as u32);
        assert_eq!(visible_rows(&tree, &HashSet::new()).len(), n as usize);
        assert_eq!(tree.node(NodeId(0)).unwrap().subtree_len, n as u32);
        // Close the chain into one big cycle.
        spans[0].parent_span_id = Some(id(n));
        let tree = TraceTree::build(spans);
        assert_eq!(tree.cycle_span_count, n as u32);
        assert_eq!(tree.roots(), [NodeId(0)]);
    }

    #[test]
    fn a_wide_100k_trace_builds() {
        let spans: Vec<SpanRow> = (0..100_000u64)
            .map(|i| span(i + 1, (i > 0).then(|| i / 10 + 1), i as i64, i as i64 + 5))
            .collect();
        let tree = TraceTree::build(spans);
        assert_eq!(tree.len(), 100_000);
        assert_eq!(tree.roots().len(), 1);
        assert!(tree.max_depth >= 4);
    }
}
