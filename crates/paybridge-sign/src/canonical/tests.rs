use std::collections::{BTreeMap, HashMap};
use std::path::{Path, PathBuf};

use proptest::prelude::*;
use serde::Serialize;
use serde_json::Value;

use super::*;

fn vectors_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/data/rfc8785")
}

#[test]
fn passes_every_rfc8785_vector_byte_for_byte() {
    let inputs = std::fs::read_dir(vectors_dir().join("input")).unwrap();
    let mut count = 0;
    for entry in inputs {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap();
        let input = std::fs::read(&path).unwrap();
        let expected = std::fs::read(vectors_dir().join("output").join(name)).unwrap();
        let actual = canonicalize(&input).unwrap();
        assert_eq!(
            String::from_utf8_lossy(&actual),
            String::from_utf8_lossy(&expected),
            "vector {name:?}"
        );
        // The typed path agrees: serde_json's Value through our serializer.
        let value: Value = serde_json::from_slice(&input).unwrap();
        assert_eq!(
            to_vec(&value).unwrap(),
            expected,
            "typed path, vector {name:?}"
        );
        assert_eq!(
            value_to_vec(&value).unwrap(),
            expected,
            "Value walk, vector {name:?}"
        );
        count += 1;
    }
    assert_eq!(count, 6, "all six vectors are present");
}

#[test]
fn our_copy_of_the_vectors_matches_shared() {
    let shared = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/testdata/rfc8785");
    if !shared.exists() {
        eprintln!("../shared is not beside the project; comparing against our copy only");
        return;
    }
    for dir in ["input", "output"] {
        for entry in std::fs::read_dir(shared.join(dir)).unwrap() {
            let path = entry.unwrap().path();
            let ours =
                std::fs::read(vectors_dir().join(dir).join(path.file_name().unwrap())).unwrap();
            assert_eq!(
                ours,
                std::fs::read(&path).unwrap(),
                "{path:?} differs from our copy"
            );
        }
    }
}

#[derive(Serialize)]
struct Refund<'a> {
    timestamp: u64,
    original_transaction_id: &'a str,
    amount: i64,
    z_last: Nested,
    a_first: Option<&'a str>,
    tags: Vec<&'a str>,
    map: BTreeMap<&'a str, i32>,
}

#[derive(Serialize)]
struct Nested {
    y: bool,
    x: f64,
    #[serde(rename = "€")]
    euro: (),
    #[serde(rename = "😂")]
    smiley: u8,
}

#[test]
fn typed_structs_are_sorted_whatever_the_declaration_order() {
    let value = Refund {
        timestamp: 1_722_415_059,
        original_transaction_id: "CU\"518\n",
        amount: -10_000,
        z_last: Nested {
            y: true,
            x: 4.50,
            euro: (),
            smiley: 7,
        },
        a_first: None,
        tags: vec!["b", "a"],
        map: [("k2", 2), ("k1", 1)].into_iter().collect(),
    };
    assert_eq!(
        to_string(&value).unwrap(),
        r#"{"a_first":null,"amount":-10000,"map":{"k1":1,"k2":2},"original_transaction_id":"CU\"518\n","tags":["b","a"],"timestamp":1722415059,"z_last":{"x":4.5,"y":true,"€":null,"😂":7}}"#
    );
}

#[derive(Serialize)]
enum Shape {
    Unit,
    Newtype(u8),
    Tuple(u8, u8),
    Struct { b: u8, a: u8 },
}

#[test]
fn enums_serialize_like_serde_json_but_sorted() {
    for (shape, expected) in [
        (Shape::Unit, r#""Unit""#),
        (Shape::Newtype(1), r#"{"Newtype":1}"#),
        (Shape::Tuple(1, 2), r#"{"Tuple":[1,2]}"#),
        (Shape::Struct { b: 2, a: 1 }, r#"{"Struct":{"a":1,"b":2}}"#),
    ] {
        assert_eq!(to_string(&shape).unwrap(), expected);
    }
}

#[test]
fn maps_with_integer_keys_sort_as_strings() {
    let map: HashMap<u32, &str> = [(10, "ten"), (2, "two"), (1, "one")].into_iter().collect();
    assert_eq!(
        to_string(&map).unwrap(),
        r#"{"1":"one","10":"ten","2":"two"}"#
    );
}

#[test]
fn refuses_what_would_lose_information() {
    assert!(matches!(
        to_vec(&(1u64 << 53)).unwrap_err().kind(),
        CanonicalErrorKind::IntegerOutOfRange(_)
    ));
    assert!(to_vec(&((1u64 << 53) - 1)).is_ok());
    assert!(to_vec(&i64::MIN).is_err());
    assert!(to_vec(&u128::MAX).is_err());
    assert!(matches!(
        to_vec(&f64::NAN).unwrap_err().kind(),
        CanonicalErrorKind::NonFiniteNumber
    ));
    let float_key: BTreeMap<Vec<u8>, u8> = [(vec![1], 1)].into_iter().collect();
    assert!(matches!(
        to_vec(&float_key).unwrap_err().kind(),
        CanonicalErrorKind::KeyMustBeString
    ));
}

#[derive(Serialize)]
struct WithFlatten {
    a: u8,
    #[serde(flatten)]
    rest: BTreeMap<String, u8>,
}

#[test]
fn duplicate_keys_from_typed_values_are_refused() {
    let v = WithFlatten {
        a: 1,
        rest: [("a".to_owned(), 2)].into_iter().collect(),
    };
    assert!(
        matches!(to_vec(&v).unwrap_err().kind(), CanonicalErrorKind::DuplicateKey(k) if k == "a")
    );
    let v = WithFlatten {
        a: 1,
        rest: [("0".to_owned(), 2), ("a".to_owned(), 2)]
            .into_iter()
            .collect(),
    };
    assert!(
        to_vec(&v).is_err(),
        "an unsorted duplicate is caught after sorting too"
    );
}

#[test]
fn raw_values_are_canonicalized_not_quoted() {
    #[derive(Serialize)]
    struct Envelope<'a> {
        sign: &'a str,
        param: &'a serde_json::value::RawValue,
    }
    let raw = serde_json::value::RawValue::from_string(r#"{ "b": 1.0, "a": "\u0041" }"#.to_owned())
        .unwrap();
    let env = Envelope {
        sign: "s",
        param: &raw,
    };
    assert_eq!(
        to_string(&env).unwrap(),
        r#"{"param":{"a":"A","b":1},"sign":"s"}"#
    );
}

#[test]
fn raw_text_errors_are_typed() {
    let kind = |input: &str| canonicalize(input.as_bytes()).unwrap_err().kind().clone();
    assert!(matches!(
        kind(r#"{"a":1,"a":2}"#),
        CanonicalErrorKind::DuplicateKey(_)
    ));
    assert!(matches!(
        kind(r#"{"b":1,"a":2,"b":3}"#),
        CanonicalErrorKind::DuplicateKey(_)
    ));
    assert!(matches!(
        kind(r#"{"a\u0000":1,"a\u0000":2}"#),
        CanonicalErrorKind::DuplicateKey(_)
    ));
    assert!(matches!(
        kind(r#""\ud800""#),
        CanonicalErrorKind::LoneSurrogate { .. }
    ));
    assert!(matches!(
        kind(r#""\udc00\ud800""#),
        CanonicalErrorKind::LoneSurrogate { .. }
    ));
    assert!(matches!(
        kind(r#""\ud800\u0041""#),
        CanonicalErrorKind::LoneSurrogate { .. }
    ));
    for bad in [
        "",
        " ",
        "{",
        "[1,]",
        "{\"a\":1,}",
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        "+1",
        "NaN",
        "tru",
        "nul",
        "\"a",
        "\"\t\"",
        "\"\\x\"",
        "\"\\u12\"",
        "1 2",
        "{\"a\" 1}",
        "{1:2}",
        "[1 2]",
        "1e400",
        "-1e400",
        "\u{feff}1",
    ] {
        assert!(
            canonicalize(bad.as_bytes()).is_err(),
            "{bad:?} should be refused"
        );
    }
    assert!(canonicalize(b"\xff").is_err());
    let deep = "[".repeat(MAX_DEPTH + 1) + &"]".repeat(MAX_DEPTH + 1);
    assert!(matches!(kind(&deep), CanonicalErrorKind::TooDeep { .. }));
    let ok_deep = "[".repeat(MAX_DEPTH) + &"]".repeat(MAX_DEPTH);
    assert!(canonicalize(ok_deep.as_bytes()).is_ok());
    let very_deep = "{\"a\":".repeat(100_000);
    assert!(
        canonicalize(very_deep.as_bytes()).is_err(),
        "no stack overflow"
    );
}

#[test]
fn raw_numbers_are_doubles() {
    let canon = |input: &str| String::from_utf8(canonicalize(input.as_bytes()).unwrap()).unwrap();
    assert_eq!(canon("9007199254740993"), "9007199254740992");
    assert_eq!(canon("-0"), "0");
    assert_eq!(canon("-0.0e5"), "0");
    assert_eq!(canon("1E2"), "100");
    assert_eq!(canon("[1e-7, 123e-2, 5e-324]"), "[1e-7,1.23,5e-324]");
    assert_eq!(canon(" \t\r\n{ } "), "{}");
}

/// JSON values with numbers that survive a round trip through text.
fn arb_json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        (-(1i64 << 53) + 1..(1i64 << 53)).prop_map(Value::from),
        any::<f64>()
            .prop_filter("finite", |f| f.is_finite())
            .prop_map(Value::from),
        "\\PC{0,8}".prop_map(Value::String),
        "[\\u{0}-\\u{1f}\"\\\\/\u{7f}\u{e000}\u{ffff}\u{10000}a]{0,4}".prop_map(Value::String),
    ];
    leaf.prop_recursive(4, 48, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(Value::Array),
            prop::collection::btree_map("\\PC{0,6}", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Writes `value` with members in reverse order and whitespace everywhere, to prove neither
/// changes the canonical form.
fn scrambled(value: &Value, out: &mut String) {
    match value {
        Value::Object(map) => {
            out.push_str("{ \n");
            for (i, (k, v)) in map.iter().rev().enumerate() {
                if i > 0 {
                    out.push_str(" ,\t");
                }
                out.push_str(&serde_json::to_string(k).unwrap());
                out.push_str(" :\r\n ");
                scrambled(v, out);
            }
            out.push_str("\n}");
        }
        Value::Array(items) => {
            out.push_str("[ ");
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(" , ");
                }
                scrambled(v, out);
            }
            out.push_str(" ]");
        }
        other => out.push_str(&serde_json::to_string(other).unwrap()),
    }
}

/// JSON numbers are doubles (RFC 8785 §3.2.2.3): `0.0` and `0` are one value.
fn numbers_as_doubles(value: &Value) -> Value {
    match value {
        Value::Number(n) => Value::from(n.as_f64().unwrap()),
        Value::Array(items) => Value::Array(items.iter().map(numbers_as_doubles).collect()),
        Value::Object(map) => Value::Object(
            map.iter()
                .map(|(k, v)| (k.clone(), numbers_as_doubles(v)))
                .collect(),
        ),
        other => other.clone(),
    }
}

/// RFC 8785 written the plain way, as a reference: object members sorted by their UTF-16 code
/// units with a library sort, recursively. Leaves are written by the code under test, whose
/// output for a lone string or number does not depend on any ordering.
fn reference(value: &Value, out: &mut Vec<u8>) {
    match value {
        Value::Object(map) => {
            let mut members: Vec<(&String, &Value)> = map.iter().collect();
            members.sort_by(|a, b| a.0.encode_utf16().cmp(b.0.encode_utf16()));
            out.push(b'{');
            for (i, (k, v)) in members.into_iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                out.extend_from_slice(&to_vec(k).unwrap());
                out.push(b':');
                reference(v, out);
            }
            out.push(b'}');
        }
        Value::Array(items) => {
            out.push(b'[');
            for (i, v) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                reference(v, out);
            }
            out.push(b']');
        }
        leaf => out.extend_from_slice(&to_vec(leaf).unwrap()),
    }
}

/// A recursive struct declared out of order, so every level is reordered.
#[derive(Serialize, Debug, Clone)]
struct Node {
    zeta: u32,
    children: Vec<Node>,
    #[serde(rename = "\u{e000}")]
    private_use: bool,
    alpha: String,
    #[serde(rename = "\u{1f602}")]
    smiley: Option<Box<Node>>,
}

fn arb_node() -> impl Strategy<Value = Node> {
    let leaf =
        (any::<u32>(), "\\PC{0,6}", any::<bool>()).prop_map(|(zeta, alpha, private_use)| Node {
            zeta,
            children: Vec::new(),
            private_use,
            alpha,
            smiley: None,
        });
    leaf.prop_recursive(5, 64, 4, |inner| {
        (
            any::<u32>(),
            prop::collection::vec(inner.clone(), 0..4),
            "\\PC{0,6}",
            prop::option::of(inner),
        )
            .prop_map(|(zeta, children, alpha, smiley)| Node {
                zeta,
                children,
                private_use: zeta % 2 == 0,
                alpha,
                smiley: smiley.map(Box::new),
            })
    })
}

proptest! {
    #[test]
    fn nested_unsorted_objects_match_a_plain_reference(value in arb_json()) {
        let mut expected = Vec::new();
        reference(&value, &mut expected);
        let mut text = String::new();
        scrambled(&value, &mut text);
        prop_assert_eq!(canonicalize(text.as_bytes()).unwrap(), expected.clone());
        // After a prefix too, as envelopes embed it.
        let mut out = b"{\"request\":".to_vec();
        extend_vec(&mut out, &value).unwrap();
        prop_assert_eq!(&out[11..], &expected[..]);
    }

    #[test]
    fn typed_trees_declared_out_of_order_match_a_plain_reference(node in arb_node()) {
        let mut expected = Vec::new();
        reference(&serde_json::to_value(&node).unwrap(), &mut expected);
        prop_assert_eq!(to_vec(&node).unwrap(), expected);
    }

    #[test]
    fn walking_a_value_writes_what_serializing_it_writes(value in arb_json()) {
        prop_assert_eq!(value_to_vec(&value).unwrap(), to_vec(&value).unwrap());
    }

    #[test]
    fn output_parses_back_to_the_same_value(value in arb_json()) {
        let canonical = to_vec(&value).unwrap();
        let back: Value = serde_json::from_slice(&canonical).unwrap();
        prop_assert_eq!(numbers_as_doubles(&back), numbers_as_doubles(&value));
    }

    #[test]
    fn canonicalize_is_idempotent_and_agrees_with_the_serializer(value in arb_json()) {
        let typed = to_vec(&value).unwrap();
        let raw = canonicalize(&serde_json::to_vec(&value).unwrap()).unwrap();
        prop_assert_eq!(&raw, &typed);
        prop_assert_eq!(canonicalize(&raw).unwrap(), raw);
    }

    #[test]
    fn member_order_and_whitespace_never_change_the_output(value in arb_json()) {
        let mut text = String::new();
        scrambled(&value, &mut text);
        prop_assert_eq!(canonicalize(text.as_bytes()).unwrap(), to_vec(&value).unwrap());
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..64)) {
        let _ = canonicalize(&bytes);
    }
}

#[test]
fn a_walked_value_refuses_what_the_serializer_refuses() {
    let big = serde_json::json!({"amount": 1u64 << 53});
    assert!(matches!(
        value_to_vec(&big).unwrap_err().kind(),
        CanonicalErrorKind::IntegerOutOfRange(_)
    ));
    let mut deep = Value::Null;
    for _ in 0..=MAX_DEPTH {
        deep = Value::Array(vec![deep]);
    }
    assert!(matches!(
        value_to_vec(&deep).unwrap_err().kind(),
        CanonicalErrorKind::TooDeep { .. }
    ));
    // Keys whose byte order is not their UTF-16 order are sorted.
    let tricky =
        serde_json::json!({"\u{ff61}": 1, "\u{1f600}": 2, "a": {"\u{e000}": 3, "\u{10000}": 4}});
    assert_eq!(value_to_vec(&tricky).unwrap(), to_vec(&tricky).unwrap());
    assert_eq!(
        String::from_utf8(value_to_vec(&tricky).unwrap()).unwrap(),
        "{\"a\":{\"\u{10000}\":4,\"\u{e000}\":3},\"\u{1f600}\":2,\"\u{ff61}\":1}"
    );
}

#[test]
fn arrival_order_is_reported() {
    #[derive(serde::Serialize)]
    struct Sorted {
        a: u8,
        b: Inner,
    }
    #[derive(serde::Serialize)]
    struct Inner {
        y: u8,
        x: u8,
    }
    assert!(
        !arrives_in_order(&Sorted {
            a: 1,
            b: Inner { y: 1, x: 2 }
        })
        .unwrap()
    );
    assert!(arrives_in_order(&serde_json::json!({"a": 1, "b": {"x": 2}})).unwrap());
    #[derive(serde::Serialize)]
    struct AllSorted {
        a: u8,
        b: u8,
    }
    assert!(arrives_in_order(&AllSorted { a: 1, b: 2 }).unwrap());
}

/// A map written in the order its entries are listed, which need not be sorted.
struct Listed(Vec<(String, Value)>);

impl Serialize for Listed {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(Some(self.0.len()))?;
        for (key, value) in &self.0 {
            map.serialize_entry(key, value)?;
        }
        map.end()
    }
}

/// Keys and members in any arrival order, with the characters that make reading written members
/// back hard: quotes, backslashes, control characters, brackets and commas inside strings.
fn arb_listed() -> impl Strategy<Value = Vec<(String, Value)>> {
    let key = "[\\u{0}-\\u{1f}\"\\\\,:{}\\[\\]a-c\u{e000}\u{10000}]{0,5}";
    let value = prop_oneof![
        arb_json(),
        "[\"\\\\,:{}\\[\\]\\u{0}-\\u{1f}a]{0,6}".prop_map(Value::String),
    ];
    prop::collection::btree_map(key, value, 0..8)
        .prop_flat_map(|map| Just(map.into_iter().collect::<Vec<_>>()).prop_shuffle())
}

proptest! {
    #[test]
    fn members_arriving_in_any_order_match_a_plain_reference(entries in arb_listed()) {
        let as_value = Value::Object(entries.iter().cloned().collect());
        let mut expected = Vec::new();
        reference(&as_value, &mut expected);
        let listed = Listed(entries);
        prop_assert_eq!(to_vec(&listed).unwrap(), expected.clone());
        // The same members as raw text, in the same arrival order.
        let text = serde_json::to_vec(&listed).unwrap();
        prop_assert_eq!(canonicalize(&text).unwrap(), expected);
    }
}

#[test]
fn a_member_out_of_order_after_escaped_ones_is_sorted_with_them() {
    let listed = Listed(vec![
        (
            "b\"}".into(),
            serde_json::json!({"x": "],\"{", "y": [1, "\\"]}),
        ),
        ("c\n".into(), serde_json::json!("a,b")),
        ("a\\".into(), serde_json::json!(null)),
        ("b".into(), serde_json::json!(2.5)),
    ]);
    assert_eq!(
        String::from_utf8(to_vec(&listed).unwrap()).unwrap(),
        r#"{"a\\":null,"b":2.5,"b\"}":{"x":"],\"{","y":[1,"\\"]},"c\n":"a,b"}"#
    );
    let duplicate = Listed(vec![
        ("b".into(), Value::Null),
        ("a\"".into(), Value::Null),
        ("b".into(), Value::Null),
    ]);
    assert!(matches!(
        to_vec(&duplicate).unwrap_err().kind(),
        CanonicalErrorKind::DuplicateKey(_)
    ));
}
