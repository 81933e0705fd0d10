//! Turning an evaluation's outcome into Kubewarden's ValidationResponse.

use std::collections::HashMap;

use kubewarden_policy_sdk::response::ValidationResponse;
use serde_json::Value;

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

pub fn to_bytes(outcome: Outcome) -> wapc_guest::CallResult {
    Ok(serde_json::to_vec(&to_response(outcome))?)
}
