//! The request as kwctl hands it to a policy: the file is an AdmissionReview (its `request`
//! is taken) or a bare request; it is read into kwctl's typed `AdmissionRequest` (required
//! fields checked, unknown top-level fields dropped, `null` objects left out) and written
//! back out in that struct's field order. A policy therefore never sees a field kwctl drops.

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::engine::BoxError;

#[derive(Serialize, Deserialize)]
pub struct GroupVersionKind {
    pub group: String,
    pub version: String,
    pub kind: String,
}

#[derive(Serialize, Deserialize)]
pub struct GroupVersionResource {
    pub group: String,
    pub version: String,
    pub resource: String,
}

/// kwctl's AdmissionRequest: `uid`, `kind`, `resource`, `operation` and `userInfo` are
/// required; the rest is omitted when absent.
#[derive(Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmissionRequest {
    pub uid: String,
    pub kind: GroupVersionKind,
    pub resource: GroupVersionResource,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_kind: Option<GroupVersionKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_resource: Option<GroupVersionResource>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub request_sub_resource: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub namespace: Option<String>,
    pub operation: String,
    pub user_info: UserInfo,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub old_object: Option<Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub options: Option<Value>,
}

/// Kubernetes' UserInfo: every field optional.
#[derive(Serialize, Deserialize, Default)]
pub struct UserInfo {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub extra: Option<std::collections::BTreeMap<String, Vec<String>>>,
}

/// Reads the request file's JSON as kwctl does; returns the request as the policy sees it.
pub fn from_document(document: Value) -> Result<Value, BoxError> {
    if !document.is_object() {
        return Err("Invalid request object".into());
    }
    let request = if document.get("kind").and_then(Value::as_str) == Some("AdmissionReview") {
        document
            .get("request")
            .cloned()
            .ok_or("invalid AdmissionReview object")?
    } else {
        document
    };
    let typed: AdmissionRequest = serde_json::from_value(request)
        .map_err(|e| format!("cannot build AdmissionRequest object from given input: {e}"))?;
    Ok(serde_json::to_value(typed)?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn minimal() -> Value {
        json!({
            "uid": "1", "kind": {"group": "", "version": "v1", "kind": "Pod"},
            "resource": {"group": "", "version": "v1", "resource": "pods"},
            "operation": "CREATE", "userInfo": {}, "object": {"kind": "Pod"}
        })
    }

    #[test]
    fn unknown_fields_and_null_objects_are_dropped() {
        let mut r = minimal();
        r["x-extra"] = json!(1);
        r["oldObject"] = Value::Null;
        let seen = from_document(r).unwrap();
        assert!(seen.get("x-extra").is_none());
        assert!(seen.get("oldObject").is_none());
        assert_eq!(seen["object"], json!({"kind": "Pod"}));
    }

    #[test]
    fn an_admission_review_gives_its_request() {
        let review = json!({"kind": "AdmissionReview", "request": minimal()});
        assert_eq!(from_document(review).unwrap()["uid"], json!("1"));
        let empty = json!({"kind": "AdmissionReview"});
        assert_eq!(
            from_document(empty).unwrap_err().to_string(),
            "invalid AdmissionReview object"
        );
    }

    #[test]
    fn a_missing_required_field_is_named() {
        let mut r = minimal();
        r.as_object_mut().unwrap().remove("userInfo");
        let error = from_document(r).unwrap_err().to_string();
        assert_eq!(
            error,
            "cannot build AdmissionRequest object from given input: missing field `userInfo`"
        );
        assert!(from_document(json!([1])).is_err());
    }
}
