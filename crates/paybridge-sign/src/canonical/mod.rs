//! RFC 8785 JSON Canonicalization Scheme (JCS).
//!
//! [`to_vec`] writes any `T: Serialize` canonically in one pass — object members sorted by UTF-16
//! code units, numbers as ECMAScript writes doubles, strings with only the escapes the RFC
//! prescribes. Typed integers beyond ±(2⁵³−1) are refused rather than rounded: an amount must
//! never silently change. [`canonicalize`] does the same for raw JSON text, refusing duplicate keys
//! and lone surrogates.

mod parse;
mod ser;
mod value;
mod writer;

use std::fmt;

use serde::Serialize;

pub use parse::MAX_DEPTH;
pub use ser::CanonicalSerializer;

/// Why a value or document could not be canonicalized.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CanonicalError {
    kind: CanonicalErrorKind,
}

/// The kinds of [`CanonicalError`].
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum CanonicalErrorKind {
    /// An integer that an IEEE double cannot hold exactly.
    IntegerOutOfRange(String),
    /// NaN or an infinity, which JSON cannot express.
    NonFiniteNumber,
    /// A member name appeared twice in one object.
    DuplicateKey(String),
    /// A map key that is not a string (or an integer written as one).
    KeyMustBeString,
    /// The input text is not JSON.
    Syntax {
        /// Byte offset of the problem.
        offset: usize,
        /// What was wrong.
        what: &'static str,
    },
    /// A `\uD800`–`\uDFFF` escape without its pair.
    LoneSurrogate {
        /// Byte offset of the escape.
        offset: usize,
    },
    /// Nesting deeper than [`MAX_DEPTH`].
    TooDeep {
        /// Byte offset where the limit was crossed.
        offset: usize,
    },
    /// The document is too large to index (over 4 GiB of keys).
    TooLarge,
    /// A `Serialize` implementation reported an error.
    Custom(String),
    /// Writing the output failed.
    Io(String),
    /// A broken invariant of the writer (a bug): the document is refused, never written short.
    Internal(&'static str),
}

impl CanonicalError {
    /// What went wrong.
    pub fn kind(&self) -> &CanonicalErrorKind {
        &self.kind
    }

    fn new(kind: CanonicalErrorKind) -> CanonicalError {
        CanonicalError { kind }
    }
    pub(crate) fn integer_out_of_range(value: String) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::IntegerOutOfRange(value))
    }
    pub(crate) fn non_finite() -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::NonFiniteNumber)
    }
    pub(crate) fn duplicate_key(key: &str) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::DuplicateKey(
            key.chars().take(64).collect(),
        ))
    }
    pub(crate) fn key_must_be_string() -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::KeyMustBeString)
    }
    pub(crate) fn syntax(offset: usize, what: &'static str) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::Syntax { offset, what })
    }
    pub(crate) fn lone_surrogate(offset: usize) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::LoneSurrogate { offset })
    }
    pub(crate) fn too_deep(offset: usize) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::TooDeep { offset })
    }
    pub(crate) fn too_large() -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::TooLarge)
    }
    pub(crate) fn custom_message(message: &str) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::Custom(message.to_owned()))
    }
}

impl fmt::Display for CanonicalError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            CanonicalErrorKind::IntegerOutOfRange(v) => write!(
                f,
                "integer {v} is outside ±(2^53-1) and would lose precision as a JSON number"
            ),
            CanonicalErrorKind::NonFiniteNumber => f.write_str("NaN and infinities are not JSON"),
            CanonicalErrorKind::DuplicateKey(k) => write!(f, "duplicate object key {k:?}"),
            CanonicalErrorKind::KeyMustBeString => f.write_str("object keys must be strings"),
            CanonicalErrorKind::Syntax { offset, what } => {
                write!(f, "invalid JSON at byte {offset}: {what}")
            }
            CanonicalErrorKind::LoneSurrogate { offset } => {
                write!(
                    f,
                    "invalid JSON at byte {offset}: lone surrogate in a \\u escape"
                )
            }
            CanonicalErrorKind::TooDeep { offset } => {
                write!(
                    f,
                    "JSON nested deeper than {MAX_DEPTH} levels at byte {offset}"
                )
            }
            CanonicalErrorKind::TooLarge => f.write_str("document too large"),
            CanonicalErrorKind::Custom(m) => f.write_str(m),
            CanonicalErrorKind::Io(m) => write!(f, "writing canonical JSON failed: {m}"),
            CanonicalErrorKind::Internal(what) => {
                write!(
                    f,
                    "canonical JSON writer invariant broken ({what}); nothing was written"
                )
            }
        }
    }
}

impl std::error::Error for CanonicalError {}

impl serde::ser::Error for CanonicalError {
    fn custom<T: fmt::Display>(msg: T) -> CanonicalError {
        CanonicalError::new(CanonicalErrorKind::Custom(msg.to_string()))
    }
}

/// Serializes `value` as RFC 8785 canonical JSON.
///
/// # Errors
/// [`CanonicalError`] when the value cannot be written as RFC 8785 JSON: a non-finite
/// number, an integer beyond ±(2^53−1), a duplicate or non-string key, input that is not JSON,
/// nesting beyond [`MAX_DEPTH`], or (for a writer) the writer failing.
pub fn to_vec<T: ?Sized + Serialize>(value: &T) -> Result<Vec<u8>, CanonicalError> {
    let mut serializer = CanonicalSerializer::with_capacity(256);
    value.serialize(&mut serializer)?;
    Ok(serializer.into_inner())
}

/// Appends `value`, as RFC 8785 canonical JSON, to the end of `out` — for envelopes that embed
/// the canonical bytes after a prefix, without a second buffer and a copy.
///
/// # Errors
/// [`CanonicalError`] when the value cannot be written as RFC 8785 JSON: a non-finite
/// number, an integer beyond ±(2^53−1), a duplicate or non-string key, input that is not JSON,
/// nesting beyond [`MAX_DEPTH`], or (for a writer) the writer failing.
pub fn extend_vec<T: ?Sized + Serialize>(
    out: &mut Vec<u8>,
    value: &T,
) -> Result<(), CanonicalError> {
    let mut serializer = CanonicalSerializer::appending(std::mem::take(out));
    let result = value.serialize(&mut serializer);
    *out = serializer.into_inner();
    result
}

/// Serializes `value` as RFC 8785 canonical JSON into `writer`.
///
/// The document is assembled in memory first (members are reordered before they are final), then
/// written with one `write_all`.
///
/// # Errors
/// [`CanonicalError`] when the value cannot be written as RFC 8785 JSON: a non-finite
/// number, an integer beyond ±(2^53−1), a duplicate or non-string key, input that is not JSON,
/// nesting beyond [`MAX_DEPTH`], or (for a writer) the writer failing.
pub fn to_writer<W: std::io::Write, T: ?Sized + Serialize>(
    mut writer: W,
    value: &T,
) -> Result<(), CanonicalError> {
    let bytes = to_vec(value)?;
    writer
        .write_all(&bytes)
        .map_err(|e| CanonicalError::new(CanonicalErrorKind::Io(e.to_string())))
}

/// Serializes `value` as canonical JSON text.
///
/// # Errors
/// [`CanonicalError`] when the value cannot be written as RFC 8785 JSON: a non-finite
/// number, an integer beyond ±(2^53−1), a duplicate or non-string key, input that is not JSON,
/// nesting beyond [`MAX_DEPTH`], or (for a writer) the writer failing.
pub fn to_string<T: ?Sized + Serialize>(value: &T) -> Result<String, CanonicalError> {
    let bytes = to_vec(value)?;
    // The writer emits only valid UTF-8: strings come from &str and everything else is ASCII.
    String::from_utf8(bytes).map_err(|_| CanonicalError::custom_message("non-UTF-8 output"))
}

/// Serializes a `serde_json::Value` as RFC 8785 canonical JSON: the same bytes as
/// [`to_vec`]`(value)`, written by walking the value directly instead of through serde. An
/// object's keys are sorted only when they do not already arrive in canonical order, which is
/// rare for a `Value` (its maps iterate in byte order).
///
/// # Errors
/// [`CanonicalError`] for an integer beyond ±(2^53−1), or nesting beyond [`MAX_DEPTH`].
pub fn value_to_vec(value: &serde_json::Value) -> Result<Vec<u8>, CanonicalError> {
    let mut out = Vec::with_capacity(256);
    value::write_value(&mut out, value)?;
    Ok(out)
}

/// Whether serializing `value` writes every object's members in the order they arrive, that is,
/// whether its types are declared with their fields in canonical order (and its maps iterate
/// in it). Such a value is written straight through with nothing moved; the output is the same
/// either way. Wire types that are signed as canonical JSON keep to this in a test, so that
/// signing them costs what `serde_json` costs.
///
/// # Errors
/// As [`to_vec`].
pub fn arrives_in_order<T: ?Sized + Serialize>(value: &T) -> Result<bool, CanonicalError> {
    let mut serializer = CanonicalSerializer::with_capacity(256);
    value.serialize(&mut serializer)?;
    Ok(serializer.reordered_objects() == 0)
}

/// Canonicalizes raw JSON text (RFC 8259, UTF-8). Numbers are read as IEEE doubles as the RFC
/// says; duplicate keys, lone surrogates, trailing garbage and nesting beyond [`MAX_DEPTH`] are
/// errors.
///
/// # Errors
/// [`CanonicalError`] when the value cannot be written as RFC 8785 JSON: a non-finite
/// number, an integer beyond ±(2^53−1), a duplicate or non-string key, input that is not JSON,
/// nesting beyond [`MAX_DEPTH`], or (for a writer) the writer failing.
pub fn canonicalize(input: &[u8]) -> Result<Vec<u8>, CanonicalError> {
    let mut writer = writer::Writer::with_capacity(input.len());
    parse::canonicalize_into(&mut writer, input)?;
    Ok(writer.finish())
}

#[cfg(test)]
mod tests;
