//! RFC 8785 for a `serde_json::Value`, walked directly rather than through serde: a `Value`'s
//! objects are maps whose iteration order is (without serde_json's `preserve_order`) byte order,
//! which is canonical order unless two keys differ first at a character at or above U+E000, so
//! an object is written straight through and only sorted when its keys say it must be.

use serde_json::{Map, Number, Value};

use super::writer::{cmp_utf16, write_f64, write_i64, write_str, write_u64};
use super::{CanonicalError, MAX_DEPTH};

/// Writes `value` as canonical JSON to the end of `out`.
pub(crate) fn write_value(out: &mut Vec<u8>, value: &Value) -> Result<(), CanonicalError> {
    write_nested(out, value, 0)
}

fn write_nested(out: &mut Vec<u8>, value: &Value, depth: usize) -> Result<(), CanonicalError> {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        Value::Number(number) => write_number(out, number)?,
        Value::String(text) => write_str(out, text)?,
        Value::Array(items) => {
            let depth = deeper(out, depth)?;
            out.push(b'[');
            for (n, item) in items.iter().enumerate() {
                if n > 0 {
                    out.push(b',');
                }
                write_nested(out, item, depth)?;
            }
            out.push(b']');
        }
        Value::Object(map) => write_object(out, map, deeper(out, depth)?)?,
    }
    Ok(())
}

fn deeper(out: &[u8], depth: usize) -> Result<usize, CanonicalError> {
    if depth >= MAX_DEPTH {
        return Err(CanonicalError::too_deep(out.len()));
    }
    Ok(depth + 1)
}

/// A number as serde_json's own `Serialize` hands it over: an unsigned or a negative integer
/// (refused beyond ±(2⁵³−1)), else a double.
fn write_number(out: &mut Vec<u8>, number: &Number) -> Result<(), CanonicalError> {
    if let Some(unsigned) = number.as_u64() {
        write_u64(out, unsigned)
    } else if let Some(signed) = number.as_i64() {
        write_i64(out, signed)
    } else if let Some(double) = number.as_f64() {
        write_f64(out, double)
    } else {
        Err(CanonicalError::non_finite())
    }
}

fn write_object(
    out: &mut Vec<u8>,
    map: &Map<String, Value>,
    depth: usize,
) -> Result<(), CanonicalError> {
    out.push(b'{');
    let mut keys = map.keys();
    let in_order = match keys.next() {
        None => true,
        Some(first) => keys
            .try_fold(first, |previous, key| {
                cmp_utf16(previous, key).is_lt().then_some(key)
            })
            .is_some(),
    };
    if in_order {
        for (n, (key, value)) in map.iter().enumerate() {
            write_member(out, n, key, value, depth)?;
        }
    } else {
        // A map holds each key once, so sorting cannot meet two equal keys.
        let mut members: Vec<(&String, &Value)> = map.iter().collect();
        members.sort_unstable_by(|a, b| cmp_utf16(a.0, b.0));
        for (n, (key, value)) in members.into_iter().enumerate() {
            write_member(out, n, key, value, depth)?;
        }
    }
    out.push(b'}');
    Ok(())
}

#[inline]
fn write_member(
    out: &mut Vec<u8>,
    n: usize,
    key: &str,
    value: &Value,
    depth: usize,
) -> Result<(), CanonicalError> {
    if n > 0 {
        out.push(b',');
    }
    write_str(out, key)?;
    out.push(b':');
    write_nested(out, value, depth)
}
