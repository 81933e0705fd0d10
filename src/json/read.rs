//! Reading a JSON document into the rules' tree in one pass: no key is sorted or hashed, and
//! every object and list notes where its text is, so that an unchanged one is written back as
//! those bytes. What it accepts and refuses is serde_json's: strings with escapes and every
//! number go through serde_json itself, control characters and repeated keys are treated alike,
//! and nesting stops at the same depth.

use std::collections::BTreeMap;
use std::fmt;

use std::borrow::Cow;

use super::value::{Array, Entry, Map, Span, Text, Value};

/// serde_json's default recursion limit: this many nested lists and objects are refused.
const MAX_DEPTH: usize = 128;

/// Objects up to this many keys are checked for a repeated key pair by pair; larger ones
/// through a sorted copy of their keys.
const PAIRWISE: usize = 16;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    what: String,
    line: usize,
    column: usize,
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} at line {} column {}",
            self.what, self.line, self.column
        )
    }
}

/// The document `text`. With `spans`, objects and lists remember their place in `text`, and
/// may only be written back against that same text (`write::write_value`).
pub fn parse(text: &str, spans: bool) -> Result<Value<'_>, Error> {
    parse_passing_over(text, spans, None).map(|(value, _)| value)
}

/// Like `parse`, but the value of `key` in the objects at `depth` (1: the document's own
/// keys) is only checked, not built: it reads as `null`, and the place of its text (the
/// last one, if several objects have it) comes back beside the tree.
pub fn parse_passing_over<'t>(
    text: &'t str,
    spans: bool,
    pass_over: Option<(usize, &'static str)>,
) -> Result<(Value<'t>, Option<Span>), Error> {
    let mut reader = Reader {
        text,
        bytes: text.as_bytes(),
        at: 0,
        depth: 0,
        spans,
        items: Vec::new(),
        entries: Vec::new(),
        repeats: 0,
        pass_over,
        passing: 0,
        passed: None,
    };
    let value = reader.value()?;
    reader.skip_space();
    if reader.at < reader.bytes.len() {
        return Err(reader.error("trailing characters"));
    }
    Ok((value, reader.passed))
}

struct Reader<'t> {
    text: &'t str,
    bytes: &'t [u8],
    at: usize,
    depth: usize,
    spans: bool,
    /// The items and keys of the lists and objects being read, innermost last.
    items: Vec<Value<'t>>,
    entries: Vec<Entry<'t>>,
    /// Objects read so far that repeated a key: their text is not what the tree holds, so
    /// neither is the text of anything around them.
    repeats: usize,
    /// `(depth, key)` whose values are checked, not built (`parse_passing_over`).
    pass_over: Option<(usize, &'static str)>,
    /// How many such values are being read (nothing is built inside them).
    passing: usize,
    passed: Option<Span>,
}

impl<'t> Reader<'t> {
    #[cold]
    #[inline(never)]
    fn error(&self, what: &str) -> Error {
        let before = self.bytes.get(..self.at).unwrap_or(self.bytes);
        let line = 1 + before.iter().filter(|&&b| b == b'\n').count();
        let column = 1 + before.iter().rev().take_while(|&&b| b != b'\n').count();
        Error {
            what: what.to_string(),
            line,
            column,
        }
    }

    fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    fn skip_space(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.peek() {
            self.at += 1;
        }
    }

    /// Skips white space and then `b`, which must come next.
    fn expect(&mut self, b: u8, what: &str) -> Result<(), Error> {
        self.skip_space();
        if self.peek() == Some(b) {
            self.at += 1;
            Ok(())
        } else {
            Err(self.error(what))
        }
    }

    /// The text from `start` to here, unless an object in it repeated a key (`repeats` was
    /// `seen` at `start`).
    fn span(&self, start: usize, seen: usize) -> Option<Span> {
        (self.spans && self.repeats == seen).then_some(Span {
            start,
            end: self.at,
        })
    }

    fn value(&mut self) -> Result<Value<'t>, Error> {
        self.skip_space();
        match self.peek() {
            Some(b'{') => self.object(),
            Some(b'[') => self.array(),
            Some(b'"') => self.string().map(Value::String),
            Some(b't') => self.literal("true", Value::Bool(true)),
            Some(b'f') => self.literal("false", Value::Bool(false)),
            Some(b'n') => self.literal("null", Value::Null),
            Some(b'-' | b'0'..=b'9') => self.number(),
            Some(_) => Err(self.error("expected value")),
            None => Err(self.error("EOF while parsing a value")),
        }
    }

    fn literal(&mut self, word: &str, value: Value<'t>) -> Result<Value<'t>, Error> {
        let end = self.at + word.len();
        if self.bytes.get(self.at..end) == Some(word.as_bytes()) {
            self.at = end;
            Ok(value)
        } else {
            Err(self.error("expected value"))
        }
    }

    #[inline(never)]
    fn number(&mut self) -> Result<Value<'t>, Error> {
        let start = self.at;
        while let Some(b'-' | b'+' | b'.' | b'e' | b'E' | b'0'..=b'9') = self.peek() {
            self.at += 1;
        }
        let text = self.text.get(start..self.at).unwrap_or_default();
        // As serde_json reads a number inside a document (`Number::from_str` rounds floats
        // differently).
        match serde_json::from_str(text) {
            Ok(n) => Ok(Value::Number(n)),
            Err(e) => {
                self.at = start;
                Err(self.error(&what_serde_says(&e)))
            }
        }
    }

    /// The string whose opening quote is next; its text unescaped (borrowed when it has no
    /// escapes).
    fn string(&mut self) -> Result<Text<'t>, Error> {
        let open = self.at;
        let start = open + 1;
        let stop = first_stop(self.bytes, start);
        match stop.and_then(|at| Some((at, *self.bytes.get(at)?))) {
            Some((at, b'"')) => {
                self.at = at + 1;
                Ok(Cow::Borrowed(self.text.get(start..at).unwrap_or_default()))
            }
            Some((at, b'\\')) => {
                self.at = at;
                self.escaped(open)
            }
            Some((at, _)) => {
                self.at = at;
                Err(self.error("control character in string"))
            }
            None => {
                self.at = self.bytes.len();
                Err(self.error("EOF while parsing a string"))
            }
        }
    }

    /// A string with escapes, from its opening quote at `open`: found here, decoded by
    /// serde_json.
    #[cold]
    #[inline(never)]
    fn escaped(&mut self, open: usize) -> Result<Text<'t>, Error> {
        loop {
            match self.peek() {
                Some(b'"') => break,
                Some(b'\\') => self.at += 2,
                Some(0..0x20) => return Err(self.error("control character in string")),
                Some(_) => self.at += 1,
                None => return Err(self.error("EOF while parsing a string")),
            }
        }
        self.at += 1;
        let text = self.text.get(open..self.at).unwrap_or_default();
        serde_json::from_str(text).map(Cow::Owned).map_err(|e| {
            self.at = open;
            self.error(&what_serde_says(&e))
        })
    }

    fn enter(&mut self) -> Result<(), Error> {
        self.depth += 1;
        if self.depth >= MAX_DEPTH {
            return Err(self.error("recursion limit exceeded"));
        }
        self.at += 1;
        Ok(())
    }

    /// Right after an opening bracket: whether `close` comes first (then it is read too).
    #[inline]
    fn closes(&mut self, close: u8) -> bool {
        self.skip_space();
        let closed = self.peek() == Some(close);
        if closed {
            self.at += 1;
        }
        closed
    }

    /// After an item: `true` at the closing `close`, `false` after a comma.
    #[inline]
    fn after_item(&mut self, close: u8, what: &str) -> Result<bool, Error> {
        self.skip_space();
        match self.peek() {
            Some(b',') => {
                self.at += 1;
                Ok(false)
            }
            Some(b) if b == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(self.error(what)),
        }
    }

    /// A value read without building it (`null` in the tree), its place kept in `passed`.
    fn pass_value(&mut self) -> Result<Value<'t>, Error> {
        self.skip_space();
        let start = self.at;
        self.passing += 1;
        let read = self.value();
        self.passing -= 1;
        read?;
        self.passed = Some(Span {
            start,
            end: self.at,
        });
        Ok(Value::Null)
    }

    fn array(&mut self) -> Result<Value<'t>, Error> {
        let (start, seen) = (self.at, self.repeats);
        self.enter()?;
        // Items are gathered on the reader's stack and moved out at once, sized exactly.
        let mark = self.items.len();
        if !self.closes(b']') {
            loop {
                let item = self.value()?;
                if self.passing == 0 {
                    self.items.push(item);
                }
                if self.after_item(b']', "expected `,` or `]`")? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if self.passing > 0 {
            return Ok(Value::Null);
        }
        let items = self.items.split_off(mark);
        Ok(Value::Array(Array::read(items, self.span(start, seen))))
    }

    fn object(&mut self) -> Result<Value<'t>, Error> {
        let (start, seen) = (self.at, self.repeats);
        self.enter()?;
        let mark = self.entries.len();
        if !self.closes(b'}') {
            loop {
                self.skip_space();
                if self.peek() != Some(b'"') {
                    return Err(self.error("key must be a string"));
                }
                let (entry_start, entry_seen) = (self.at, self.repeats);
                let key = self.string()?;
                self.expect(b':', "expected `:`")?;
                let value = match self.pass_over {
                    Some((depth, passed)) if depth == self.depth && key == passed => {
                        self.pass_value()?
                    }
                    _ => self.value()?,
                };
                if self.passing == 0 {
                    let raw = self.span(entry_start, entry_seen);
                    self.entries.push(Entry::read(key, value, raw));
                }
                if self.after_item(b'}', "expected `,` or `}`")? {
                    break;
                }
            }
        }
        self.depth -= 1;
        if self.passing > 0 {
            return Ok(Value::Null);
        }
        let mut entries = self.entries.split_off(mark);
        if let Some(kept) = without_repeats(&mut entries) {
            self.repeats += 1;
            return Ok(Value::Object(Map::read(kept, None)));
        }
        Ok(Value::Object(Map::read(entries, self.span(start, seen))))
    }
}

/// The eight bytes of `x` (little-endian) with the high bit set in each quote, backslash or
/// control byte — and possibly in bytes above one of those (a borrow carries upwards), never
/// below: the lowest set bit marks the first such byte exactly.
fn string_stops(x: u64) -> u64 {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let below_space = x.wrapping_sub(ONES * 0x20) & !x & HIGH;
    zero_byte(x ^ (ONES * u64::from(b'"'))) | zero_byte(x ^ (ONES * u64::from(b'\\'))) | below_space
}

/// Whether `b` ends a JSON string or must be escaped in one: a quote, a backslash or a control
/// character (serde_json escapes exactly these when it writes).
pub(super) fn stops_a_string(b: u8) -> bool {
    b < 0x20 || b == b'"' || b == b'\\'
}

/// Where the first byte from `from` on that `stops_a_string` is, for the reader (the end of a
/// string, or what it must look at) and the writer (what it must escape). Eight bytes at a
/// time, the last eight read overlapping bytes already found plain; byte by byte only when
/// fewer than eight bytes were searched.
#[inline(always)]
pub(super) fn first_stop(bytes: &[u8], from: usize) -> Option<usize> {
    let first_in = |chunk: &[u8; 8], at: usize| {
        let stops = string_stops(u64::from_le_bytes(*chunk));
        (stops != 0).then(|| at + (stops.trailing_zeros() / 8) as usize)
    };
    let mut at = from;
    while let Some(chunk) = bytes.get(at..).and_then(<[u8]>::first_chunk::<8>) {
        if let Some(found) = first_in(chunk, at) {
            return Some(found);
        }
        at += 8;
    }
    if at >= bytes.len() {
        return None;
    }
    match bytes.last_chunk::<8>() {
        // Only bytes this call already found plain may be read again.
        Some(last) if bytes.len() - 8 >= from => first_in(last, bytes.len() - 8),
        _ => bytes
            .get(at..)?
            .iter()
            .position(|&b| stops_a_string(b))
            .map(|p| at + p),
    }
}

/// serde_json's complaint about a number or string, without its position in that piece.
fn what_serde_says(e: &serde_json::Error) -> String {
    let text = e.to_string();
    text.split(" at line ")
        .next()
        .unwrap_or_default()
        .to_string()
}

/// serde_json's reading of a repeated key: its first place, its last value. `None` when no key
/// repeats. Small objects are checked pair by pair; larger ones through an index of their keys.
fn without_repeats<'t>(entries: &mut Vec<Entry<'t>>) -> Option<Vec<Entry<'t>>> {
    if entries.len() <= PAIRWISE
        && !entries
            .iter()
            .enumerate()
            .any(|(i, e)| entries.iter().skip(i + 1).any(|other| other.key == e.key))
    {
        return None;
    }
    let mut place: BTreeMap<Text<'t>, usize> = BTreeMap::new();
    let mut kept: Vec<Entry<'t>> = Vec::with_capacity(entries.len());
    let mut repeated = false;
    for entry in entries.drain(..) {
        match place.get(&entry.key).and_then(|&i| kept.get_mut(i)) {
            Some(slot) => {
                // The value's text is no longer where the key is.
                slot.value = entry.value;
                repeated = true;
            }
            None => {
                place.insert(entry.key.clone(), kept.len());
                kept.push(entry);
            }
        }
    }
    if repeated {
        for entry in &mut kept {
            entry.forget_raw();
        }
        return Some(kept);
    }
    *entries = kept;
    None
}

#[cfg(test)]
mod tests {
    use super::{stops_a_string, string_stops};

    fn may_stop_a_string(x: u64) -> bool {
        string_stops(x) != 0
    }

    /// Every byte value at every place of a chunk, among plain ASCII and among UTF-8
    /// continuation bytes: flagged exactly when it is a quote, a backslash or below 0x20.
    #[test]
    fn chunks_are_flagged_exactly_when_a_byte_may_stop_a_string() {
        for fill in [b'a', 0x80, 0xbf, 0xff, b' ', b'!', b'#', b'[', b']'] {
            assert!(!may_stop_a_string(u64::from_le_bytes([fill; 8])));
            for place in 0..8 {
                for b in 0..=255u8 {
                    let mut chunk = [fill; 8];
                    chunk[place] = b;
                    let expected = stops_a_string(b);
                    assert_eq!(
                        may_stop_a_string(u64::from_le_bytes(chunk)),
                        expected,
                        "{chunk:?}"
                    );
                }
            }
        }
    }

    /// The lowest flagged byte is the first quote, backslash or control byte, whatever
    /// comes after it (a borrow may flag later bytes, never earlier ones).
    #[test]
    fn the_lowest_flag_is_the_first_byte_that_stops_a_string() {
        let stops: Vec<u8> = (0..0x20).chain([b'"', b'\\']).collect();
        for fill in [b'a', 0x80, 0xff, b' ', b'!', b'#'] {
            for first in 0..8 {
                for &stop in &stops {
                    for later in first + 1..8 {
                        for b in 0..=255u8 {
                            let mut chunk = [fill; 8];
                            chunk[first] = stop;
                            chunk[later] = b;
                            let mask = string_stops(u64::from_le_bytes(chunk));
                            assert_eq!(mask.trailing_zeros() / 8, first as u32, "{chunk:?}");
                        }
                    }
                }
            }
        }
    }
}
