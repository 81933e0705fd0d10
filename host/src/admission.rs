//! kwctl's output: the AdmissionResponse built from the policy's ValidationResponse, with the
//! mutation turned into a base64 JSON Patch as the policy server computes it, and the
//! deployment's `mode`, `mutating` and `message` applied as the policy server applies them.

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

/// kwctl prints `auditAnnotations` and `warnings` even when they are null.
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
    pub audit_annotations: Option<serde_json::Map<String, Value>>,
    pub warnings: Option<Vec<String>>,
}

#[derive(Serialize)]
pub struct Status {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub message: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub details: Option<Details>,
}

#[derive(Serialize)]
pub struct Details {
    pub causes: Vec<Cause>,
}

#[derive(Serialize)]
pub struct Cause {
    pub message: Option<String>,
}

/// How the policy is deployed: a ClusterAdmissionPolicy's `mode`, `mutating` and `message`.
/// kwctl run without a manifest: protect mode, mutations allowed, no custom message.
pub struct Deployment {
    pub name: String,
    pub monitor: bool,
    pub mutating: bool,
    pub message: Option<String>,
}

impl Default for Deployment {
    fn default() -> Self {
        Deployment {
            name: String::new(),
            monitor: false,
            mutating: true,
            message: None,
        }
    }
}

impl AdmissionResponse {
    /// `original` is the request's object (absent on DELETE).
    pub fn from_policy(uid: &str, original: Option<&Value>, response: ValidationResponse) -> Self {
        let mut answer = AdmissionResponse {
            uid: uid.to_string(),
            allowed: response.accepted,
            patch_type: None,
            patch: None,
            status: None,
            audit_annotations: response.audit_annotations,
            warnings: response.warnings,
        };
        if let Some(mutated) = response.mutated_object {
            let Some(original) = original else {
                answer.allowed = false;
                answer.warnings = None;
                answer.audit_annotations = None;
                answer.status = Some(Status::message(
                    "Incoming object is null, which happens only with DELETE operations, but the policy is attempting a mutation. This is not allowed",
                ));
                return answer;
            };
            let patch = json_patch::diff(original, &mutated);
            if !patch.0.is_empty() {
                let json = serde_json::to_vec(&patch).unwrap_or_default();
                answer.patch = Some(base64::engine::general_purpose::STANDARD.encode(json));
                answer.patch_type = Some("JSONPatch".to_string());
            }
        }
        if response.message.is_some() || response.code.is_some() {
            answer.status = Some(Status {
                message: response.message,
                code: response.code,
                details: None,
            });
        }
        answer
    }

    /// How the policy server answers when the policy itself fails (a trap, a guest error).
    pub fn internal_error(uid: &str, error: &str) -> Self {
        AdmissionResponse {
            uid: uid.to_string(),
            allowed: false,
            patch_type: None,
            patch: None,
            status: Some(Status {
                message: Some(format!("internal server error: {error}")),
                code: Some(500),
                details: None,
            }),
            audit_annotations: None,
            warnings: None,
        }
    }

    /// The deployment's constraints, in the policy server's order: monitor mode, then the
    /// ban on mutations, then the custom message of a rejection.
    pub fn deployed(mut self, deployment: &Deployment) -> Self {
        if deployment.monitor {
            self.allowed = true;
            self.patch = None;
            self.patch_type = None;
            self.status = None;
            return self;
        }
        if !deployment.mutating && self.patch.is_some() {
            self.allowed = false;
            self.patch = None;
            self.patch_type = None;
            self.status = Some(Status::message(&format!(
                "Request rejected by policy {}. The policy attempted to mutate the request, but it is currently configured to not allow mutations.",
                deployment.name
            )));
        }
        if let (false, Some(custom)) = (self.allowed, &deployment.message) {
            let status = self.status.get_or_insert_with(|| Status::message(""));
            let original = status.message.replace(custom.clone());
            status.details = Some(Details {
                causes: vec![Cause { message: original }],
            });
        }
        self
    }
}

impl Status {
    fn message(text: &str) -> Status {
        Status {
            message: Some(text.to_string()),
            code: None,
            details: None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mutation(object: Value) -> ValidationResponse {
        ValidationResponse {
            accepted: true,
            message: None,
            code: None,
            mutated_object: Some(object),
            audit_annotations: None,
            warnings: None,
        }
    }

    fn rejection() -> ValidationResponse {
        ValidationResponse {
            accepted: false,
            message: Some("no".into()),
            code: Some(400),
            mutated_object: None,
            audit_annotations: None,
            warnings: Some(vec!["w".into()]),
        }
    }

    fn as_json(r: AdmissionResponse) -> Value {
        serde_json::to_value(r).unwrap()
    }

    #[test]
    fn an_unchanged_object_sends_no_patch() {
        let object = json!({"spec": {"a": 1}});
        let r = as_json(AdmissionResponse::from_policy(
            "u",
            Some(&object),
            mutation(object.clone()),
        ));
        assert_eq!(
            r,
            json!({"uid": "u", "allowed": true, "auditAnnotations": null, "warnings": null})
        );
        let changed = json!({"spec": {"a": 1, "b": 2}});
        let r = as_json(AdmissionResponse::from_policy(
            "u",
            Some(&object),
            mutation(changed),
        ));
        assert_eq!(r["patchType"], json!("JSONPatch"));
    }

    #[test]
    fn a_mutation_of_no_object_is_refused() {
        let r = as_json(AdmissionResponse::from_policy(
            "u",
            None,
            mutation(json!({})),
        ));
        assert_eq!(r["allowed"], json!(false));
        assert!(
            r["status"]["message"]
                .as_str()
                .unwrap()
                .starts_with("Incoming object is null")
        );
        assert!(r.get("patch").is_none());
    }

    #[test]
    fn monitor_mode_admits_without_patch_or_status_and_keeps_warnings() {
        let monitor = Deployment {
            monitor: true,
            ..Deployment::default()
        };
        let r = as_json(AdmissionResponse::from_policy("u", None, rejection()).deployed(&monitor));
        assert_eq!(
            r,
            json!({"uid": "u", "allowed": true, "auditAnnotations": null, "warnings": ["w"]})
        );
        let object = json!({});
        let r = as_json(
            AdmissionResponse::from_policy("u", Some(&object), mutation(json!({"a": 1})))
                .deployed(&monitor),
        );
        assert_eq!(r["allowed"], json!(true));
        assert!(r.get("patch").is_none());
    }

    #[test]
    fn a_non_mutating_deployment_refuses_a_mutation_by_name() {
        let deployment = Deployment {
            name: "p".into(),
            mutating: false,
            ..Deployment::default()
        };
        let object = json!({});
        let r = as_json(
            AdmissionResponse::from_policy("u", Some(&object), mutation(json!({"a": 1})))
                .deployed(&deployment),
        );
        assert_eq!(r["allowed"], json!(false));
        assert!(r.get("patch").is_none());
        assert_eq!(
            r["status"],
            json!({"message": "Request rejected by policy p. The policy attempted to mutate the request, but it is currently configured to not allow mutations."})
        );
        // Nothing to change: accepted.
        let r = as_json(
            AdmissionResponse::from_policy("u", Some(&object), mutation(json!({})))
                .deployed(&deployment),
        );
        assert_eq!(r["allowed"], json!(true));
    }

    #[test]
    fn a_custom_message_replaces_a_rejections_and_keeps_it_as_cause() {
        let deployment = Deployment {
            message: Some("ask the platform team".into()),
            ..Deployment::default()
        };
        let r =
            as_json(AdmissionResponse::from_policy("u", None, rejection()).deployed(&deployment));
        assert_eq!(
            r["status"],
            json!({"message": "ask the platform team", "code": 400, "details": {"causes": [{"message": "no"}]}})
        );
    }
}
