//! Turning an evaluation's outcome into Kubewarden's ValidationResponse.

use std::collections::HashMap;

use crate::json::{self, Value};
use kubewarden_policy_sdk::response::ValidationResponse;

/// The decision, decided elsewhere; this module only reports it.
pub enum Outcome<'s> {
    Accept {
        warnings: Vec<String>,
        /// Audit annotations (the exceptions used), as `(key, value)`.
        audit: Vec<(String, String)>,
    },
    Mutate {
        object: Value<'s>,
        /// The text `object` was read from (`json::parse` with spans); the writer copies from it.
        source: &'s str,
        warnings: Vec<String>,
        audit: Vec<(String, String)>,
    },
    Reject {
        message: String,
        warnings: Vec<String>,
    },
}

/// HTTP status for a rejected object: the request is invalid as submitted.
const REJECT_CODE: u16 = 400;

/// The SDK's response without the mutated object (an acceptance's, for a mutation): what
/// `to_bytes` writes around the object. Not an answer by itself; tests compare with it.
pub fn response_without_object(outcome: Outcome<'_>) -> ValidationResponse {
    let some = |w: Vec<String>| if w.is_empty() { None } else { Some(w) };
    match outcome {
        Outcome::Accept { warnings, audit }
        | Outcome::Mutate {
            warnings, audit, ..
        } => ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: None,
            audit_annotations: annotations(audit),
            warnings: some(warnings),
        },
        Outcome::Reject { message, warnings } => ValidationResponse {
            accepted: false,
            message: Some(message),
            code: Some(REJECT_CODE),
            mutated_object: None,
            audit_annotations: None,
            warnings: some(warnings),
        },
    }
}

fn annotations(audit: Vec<(String, String)>) -> Option<HashMap<String, String>> {
    if audit.is_empty() {
        None
    } else {
        Some(audit.into_iter().collect())
    }
}

/// The answer's bytes, written directly: those serde_json writes for the SDK's response
/// (`response_without_object`) with the mutated object in its place (a test compares them),
/// audit annotations in their order rather than a HashMap's. What no rule touched is copied
/// from the request.
pub fn to_bytes(outcome: Outcome<'_>) -> wapc_guest::CallResult {
    let (accepted, message, code, object, audit, warnings) = match outcome {
        Outcome::Accept { warnings, audit } => (true, None, None, None, audit, warnings),
        Outcome::Mutate {
            object,
            source,
            warnings,
            audit,
        } => (true, None, None, Some((object, source)), audit, warnings),
        Outcome::Reject { message, warnings } => (
            false,
            Some(message),
            Some(REJECT_CODE),
            None,
            Vec::new(),
            warnings,
        ),
    };
    let size = object.as_ref().map_or(0, |(_, source)| source.len()) + 16 * 1024;
    let mut out = Vec::with_capacity(size);
    out.extend_from_slice(if accepted {
        br#"{"accepted":true,"message":"#
    } else {
        br#"{"accepted":false,"message":"#
    });
    match message {
        Some(message) => json::write::write_str(&mut out, &message),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","code":"#);
    match code {
        Some(code) => out.extend_from_slice(code.to_string().as_bytes()),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","mutated_object":"#);
    match object {
        Some((object, source)) => json::write::write_value(&mut out, &object, Some(source)),
        None => out.extend_from_slice(b"null"),
    }
    out.extend_from_slice(br#","audit_annotations":"#);
    let pairs = audit.iter().map(|(k, v)| (k.as_str(), v.as_str()));
    write_list(&mut out, pairs, b'{', b'}', |out, (key, value)| {
        json::write::write_str(out, key);
        out.push(b':');
        json::write::write_str(out, value);
    });
    out.extend_from_slice(br#","warnings":"#);
    write_list(&mut out, warnings.iter(), b'[', b']', |out, w| {
        json::write::write_str(out, w)
    });
    out.push(b'}');
    Ok(out)
}

/// `items` between `open` and `close`, comma separated; `null` when there are none (as serde
/// writes a `None`, which an empty list becomes).
fn write_list<T>(
    out: &mut Vec<u8>,
    items: impl ExactSizeIterator<Item = T>,
    open: u8,
    close: u8,
    write: impl Fn(&mut Vec<u8>, T),
) {
    if items.len() == 0 {
        out.extend_from_slice(b"null");
        return;
    }
    out.push(open);
    for (i, item) in items.enumerate() {
        if i > 0 {
            out.push(b',');
        }
        write(out, item);
    }
    out.push(close);
}
