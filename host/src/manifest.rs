//! Policies given as Kubernetes manifests, as `kwctl run` takes them when the policy argument
//! ends in `.yaml` or `.yml`: each AdmissionPolicy or ClusterAdmissionPolicy document gives
//! the module, its settings and how it is deployed (`mode`, `mutating`, `message`).

use serde::Deserialize;
use serde_json::Value;

use crate::admission::Deployment;
use crate::engine::BoxError;

pub struct PolicyManifest {
    pub module: String,
    pub settings: Value,
    pub deployment: Deployment,
}

/// Whether kwctl reads the policy argument as a manifest.
pub fn is_manifest(argument: &str) -> bool {
    argument.ends_with(".yaml") || argument.ends_with(".yml")
}

/// Every policy in the file, in order.
pub fn read(path: &str) -> Result<Vec<PolicyManifest>, BoxError> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
    let mut policies = Vec::new();
    for document in serde_yaml::Deserializer::from_str(&text) {
        let yaml = serde_yaml::Value::deserialize(document)
            .map_err(|e| format!("{path} is not YAML: {e}"))?;
        if yaml.is_null() {
            continue;
        }
        policies.push(policy(serde_json::to_value(yaml)?, path)?);
    }
    if policies.is_empty() {
        return Err(format!("{path} holds no policy").into());
    }
    Ok(policies)
}

fn policy(document: Value, path: &str) -> Result<PolicyManifest, BoxError> {
    let api = document.get("apiVersion").and_then(Value::as_str);
    if api != Some("policies.kubewarden.io/v1") {
        return Err(format!("{path}: apiVersion must be policies.kubewarden.io/v1").into());
    }
    let kind = document.get("kind").and_then(Value::as_str).unwrap_or("");
    if !matches!(kind, "AdmissionPolicy" | "ClusterAdmissionPolicy") {
        return Err(format!("{path}: kind {kind:?} is not run by kwhost (only AdmissionPolicy and ClusterAdmissionPolicy)").into());
    }
    let spec = document.get("spec").cloned().unwrap_or(Value::Null);
    let text = |key: &str| spec.get(key).and_then(Value::as_str).map(str::to_string);
    let module = text("module").ok_or_else(|| format!("{path}: spec.module is missing"))?;
    let name = document
        .pointer("/metadata/name")
        .and_then(Value::as_str)
        .unwrap_or("crd-without-name")
        .to_string();
    let settings = match spec.get("settings") {
        None | Some(Value::Null) => Value::Object(Default::default()),
        Some(s) => s.clone(),
    };
    Ok(PolicyManifest {
        module,
        settings,
        deployment: Deployment {
            name,
            monitor: text("mode").as_deref() == Some("monitor"),
            mutating: spec
                .get("mutating")
                .and_then(Value::as_bool)
                .unwrap_or(false),
            message: text("message"),
        },
    })
}
