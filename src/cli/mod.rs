//! The command-line front end: one module per subcommand, each printing for people or `--json`.

pub mod export;
pub mod gui;
pub mod import;
pub mod info;
pub mod open;
pub mod report;
pub mod samples;

/// `println!` for command output: a closed pipe (`tracedeck report | head`) comes back as an
/// error the command returns, and `main` ends quietly on it, instead of a panic.
macro_rules! outln {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        writeln!(std::io::stdout().lock(), $($arg)*)
    }};
}
pub(crate) use outln;

/// `print!` for command output, like [`outln!`].
macro_rules! out {
    ($($arg:tt)*) => {{
        use std::io::Write as _;
        write!(std::io::stdout().lock(), $($arg)*)
    }};
}
pub(crate) use out;

/// Whether an error is output going to a reader that went away (`| head`): not worth a message.
pub fn is_closed_pipe(error: &anyhow::Error) -> bool {
    error.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|e| e.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
