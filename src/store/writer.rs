//! The bulk writer an import uses: one `imports` row per imported file, spans inserted with
//! cached prepared statements inside large transactions, duplicates (same trace and span id)
//! ignored, and the `traces` summary refreshed for every trace a transaction touched.

use std::collections::{HashMap, HashSet};

use rusqlite::{OptionalExtension, params};

use super::{Store, StoreError, attributes_to_json};
use crate::model::{Anomalies, Resource, ResourceSpans, Scope, Span, SpanFacts, TraceId};

/// Spans per transaction: large enough for bulk speed, small enough that a kill loses little.
const COMMIT_EVERY_SPANS: u64 = 100_000;

/// How an import ended, as stored in `imports.status`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ImportStatus {
    Running,
    Ok,
    Partial,
    Rejected,
    Cancelled,
    Interrupted,
}

impl ImportStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Running => "running",
            Self::Ok => "ok",
            Self::Partial => "partial",
            Self::Rejected => "rejected",
            Self::Cancelled => "cancelled",
            Self::Interrupted => "interrupted",
        }
    }
}

/// What one `write` call stored.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct WriteStats {
    pub inserted: u64,
    pub duplicates: u64,
}

/// Totals recorded on the `imports` row when an import finishes.
#[derive(Clone, Debug, Default)]
pub struct ImportTotals {
    pub format: String,
    pub spans_read: u64,
    pub traces: u64,
    pub skipped_lines: u64,
    pub warnings: u64,
    pub errors: u64,
    /// JSON array of the first diagnostics, for the import log.
    pub diagnostics_json: String,
}

/// Writes the spans of one imported file.
pub struct SpanWriter<'s> {
    store: &'s mut Store,
    import_id: i64,
    resource_ids: HashMap<Vec<u8>, i64>,
    scope_ids: HashMap<Vec<u8>, i64>,
    touched_traces: HashSet<TraceId>,
    in_transaction: bool,
    spans_in_transaction: u64,
    inserted_total: u64,
}

impl<'s> SpanWriter<'s> {
    /// Records a new import (status `running`, committed at once so a kill leaves a trace of it).
    pub fn begin(
        store: &'s mut Store,
        path: &str,
        format: &str,
        bytes: u64,
    ) -> Result<Self, StoreError> {
        let started_at = chrono::Utc::now().to_rfc3339();
        store.conn().execute(
            "INSERT INTO imports(path, format, bytes, started_at, status) VALUES (?1, ?2, ?3, ?4, 'running')",
            params![path, format, bytes as i64, started_at],
        )?;
        let import_id = store.conn().last_insert_rowid();
        Ok(Self {
            store,
            import_id,
            resource_ids: HashMap::new(),
            scope_ids: HashMap::new(),
            touched_traces: HashSet::new(),
            in_transaction: false,
            spans_in_transaction: 0,
            inserted_total: 0,
        })
    }

    pub fn import_id(&self) -> i64 {
        self.import_id
    }

    /// Spans this import added to the store so far.
    pub fn inserted_total(&self) -> u64 {
        self.inserted_total
    }

    /// Stores the spans of `blocks`; spans already in the store are skipped.
    pub fn write(&mut self, blocks: &[ResourceSpans]) -> Result<WriteStats, StoreError> {
        if !self.in_transaction {
            self.store.conn().execute_batch("BEGIN IMMEDIATE")?;
            self.in_transaction = true;
        }
        let mut stats = WriteStats::default();
        for block in blocks {
            let resource_id = self.resource_id(&block.resource)?;
            let service = block.resource.service_name().to_owned();
            for scope_spans in &block.scope_spans {
                let scope_id = self.scope_id(&scope_spans.scope)?;
                for span in &scope_spans.spans {
                    if self.insert_span(span, &block.resource, &service, resource_id, scope_id)? {
                        stats.inserted += 1;
                        self.touched_traces.insert(span.trace_id);
                    } else {
                        stats.duplicates += 1;
                    }
                }
            }
        }
        self.inserted_total += stats.inserted;
        self.spans_in_transaction += stats.inserted + stats.duplicates;
        if self.spans_in_transaction >= COMMIT_EVERY_SPANS {
            self.commit()?;
        }
        Ok(stats)
    }

    /// Commits what was written so far (trace summaries included).
    pub fn commit(&mut self) -> Result<(), StoreError> {
        if !self.in_transaction {
            return Ok(());
        }
        self.refresh_trace_summaries()?;
        self.store.conn().execute_batch("COMMIT")?;
        self.in_transaction = false;
        self.spans_in_transaction = 0;
        Ok(())
    }

    /// Commits and records how the import ended. A rejected import that stored nothing leaves
    /// no row behind.
    pub fn finish(
        mut self,
        status: ImportStatus,
        totals: &ImportTotals,
    ) -> Result<i64, StoreError> {
        self.commit()?;
        let conn = self.store.conn();
        if status == ImportStatus::Rejected && self.inserted_total == 0 {
            conn.execute("DELETE FROM imports WHERE id = ?1", [self.import_id])?;
            return Ok(self.import_id);
        }
        conn.execute(
            "UPDATE imports SET finished_at = ?2, status = ?3, format = ?4, spans_read = ?5,
                spans_new = ?6, traces = ?7, skipped_lines = ?8, warnings = ?9, errors = ?10,
                diagnostics = ?11
             WHERE id = ?1",
            params![
                self.import_id,
                chrono::Utc::now().to_rfc3339(),
                status.as_str(),
                totals.format,
                totals.spans_read as i64,
                self.inserted_total as i64,
                totals.traces as i64,
                totals.skipped_lines as i64,
                totals.warnings as i64,
                totals.errors as i64,
                totals.diagnostics_json,
            ],
        )?;
        Ok(self.import_id)
    }

    fn resource_id(&mut self, resource: &Resource) -> Result<i64, StoreError> {
        let attributes = attributes_to_json(&resource.attributes);
        let mut fingerprint = Vec::with_capacity(attributes.len() + resource.schema_url.len() + 8);
        fingerprint.extend_from_slice(resource.schema_url.as_bytes());
        fingerprint.push(0);
        fingerprint.extend_from_slice(&resource.dropped_attributes_count.to_le_bytes());
        fingerprint.extend_from_slice(attributes.as_bytes());
        if let Some(id) = self.resource_ids.get(&fingerprint) {
            return Ok(*id);
        }
        let conn = self.store.conn();
        let existing: Option<i64> = conn
            .prepare_cached("SELECT id FROM resources WHERE fingerprint = ?1")?
            .query_row([&fingerprint], |row| row.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                conn.prepare_cached(
                    "INSERT INTO resources(fingerprint, service_name, attributes, schema_url, dropped_attributes_count)
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )?
                .execute(params![
                    fingerprint,
                    resource.service_name(),
                    attributes,
                    resource.schema_url,
                    resource.dropped_attributes_count,
                ])?;
                conn.last_insert_rowid()
            }
        };
        self.resource_ids.insert(fingerprint, id);
        Ok(id)
    }

    fn scope_id(&mut self, scope: &Scope) -> Result<i64, StoreError> {
        let attributes = attributes_to_json(&scope.attributes);
        let mut fingerprint = Vec::new();
        for part in [&scope.name, &scope.version, &scope.schema_url] {
            fingerprint.extend_from_slice(part.as_bytes());
            fingerprint.push(0);
        }
        fingerprint.extend_from_slice(&scope.dropped_attributes_count.to_le_bytes());
        fingerprint.extend_from_slice(attributes.as_bytes());
        if let Some(id) = self.scope_ids.get(&fingerprint) {
            return Ok(*id);
        }
        let conn = self.store.conn();
        let existing: Option<i64> = conn
            .prepare_cached("SELECT id FROM scopes WHERE fingerprint = ?1")?
            .query_row([&fingerprint], |row| row.get(0))
            .optional()?;
        let id = match existing {
            Some(id) => id,
            None => {
                conn.prepare_cached(
                    "INSERT INTO scopes(fingerprint, name, version, attributes, schema_url, dropped_attributes_count)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                )?
                .execute(params![
                    fingerprint,
                    scope.name,
                    scope.version,
                    attributes,
                    scope.schema_url,
                    scope.dropped_attributes_count,
                ])?;
                conn.last_insert_rowid()
            }
        };
        self.scope_ids.insert(fingerprint, id);
        Ok(id)
    }

    /// Inserts one span with its events and links; `false` when it was already stored.
    fn insert_span(
        &mut self,
        span: &Span,
        resource: &Resource,
        service: &str,
        resource_id: i64,
        scope_id: i64,
    ) -> Result<bool, StoreError> {
        let facts = SpanFacts::of(span, resource);
        let conn = self.store.conn();
        let changed = conn
            .prepare_cached(
                "INSERT OR IGNORE INTO spans(trace_id, span_id, parent_span_id, name, kind, start_ns,
                    end_ns, dur_ns, status_code, status_message, trace_state, flags, resource_id,
                    scope_id, import_id, service, http_status, gen_ai_operation, request_model,
                    response_model, input_tokens, output_tokens, conversation_key, anomalies,
                    attributes, dropped_attributes_count, dropped_events_count, dropped_links_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,
                    ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27, ?28)",
            )?
            .execute(params![
                &span.trace_id[..],
                &span.span_id[..],
                span.parent_span_id.as_ref().map(|p| &p[..]),
                span.name,
                span.kind as i64,
                span.start_ns as i64,
                span.end_ns as i64,
                span.dur_ns(),
                span.status_code as i64,
                span.status_message,
                span.trace_state,
                span.flags,
                resource_id,
                scope_id,
                self.import_id,
                service,
                facts.http_status,
                facts.gen_ai_operation,
                facts.request_model,
                facts.response_model,
                facts.input_tokens,
                facts.output_tokens,
                facts.conversation_key,
                Anomalies::of(span).0,
                attributes_to_json(&span.attributes),
                span.dropped_attributes_count,
                span.dropped_events_count,
                span.dropped_links_count,
            ])?;
        if changed == 0 {
            return Ok(false);
        }
        let span_pk = conn.last_insert_rowid();
        if !span.events.is_empty() {
            let mut insert = conn.prepare_cached(
                "INSERT OR IGNORE INTO span_events(span_pk, seq, time_ns, name, attributes, dropped_attributes_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            )?;
            for (seq, event) in span.events.iter().enumerate() {
                insert.execute(params![
                    span_pk,
                    seq as i64,
                    event.time_ns as i64,
                    event.name,
                    attributes_to_json(&event.attributes),
                    event.dropped_attributes_count,
                ])?;
            }
        }
        if !span.links.is_empty() {
            let mut insert = conn.prepare_cached(
                "INSERT OR IGNORE INTO span_links(span_pk, seq, trace_id, span_id, trace_state, attributes, flags, dropped_attributes_count)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?;
            for (seq, link) in span.links.iter().enumerate() {
                insert.execute(params![
                    span_pk,
                    seq as i64,
                    &link.trace_id[..],
                    &link.span_id[..],
                    link.trace_state,
                    attributes_to_json(&link.attributes),
                    link.flags,
                    link.dropped_attributes_count,
                ])?;
            }
        }
        Ok(true)
    }

    /// Recomputes the `traces` row of every trace this transaction added spans to.
    fn refresh_trace_summaries(&mut self) -> Result<(), StoreError> {
        let conn = self.store.conn();
        let mut refresh = conn.prepare_cached(
            "INSERT OR REPLACE INTO traces(trace_id, root_name, root_service, start_ns, end_ns,
                span_count, error_count, models)
             SELECT ?1, COALESCE(root.name, ''), COALESCE(root.service, ''), agg.start_ns,
                agg.end_ns, agg.span_count, agg.error_count, agg.models
             FROM (SELECT MIN(start_ns) AS start_ns, MAX(end_ns) AS end_ns, COUNT(*) AS span_count,
                      SUM(status_code = 2) AS error_count,
                      COALESCE(GROUP_CONCAT(DISTINCT COALESCE(request_model, response_model)), '') AS models
                   FROM spans WHERE trace_id = ?1) AS agg
             LEFT JOIN (SELECT r.name, r.service FROM spans r
                   WHERE r.trace_id = ?1
                   ORDER BY (r.parent_span_id IS NULL OR r.parent_span_id = r.span_id
                             OR NOT EXISTS (SELECT 1 FROM spans p
                                            WHERE p.trace_id = r.trace_id AND p.span_id = r.parent_span_id)) DESC,
                            r.start_ns
                   LIMIT 1) AS root
             WHERE agg.span_count > 0",
        )?;
        for trace_id in self.touched_traces.drain() {
            refresh.execute([&trace_id[..]])?;
        }
        Ok(())
    }
}

impl Drop for SpanWriter<'_> {
    fn drop(&mut self) {
        // A writer dropped mid-transaction (an error elsewhere) rolls back what it had not
        // committed; committed batches stay, and the import row keeps its `running` status,
        // which the next open marks `interrupted`.
        if self.in_transaction {
            let _ = self.store.conn_mut().execute_batch("ROLLBACK");
        }
    }
}
