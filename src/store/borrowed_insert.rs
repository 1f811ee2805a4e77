//! An INSERT statement whose text and blob parameters SQLite reads in place instead of copying.
//!
//! rusqlite binds every string and blob with `SQLITE_TRANSIENT`, so SQLite copies each one
//! before the step. For the span insert that copy (mostly the attribute JSON, about half a
//! kilobyte a span) is a measurable part of the writer thread, the import's bottleneck.
//! [`BorrowedInsert::execute`] binds with `SQLITE_STATIC` instead: sound because the borrowed
//! values outlive the call, and the statement is stepped, reset and its bindings cleared before
//! `execute` returns, so SQLite never holds a pointer past it. The only `unsafe` code in the
//! crate lives here (every other module is denied it).
#![allow(unsafe_code)]

use std::ffi::{CString, c_char, c_int};
use std::ptr::NonNull;

use rusqlite::{Connection, ffi};

/// One parameter value, borrowed for the duration of one `execute`.
#[derive(Clone, Copy, Debug)]
pub(super) enum Param<'a> {
    Null,
    Int(i64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl From<i64> for Param<'_> {
    fn from(value: i64) -> Self {
        Self::Int(value)
    }
}

impl From<bool> for Param<'_> {
    fn from(value: bool) -> Self {
        Self::Int(i64::from(value))
    }
}

impl<'a> From<&'a str> for Param<'a> {
    fn from(value: &'a str) -> Self {
        Self::Text(value)
    }
}

impl<'a> From<&'a [u8]> for Param<'a> {
    fn from(value: &'a [u8]) -> Self {
        Self::Blob(value)
    }
}

impl<'a, T: Into<Param<'a>>> From<Option<T>> for Param<'a> {
    fn from(value: Option<T>) -> Self {
        value.map_or(Self::Null, Into::into)
    }
}

/// A prepared single-row INSERT on one connection, finalized on drop.
pub(super) struct BorrowedInsert<'c> {
    conn: &'c Connection,
    stmt: NonNull<ffi::sqlite3_stmt>,
    parameter_count: usize,
}

impl<'c> BorrowedInsert<'c> {
    pub(super) fn prepare(conn: &'c Connection, sql: &str) -> rusqlite::Result<Self> {
        let sql = CString::new(sql).map_err(|_| rusqlite::Error::InvalidQuery)?;
        let mut stmt: *mut ffi::sqlite3_stmt = std::ptr::null_mut();
        // SAFETY: the handle is the live connection `conn` borrows; `sql` is NUL-terminated and
        // `stmt` is a valid out-pointer.
        let rc = unsafe {
            ffi::sqlite3_prepare_v2(
                conn.handle(),
                sql.as_ptr(),
                -1,
                &mut stmt,
                std::ptr::null_mut(),
            )
        };
        if rc != ffi::SQLITE_OK {
            return Err(error(conn, rc));
        }
        let Some(stmt) = NonNull::new(stmt) else {
            // Only whitespace or a comment: nothing to run.
            return Err(rusqlite::Error::InvalidQuery);
        };
        // SAFETY: `stmt` was just prepared and is finalized only on drop.
        let parameter_count = unsafe { ffi::sqlite3_bind_parameter_count(stmt.as_ptr()) };
        Ok(Self {
            conn,
            stmt,
            parameter_count: usize::try_from(parameter_count).unwrap_or(0),
        })
    }

    /// Binds `params` (in order, one per `?`), runs the statement, and returns the rows it
    /// changed (0 when `INSERT OR IGNORE` ignored the row).
    pub(super) fn execute(&mut self, params: &[Param<'_>]) -> rusqlite::Result<u64> {
        if params.len() != self.parameter_count {
            return Err(rusqlite::Error::InvalidParameterCount(
                params.len(),
                self.parameter_count,
            ));
        }
        let result = self.bind(params).and_then(|()| self.step());
        // SAFETY: `stmt` is live. Resetting and clearing the bindings drops every pointer to
        // `params` before the borrow ends (reset's return code repeats the step's error).
        unsafe {
            ffi::sqlite3_reset(self.stmt.as_ptr());
            ffi::sqlite3_clear_bindings(self.stmt.as_ptr());
        }
        result
    }

    fn bind(&mut self, params: &[Param<'_>]) -> rusqlite::Result<()> {
        let stmt = self.stmt.as_ptr();
        for (index, param) in (1..).zip(params) {
            // SAFETY: `stmt` is live and `index` is within its parameter count (checked in
            // `execute`). Text and blob pointers stay valid until `execute` clears the bindings
            // (SQLITE_STATIC); empty values point at a static empty string, as rusqlite does.
            let rc = unsafe {
                match *param {
                    Param::Null => ffi::sqlite3_bind_null(stmt, index),
                    Param::Int(value) => ffi::sqlite3_bind_int64(stmt, index, value),
                    Param::Text(text) => ffi::sqlite3_bind_text64(
                        stmt,
                        index,
                        non_empty_ptr(text.as_bytes()),
                        text.len() as u64,
                        ffi::SQLITE_STATIC(),
                        ffi::SQLITE_UTF8 as u8,
                    ),
                    Param::Blob(bytes) => ffi::sqlite3_bind_blob64(
                        stmt,
                        index,
                        non_empty_ptr(bytes).cast(),
                        bytes.len() as u64,
                        ffi::SQLITE_STATIC(),
                    ),
                }
            };
            if rc != ffi::SQLITE_OK {
                return Err(error(self.conn, rc));
            }
        }
        Ok(())
    }

    fn step(&mut self) -> rusqlite::Result<u64> {
        // SAFETY: `stmt` is live and fully bound.
        let rc = unsafe { ffi::sqlite3_step(self.stmt.as_ptr()) };
        match rc {
            ffi::SQLITE_DONE => Ok(self.conn.changes()),
            ffi::SQLITE_ROW => Err(rusqlite::Error::ExecuteReturnedResults),
            _ => Err(error(self.conn, rc)),
        }
    }
}

impl Drop for BorrowedInsert<'_> {
    fn drop(&mut self) {
        // SAFETY: `stmt` is live and dropped exactly once, before the connection it borrows.
        unsafe {
            ffi::sqlite3_finalize(self.stmt.as_ptr());
        }
    }
}

/// A pointer SQLite may read `bytes.len()` bytes from: a static empty string for empty values.
fn non_empty_ptr(bytes: &[u8]) -> *const c_char {
    if bytes.is_empty() {
        c"".as_ptr()
    } else {
        bytes.as_ptr().cast()
    }
}

/// The connection's error for `rc`, with SQLite's message.
fn error(conn: &Connection, rc: c_int) -> rusqlite::Error {
    // SAFETY: the handle is live; SQLite returns a NUL-terminated message it owns, copied here
    // before any other call on the connection.
    let message = unsafe {
        let text = ffi::sqlite3_errmsg(conn.handle());
        (!text.is_null()).then(|| {
            std::ffi::CStr::from_ptr(text)
                .to_string_lossy()
                .into_owned()
        })
    };
    rusqlite::Error::SqliteFailure(ffi::Error::new(rc), message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn binds_every_kind_and_reports_ignored_rows_and_constraint_errors() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, n INTEGER, s TEXT, b BLOB, z TEXT NOT NULL);
             CREATE UNIQUE INDEX t_n ON t(n);",
        )?;
        let mut ignore = BorrowedInsert::prepare(
            &conn,
            "INSERT OR IGNORE INTO t(n, s, b, z) VALUES (?1, ?2, ?3, ?4)",
        )?;
        let text = String::from("héllo\0world");
        let blob = vec![0_u8, 1, 2, 255];
        let row = [
            Param::Int(7),
            Param::Text(&text),
            Param::Blob(&blob),
            Param::Text(""),
        ];
        assert_eq!(ignore.execute(&row)?, 1);
        // The same key again is ignored, not an error.
        assert_eq!(ignore.execute(&row)?, 0);
        assert_eq!(
            ignore.execute(&[
                Param::Int(8),
                Param::Null,
                Param::Blob(&[]),
                Param::Text("x")
            ])?,
            1
        );
        type Row = (i64, Option<String>, Option<Vec<u8>>, String);
        let stored: Vec<Row> = conn
            .prepare("SELECT n, s, b, z FROM t ORDER BY n")?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<_, _>>()?;
        assert_eq!(
            stored,
            vec![
                (7, Some(text.clone()), Some(blob.clone()), String::new()),
                (8, None, Some(Vec::new()), "x".to_owned()),
            ]
        );
        // A constraint failure is an error with SQLite's message, and the statement stays usable.
        let mut plain =
            BorrowedInsert::prepare(&conn, "INSERT INTO t(n, s, b, z) VALUES (?1, ?2, ?3, ?4)")?;
        let Err(err) = plain.execute(&row) else {
            panic!("a duplicate key must fail a plain insert");
        };
        assert!(err.to_string().contains("UNIQUE"), "{err}");
        assert_eq!(
            plain.execute(&[Param::Int(9), Param::Null, Param::Null, Param::Text("ok")])?,
            1
        );
        // Too few parameters are refused before anything runs.
        assert!(matches!(
            ignore.execute(&[Param::Int(10)]),
            Err(rusqlite::Error::InvalidParameterCount(1, 4))
        ));
        Ok(())
    }

    #[test]
    fn a_bad_statement_is_an_error() -> rusqlite::Result<()> {
        let conn = Connection::open_in_memory()?;
        assert!(BorrowedInsert::prepare(&conn, "INSERT INTO missing VALUES (?1)").is_err());
        assert!(BorrowedInsert::prepare(&conn, "  ").is_err());
        Ok(())
    }
}
