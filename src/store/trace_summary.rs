//! A trace's summary row in `traces`: its root (a span without a parent beats a self-parented
//! one, which beats any other; the earliest among equals), its time span, span and error counts,
//! and the models it called (request, else response model). Built span by span, merged with the
//! stored row, and written. The import writer (per transaction) and the sharing code (which
//! recomputes rows from the spans a file holds) both use these rules.

use std::collections::BTreeSet;

use rusqlite::{CachedStatement, Connection, OptionalExtension, params};

/// A span's root rank in SQL over `spans`, the same rule as [`root_rank`].
pub(crate) const ROOT_RANK_SQL: &str =
    "CASE WHEN parent_span_id IS NULL THEN 0 WHEN parent_span_id = span_id THEN 1 ELSE 2 END";

/// How good a root a span makes: 0 without a parent, 1 when it is its own parent, 2 otherwise.
pub(crate) fn root_rank(span_id: &[u8], parent_span_id: Option<&[u8]>) -> i64 {
    match parent_span_id {
        None => 0,
        Some(p) if p == span_id => 1,
        Some(_) => 2,
    }
}

/// What a summary reads from one span.
#[derive(Clone, Copy, Debug)]
pub(crate) struct SummarySpan<'a> {
    pub name: &'a str,
    pub service: &'a str,
    pub start_ns: i64,
    pub end_ns: i64,
    pub is_error: bool,
    /// See [`root_rank`].
    pub root_rank: i64,
    /// The request model, else the response model.
    pub model: Option<&'a str>,
}

/// The best root so far.
#[derive(Clone, Debug, Default)]
struct RootCandidate {
    name: String,
    service: String,
    rank: i64,
    start_ns: i64,
}

impl RootCandidate {
    fn better_than(&self, other: &RootCandidate) -> bool {
        (self.rank, self.start_ns) < (other.rank, other.start_ns)
    }
}

/// One trace's summary.
#[derive(Debug)]
pub(crate) struct TraceSummary {
    root: Option<RootCandidate>,
    start_ns: i64,
    end_ns: i64,
    span_count: i64,
    error_count: i64,
    models: BTreeSet<String>,
}

impl Default for TraceSummary {
    fn default() -> Self {
        Self {
            root: None,
            start_ns: i64::MAX,
            end_ns: i64::MIN,
            span_count: 0,
            error_count: 0,
            models: BTreeSet::new(),
        }
    }
}

impl TraceSummary {
    pub(crate) fn add(&mut self, span: SummarySpan<'_>) {
        self.start_ns = self.start_ns.min(span.start_ns);
        self.end_ns = self.end_ns.max(span.end_ns);
        self.span_count += 1;
        if span.is_error {
            self.error_count += 1;
        }
        if let Some(model) = span.model {
            // The stored list is comma-separated.
            self.models.insert(model.replace(',', " "));
        }
        let better = self
            .root
            .as_ref()
            .is_none_or(|r| (span.root_rank, span.start_ns) < (r.rank, r.start_ns));
        if better {
            self.root = Some(RootCandidate {
                name: span.name.to_owned(),
                service: span.service.to_owned(),
                rank: span.root_rank,
                start_ns: span.start_ns,
            });
        }
    }

    /// Folds in the summary of other spans of the same trace (a row stored before).
    pub(crate) fn merge(&mut self, old: TraceSummary) {
        self.start_ns = self.start_ns.min(old.start_ns);
        self.end_ns = self.end_ns.max(old.end_ns);
        self.span_count += old.span_count;
        self.error_count += old.error_count;
        self.models.extend(old.models);
        if let Some(old_root) = old.root
            && self.root.as_ref().is_none_or(|r| old_root.better_than(r))
        {
            self.root = Some(old_root);
        }
    }

    pub(crate) fn span_count(&self) -> i64 {
        self.span_count
    }
}

/// The statements that read and write `traces` rows, prepared once for many traces.
pub(crate) struct SummaryRows<'c> {
    read: CachedStatement<'c>,
    write: CachedStatement<'c>,
    delete: CachedStatement<'c>,
}

impl<'c> SummaryRows<'c> {
    pub(crate) fn prepare(conn: &'c Connection) -> rusqlite::Result<Self> {
        Ok(Self {
            read: conn.prepare_cached(
                "SELECT root_name, root_service, root_rank, root_start_ns, start_ns, end_ns,
                        span_count, error_count, models
                 FROM traces WHERE trace_id = ?1",
            )?,
            write: conn.prepare_cached(
                "INSERT OR REPLACE INTO traces(trace_id, root_name, root_service, root_rank,
                    root_start_ns, start_ns, end_ns, span_count, error_count, models)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?,
            delete: conn.prepare_cached("DELETE FROM traces WHERE trace_id = ?1")?,
        })
    }

    /// The stored summary of a trace, if it has a row.
    pub(crate) fn read(&mut self, trace_id: &[u8]) -> rusqlite::Result<Option<TraceSummary>> {
        self.read
            .query_row([trace_id], |r| {
                Ok(TraceSummary {
                    root: Some(RootCandidate {
                        name: r.get(0)?,
                        service: r.get(1)?,
                        rank: r.get(2)?,
                        start_ns: r.get(3)?,
                    }),
                    start_ns: r.get(4)?,
                    end_ns: r.get(5)?,
                    span_count: r.get(6)?,
                    error_count: r.get(7)?,
                    models: r
                        .get::<_, String>(8)?
                        .split(',')
                        .filter(|m| !m.is_empty())
                        .map(str::to_owned)
                        .collect(),
                })
            })
            .optional()
    }

    /// Stores `summary` as the trace's row.
    pub(crate) fn write(
        &mut self,
        trace_id: &[u8],
        summary: &TraceSummary,
    ) -> rusqlite::Result<()> {
        let root = summary.root.clone().unwrap_or_default();
        let models: Vec<&str> = summary.models.iter().map(String::as_str).collect();
        self.write.execute(params![
            trace_id,
            root.name,
            root.service,
            root.rank,
            root.start_ns,
            summary.start_ns,
            summary.end_ns,
            summary.span_count,
            summary.error_count,
            models.join(","),
        ])?;
        Ok(())
    }

    /// Removes the trace's row (it has no spans left).
    pub(crate) fn delete(&mut self, trace_id: &[u8]) -> rusqlite::Result<()> {
        self.delete.execute([trace_id])?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn span(name: &str, start_ns: i64, root_rank: i64) -> SummarySpan<'_> {
        SummarySpan {
            name,
            service: "svc",
            start_ns,
            end_ns: start_ns + 10,
            is_error: false,
            root_rank,
            model: None,
        }
    }

    #[test]
    fn the_root_is_the_best_ranked_then_earliest_span_whatever_the_order() {
        let mut summary = TraceSummary::default();
        summary.add(span("child", 5, 2));
        summary.add(span("self-parented", 7, 1));
        summary.add(span("late root", 9, 0));
        summary.add(span("early root", 8, 0));
        let root = summary.root.clone().unwrap_or_default();
        assert_eq!((root.name.as_str(), root.start_ns), ("early root", 8));
        assert_eq!((summary.start_ns, summary.end_ns), (5, 19));
        // A stored row with a better root wins the merge; counts and models add up.
        let mut stored = TraceSummary::default();
        stored.add(SummarySpan {
            model: Some("gpt-4o, mini"),
            is_error: true,
            ..span("stored root", 1, 0)
        });
        summary.merge(stored);
        let root = summary.root.clone().unwrap_or_default();
        assert_eq!(root.name, "stored root");
        assert_eq!((summary.span_count, summary.error_count), (5, 1));
        assert_eq!(summary.models.iter().collect::<Vec<_>>(), ["gpt-4o  mini"]);
    }

    #[test]
    fn root_rank_in_rust_and_sql_agree() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        for (span_id, parent) in [
            (&b"a"[..], None),
            (&b"a"[..], Some(&b"a"[..])),
            (&b"a"[..], Some(&b"b"[..])),
        ] {
            let sql: i64 = conn.query_row(
                &format!(
                    "SELECT {ROOT_RANK_SQL} FROM (SELECT ?1 AS span_id, ?2 AS parent_span_id)"
                ),
                params![span_id, parent],
                |r| r.get(0),
            )?;
            assert_eq!(sql, root_rank(span_id, parent), "{span_id:?} {parent:?}");
        }
        Ok(())
    }
}
