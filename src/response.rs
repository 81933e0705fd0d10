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

pub fn to_bytes(outcome: &Outcome) -> wapc_guest::CallResult {
    Ok(serde_json::to_vec(&Answer(outcome))?)
}

/// The ValidationResponse of an outcome, written without copying the object into one.
struct Answer<'o>(&'o Outcome);

impl serde::Serialize for Answer<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        let (accepted, message, code, object, audit, warnings) = match self.0 {
            Outcome::Accept { warnings, audit } => (true, None, None, None, Some(audit), warnings),
            Outcome::Mutate {
                object,
                warnings,
                audit,
            } => (true, None, None, Some(object), Some(audit), warnings),
            Outcome::Reject { message, warnings } => (
                false,
                Some(message),
                Some(REJECT_CODE),
                None,
                None,
                warnings,
            ),
        };
        let audit = audit.filter(|a| !a.is_empty()).map(|a| AuditMap(a));
        let warnings = Some(warnings).filter(|w| !w.is_empty());
        let mut s = serializer.serialize_struct("ValidationResponse", 6)?;
        s.serialize_field("accepted", &accepted)?;
        s.serialize_field("message", &message)?;
        s.serialize_field("code", &code)?;
        s.serialize_field("mutated_object", &object)?;
        s.serialize_field("audit_annotations", &audit)?;
        s.serialize_field("warnings", &warnings)?;
        s.end()
    }
}

/// Audit annotations as the JSON object the SDK writes.
struct AuditMap<'a>(&'a [(String, String)]);

impl serde::Serialize for AuditMap<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_map(self.0.iter().map(|(k, v)| (k, v)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// The answer written directly is the SDK's ValidationResponse, field for field.
    #[test]
    fn the_answer_is_the_sdks_validation_response() {
        let outcomes = || {
            vec![
                Outcome::Accept {
                    warnings: vec![],
                    audit: vec![],
                },
                Outcome::Accept {
                    warnings: vec!["w".into()],
                    audit: vec![("exceptions".into(), "x".into())],
                },
                Outcome::Mutate {
                    object: json!({"spec": {"a": [1, null, "x"]}}),
                    warnings: vec!["w".into()],
                    audit: vec![],
                },
                Outcome::Reject {
                    message: "no".into(),
                    warnings: vec![],
                },
            ]
        };
        for (ours, sdk) in outcomes().iter().zip(outcomes()) {
            let ours: Value = serde_json::from_slice(&to_bytes(ours).unwrap()).unwrap();
            assert_eq!(ours, serde_json::to_value(to_response(sdk)).unwrap());
        }
    }
}
