//! The checks a file from someone else passes before anything reads it: the SQLite header, the
//! size the header promises, that it is a tracedeck store (its tables), no triggers, views or
//! virtual tables, its schema version, and `PRAGMA quick_check`. Every refusal says what is wrong
//! in words; nothing here writes to the file. An older schema is upgraded in a copy, never in
//! the original ([`upgrade_copy`]).

use std::io::Read as _;
use std::path::{Path, PathBuf};

use super::snapshot::{SnapshotInfo, read_snapshot_info};
use crate::store::{SCHEMA_VERSION, Store, StoreError};

const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";
const HEADER_BYTES: usize = 100;
/// The tables every tracedeck store has (schema version 1 on).
const REQUIRED_TABLES: &[&str] = &[
    "imports",
    "resources",
    "scopes",
    "spans",
    "span_events",
    "span_links",
    "traces",
];

/// A file that passed the checks.
#[derive(Clone, Debug, PartialEq)]
pub struct CheckedFile {
    pub path: PathBuf,
    pub bytes: u64,
    pub schema_version: i64,
    /// `Some(found)`: an older schema; open an upgraded copy ([`upgrade_copy`]).
    pub upgrade_from: Option<i64>,
    /// The `snapshot` row, when the file is an exported snapshot.
    pub snapshot: Option<SnapshotInfo>,
}

/// Why a file is not opened.
#[derive(Debug, thiserror::Error)]
pub enum Refusal {
    #[error("{}: no such file", .path.display())]
    Missing { path: PathBuf },
    #[error("cannot read {}: {detail}", .path.display())]
    Unreadable { path: PathBuf, detail: String },
    #[error("{} is empty (0 bytes): not a tracedeck store", .path.display())]
    Empty { path: PathBuf },
    #[error("{} is a text file, not a SQLite database", .path.display())]
    Text { path: PathBuf },
    #[error(
        "{} is not a SQLite database (no SQLite header): it is another kind of file, or an encrypted database tracedeck cannot read",
        .path.display()
    )]
    NotSqlite { path: PathBuf },
    #[error(
        "{} is truncated: SQLite's header promises {expected} bytes but the file has {actual}; ask for the file again",
        .path.display()
    )]
    Truncated {
        path: PathBuf,
        expected: u64,
        actual: u64,
    },
    #[error(
        "{} is a SQLite database of another application, not a tracedeck store (no {missing} table; it has: {found})",
        .path.display()
    )]
    NotTracedeck {
        path: PathBuf,
        missing: String,
        found: String,
    },
    #[error(
        "{} contains a {kind} named {name:?} that tracedeck did not create; refusing to open it (a {kind} can run code when read)",
        .path.display()
    )]
    Hostile {
        path: PathBuf,
        kind: &'static str,
        name: String,
    },
    #[error(
        "{} was made by a newer tracedeck (schema version {found}); this tracedeck reads schema version {supported} and older. Update tracedeck to open it",
        .path.display()
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{} is damaged: SQLite's integrity check says: {detail}", .path.display())]
    Corrupt { path: PathBuf, detail: String },
    #[error("{} cannot be read as a SQLite database: {detail}", .path.display())]
    Unopenable { path: PathBuf, detail: String },
}

fn looks_like_text(head: &[u8]) -> bool {
    !head.is_empty()
        && std::str::from_utf8(head).is_ok_and(|s| {
            s.chars()
                .all(|c| !c.is_control() || c.is_ascii_whitespace())
        })
}

/// Checks the file at `path`; never writes to it, never panics on its content.
pub fn check_file(path: &Path) -> Result<CheckedFile, Refusal> {
    let meta = match std::fs::metadata(path) {
        Ok(m) => m,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Refusal::Missing {
                path: path.to_owned(),
            });
        }
        Err(e) => {
            return Err(Refusal::Unreadable {
                path: path.to_owned(),
                detail: e.to_string(),
            });
        }
    };
    let actual = meta.len();
    if actual == 0 {
        return Err(Refusal::Empty {
            path: path.to_owned(),
        });
    }
    let mut head = Vec::with_capacity(HEADER_BYTES);
    std::fs::File::open(path)
        .and_then(|f| f.take(HEADER_BYTES as u64).read_to_end(&mut head))
        .map_err(|e| Refusal::Unreadable {
            path: path.to_owned(),
            detail: e.to_string(),
        })?;
    let magic_len = head.len().min(SQLITE_MAGIC.len());
    let magic_matches = head.get(..magic_len) == SQLITE_MAGIC.get(..magic_len);
    if !magic_matches || head.len() < SQLITE_MAGIC.len() {
        if magic_matches {
            return Err(Refusal::Truncated {
                path: path.to_owned(),
                expected: HEADER_BYTES as u64,
                actual,
            });
        }
        if looks_like_text(&head) {
            return Err(Refusal::Text {
                path: path.to_owned(),
            });
        }
        return Err(Refusal::NotSqlite {
            path: path.to_owned(),
        });
    }
    if let Some(expected) = promised_size(&head)
        && actual < expected
    {
        return Err(Refusal::Truncated {
            path: path.to_owned(),
            expected,
            actual,
        });
    }
    let unopenable = |e: StoreError| Refusal::Unopenable {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let store = Store::open_untrusted_unchecked(path).map_err(unopenable)?;
    check_schema_objects(&store, path)?;
    let found = store.schema_version().map_err(unopenable)?;
    if found > SCHEMA_VERSION {
        return Err(Refusal::NewerSchema {
            path: path.to_owned(),
            found,
            supported: SCHEMA_VERSION,
        });
    }
    store.quick_check().map_err(|e| match e {
        StoreError::Corrupt { detail, .. } => Refusal::Corrupt {
            path: path.to_owned(),
            detail,
        },
        other => Refusal::Corrupt {
            path: path.to_owned(),
            detail: other.to_string(),
        },
    })?;
    let snapshot = if found == SCHEMA_VERSION {
        read_snapshot_info(&store).map_err(unopenable)?
    } else {
        None
    };
    Ok(CheckedFile {
        path: path.to_owned(),
        bytes: actual,
        schema_version: found,
        upgrade_from: (found < SCHEMA_VERSION).then_some(found),
        snapshot,
    })
}

/// The file size the header promises (page size times page count), when the header's page
/// count is valid (SQLite 3.7.0 on).
fn promised_size(head: &[u8]) -> Option<u64> {
    let be16 = |at: usize| -> Option<u64> {
        let b = head.get(at..at + 2)?;
        Some(u64::from(u16::from_be_bytes([*b.first()?, *b.get(1)?])))
    };
    let be32 = |at: usize| -> Option<u64> {
        let b: [u8; 4] = head.get(at..at + 4)?.try_into().ok()?;
        Some(u64::from(u32::from_be_bytes(b)))
    };
    let page_size = match be16(16)? {
        1 => 65_536,
        n if n >= 512 && n.is_power_of_two() => n,
        _ => return None,
    };
    let pages = be32(28)?;
    let change_counter = be32(24)?;
    let valid_for = be32(92)?;
    (pages > 0 && change_counter == valid_for).then_some(page_size * pages)
}

/// The triggers, views and virtual tables tracedeck's own migrations create (none so far), as
/// (type, name, sql): a file may have exactly these.
fn own_code_objects() -> &'static [(String, String, String)] {
    static OWN: std::sync::OnceLock<Vec<(String, String, String)>> = std::sync::OnceLock::new();
    OWN.get_or_init(|| {
        let Ok(store) = Store::open(Path::new(":memory:")) else {
            return Vec::new();
        };
        let Ok(mut stmt) = store.conn().prepare(
            "SELECT type, name, COALESCE(sql, '') FROM sqlite_master
             WHERE type IN ('trigger', 'view') OR sql LIKE 'CREATE VIRTUAL TABLE%'",
        ) else {
            return Vec::new();
        };
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .and_then(|rows| rows.collect())
            .unwrap_or_default()
    })
}

fn check_schema_objects(store: &Store, path: &Path) -> Result<(), Refusal> {
    let unopenable = |e: rusqlite::Error| Refusal::Unopenable {
        path: path.to_owned(),
        detail: e.to_string(),
    };
    let conn = store.conn();
    let mut stmt = conn
        .prepare("SELECT type, name, COALESCE(sql, '') FROM sqlite_master")
        .map_err(unopenable)?;
    let objects: Vec<(String, String, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .and_then(|rows| rows.collect())
        .map_err(unopenable)?;
    let own = own_code_objects();
    for (kind, name, sql) in &objects {
        if own
            .iter()
            .any(|(k, n, q)| k == kind && n == name && q == sql)
        {
            continue;
        }
        let hostile = match kind.as_str() {
            "trigger" => Some("trigger"),
            "view" => Some("view"),
            "table"
                if sql
                    .trim_start()
                    .get(..20)
                    .is_some_and(|s| s.eq_ignore_ascii_case("CREATE VIRTUAL TABLE")) =>
            {
                Some("virtual table")
            }
            _ => None,
        };
        if let Some(kind) = hostile {
            return Err(Refusal::Hostile {
                path: path.to_owned(),
                kind,
                name: name.clone(),
            });
        }
    }
    let tables: Vec<&str> = objects
        .iter()
        .filter(|(kind, name, _)| kind == "table" && !name.starts_with("sqlite_"))
        .map(|(_, name, _)| name.as_str())
        .collect();
    if let Some(missing) = REQUIRED_TABLES.iter().find(|t| !tables.contains(t)) {
        let mut found: Vec<&str> = tables.iter().take(8).copied().collect();
        if tables.len() > 8 {
            found.push("...");
        }
        return Err(Refusal::NotTracedeck {
            path: path.to_owned(),
            missing: (*missing).to_owned(),
            found: if found.is_empty() {
                "no tables".to_owned()
            } else {
                found.join(", ")
            },
        });
    }
    Ok(())
}

/// Copies a checked file with an older schema to `dest` and upgrades the copy; the original
/// is left as it was.
pub fn upgrade_copy(checked: &CheckedFile, dest: &Path) -> Result<PathBuf, StoreError> {
    if let Some(dir) = dest.parent() {
        std::fs::create_dir_all(dir).map_err(|source| StoreError::Io {
            path: dir.to_owned(),
            source,
        })?;
    }
    std::fs::copy(&checked.path, dest).map_err(|source| StoreError::Io {
        path: dest.to_owned(),
        source,
    })?;
    let upgraded = Store::open(dest)?;
    drop(upgraded);
    Ok(dest.to_owned())
}
