//! The schema and its migrations. `PRAGMA user_version` holds the schema version; each entry of
//! [`MIGRATIONS`] takes the file one version forward and runs in its own transaction. A later
//! feature adds tables by appending one migration, never by editing an old one.

use std::path::Path;

use rusqlite::Connection;

use super::StoreError;

/// Migration `i` takes the schema from version `i` to `i + 1`.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: imports, resources, scopes, spans, events, links, trace summaries.
    r"
CREATE TABLE imports (
    id            INTEGER PRIMARY KEY,
    path          TEXT NOT NULL,
    format        TEXT NOT NULL DEFAULT '',
    bytes         INTEGER NOT NULL DEFAULT 0,
    started_at    TEXT NOT NULL,
    finished_at   TEXT,
    status        TEXT NOT NULL,
    spans_read    INTEGER NOT NULL DEFAULT 0,
    spans_new     INTEGER NOT NULL DEFAULT 0,
    traces        INTEGER NOT NULL DEFAULT 0,
    skipped_lines INTEGER NOT NULL DEFAULT 0,
    warnings      INTEGER NOT NULL DEFAULT 0,
    errors        INTEGER NOT NULL DEFAULT 0,
    diagnostics   TEXT NOT NULL DEFAULT '[]'
);
CREATE TABLE resources (
    id            INTEGER PRIMARY KEY,
    fingerprint   BLOB NOT NULL UNIQUE,
    service_name  TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    schema_url    TEXT NOT NULL DEFAULT '',
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE scopes (
    id            INTEGER PRIMARY KEY,
    fingerprint   BLOB NOT NULL UNIQUE,
    name          TEXT NOT NULL,
    version       TEXT NOT NULL,
    attributes    TEXT NOT NULL,
    schema_url    TEXT NOT NULL DEFAULT '',
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE spans (
    id               INTEGER PRIMARY KEY,
    trace_id         BLOB NOT NULL,
    span_id          BLOB NOT NULL,
    parent_span_id   BLOB,
    name             TEXT NOT NULL,
    kind             INTEGER NOT NULL,
    start_ns         INTEGER NOT NULL,
    end_ns           INTEGER NOT NULL,
    dur_ns           INTEGER NOT NULL,
    status_code      INTEGER NOT NULL,
    status_message   TEXT NOT NULL DEFAULT '',
    trace_state      TEXT NOT NULL DEFAULT '',
    flags            INTEGER NOT NULL DEFAULT 0,
    resource_id      INTEGER NOT NULL REFERENCES resources(id),
    scope_id         INTEGER NOT NULL REFERENCES scopes(id),
    import_id        INTEGER NOT NULL REFERENCES imports(id),
    service          TEXT NOT NULL,
    http_status      INTEGER,
    gen_ai_operation TEXT,
    request_model    TEXT,
    response_model   TEXT,
    input_tokens     INTEGER,
    output_tokens    INTEGER,
    conversation_key TEXT,
    anomalies        INTEGER NOT NULL DEFAULT 0,
    attributes       TEXT NOT NULL,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    dropped_events_count     INTEGER NOT NULL DEFAULT 0,
    dropped_links_count      INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX spans_by_trace ON spans(trace_id, span_id);
CREATE TABLE span_events (
    span_pk   INTEGER NOT NULL,
    seq       INTEGER NOT NULL,
    time_ns   INTEGER NOT NULL,
    name      TEXT NOT NULL,
    attributes TEXT NOT NULL,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (span_pk, seq)
) WITHOUT ROWID;
CREATE TABLE span_links (
    span_pk        INTEGER NOT NULL,
    seq            INTEGER NOT NULL,
    trace_id       BLOB NOT NULL,
    span_id        BLOB NOT NULL,
    trace_state    TEXT NOT NULL DEFAULT '',
    attributes     TEXT NOT NULL,
    flags          INTEGER NOT NULL DEFAULT 0,
    dropped_attributes_count INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (span_pk, seq)
) WITHOUT ROWID;
CREATE TABLE traces (
    trace_id      BLOB PRIMARY KEY,
    root_name     TEXT NOT NULL,
    root_service  TEXT NOT NULL,
    root_rank     INTEGER NOT NULL DEFAULT 2,
    root_start_ns INTEGER NOT NULL DEFAULT 0,
    start_ns      INTEGER NOT NULL,
    end_ns        INTEGER NOT NULL,
    span_count    INTEGER NOT NULL,
    error_count   INTEGER NOT NULL,
    models        TEXT NOT NULL DEFAULT ''
) WITHOUT ROWID;
",
    // 1 -> 2: the error class of every span (`model::error_class`), filled at import. Spans
    // stored before this version are classified by `backfill` in the same transaction.
    r#"
ALTER TABLE spans ADD COLUMN error_class TEXT;
UPDATE spans SET error_class = 'ok'
 WHERE status_code <> 2 AND COALESCE(http_status, 0) < 400
   AND instr(attributes, '"error.type"') = 0;
"#,
    // 2 -> 3: prediction logs (`ingest::predictions`). `dedupe_key` is a 64-bit hash of
    // (model, request_id, timestamp), or of the whole record when it has no request id.
    r"
CREATE TABLE predictions (
    id               INTEGER PRIMARY KEY,
    dedupe_key       INTEGER NOT NULL UNIQUE,
    import_id        INTEGER NOT NULL REFERENCES imports(id),
    model            TEXT NOT NULL,
    model_version    TEXT NOT NULL DEFAULT '',
    pipeline_version TEXT NOT NULL DEFAULT '',
    request_id       TEXT,
    timestamp_ns     INTEGER NOT NULL,
    trace_id         BLOB,
    prediction,
    confidence       REAL,
    latency_ms       REAL,
    label,
    features         TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX predictions_by_model_time ON predictions(model, timestamp_ns);
CREATE INDEX predictions_by_trace ON predictions(trace_id) WHERE trace_id IS NOT NULL;
",
    // 3 -> 4: `validation_candidate`: the span carries something `analysis::validation` checks
    // (see `store::prepare::is_validation_candidate`), computed at import so the Validation tab
    // never scans every span's JSON. Spans stored before are flagged by `backfill`; the partial
    // index `spans_validation_candidates` lists them.
    r"
ALTER TABLE spans ADD COLUMN validation_candidate INTEGER NOT NULL DEFAULT 0;
",
    // 4 -> 5: import roles (issue 6): an import marked `reference` (`tracedeck import --reference`)
    // holds the reference predictions drift is measured against.
    r"
CREATE TABLE import_roles (
    import_id INTEGER PRIMARY KEY REFERENCES imports(id),
    role      TEXT NOT NULL
);
",
];

/// Rust steps of a migration, run after its SQL in the same transaction.
fn backfill(version: i64, conn: &Connection) -> rusqlite::Result<()> {
    if version == 2 {
        super::failure_queries::classify_unclassified_spans(conn)?;
    }
    // The `validation_candidate` migration (3 -> 4).
    if version == 4 {
        super::failure_queries::flag_validation_candidates(conn)?;
    }
    Ok(())
}

/// Secondary indexes: what the views' queries need. Imports keep them up to date row by row:
/// exports arrive roughly in time order, so the time-keyed indexes grow at their right edge,
/// and that measured faster than dropping them and rebuilding at the end (which also left the
/// views without indexes during a first import). Every open makes sure they exist. A later
/// migration that needs another index adds it here.
const SECONDARY_INDEXES: &[(&str, &str)] = &[
    ("spans_by_start", "spans(start_ns)"),
    ("spans_by_service_start", "spans(service, start_ns)"),
    (
        "spans_by_conversation",
        "spans(conversation_key, start_ns) WHERE conversation_key IS NOT NULL",
    ),
    // Counting root spans (`counts`) without a table scan.
    (
        "spans_roots",
        "spans(trace_id) WHERE parent_span_id IS NULL",
    ),
    ("span_links_by_target", "span_links(trace_id, span_id)"),
    ("traces_by_start", "traces(start_ns)"),
    (
        "spans_by_error_class",
        "spans(error_class, start_ns) WHERE error_class <> 'ok'",
    ),
    (
        "spans_validation_candidates",
        "spans(start_ns) WHERE validation_candidate = 1",
    ),
    (
        "predictions_by_model_time",
        "predictions(model, timestamp_ns)",
    ),
    (
        "predictions_by_trace",
        "predictions(trace_id) WHERE trace_id IS NOT NULL",
    ),
];

/// Creates any secondary index that is missing.
pub(super) fn ensure_secondary_indexes(conn: &Connection) -> rusqlite::Result<()> {
    for (name, on) in SECONDARY_INDEXES {
        conn.execute_batch(&format!("CREATE INDEX IF NOT EXISTS {name} ON {on}"))?;
    }
    Ok(())
}

/// The schema version this build writes and reads.
pub const SCHEMA_VERSION: i64 = MIGRATIONS.len() as i64;

fn user_version(conn: &Connection) -> Result<i64, StoreError> {
    Ok(conn.query_row("PRAGMA user_version", [], |row| row.get(0))?)
}

/// Runs every migration the file has not had yet, each in its own transaction.
pub(super) fn migrate(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    if found > SCHEMA_VERSION {
        return Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    for (index, sql) in MIGRATIONS.iter().enumerate().skip(found.max(0) as usize) {
        let version = index as i64 + 1;
        let step = |conn: &Connection| -> rusqlite::Result<()> {
            conn.execute_batch("BEGIN IMMEDIATE")?;
            // Another connection (an import, the app) may have run this step while this one
            // waited for the write lock.
            let result = conn
                .query_row("PRAGMA user_version", [], |row| row.get::<_, i64>(0))
                .and_then(|now| {
                    if now >= version {
                        return Ok(());
                    }
                    conn.execute_batch(sql)
                        .and_then(|()| backfill(version, conn))
                        .and_then(|()| conn.pragma_update(None, "user_version", version))
                })
                .and_then(|()| conn.execute_batch("COMMIT"));
            if result.is_err() {
                let _ = conn.execute_batch("ROLLBACK");
            }
            result
        };
        step(conn).map_err(|source| StoreError::Migration { version, source })?;
    }
    ensure_secondary_indexes(conn)?;
    Ok(())
}

/// Refuses a file whose schema is not exactly this build's (used for read-only opens).
pub(super) fn check_version(conn: &Connection, path: &Path) -> Result<(), StoreError> {
    let found = user_version(conn)?;
    match found.cmp(&SCHEMA_VERSION) {
        std::cmp::Ordering::Equal => Ok(()),
        std::cmp::Ordering::Greater => Err(StoreError::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        }),
        std::cmp::Ordering::Less => Err(StoreError::OlderSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::super::Store;
    use super::*;

    #[test]
    fn fresh_store_reaches_current_version_and_reopens() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
            path: ".".into(),
            source,
        })?;
        let path = dir.path().join("s.sqlite");
        let store = Store::open(&path)?;
        assert_eq!(user_version(store.conn())?, SCHEMA_VERSION);
        drop(store);
        let store = Store::open(&path)?;
        assert_eq!(user_version(store.conn())?, SCHEMA_VERSION);
        Ok(())
    }

    #[test]
    fn connections_opening_an_old_store_at_once_all_upgrade_it() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
            path: ".".into(),
            source,
        })?;
        let path = dir.path().join("old.sqlite");
        {
            let conn = Connection::open(&path)?;
            let Some(first) = MIGRATIONS.first() else {
                panic!("no migrations");
            };
            conn.execute_batch(first)?;
            conn.pragma_update(None, "user_version", 1)?;
        }
        // The app and an import (or two imports) open the same old store together: each waits
        // for the other's migration step and must not run it again.
        let start = std::sync::Barrier::new(4);
        let results: Vec<Result<i64, String>> = std::thread::scope(|scope| {
            let handles: Vec<_> = (0..4)
                .map(|_| {
                    scope.spawn(|| {
                        start.wait();
                        Store::open(&path)
                            .and_then(|store| user_version(store.conn()))
                            .map_err(|e| e.to_string())
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().unwrap_or_else(|_| Err("panicked".to_owned())))
                .collect()
        });
        for result in results {
            assert_eq!(result, Ok(SCHEMA_VERSION));
        }
        Ok(())
    }

    #[test]
    fn newer_schema_is_refused_naming_both_versions() -> Result<(), StoreError> {
        let dir = tempfile::tempdir().map_err(|source| StoreError::Io {
            path: ".".into(),
            source,
        })?;
        let path = dir.path().join("future.sqlite");
        {
            let conn = Connection::open(&path)?;
            conn.pragma_update(None, "user_version", SCHEMA_VERSION + 5)?;
        }
        let Err(err) = Store::open(&path) else {
            panic!("a newer schema must be refused");
        };
        let msg = err.to_string();
        assert!(msg.contains(&(SCHEMA_VERSION + 5).to_string()), "{msg}");
        assert!(msg.contains(&SCHEMA_VERSION.to_string()), "{msg}");
        Ok(())
    }
}
