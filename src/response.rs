//! Turning an evaluation's outcome into Kubewarden's ValidationResponse.

use std::collections::HashMap;

use kubewarden_policy_sdk::response::ValidationResponse;
use serde::Serialize;
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

/// The fields of `ValidationResponse` after `mutated_object`, for writing a mutation by hand.
#[derive(Serialize)]
struct Tail {
    audit_annotations: Option<HashMap<String, String>>,
    warnings: Option<Vec<String>>,
}

/// The answer's bytes: those `serde_json::to_vec(&to_response(outcome))` gives (a test compares
/// them), with the mutated object written by `json_out` instead of serde's serializer.
pub fn to_bytes(outcome: Outcome) -> wapc_guest::CallResult {
    match outcome {
        Outcome::Mutate {
            object,
            warnings,
            audit,
        } => {
            let tail = serde_json::to_vec(&Tail {
                audit_annotations: annotations(audit),
                warnings: if warnings.is_empty() {
                    None
                } else {
                    Some(warnings)
                },
            })?;
            let mut out = Vec::with_capacity(MUTATED_HEAD.len() + 16 * 1024 + tail.len());
            out.extend_from_slice(MUTATED_HEAD);
            json_out::write_value(&mut out, &object);
            // `tail` is `{"audit_annotations":…}`: its fields continue the response's object.
            out.push(b',');
            out.extend_from_slice(tail.get(1..).unwrap_or_default());
            Ok(out)
        }
        other => Ok(serde_json::to_vec(&to_response(other))?),
    }
}

/// `ValidationResponse`'s fields before the object, as serde writes them for a mutation.
const MUTATED_HEAD: &[u8] = br#"{"accepted":true,"message":null,"code":null,"mutated_object":"#;
