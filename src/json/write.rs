//! Writing JSON: a list or object that is unchanged since it was read is copied from the
//! request's text; everything else is written as `serde_json::to_vec` writes it (a test
//! compares the bytes). A mutated pod is most of the answer, and serde's serializer spends
//! several times more per byte than a plain walk (BENCHMARKS.md).

use super::read::first_stop;
use super::value::{Map, Raw, Span, Value};

/// Appends `value` as compact JSON. `source` is the text the value was read from with spans
/// (`read::parse`); with `None`, or for what changed, the tree is written as serde_json
/// would write it.
pub fn write_value(out: &mut Vec<u8>, value: &Value, source: Option<&str>) {
    match value {
        Value::Null => out.extend_from_slice(b"null"),
        Value::Bool(true) => out.extend_from_slice(b"true"),
        Value::Bool(false) => out.extend_from_slice(b"false"),
        // Integers as serde_json writes them (decimal, `-` when negative); floats, rare in a
        // pod, through serde_json's own formatting.
        Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => crate::decimal::push(out, u),
            (None, Some(i)) => crate::decimal::push_signed(out, i),
            _ => out.extend_from_slice(n.to_string().as_bytes()),
        },
        Value::String(s) => write_str(out, s),
        Value::Array(items) => {
            let raw = items.raw().zip(source);
            if let Some(bytes) = raw.and_then(|(span, t)| t.as_bytes().get(span.start..span.end)) {
                return out.extend_from_slice(bytes);
            }
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                write_value(out, item, source);
            }
            out.push(b']');
        }
        Value::Object(map) => write_map(out, map, source),
    }
}

/// Appends `map` as compact JSON (see `write_value`).
pub fn write_map(out: &mut Vec<u8>, map: &Map<'_>, source: Option<&str>) {
    match map.raw() {
        Some(Raw::Text(text)) => return out.extend_from_slice(text.as_bytes()),
        Some(Raw::At(span)) => {
            if let Some(bytes) = source.and_then(|t| t.as_bytes().get(span.start..span.end)) {
                return out.extend_from_slice(bytes);
            }
        }
        None => {}
    }
    out.push(b'{');
    let mut first = true;
    // Unchanged keys that stood together in the source are copied in one piece.
    let mut run: Option<Span> = None;
    for entry in map.entries() {
        let clean = match (entry.raw(), source) {
            (Some(span), Some(text)) if span.start <= span.end && span.end <= text.len() => {
                Some((span, text))
            }
            _ => None,
        };
        match (clean, run) {
            (Some((span, text)), Some(r)) if only_a_comma(text, r.end, span.start) => {
                run = Some(Span {
                    start: r.start,
                    end: span.end,
                });
            }
            (Some((span, _)), _) => {
                copy_run(out, source, run, &mut first);
                run = Some(span);
            }
            (None, _) => {
                copy_run(out, source, run.take(), &mut first);
                if !std::mem::take(&mut first) {
                    out.push(b',');
                }
                write_str(out, &entry.key);
                out.push(b':');
                write_value(out, &entry.value, source);
            }
        }
    }
    copy_run(out, source, run, &mut first);
    out.push(b'}');
}

/// Whether nothing but a comma (and white space) stands between `end` and `start` in `text`.
fn only_a_comma(text: &str, end: usize, start: usize) -> bool {
    match text.as_bytes().get(end..start) {
        Some(b",") => true,
        Some(between) => {
            let mut gap = between.iter().filter(|b| !b" \t\r\n".contains(b));
            gap.next() == Some(&b',') && gap.next().is_none()
        }
        None => false,
    }
}

/// Appends the `"key":value` pairs at `run` of `source` (checked to be in it), after a comma
/// unless `first`.
fn copy_run(out: &mut Vec<u8>, source: Option<&str>, run: Option<Span>, first: &mut bool) {
    if let (Some(span), Some(text)) = (run, source) {
        if !std::mem::take(first) {
            out.push(b',');
        }
        out.extend_from_slice(
            text.as_bytes()
                .get(span.start..span.end)
                .unwrap_or_default(),
        );
    }
}

/// Appends `s` as a JSON string, escaped as serde_json escapes.
pub fn write_str(out: &mut Vec<u8>, s: &str) {
    out.push(b'"');
    let bytes = s.as_bytes();
    let mut start = 0;
    while let Some(i) = first_stop(bytes, start) {
        let Some(&b) = bytes.get(i) else {
            break;
        };
        out.extend_from_slice(bytes.get(start..i).unwrap_or_default());
        match b {
            b'"' => out.extend_from_slice(b"\\\""),
            b'\\' => out.extend_from_slice(b"\\\\"),
            b'\n' => out.extend_from_slice(b"\\n"),
            b'\r' => out.extend_from_slice(b"\\r"),
            b'\t' => out.extend_from_slice(b"\\t"),
            0x08 => out.extend_from_slice(b"\\b"),
            0x0c => out.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                out.extend_from_slice(b"\\u00");
                let hex = |n: u8| HEX.get(usize::from(n)).copied().unwrap_or(b'0');
                out.push(hex(b >> 4));
                out.push(hex(b & 0x0f));
            }
        }
        start = i + 1;
    }
    out.extend_from_slice(bytes.get(start..).unwrap_or_default());
    out.push(b'"');
}
