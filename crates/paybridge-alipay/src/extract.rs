//! Finding the signed text of an Alipay reply. Alipay signs the value of
//! `<method with dots as _>_response` (or `error_response`) *exactly as it wrote it* — escaped
//! slashes, `\uXXXX` escapes, spacing and member order included — so the bytes are located by
//! scanning the raw text, never by parsing and re-serialising. The scanner walks the top-level
//! object member by member, skipping every value by its grammar (strings with their escapes,
//! nested objects and arrays with braces inside strings), so a brace or quote inside a string
//! can never end a value early.

/// The raw text of the value of member `key` of the top-level JSON object in `text`, as it
/// appears there. `None` when `text` is not an object, has no such member, or is malformed
/// before it.
pub fn member_raw<'a>(text: &'a str, key: &str) -> Option<&'a str> {
    let [found] = members_raw(text, [key]);
    found
}

/// [`member_raw`] for several keys in one pass: each key's first value, as it appears.
pub fn members_raw<'a, const N: usize>(text: &'a str, keys: [&str; N]) -> [Option<&'a str>; N] {
    let mut found = [None; N];
    scan(text, &keys, &mut found);
    found
}

/// Walks the top-level members of `text`, filling `found` for `keys`; stops at the end, or at
/// the first malformed byte (what was found before it stands).
fn scan<'a>(text: &'a str, keys: &[&str], found: &mut [Option<&'a str>]) -> Option<()> {
    let bytes = text.as_bytes();
    let mut at = skip_ws(bytes, 0);
    if bytes.get(at) != Some(&b'{') {
        return None;
    }
    at = skip_ws(bytes, at + 1);
    if bytes.get(at) == Some(&b'}') {
        return None;
    }
    loop {
        let key_start = at;
        let key_end = skip_string(bytes, at)?;
        let name = text.get(key_start..key_end)?;
        at = skip_ws(bytes, key_end);
        if bytes.get(at) != Some(&b':') {
            return None;
        }
        at = skip_ws(bytes, at + 1);
        let value_start = at;
        let value_end = skip_value(bytes, at, 0)?;
        let matched = keys
            .iter()
            .zip(found.iter())
            .position(|(key, slot)| slot.is_none() && key_matches(name, key));
        if let Some(slot) = matched.and_then(|i| found.get_mut(i)) {
            *slot = text.get(value_start..value_end);
            if found.iter().all(Option::is_some) {
                return Some(());
            }
        }
        at = skip_ws(bytes, value_end);
        match bytes.get(at) {
            Some(b',') => at = skip_ws(bytes, at + 1),
            _ => return Some(()),
        }
    }
}

/// Whether the raw JSON string `quoted` (with its quotes) is `key`. Keys are compared decoded,
/// so an escaped key (`"alipay\u005ftrade…"`) matches too.
fn key_matches(quoted: &str, key: &str) -> bool {
    let inner = quoted
        .strip_prefix('"')
        .and_then(|q| q.strip_suffix('"'))
        .unwrap_or_default();
    if !inner.contains('\\') {
        return inner == key;
    }
    serde_json::from_str::<String>(quoted).is_ok_and(|decoded| decoded == key)
}

fn skip_ws(bytes: &[u8], mut at: usize) -> usize {
    while matches!(bytes.get(at), Some(b' ' | b'\t' | b'\n' | b'\r')) {
        at += 1;
    }
    at
}

/// The end (one past the closing quote) of the string starting at `at`.
fn skip_string(bytes: &[u8], at: usize) -> Option<usize> {
    if bytes.get(at) != Some(&b'"') {
        return None;
    }
    let mut i = at + 1;
    loop {
        match bytes.get(i)? {
            b'"' => return Some(i + 1),
            // An escape takes the next byte with it (`\"`, `\\`, `\/`, `\u…`'s `u`).
            b'\\' => i += 2,
            _ => i += 1,
        }
    }
}

/// Deeper than this is refused rather than followed (a reply is a few levels deep).
const MAX_DEPTH: usize = 128;

/// The end of the value starting at `at`.
fn skip_value(bytes: &[u8], at: usize, depth: usize) -> Option<usize> {
    if depth > MAX_DEPTH {
        return None;
    }
    match bytes.get(at)? {
        b'"' => skip_string(bytes, at),
        open @ (b'{' | b'[') => {
            let close = if *open == b'{' { b'}' } else { b']' };
            let mut i = skip_ws(bytes, at + 1);
            if bytes.get(i) == Some(&close) {
                return Some(i + 1);
            }
            loop {
                if *open == b'{' {
                    i = skip_string(bytes, i)?;
                    i = skip_ws(bytes, i);
                    if bytes.get(i) != Some(&b':') {
                        return None;
                    }
                    i = skip_ws(bytes, i + 1);
                }
                i = skip_value(bytes, i, depth + 1)?;
                i = skip_ws(bytes, i);
                match bytes.get(i)? {
                    b',' => i = skip_ws(bytes, i + 1),
                    c if *c == close => return Some(i + 1),
                    _ => return None,
                }
            }
        }
        // Numbers and literals run to the next delimiter.
        _ => {
            let mut i = at;
            while let Some(b) = bytes.get(i) {
                if matches!(b, b',' | b'}' | b']' | b' ' | b'\t' | b'\n' | b'\r') {
                    break;
                }
                i += 1;
            }
            (i > at).then_some(i)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn the_documented_reply_is_found_as_written() {
        let text = r#"{"alipay_trade_refund_response":{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"88.88","store_name":"望湘园联洋店 \/ Lianyang","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248"},"sign":"ERITJKEIJKJHKKKKKKKHJEREEEEEEEEEEE"}"#;
        assert_eq!(
            member_raw(text, "alipay_trade_refund_response"),
            Some(
                r#"{"code":"10000","msg":"Success","buyer_logon_id":"159****5620","fund_change":"Y","refund_fee":"88.88","store_name":"望湘园联洋店 \/ Lianyang","trade_no":"2013112011001004330000121536","out_trade_no":"6823789339978248"}"#
            )
        );
        assert_eq!(
            member_raw(text, "sign"),
            Some(r#""ERITJKEIJKJHKKKKKKKHJEREEEEEEEEEEE""#)
        );
        assert_eq!(member_raw(text, "error_response"), None);
    }

    #[test]
    fn braces_and_quotes_inside_strings_do_not_end_a_value() {
        let text = r#"{ "sign" : "a}b" , "x_response" : { "msg" : "}\"{\\" , "n" : [1, {"a":"]"}], "t": true } }"#;
        assert_eq!(
            member_raw(text, "x_response"),
            Some(r#"{ "msg" : "}\"{\\" , "n" : [1, {"a":"]"}], "t": true }"#)
        );
        assert_eq!(
            member_raw(r#"{"x\u005fresponse":{}}"#, "x_response"),
            Some("{}")
        );
    }

    #[test]
    fn malformed_text_finds_nothing_and_never_panics() {
        for text in [
            "",
            "[]",
            "{",
            r#"{"a""#,
            r#"{"a":"#,
            r#"{"a":"unterminated}"#,
            r#"{"a":{"b":1}"#,
            r#"{"a" 1}"#,
            r#"{"a":1 "x_response":{}}"#,
            r#"{"x_response":{"a":}}"#,
        ] {
            assert_eq!(member_raw(text, "x_response"), None, "{text:?}");
        }
        let deep = format!("{{\"x_response\":{}{}}}", "[".repeat(500), "]".repeat(500));
        assert_eq!(member_raw(&deep, "x_response"), None);
    }

    fn json_value() -> impl Strategy<Value = serde_json::Value> {
        let text = proptest::string::string_regex(
            r#"([a-z{}\[\]":,\\/ ]|[\u{4e00}-\u{4e10}]|\u{1F600}){0,12}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let leaf = prop_oneof![
            Just(serde_json::Value::Null),
            any::<bool>().prop_map(serde_json::Value::Bool),
            any::<i64>().prop_map(serde_json::Value::from),
            text.prop_map(serde_json::Value::String),
        ];
        leaf.prop_recursive(4, 32, 6, |inner| {
            prop_oneof![
                proptest::collection::vec(inner.clone(), 0..5).prop_map(serde_json::Value::Array),
                proptest::collection::btree_map("[a-z_{}\"]{1,6}", inner, 0..5)
                    .prop_map(|m| serde_json::Value::Object(m.into_iter().collect())),
            ]
        })
    }

    /// Writes `value` the ways Alipay's servers (and PHP) do: slashes escaped as `\/`, and
    /// non-ASCII optionally as `\uXXXX`.
    fn alipay_style(value: &serde_json::Value, escape_unicode: bool) -> String {
        let plain = serde_json::to_string(value).unwrap_or_default();
        let mut out = String::with_capacity(plain.len());
        for c in plain.chars() {
            match c {
                '/' => out.push_str("\\/"),
                c if escape_unicode && !c.is_ascii() => {
                    let mut units = [0u16; 2];
                    for unit in c.encode_utf16(&mut units) {
                        out.push_str(&format!("\\u{unit:04x}"));
                    }
                }
                c => out.push(c),
            }
        }
        out
    }

    proptest! {
        #[test]
        fn the_value_comes_back_byte_for_byte(
            value in json_value(),
            before in json_value(),
            after in json_value(),
            escape_unicode in any::<bool>(),
            spaced in any::<bool>(),
        ) {
            let raw = alipay_style(&value, escape_unicode);
            let sep = if spaced { " ,\n " } else { "," };
            let colon = if spaced { " : " } else { ":" };
            let text = format!(
                "{{\"sign\"{colon}\"abc\\/+=\"{sep}\"before\"{colon}{}{sep}\"alipay_trade_refund_response\"{colon}{raw}{sep}\"after\"{colon}{}}}",
                alipay_style(&before, false),
                alipay_style(&after, escape_unicode),
            );
            let found = member_raw(&text, "alipay_trade_refund_response");
            prop_assert_eq!(found, Some(raw.as_str()));
            // What was found is exactly the value, as JSON too.
            let reparsed: serde_json::Value = serde_json::from_str(found.unwrap_or_default())
                .unwrap_or(serde_json::Value::Null);
            prop_assert_eq!(reparsed, value);
            prop_assert_eq!(member_raw(&text, "sign"), Some("\"abc\\/+=\""));
            // One pass for several members finds the same.
            let [value_again, sign, missing] =
                members_raw(&text, ["alipay_trade_refund_response", "sign", "error_response"]);
            prop_assert_eq!(value_again, Some(raw.as_str()));
            prop_assert_eq!(sign, Some("\"abc\\/+=\""));
            prop_assert_eq!(missing, None);
        }

        #[test]
        fn arbitrary_text_never_panics(text in ".{0,200}") {
            let _ = member_raw(&text, "x_response");
        }
    }
}
