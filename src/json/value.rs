//! The JSON tree the rules read and edit: serde_json's `Value` API, with objects kept in the
//! order they were written and every object and list remembering where its text was in the
//! request. Anything reached through `&mut` forgets that text, so what is written back is the
//! request's own bytes wherever nothing could have changed.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::{Deref, DerefMut};
use std::rc::Rc;

pub use serde_json::Number;

/// Byte range of a value's text in the document it was read from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Span {
    pub start: usize,
    pub end: usize,
}

/// Text of a key or string: borrowed from the document it was read from when it had no
/// escapes (or a `&'static str` the rules add), owned otherwise.
pub type Text<'s> = Cow<'s, str>;

/// A JSON value whose strings may borrow from the text it was read from (`'s`).
#[derive(Debug, Clone, Default)]
pub enum Value<'s> {
    #[default]
    Null,
    Bool(bool),
    Number(Number),
    String(Text<'s>),
    Array(Array<'s>),
    Object(Map<'s>),
}

/// A JSON list; a `Vec<Value>` to read, and one that forgets its source text when written to.
#[derive(Debug, Clone, Default)]
pub struct Array<'s> {
    items: Vec<Value<'s>>,
    raw: Option<Span>,
}

/// A JSON object in its written order, without duplicate keys (the reader keeps the last value
/// of a repeated key, as serde_json does).
#[derive(Debug, Clone, Default)]
pub struct Map<'s> {
    entries: Entries<'s>,
    raw: Option<Raw>,
}

/// An object's keys: its own, or those of a rendered object (`Map::rendered`), which its
/// copies share until one of them is changed (then `own` holds the copy, `shared` is `None`).
#[derive(Debug, Clone, Default)]
struct Entries<'s> {
    own: Vec<Entry<'s>>,
    shared: Option<Rc<[Entry<'static>]>>,
}

impl<'s> Entries<'s> {
    fn new(own: Vec<Entry<'s>>) -> Self {
        Entries { own, shared: None }
    }

    #[inline]
    fn slice(&self) -> &[Entry<'s>] {
        match &self.shared {
            Some(shared) => shared,
            None => &self.own,
        }
    }

    /// The keys, to change: a shared set becomes this object's own copy first.
    #[inline]
    fn own(&mut self) -> &mut Vec<Entry<'s>> {
        if self.shared.is_some() {
            self.unshare();
        }
        &mut self.own
    }

    #[cold]
    fn unshare(&mut self) {
        if let Some(shared) = self.shared.take() {
            self.own = shared.to_vec();
        }
    }
}

/// Where an unchanged object's JSON text is: in the document it was read from, or written
/// once for an object the rules add to many containers (`Map::rendered`), whose copies share it.
#[derive(Debug, Clone)]
pub enum Raw {
    At(Span),
    Text(Rc<str>),
}

/// One key of an object, with the place of its unchanged `"key":value` text.
#[derive(Debug, Clone)]
pub struct Entry<'s> {
    pub key: Text<'s>,
    pub value: Value<'s>,
    raw: Option<Span>,
}

impl<'s> Entry<'s> {
    pub(crate) fn read(key: Text<'s>, value: Value<'s>, raw: Option<Span>) -> Self {
        Entry { key, value, raw }
    }

    /// Where the unchanged `"key":value` text is, if it was read from a document.
    pub fn raw(&self) -> Option<Span> {
        self.raw
    }

    pub(crate) fn forget_raw(&mut self) {
        self.raw = None;
    }

    /// The value, to change: its text is forgotten.
    fn value_mut(&mut self) -> &mut Value<'s> {
        self.raw = None;
        &mut self.value
    }
}

impl<'s> Array<'s> {
    pub fn new() -> Self {
        Array::default()
    }

    pub(crate) fn read(items: Vec<Value<'s>>, raw: Option<Span>) -> Self {
        Array { items, raw }
    }

    /// Where the unchanged list's text is, if it was read from a document.
    pub fn raw(&self) -> Option<Span> {
        self.raw
    }
}

impl<'s> Deref for Array<'s> {
    type Target = Vec<Value<'s>>;
    fn deref(&self) -> &Vec<Value<'s>> {
        &self.items
    }
}

impl<'s> DerefMut for Array<'s> {
    fn deref_mut(&mut self) -> &mut Vec<Value<'s>> {
        self.raw = None;
        &mut self.items
    }
}

impl<'s> From<Vec<Value<'s>>> for Array<'s> {
    fn from(items: Vec<Value<'s>>) -> Self {
        Array { items, raw: None }
    }
}

impl PartialEq for Array<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

type Pair<'a, 's> = (&'a str, &'a Value<'s>);

fn pair<'a, 's>(entry: &'a Entry<'s>) -> Pair<'a, 's> {
    (&entry.key, &entry.value)
}

pub type Iter<'a, 's> =
    std::iter::Map<std::slice::Iter<'a, Entry<'s>>, fn(&'a Entry<'s>) -> Pair<'a, 's>>;

impl<'s> Map<'s> {
    pub fn new() -> Self {
        Map::default()
    }

    /// An empty object with room for `keys` keys.
    pub fn with_capacity(keys: usize) -> Self {
        Map {
            entries: Entries::new(Vec::with_capacity(keys)),
            raw: None,
        }
    }

    /// `entries` must not repeat a key.
    pub(crate) fn read(entries: Vec<Entry<'s>>, raw: Option<Span>) -> Self {
        Map {
            entries: Entries::new(entries),
            raw: raw.map(Raw::At),
        }
    }

    /// The object of these distinct `keys` and string `values`, with its JSON text written
    /// once: its copies share its keys and are written by copying that text, until they are
    /// changed.
    #[inline(never)]
    pub fn rendered(pairs: &[(&'static str, &str)]) -> Map<'static> {
        let entries: Vec<Entry<'static>> = pairs
            .iter()
            .map(|(key, value)| Entry {
                key: Cow::Borrowed(*key),
                value: Value::String(Cow::Owned((*value).to_string())),
                raw: None,
            })
            .collect();
        let mut map = Map {
            entries: Entries::new(entries),
            raw: None,
        };
        // Room for the text unless it has escapes: `{"key":"value",...}`, without growing.
        let room = pairs
            .iter()
            .map(|(k, v)| k.len() + v.len() + 6)
            .sum::<usize>()
            + 2;
        let mut out = Vec::with_capacity(room);
        super::write::write_map(&mut out, &map, None);
        // What the writer writes is UTF-8: JSON text of UTF-8 strings.
        let text = String::from_utf8(out).unwrap_or_default();
        map.raw = Some(Raw::Text(Rc::from(text)));
        map.entries = Entries {
            own: Vec::new(),
            shared: Some(Rc::from(std::mem::take(&mut map.entries.own))),
        };
        map
    }

    /// The keys in order, with the places of their unchanged text.
    pub fn entries(&self) -> &[Entry<'s>] {
        self.entries.slice()
    }

    /// Where the unchanged object's text is, if it was read from a document or rendered.
    pub fn raw(&self) -> Option<&Raw> {
        self.raw.as_ref()
    }

    pub fn len(&self) -> usize {
        self.entries().len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries().is_empty()
    }

    /// Where `key` is among the keys (for `value_at_mut`: one search instead of two).
    pub fn position(&self, key: &str) -> Option<usize> {
        self.entries().iter().position(|e| e.key == key)
    }

    /// The value of the key at `index` (from `position`), to change.
    pub fn value_at_mut(&mut self, index: usize) -> Option<&mut Value<'s>> {
        self.raw = None;
        self.entries.own().get_mut(index).map(Entry::value_mut)
    }

    /// The value of `key`, to change; the key is added last, with `null`, when absent.
    pub fn slot(&mut self, key: &'static str) -> Option<&mut Value<'s>> {
        let found = self.position(key);
        self.slot_at(found, key)
    }

    /// `slot`, with `key`'s place already looked up (`found`, from `position`).
    pub(crate) fn slot_at(
        &mut self,
        found: Option<usize>,
        key: &'static str,
    ) -> Option<&mut Value<'s>> {
        debug_assert!(found.is_none_or(|i| self.entries().get(i).is_some_and(|e| e.key == key)));
        let index = match found {
            Some(index) => index,
            None => {
                self.entries.own().push(Entry {
                    key: key.into(),
                    value: Value::Null,
                    raw: None,
                });
                self.len() - 1
            }
        };
        self.value_at_mut(index)
    }

    pub fn get(&self, key: &str) -> Option<&Value<'s>> {
        self.entries()
            .iter()
            .find(|e| e.key == key)
            .map(|e| &e.value)
    }

    /// The text of the string at `key`, apart from this object (which may then be changed):
    /// a copy of borrowed text, so nothing is allocated unless the string had escapes.
    pub fn text(&self, key: &str) -> Option<Text<'s>> {
        match self.get(key) {
            Some(Value::String(text)) => Some(text.clone()),
            _ => None,
        }
    }

    pub fn contains_key(&self, key: &str) -> bool {
        self.position(key).is_some()
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'s>> {
        self.raw = None;
        self.entries
            .own()
            .iter_mut()
            .find(|e| e.key == key)
            .map(Entry::value_mut)
    }

    /// Sets `key` (in its place when present, else last); returns the value it replaces.
    pub fn insert(&mut self, key: Text<'s>, value: Value<'s>) -> Option<Value<'s>> {
        self.raw = None;
        let entries = self.entries.own();
        match entries.iter_mut().find(|e| e.key == key) {
            Some(entry) => Some(std::mem::replace(entry.value_mut(), value)),
            None => {
                entries.push(Entry {
                    key,
                    value,
                    raw: None,
                });
                None
            }
        }
    }

    /// Removes `key`, keeping the other keys' order.
    pub fn remove(&mut self, key: &str) -> Option<Value<'s>> {
        let at = self.position(key)?;
        self.raw = None;
        Some(self.entries.own().remove(at).value)
    }

    pub fn retain(&mut self, mut keep: impl FnMut(&str, &mut Value<'s>) -> bool) {
        self.raw = None;
        self.entries.own().retain_mut(|e| {
            e.raw = None;
            keep(&e.key, &mut e.value)
        });
    }

    pub fn iter(&self) -> Iter<'_, 's> {
        self.entries()
            .iter()
            .map(pair as for<'a> fn(&'a Entry<'s>) -> Pair<'a, 's>)
    }

    pub fn iter_mut(&mut self) -> impl Iterator<Item = (&str, &mut Value<'s>)> {
        self.raw = None;
        self.entries.own().iter_mut().map(|e| {
            e.raw = None;
            (&*e.key, &mut e.value)
        })
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries().iter().map(|e| &*e.key)
    }

    pub fn values(&self) -> impl Iterator<Item = &Value<'s>> {
        self.entries().iter().map(|e| &e.value)
    }
}

impl<'a, 's> IntoIterator for &'a Map<'s> {
    type Item = Pair<'a, 's>;
    type IntoIter = Iter<'a, 's>;
    fn into_iter(self) -> Iter<'a, 's> {
        self.iter()
    }
}

/// Same keys with equal values, in any order (as serde_json compares objects). Keys in the same
/// order, as one writer writes them, are compared in one pass; from the first that differs,
/// the other side's keys are looked up in an index, never by scanning (an object may hold
/// tens of thousands of labels).
impl PartialEq for Map<'_> {
    fn eq(&self, other: &Self) -> bool {
        if self.len() != other.len() {
            return false;
        }
        let same = self
            .entries()
            .iter()
            .zip(other.entries())
            .take_while(|(a, b)| a.key == b.key)
            .count();
        let (Some(mine), Some(theirs)) = (self.entries().get(same..), other.entries().get(same..))
        else {
            return false;
        };
        let equal_so_far = self
            .entries()
            .iter()
            .zip(other.entries())
            .take(same)
            .all(|(a, b)| a.value == b.value);
        if !equal_so_far {
            return false;
        }
        // Filled by `insert`, not `collect` (which would bring a sort into the module).
        let mut index: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, e) in theirs.iter().enumerate() {
            index.insert(&e.key, i);
        }
        mine.iter().all(|e| {
            index
                .get(&*e.key)
                .and_then(|&i| theirs.get(i))
                .is_some_and(|t| t.value == e.value)
        })
    }
}

impl PartialEq for Value<'_> {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Value::Null, Value::Null) => true,
            (Value::Bool(a), Value::Bool(b)) => a == b,
            (Value::Number(a), Value::Number(b)) => a == b,
            (Value::String(a), Value::String(b)) => a == b,
            (Value::Array(a), Value::Array(b)) => a == b,
            (Value::Object(a), Value::Object(b)) => a == b,
            _ => false,
        }
    }
}

impl<'s> Value<'s> {
    pub fn get(&self, key: &str) -> Option<&Value<'s>> {
        self.as_object().and_then(|map| map.get(key))
    }

    pub fn get_mut(&mut self, key: &str) -> Option<&mut Value<'s>> {
        self.as_object_mut().and_then(|map| map.get_mut(key))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn is_array(&self) -> bool {
        matches!(self, Value::Array(_))
    }

    pub fn is_object(&self) -> bool {
        matches!(self, Value::Object(_))
    }

    pub fn is_string(&self) -> bool {
        matches!(self, Value::String(_))
    }

    pub fn as_bool(&self) -> Option<bool> {
        match self {
            Value::Bool(b) => Some(*b),
            _ => None,
        }
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::String(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_number(&self) -> Option<&Number> {
        match self {
            Value::Number(n) => Some(n),
            _ => None,
        }
    }

    pub fn as_i64(&self) -> Option<i64> {
        match self {
            Value::Number(n) => n.as_i64(),
            _ => None,
        }
    }

    pub fn as_u64(&self) -> Option<u64> {
        match self {
            Value::Number(n) => n.as_u64(),
            _ => None,
        }
    }

    pub fn as_array(&self) -> Option<&Array<'s>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_array_mut(&mut self) -> Option<&mut Array<'s>> {
        match self {
            Value::Array(items) => Some(items),
            _ => None,
        }
    }

    pub fn as_object(&self) -> Option<&Map<'s>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn as_object_mut(&mut self) -> Option<&mut Map<'s>> {
        match self {
            Value::Object(map) => Some(map),
            _ => None,
        }
    }

    pub fn take(&mut self) -> Value<'s> {
        std::mem::take(self)
    }
}

impl<'a, 's> IntoIterator for &'a Array<'s> {
    type Item = &'a Value<'s>;
    type IntoIter = std::slice::Iter<'a, Value<'s>>;
    fn into_iter(self) -> Self::IntoIter {
        self.items.iter()
    }
}

impl<'a, 's> IntoIterator for &'a mut Array<'s> {
    type Item = &'a mut Value<'s>;
    type IntoIter = std::slice::IterMut<'a, Value<'s>>;
    fn into_iter(self) -> Self::IntoIter {
        self.raw = None;
        self.items.iter_mut()
    }
}
