//! Turning an evaluation's outcome into Kubewarden's ValidationResponse.

use std::collections::HashMap;

use kubewarden_policy_sdk::response::ValidationResponse;
use serde_json::Value;

use crate::json_out;

/// The decision, decided elsewhere; this module only reports it.
pub enum Outcome {
    Accept {
        warnings: Vec<String>,
        /// Audit annotations (the exceptions used), as `(key, value)`.
        audit: Vec<(String, String)>,
    },
    Mutate {
        object: Value,
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

pub fn to_response(outcome: Outcome) -> ValidationResponse {
    let some = |w: Vec<String>| if w.is_empty() { None } else { Some(w) };
    match outcome {
        Outcome::Accept { warnings, audit } => ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: None,
            audit_annotations: annotations(audit),
            warnings: some(warnings),
        },
        Outcome::Mutate {
            object,
            warnings,
            audit,
        } => ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: Some(object),
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
/// them), with a mutated object written by `json_out` instead of serde's serializer, in the
/// place serde leaves for it when the response is written without it.
pub fn to_bytes(outcome: Outcome) -> wapc_guest::CallResult {
    let mut response = to_response(outcome);
    let object = response.mutated_object.take();
    let bytes = serde_json::to_vec(&response)?;
    let Some(object) = object else {
        return Ok(bytes);
    };
    // `accepted`, `message` and `code` come first and hold no text: the first match is the field.
    const EMPTY: &[u8] = br#""mutated_object":null"#;
    let Some(at) = bytes.windows(EMPTY.len()).position(|w| w == EMPTY) else {
        response.mutated_object = Some(object);
        return Ok(serde_json::to_vec(&response)?);
    };
    let (head, tail) = bytes.split_at(at + EMPTY.len() - "null".len());
    let mut out = Vec::with_capacity(bytes.len() + 16 * 1024);
    out.extend_from_slice(head);
    json_out::write_value(&mut out, &object);
    out.extend_from_slice(tail.get("null".len()..).unwrap_or_default());
    Ok(out)
}
