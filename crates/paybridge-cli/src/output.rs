//! Where output goes: machine-readable JSON on stdout, human messages on stderr.
#![allow(
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "this module is the CLI's only writer to the terminal"
)]

use std::io::Write;

/// One JSON document on its own line on stdout.
pub(crate) fn line<T: serde::Serialize>(value: &T) {
    let text = serde_json::to_string(value).unwrap_or_else(|e| format!(r#"{{"error":"{e}"}}"#));
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{text}");
    let _ = out.flush();
}

/// Raw bytes on stdout, no newline added.
pub(crate) fn raw(bytes: &[u8]) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(bytes);
    let _ = out.flush();
}

/// A message for people, on stderr.
pub(crate) fn say(message: &str) {
    eprintln!("{message}");
}
