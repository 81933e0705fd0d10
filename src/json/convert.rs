//! Building the tree from serde_json's (`json!` fills) and from plain Rust values, and showing
//! it in messages.

use std::borrow::Cow;
use std::fmt;

use super::value::{Entry, Map, Value};

/// Compact JSON, as serde_json's `Display` writes it (the tree, never the source text).
impl fmt::Display for Value<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = Vec::new();
        super::write::write_value(&mut out, self, None);
        f.write_str(&String::from_utf8_lossy(&out))
    }
}

impl From<serde_json::Value> for Value<'_> {
    fn from(value: serde_json::Value) -> Self {
        match value {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Bool(b) => Value::Bool(b),
            serde_json::Value::Number(n) => Value::Number(n),
            serde_json::Value::String(s) => Value::String(Cow::Owned(s)),
            serde_json::Value::Array(items) => Value::Array(
                items
                    .into_iter()
                    .map(Value::from)
                    .collect::<Vec<_>>()
                    .into(),
            ),
            serde_json::Value::Object(map) => Value::Object(Map::read(
                map.into_iter()
                    .map(|(key, v)| Entry::read(Cow::Owned(key), Value::from(v), None))
                    .collect(),
                None,
            )),
        }
    }
}

impl<'s> From<&'s str> for Value<'s> {
    fn from(s: &'s str) -> Self {
        Value::String(Cow::Borrowed(s))
    }
}

impl From<String> for Value<'_> {
    fn from(s: String) -> Self {
        Value::String(Cow::Owned(s))
    }
}

impl From<bool> for Value<'_> {
    fn from(b: bool) -> Self {
        Value::Bool(b)
    }
}

impl From<i64> for Value<'_> {
    fn from(n: i64) -> Self {
        Value::Number(n.into())
    }
}

impl<'s> From<Map<'s>> for Value<'s> {
    fn from(map: Map<'s>) -> Self {
        Value::Object(map)
    }
}

impl<'s> From<Vec<Value<'s>>> for Value<'s> {
    fn from(items: Vec<Value<'s>>) -> Self {
        Value::Array(items.into())
    }
}
