//! The waPC `validate` payload: the admission request and the settings, read once.

use serde::Deserialize;
use serde_json::Value;

#[derive(Deserialize)]
pub struct Payload {
    pub request: AdmissionRequest,
    #[serde(default)]
    pub settings: Value,
}

/// The fields of Kubernetes' AdmissionRequest the policy uses; the object stays raw JSON so
/// that mutation keeps every field it does not know.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub sub_resource: String,
    pub operation: String,
    pub object: Value,
    pub old_object: Value,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}
