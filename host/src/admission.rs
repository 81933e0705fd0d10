//! kwctl's output: the AdmissionResponse built from the policy's ValidationResponse, with the
//! mutation turned into a base64 JSON Patch as the policy server computes it.

use base64::Engine;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// What the policy returns from `validate`.
#[derive(Deserialize)]
pub struct ValidationResponse {
    pub accepted: bool,
    pub message: Option<String>,
    pub code: Option<u16>,
    pub mutated_object: Option<Value>,
    pub audit_annotations: Option<serde_json::Map<String, Value>>,
    pub warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionResponse {
    pub uid: String,
    pub allowed: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch_type: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub patch: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub audit_annotations: Option<serde_json::Map<String, Value>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct Status {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
}

impl AdmissionResponse {
    pub fn from_policy(uid: &str, original: &Value, response: ValidationResponse) -> Self {
        let patch = response.mutated_object.map(|mutated| {
            let patch = json_patch::diff(original, &mutated);
            let json = serde_json::to_vec(&patch).unwrap_or_default();
            base64::engine::general_purpose::STANDARD.encode(json)
        });
        let status = (response.message.is_some() || response.code.is_some()).then_some(Status {
            message: response.message,
            code: response.code,
        });
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: response.accepted,
            patch_type: patch.as_ref().map(|_| "JSONPatch".to_string()),
            patch,
            status,
            audit_annotations: response.audit_annotations,
            warnings: response.warnings,
        }
    }

    /// How the policy server answers when the policy itself fails (a trap, a guest error).
    pub fn internal_error(uid: &str, error: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: false,
            patch_type: None,
            patch: None,
            status: Some(Status {
                message: Some(format!("internal error: the policy failed: {error}")),
                code: Some(500),
            }),
            audit_annotations: None,
            warnings: None,
        }
    }
}
