//! The policy's JSON tree (`json::read`, `json::value`, `json::write`) against serde_json, on
//! generated values: the same reading of every document (or the same refusal), the same bytes
//! written, and the request's own bytes kept exactly where nothing changed.

mod common;

use agent_hardening_policy::json::{self, write::write_value};
use common::generate::Rng;
use common::serde;
use serde_json::{Value, json};

const CHARS: &[char] = &[
    'a', 'Z', '0', ' ', '/', '"', '\\', '\n', '\r', '\t', '\u{0}', '\u{8}', '\u{b}', '\u{c}',
    '\u{1f}', '\u{7f}', 'é', '漢', '🙂', '\u{2028}', '\u{feff}', '$', '{',
];

fn string(rng: &mut Rng) -> String {
    (0..rng.next() % 12).map(|_| rng.pick(CHARS)).collect()
}

/// Strings with control characters, quotes, DEL, U+2028 and non-ASCII text, integers and
/// floats at their extremes, nesting, empty and repeated keys.
fn value(rng: &mut Rng, depth: u32) -> Value {
    match rng.next() % if depth == 0 { 6 } else { 8 } {
        0 => Value::Null,
        1 => Value::Bool(rng.chance(50)),
        2 => json!(rng.next()),
        3 => json!(rng.next() as i64),
        4 => json!(f64::from_bits(rng.next() >> 2) * if rng.chance(50) { 1.0 } else { -1.0 }),
        5 => Value::String(string(rng)),
        6 => Value::Array((0..rng.next() % 5).map(|_| value(rng, depth - 1)).collect()),
        _ => Value::Object(
            (0..rng.next() % 5)
                .map(|_| (string(rng), value(rng, depth - 1)))
                .collect(),
        ),
    }
}

fn written(value: &json::Value, source: Option<&str>) -> String {
    let mut out = Vec::new();
    write_value(&mut out, value, source);
    String::from_utf8(out).unwrap()
}

/// The tree read from `text` (with the places of its lists and objects).
fn read(text: &str) -> json::Value<'_> {
    json::parse(text, true).unwrap_or_else(|e| panic!("{e}: {text}"))
}

#[test]
fn generated_values_are_read_and_written_as_serde_json_reads_and_writes_them() {
    let mut rng = Rng(0x2545_f491_4f6c_dd1d);
    let mut quotes = 0;
    for _ in 0..3000 {
        let value = value(&mut rng, 4);
        let compact = serde_json::to_string(&value).unwrap();
        let pretty = serde_json::to_string_pretty(&value).unwrap();
        quotes += compact.matches('"').count();
        // Built from serde_json's tree, nothing to copy: serde_json's bytes.
        assert_eq!(written(&json::Value::from(value.clone()), None), compact);
        for text in [&compact, &pretty] {
            // Compared with serde_json's reading of the same text: its floats do not always
            // come back as they were written.
            let value: Value = serde_json::from_str(text).unwrap();
            let tree = read(text);
            assert_eq!(serde(&tree), value, "{text}");
            // Unchanged, the source's own bytes (a list or object; a lone scalar is written);
            // without the source, serde_json's.
            if tree.is_array() || tree.is_object() {
                assert_eq!(written(&tree, Some(text)), *text);
            }
            let serde = serde_json::to_string(&value).unwrap();
            assert_eq!(written(&tree, None), serde);
            assert_eq!(tree.to_string(), serde);
            assert_eq!(json::parse(text, false).unwrap(), tree);
        }
    }
    // Guard against a vacuous pass: many strings and nested values were written.
    assert!(quotes > 4_000, "only {quotes} quotes written");
}

/// Follows the first item or key down from `tree` and `value` alike (through `&mut`, as the
/// rules do) and adds a marker to the deepest list or object reached.
fn mark_deepest(tree: &mut json::Value, value: &mut Value, rng: &mut Rng) -> bool {
    let go_on = rng.chance(70);
    match (tree, value) {
        (json::Value::Array(items), Value::Array(expected)) => {
            if go_on
                && let (Some(t), Some(v)) = (items.first_mut(), expected.first_mut())
                && mark_deepest(t, v, rng)
            {
                return true;
            }
            items.push(json::Value::from("marker"));
            expected.push(json!("marker"));
            true
        }
        (json::Value::Object(map), Value::Object(expected)) => {
            // Sometimes a key goes, so that keys apart in the source become neighbours.
            if let Some(second) = expected.keys().nth(1).cloned()
                && rng.chance(30)
            {
                assert!(map.remove(&second).is_some());
                expected.remove(&second);
            }
            let first = expected.keys().next().cloned();
            if go_on
                && let Some(key) = first
                && let (Some(t), Some(v)) = (map.get_mut(&key), expected.get_mut(&key))
                && mark_deepest(t, v, rng)
            {
                return true;
            }
            map.insert("marker".into(), json::Value::Bool(true));
            expected.insert("marker".into(), json!(true));
            true
        }
        _ => false,
    }
}

/// `value` once writing and reading it again no longer changes it: serde_json's reading of a
/// float is not always the float written, and the comparison below writes and reads again.
fn settled(mut value: Value) -> Option<Value> {
    for _ in 0..8 {
        let again: Value = serde_json::from_str(&value.to_string()).unwrap();
        if again == value {
            return Some(value);
        }
        value = again;
    }
    None
}

#[test]
fn a_change_anywhere_is_written_and_everything_else_kept() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut changed = 0;
    for _ in 0..6000 {
        let Some(mut value) = settled(value(&mut rng, 4)) else {
            continue;
        };
        let text = serde_json::to_string_pretty(&value).unwrap();
        let mut tree = read(&text);
        if !mark_deepest(&mut tree, &mut value, &mut rng) {
            continue;
        }
        changed += 1;
        let out = written(&tree, Some(&text));
        assert_eq!(serde_json::from_str::<Value>(&out).unwrap(), value, "{out}");
    }
    assert!(changed > 1000, "only {changed} values changed");
}

/// Damaged documents: a byte deleted, doubled or replaced. Both readers agree on which can be
/// read, and on what they hold.
#[test]
fn damaged_documents_are_refused_as_serde_json_refuses_them() {
    const BYTES: &[u8] = b" \t\n,:[]{}\"\\01-+.eEtrufalsn\x01\x7f";
    let mut rng = Rng(0x5851_f42d_4c95_7f2d);
    let (mut refused, mut read_alike) = (0, 0);
    for _ in 0..20_000 {
        let value = value(&mut rng, 3);
        let mut bytes = serde_json::to_vec(&value).unwrap();
        let at = (rng.next() as usize) % bytes.len();
        match rng.next() % 3 {
            0 => {
                bytes.remove(at);
            }
            1 => bytes.insert(at, bytes[at]),
            _ => bytes[at] = rng.pick(BYTES),
        }
        let Ok(text) = String::from_utf8(bytes) else {
            continue;
        };
        match (
            serde_json::from_str::<Value>(&text),
            json::parse(&text, true),
        ) {
            (Ok(expected), Ok(tree)) => {
                assert_eq!(serde(&tree), expected, "{text}");
                if tree.is_array() || tree.is_object() {
                    assert_eq!(
                        written(&tree, Some(&text)),
                        text.trim_matches([' ', '\t', '\n'])
                    );
                }
                read_alike += 1;
            }
            (Err(_), Err(_)) => refused += 1,
            (expected, got) => panic!("{text:?}: serde_json {expected:?}, policy {got:?}"),
        }
    }
    assert!(
        refused > 5_000 && read_alike > 2_000,
        "{refused} refused, {read_alike} read"
    );
}

#[test]
fn nesting_stops_where_serde_json_stops() {
    for depth in [1, 126, 127, 128, 129, 5000] {
        for (open, close) in [("[", "]"), ("{\"a\":", "}")] {
            let text = format!("{}1{}", open.repeat(depth), close.repeat(depth));
            let serde = serde_json::from_str::<Value>(&text).is_ok();
            assert_eq!(json::parse(&text, true).is_ok(), serde, "depth {depth}");
            assert_eq!(serde, depth < 128, "depth {depth}");
        }
    }
}

#[test]
fn a_repeated_key_keeps_its_first_place_and_last_value_and_is_not_copied() {
    let many: String = (0..40).map(|i| format!("\"k{i}\":{i},")).collect();
    for text in [
        r#"{"a":1,"b":2,"a":3}"#.to_string(),
        format!("{{{many}\"k7\":\"last\"}}"),
    ] {
        let tree = read(&text);
        let expected: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(serde(&tree), expected);
        let out = written(&tree, Some(&text));
        assert_eq!(out, serde_json::to_string(&expected).unwrap());
        assert_eq!(
            out.matches("\"a\"").count() + out.matches("\"k7\"").count(),
            1
        );
    }
}

/// A repeated key anywhere below: the text around it is not copied either, so the answer never
/// holds two values for one key.
#[test]
fn a_repeated_key_deep_inside_is_not_copied_with_its_parents() {
    let text = r#"{"metadata":{"labels":{"a":"1","b":"x","a":"2"}},"spec":{"c":[{"d":1,"d":2}]}}"#;
    let mut tree = read(text);
    let expected: Value = serde_json::from_str(text).unwrap();
    assert_eq!(serde(&tree), expected);
    assert_eq!(
        written(&tree, Some(text)),
        serde_json::to_string(&expected).unwrap()
    );
    // With a change beside it, too.
    let Some(json::Value::Object(root)) = Some(&mut tree) else {
        unreachable!()
    };
    root.insert("status".into(), json::Value::Null);
    let out = written(&tree, Some(text));
    assert!(
        !out.contains(r#""a":"1""#) && !out.contains(r#""d":1"#),
        "{out}"
    );
}

/// Objects with tens of thousands of keys (labels) compare in one pass when their keys come
/// in the same order, and through an index when they do not; equal, reordered or changed.
#[test]
fn large_objects_compare_as_serde_json_compares_them() {
    let keys: Vec<String> = (0..50_000).map(|i| format!("l{i}")).collect();
    let object = |order: &[&String], last: &str| {
        let body: Vec<String> = order.iter().map(|k| format!("\"{k}\":\"x\"")).collect();
        format!("{{{},\"z\":\"{last}\"}}", body.join(","))
    };
    let forward: Vec<&String> = keys.iter().collect();
    let mut swapped = forward.clone();
    swapped.swap(10, 40_000);
    let base_text = object(&forward, "x");
    let base = read(&base_text);
    assert_eq!(base, read(&object(&forward, "x")));
    assert_eq!(base, read(&object(&swapped, "x")));
    assert_ne!(base, read(&object(&forward, "y")));
    assert_ne!(base, read(&object(&swapped, "y")));
    assert_ne!(base, read(&object(&forward[1..], "x")));
}

#[test]
fn numbers_keep_serde_json_s_reading() {
    for text in [
        "0",
        "-0",
        "1.0",
        "1e3",
        "-1E-3",
        "18446744073709551615",
        "18446744073709551616",
        "-9223372036854775808",
        "1.7976931348623157e308",
        "5e-324",
        "[1.5,2]",
    ] {
        let tree = read(text);
        let expected: Value = serde_json::from_str(text).unwrap();
        assert_eq!(serde(&tree), expected, "{text}");
        assert_eq!(
            written(&tree, None),
            serde_json::to_string(&expected).unwrap()
        );
    }
    for text in [
        "01", "1.", ".5", "1e", "--1", "+1", "1e+", "0x10", "Infinity", "NaN",
    ] {
        assert!(serde_json::from_str::<Value>(text).is_err(), "{text}");
        assert!(json::parse(text, true).is_err(), "{text}");
    }
}

/// An object rendered once (`Map::rendered`, for what the rules add to many containers) is
/// written as serde_json writes it, escapes included; its copies are written from that text
/// until they change, and then from what they hold.
#[test]
fn rendered_objects_are_written_from_their_text_until_changed() {
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for _ in 0..300 {
        let (a, b) = (string(&mut rng), string(&mut rng));
        let map = json::Map::rendered(&[("name", &a), ("mountPath", &b)]);
        let expected = json!({"name": a, "mountPath": b});
        let rendered = json::Value::Object(map.clone());
        assert_eq!(
            written(&rendered, None),
            serde_json::to_string(&expected).unwrap()
        );
        assert!(matches!(map.raw(), Some(json::value::Raw::Text(_))));
        // Inside a read document: the copy is written from its own text, not the source.
        let source = r#"{"volumeMounts":[]}"#;
        let mut doc = read(source);
        let mounts = doc
            .get_mut("volumeMounts")
            .and_then(|v| v.as_array_mut())
            .unwrap();
        mounts.push(json::Value::Object(map.clone()));
        assert_eq!(
            written(&doc, Some(source)),
            format!(
                r#"{{"volumeMounts":[{}]}}"#,
                serde_json::to_string(&expected).unwrap()
            )
        );
        // A changed copy forgets the text, whichever way it is changed.
        let mut changed = map.clone();
        changed.insert("readOnly".into(), json::Value::Bool(true));
        let mut with_read_only = expected.clone();
        with_read_only["readOnly"] = json!(true);
        assert_eq!(
            written(&json::Value::Object(changed), None),
            serde_json::to_string(&with_read_only).unwrap()
        );
        let mut renamed = map.clone();
        *renamed.get_mut("name").unwrap() = json::Value::from("other");
        assert_eq!(
            written(&json::Value::Object(renamed), None),
            serde_json::to_string(&json!({"name": "other", "mountPath": b})).unwrap()
        );
        let mut emptied = map.clone();
        emptied.retain(|_, _| false);
        assert_eq!(written(&json::Value::Object(emptied), None), "{}");
        let mut removed = map.clone();
        removed.remove("name");
        assert_eq!(
            written(&json::Value::Object(removed), None),
            serde_json::to_string(&json!({"mountPath": b})).unwrap()
        );
        let mut through_iter = map.clone();
        for (_, value) in through_iter.iter_mut() {
            *value = json::Value::Null;
        }
        assert_eq!(
            written(&json::Value::Object(through_iter), None),
            r#"{"name":null,"mountPath":null}"#
        );
        // The original is untouched by its copies' changes: its text, and the keys they
        // shared until each of them changed.
        assert_eq!(
            written(&rendered, None),
            serde_json::to_string(&expected).unwrap()
        );
        let keys: Vec<_> = map.iter().map(|(k, v)| (k, v.as_str())).collect();
        assert_eq!(keys, [("name", Some(&*a)), ("mountPath", Some(&*b))]);
    }
}

/// Strings of every length up to 40 with one or two bytes to escape at every place (and
/// multi-byte characters beside them): written exactly as serde_json writes them, whichever
/// eight-byte chunk, overlapping last chunk or short tail finds them.
#[test]
fn strings_are_escaped_as_serde_json_escapes_them_wherever_the_escape_is() {
    let specials = ['"', '\\', '\n', '\u{1}', '\u{1f}', 'é', '\u{2028}', '🙂'];
    for len in 0usize..40 {
        for at in 0..len.max(1) {
            for special in specials {
                for second in [None, Some(0), Some(len.saturating_sub(1)), Some(at / 2)] {
                    let mut chars: Vec<char> = vec!['a'; len];
                    if let Some(c) = chars.get_mut(at) {
                        *c = special;
                    }
                    if let Some(c) = second.and_then(|i| chars.get_mut(i)) {
                        *c = '"';
                    }
                    let text: String = chars.into_iter().collect();
                    let mut out = Vec::new();
                    json::write::write_str(&mut out, &text);
                    assert_eq!(
                        String::from_utf8(out).unwrap(),
                        serde_json::to_string(&text).unwrap(),
                        "{text:?}"
                    );
                }
            }
        }
    }
}

/// Strings that end where the document ends or close to it, with a byte that stops them at
/// every place (the search's last eight bytes overlap what it already read): read, or refused,
/// as serde_json reads or refuses them.
#[test]
fn strings_at_the_end_of_the_document_are_read_as_serde_json_reads_them() {
    let specials = ["\"", "\\\"", "\\n", "\u{1}", "é", "\\u00e9"];
    let mut refused = 0;
    for len in 0usize..20 {
        for at in 0..=len {
            for special in specials {
                let body: String = (0..len)
                    .map(|i| if i == at { special } else { "a" })
                    .collect();
                for text in [
                    format!("\"{body}\""),
                    format!("\"{body}"),
                    format!("{{\"k\":\"{body}\"}}"),
                    format!("[\"{body}\"]"),
                ] {
                    let expected = serde_json::from_str::<Value>(&text);
                    match json::parse(&text, true) {
                        Ok(tree) => assert_eq!(serde(&tree), expected.unwrap(), "{text:?}"),
                        Err(_) => {
                            refused += 1;
                            assert!(expected.is_err(), "{text:?}");
                        }
                    }
                }
            }
        }
    }
    // Guard against a vacuous pass: unterminated and control-character strings were refused.
    assert!(refused > 500, "only {refused} refused");
}
