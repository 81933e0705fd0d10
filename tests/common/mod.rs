//! Helpers shared by the policy's native tests: load fixtures, evaluate, read outcomes.
#![allow(dead_code)]

pub mod generate;
pub mod restricted;

use std::path::PathBuf;

use agent_hardening_policy::response;
use agent_hardening_policy::validate::evaluate;
use serde_json::{Value, json};

/// Where the ServiceAccount admission plugin mounts the API token in every pod it admits
/// (before the webhooks see it), read-only.
pub const SA_MOUNT: &str = "/var/run/secrets/kubernetes.io/serviceaccount";

pub fn test_data_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("test_data")
}

/// A fixture: the `request` object of an AdmissionReview.
pub fn fixture(name: &str) -> Value {
    let path = test_data_dir().join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// Every request fixture (including the per-rule ones under `rules/`), by relative name.
pub fn all_fixtures() -> Vec<(String, Value)> {
    let mut names = Vec::new();
    for dir in ["", "rules"] {
        for entry in std::fs::read_dir(test_data_dir().join(dir)).unwrap() {
            let name = entry.unwrap().file_name().to_string_lossy().into_owned();
            if name.ends_with(".json") && name != "index.json" {
                names.push(if dir.is_empty() {
                    name
                } else {
                    format!("{dir}/{name}")
                });
            }
        }
    }
    names.sort();
    names
        .into_iter()
        .map(|n| {
            let v = fixture(&n);
            (n, v)
        })
        .collect()
}

/// The policy's outcome, owned, with a mutated object as the answer's bytes carry it.
#[derive(Debug)]
pub enum Outcome {
    Accept {
        warnings: Vec<String>,
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

pub fn run(request: &Value, settings: Value) -> Outcome {
    let payload = serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap();
    owned(evaluate(&payload))
}

/// The policy's outcome, owned; a mutated object is read back from the answer's bytes
/// (`response::to_bytes`: the request's own text where nothing changed), after checking them.
pub fn owned(outcome: response::Outcome<'_>) -> Outcome {
    let copy = || match &outcome {
        response::Outcome::Accept { warnings, audit } => response::Outcome::Accept {
            warnings: warnings.clone(),
            audit: audit.clone(),
        },
        response::Outcome::Reject { message, warnings } => response::Outcome::Reject {
            message: message.clone(),
            warnings: warnings.clone(),
        },
        response::Outcome::Mutate {
            object,
            source,
            warnings,
            audit,
        } => response::Outcome::Mutate {
            object: object.clone(),
            source,
            warnings: warnings.clone(),
            audit: audit.clone(),
        },
    };
    same_answer_bytes(copy);
    let answer: Value = serde_json::from_slice(&response::to_bytes(copy()).unwrap()).unwrap();
    match outcome {
        response::Outcome::Accept { warnings, audit } => Outcome::Accept { warnings, audit },
        response::Outcome::Reject { message, warnings } => Outcome::Reject { message, warnings },
        response::Outcome::Mutate {
            warnings, audit, ..
        } => Outcome::Mutate {
            object: answer["mutated_object"].clone(),
            warnings,
            audit,
        },
    }
}

/// An answer, written by hand (`response::to_bytes`), is byte for byte what serde_json writes
/// for the SDK's `ValidationResponse`, the object included. The requests are written by
/// serde_json, so the text copied from them is too.
fn same_answer_bytes<'s>(copy: impl Fn() -> response::Outcome<'s>) {
    let written = String::from_utf8(response::to_bytes(copy()).unwrap()).unwrap();
    let mut response = response::response_without_object(copy());
    if let response::Outcome::Mutate { object, .. } = copy() {
        response.mutated_object = Some(serde(&object));
    }
    let serde = String::from_utf8(serde_json::to_vec(&response).unwrap()).unwrap();
    assert_eq!(written, serde);
}

/// The policy's JSON tree as serde_json's, value for value.
pub fn serde(tree: &agent_hardening_policy::json::Value) -> Value {
    use agent_hardening_policy::json::Value as Tree;
    match tree {
        Tree::Null => Value::Null,
        Tree::Bool(b) => Value::Bool(*b),
        Tree::Number(n) => Value::Number(n.clone()),
        Tree::String(s) => Value::String(s.to_string()),
        Tree::Array(items) => Value::Array(items.iter().map(serde).collect()),
        Tree::Object(map) => {
            Value::Object(map.iter().map(|(k, v)| (k.to_string(), serde(v))).collect())
        }
    }
}

pub fn run_default(request: &Value) -> Outcome {
    run(request, json!({}))
}

/// The mutated object, or a panic saying what came instead.
pub fn mutated(outcome: Outcome) -> (Value, Vec<String>) {
    match outcome {
        Outcome::Mutate {
            object, warnings, ..
        } => (object, warnings),
        Outcome::Accept { .. } => panic!("expected a mutation, got an acceptance"),
        Outcome::Reject { message, .. } => {
            panic!("expected a mutation, got a rejection:\n{message}")
        }
    }
}

pub fn rejection(outcome: Outcome) -> String {
    match outcome {
        Outcome::Reject { message, .. } => message,
        Outcome::Accept { .. } => panic!("expected a rejection, got an acceptance"),
        Outcome::Mutate { object, .. } => {
            panic!("expected a rejection, got a mutation to {object}")
        }
    }
}

/// Accepted without any change; returns the warnings.
pub fn accepted(outcome: Outcome) -> Vec<String> {
    match outcome {
        Outcome::Accept { warnings, .. } => warnings,
        Outcome::Mutate { object, .. } => {
            panic!("expected an acceptance, got a mutation to {object}")
        }
        Outcome::Reject { message, .. } => {
            panic!("expected an acceptance, got a rejection:\n{message}")
        }
    }
}

/// The JSON Patch from `before` to `after`, as the policy server computes it, as
/// sorted `(op, path)` pairs.
pub fn patch_ops(before: &Value, after: &Value) -> Vec<(String, String)> {
    let patch = serde_json::to_value(json_patch::diff(before, after)).unwrap();
    let mut ops: Vec<(String, String)> = patch
        .as_array()
        .unwrap()
        .iter()
        .map(|op| {
            (
                op["op"].as_str().unwrap().to_string(),
                op["path"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    ops.sort();
    ops
}

pub fn adds(paths: &[&str]) -> Vec<(String, String)> {
    let mut ops: Vec<(String, String)> = paths
        .iter()
        .map(|p| ("add".to_string(), p.to_string()))
        .collect();
    ops.sort();
    ops
}

/// Every leaf of `value` (scalars, empty arrays and objects) with its JSON pointer.
pub fn leaves(value: &Value) -> Vec<(String, Value)> {
    fn walk(v: &Value, at: String, out: &mut Vec<(String, Value)>) {
        match v {
            Value::Object(m) if !m.is_empty() => {
                for (k, child) in m {
                    walk(
                        child,
                        format!("{at}/{}", k.replace('~', "~0").replace('/', "~1")),
                        out,
                    );
                }
            }
            Value::Array(a) if !a.is_empty() => {
                for (i, child) in a.iter().enumerate() {
                    walk(child, format!("{at}/{i}"), out);
                }
            }
            _ => out.push((at, v.clone())),
        }
    }
    let mut out = Vec::new();
    walk(value, String::new(), &mut out);
    out
}

/// The request with its object replaced.
pub fn with_object(request: &Value, object: Value) -> Value {
    let mut r = request.clone();
    r["object"] = object;
    r
}

/// Sets `pointer` in the request's object to `value`, creating parent objects.
pub fn set(request: &mut Value, pointer: &str, value: Value) {
    let mut node = &mut request["object"];
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        let last = i == parts.len() - 1;
        if let Ok(index) = part.parse::<usize>()
            && node.is_array()
        {
            if last {
                node[index] = value;
                return;
            }
            node = &mut node[index];
        } else {
            if node.is_null() {
                *node = json!({});
            }
            if last {
                node[*part] = value;
                return;
            }
            node = &mut node[*part];
        }
    }
}

/// Removes `pointer` from the request's object.
pub fn remove(request: &mut Value, pointer: &str) {
    let (parent, key) = pointer.rsplit_once('/').unwrap();
    let parent = request["object"].pointer_mut(parent).unwrap();
    match parent {
        Value::Object(m) => {
            m.remove(key);
        }
        Value::Array(a) => {
            a.remove(key.parse::<usize>().unwrap());
        }
        _ => panic!("{pointer} has no parent"),
    }
}

/// The pod spec of a pod or workload object.
pub fn pod_spec(object: &Value) -> &Value {
    for pointer in [
        "/spec/jobTemplate/spec/template/spec",
        "/spec/template/spec",
        "/spec/podTemplate/spec",
        "/spec",
    ] {
        if let Some(spec) = object.pointer(pointer)
            && spec.get("containers").is_some()
        {
            return spec;
        }
    }
    object
        .pointer("/spec")
        .unwrap_or_else(|| panic!("no pod spec in {object}"))
}

/// Appends `value` to the array at `pointer` in the request's object.
pub fn push(request: &mut Value, pointer: &str, value: Value) {
    request["object"]
        .pointer_mut(pointer)
        .and_then(Value::as_array_mut)
        .unwrap_or_else(|| panic!("no array at {pointer}"))
        .push(value);
}

/// The mount paths of the container at `pointer` (e.g. `/spec/containers/0`) in `object`.
pub fn mount_paths(object: &Value, pointer: &str) -> Vec<String> {
    object
        .pointer(&format!("{pointer}/volumeMounts"))
        .and_then(Value::as_array)
        .map(|list| {
            list.iter()
                .map(|m| m["mountPath"].as_str().unwrap().to_string())
                .collect()
        })
        .unwrap_or_default()
}
