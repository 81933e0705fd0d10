//! The request's object as the rules see it (`value`), read in one pass (`read`) and written
//! back with everything unchanged copied from the request (`write`); `convert` builds it from
//! serde_json's values.

mod convert;
pub mod read;
pub mod value;
pub mod write;

pub use read::parse;
pub use value::{Array, Map, Number, Text, Value};

/// serde_json's `json!`, giving this module's `Value`.
#[macro_export]
macro_rules! json {
    ($($tokens:tt)+) => {
        $crate::json::Value::from(::serde_json::json!($($tokens)+))
    };
}
