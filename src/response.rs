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
        object: Value,
        /// The text `object` was read from (`json::parse` with spans), or any text for an
        /// object built otherwise.
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

/// The response without the mutated object, which `to_bytes` writes: an acceptance's response
/// for a mutation.
pub fn to_response(outcome: Outcome<'_>) -> ValidationResponse {
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

/// The answer's bytes: those `serde_json::to_vec(&to_response(outcome))` gives (a test compares
/// them), with a mutated object written by `json::write` in the place serde leaves for it when
/// the response is written without it; what no rule touched is copied from the request.
pub fn to_bytes(outcome: Outcome<'_>) -> wapc_guest::CallResult {
    let (outcome, object) = match outcome {
        Outcome::Mutate {
            object,
            source,
            warnings,
            audit,
        } => (Outcome::Accept { warnings, audit }, Some((object, source))),
        other => (other, None),
    };
    let bytes = serde_json::to_vec(&to_response(outcome))?;
    let Some((object, source)) = object else {
        return Ok(bytes);
    };
    // `accepted`, `message` and `code` come first and hold no text: the first match is the field.
    const EMPTY: &[u8] = br#""mutated_object":null"#;
    let Some(at) = bytes.windows(EMPTY.len()).position(|w| w == EMPTY) else {
        return Err("the response has no place for the mutated object".into());
    };
    let (head, tail) = bytes.split_at(at + EMPTY.len() - "null".len());
    let mut out = Vec::with_capacity(bytes.len() + source.len() + 16 * 1024);
    out.extend_from_slice(head);
    json::write::write_value(&mut out, &object, Some(source));
    out.extend_from_slice(tail.get("null".len()..).unwrap_or_default());
    Ok(out)
}
