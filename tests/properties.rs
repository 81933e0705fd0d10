//! The guarantees of SPEC §2 on every fixture and on many generated pods: idempotence,
//! soundness (output passes validate mode), preservation (no input field lost or changed),
//! additions-only patches, API-valid output, and no panic whatever the input.

mod common;

use std::collections::BTreeSet;

use common::generate::{self, Rng, SETTINGS, template_prefix};
use common::restricted::restricted_violations;
use common::*;
use serde_json::{Value, json};

/// The pod (or pod template) in `object`, as the plain "restricted" reading takes it.
fn pod_of(object: &Value) -> Value {
    let prefix = template_prefix(object);
    let template = object.pointer(prefix).unwrap_or(object);
    json!({"metadata": template["metadata"], "spec": template["spec"]})
}

/// Whether admitting `request` unchanged means its pod (or template) is restricted: a Pod
/// CREATE, or a workload CREATE when templates are mutated (otherwise a template only has to
/// hold nothing the pod's own admission would refuse). UPDATEs may keep what they had; debug
/// containers change one container of a running pod.
fn admission_implies_restricted(request: &Value, settings: &Value) -> bool {
    let creates = request["operation"] == "CREATE"
        && request["subResource"].is_null()
        && request["object"]["spec"].is_object();
    let templates_filled =
        settings["mutateWorkloadTemplates"] == true && settings["mode"] != "validate";
    // Kinds with a pod template by default (a Rollout only once `podTemplates` names it).
    let template_kind = [
        "Deployment",
        "ReplicaSet",
        "StatefulSet",
        "DaemonSet",
        "Job",
        "CronJob",
        "ReplicationController",
        "Sandbox",
        "SandboxTemplate",
    ]
    .iter()
    .any(|k| request["kind"]["kind"] == *k);
    // Exceptions loosen the profile on purpose, for the images they name.
    let excepted = settings.get("exceptions").is_some();
    creates
        && !excepted
        && (request["kind"]["kind"] == "Pod" || (templates_filled && template_kind))
}

/// Checks every guarantee for one request; returns whether it was mutated.
fn check_guarantees(name: &str, request: &Value, settings: &Value) -> bool {
    let mut validate = settings.clone();
    validate["mode"] = json!("validate");
    let object = match run(request, settings.clone()) {
        Outcome::Mutate { object, .. } => object,
        Outcome::Accept { .. } => {
            // Admitted as it is: it must already be restricted.
            if admission_implies_restricted(request, settings) {
                let problems = restricted_violations(&pod_of(&request["object"]));
                assert!(
                    problems.is_empty(),
                    "{name} {settings}: accepted but not restricted: {problems:?}"
                );
            }
            return false;
        }
        Outcome::Reject { message, .. } => {
            // A refusal says what, and validate mode refuses it too (it only adds reports).
            assert!(
                message.starts_with("agent pod hardening:") && message.contains(": found "),
                "{name} {settings}: unhelpful refusal {message}"
            );
            assert!(
                matches!(run(request, validate), Outcome::Reject { .. }),
                "{name} {settings}: refused in mutate mode, admitted in validate mode"
            );
            return false;
        }
    };
    assert_ne!(
        settings["mode"], "validate",
        "{name}: validate mode mutated"
    );
    let again = run(&with_object(request, object.clone()), settings.clone());
    assert!(
        matches!(again, Outcome::Accept { .. }),
        "{name} {settings}: not idempotent"
    );
    match run(&with_object(request, object.clone()), validate) {
        Outcome::Accept { .. } => {}
        Outcome::Reject { message, .. } => {
            panic!("{name} {settings}: output fails validate mode:\n{message}")
        }
        Outcome::Mutate { .. } => panic!("{name} {settings}: validate mode mutated"),
    }
    // Nothing but additions to the input — less the API token when the settings take it back.
    let before = without_api_token(&request["object"], settings);
    preserved(name, &before, &object);
    // Only additions; a `replace` only where the input held an explicit null (unset).
    let ops = patch_ops(&before, &object);
    let only_adds = ops.iter().all(|(op, path)| {
        op == "add" || (op == "replace" && before.pointer(path) == Some(&Value::Null))
    });
    assert!(only_adds, "{name} {settings}: {ops:?}");
    api_valid(name, &before, &object);
    if admission_implies_restricted(request, settings) {
        let problems = restricted_violations(&pod_of(&object));
        assert!(
            problems.is_empty(),
            "{name} {settings}: not restricted: {problems:?}"
        );
    }
    true
}

/// What `serviceAccountToken: default-off` (or `forbid`) may remove: the ServiceAccount
/// plugin's token volume and every mount of it. The input without them, for those settings.
fn without_api_token(object: &Value, settings: &Value) -> Value {
    let mut object = object.clone();
    if !matches!(
        settings["serviceAccountToken"].as_str(),
        Some("default-off" | "forbid")
    ) {
        return object;
    }
    let Some(spec) = object.pointer_mut("/spec").and_then(Value::as_object_mut) else {
        return object;
    };
    let token = |v: &Value| {
        v["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("kube-api-access-"))
            && v["projected"]["sources"]
                .as_array()
                .is_some_and(|s| s.iter().any(|s| s["serviceAccountToken"].is_object()))
    };
    let Some(name) = spec
        .get("volumes")
        .and_then(Value::as_array)
        .and_then(|v| v.iter().find(|v| token(v)))
        .map(|v| v["name"].clone())
    else {
        return object;
    };
    if let Some(volumes) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        let at = volumes.iter().position(token).unwrap();
        volumes.remove(at);
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec
            .get_mut(list)
            .and_then(Value::as_array_mut)
            .into_iter()
            .flatten()
        {
            if let Some(mounts) = c.get_mut("volumeMounts").and_then(Value::as_array_mut) {
                mounts.retain(|m| m["name"] != name);
            }
        }
    }
    object
}

/// The fields the policy fills in; an explicit null (unset, to the API server) of one of them
/// may become a value. Every other explicit null must survive as it is.
const FILLED_FIELDS: &[&str] = &[
    "securityContext",
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "seccompProfile",
    "type",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities",
    "drop",
    "volumeMounts",
    "volumes",
    "env",
    "sizeLimit",
];

/// Every leaf of the input is in the output, unchanged (explicit nulls of fields the
/// policy fills in may become values).
fn preserved(name: &str, before: &Value, after: &Value) {
    for (pointer, value) in leaves(before) {
        let key = pointer.rsplit('/').next().unwrap_or("");
        match after.pointer(&pointer) {
            Some(v) if *v == value => {}
            Some(v) if value.is_null() => {
                assert!(
                    FILLED_FIELDS.contains(&key),
                    "{name}: the null at {pointer} became {v}"
                );
                assert!(!v.is_null(), "{name}: {pointer}")
            }
            // An empty object or array may gain members (additions), never change type.
            Some(v) if value == json!({}) || value == json!([]) => assert!(
                v.is_object() == value.is_object() && v.is_array() == value.is_array(),
                "{name}: the empty {value} at {pointer} became {v}"
            ),
            other => panic!("{name}: {pointer} was {value}, is {other:?}"),
        }
    }
}

/// What the API server would check: unique volume names, unique mount paths per container,
/// every mount names a volume; and the pod spec is well typed. Returns the problems found.
fn api_problems(object: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let spec = pod_spec(object);
    let volumes: Vec<&str> = spec["volumes"]
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    let unique: BTreeSet<&&str> = volumes.iter().collect();
    if unique.len() != volumes.len() {
        problems.push(format!("duplicate volume names {volumes:?}"));
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec[list].as_array().into_iter().flatten() {
            let mut paths = BTreeSet::new();
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let path = m["mountPath"].as_str().unwrap_or("").trim_end_matches('/');
                if !paths.insert(path.to_string()) {
                    problems.push(format!("duplicate mount {m}"));
                }
                if !volumes.contains(&m["name"].as_str().unwrap_or("")) {
                    problems.push(format!("mount of a missing volume {m}"));
                }
            }
        }
    }
    if let Err(e) = serde_json::from_value::<k8s_openapi::api::core::v1::PodSpec>(spec.clone()) {
        problems.push(format!("not a valid PodSpec: {e}"));
    }
    problems
}

/// A valid input stays valid.
fn api_valid(name: &str, before: &Value, after: &Value) {
    if api_problems(before).is_empty() {
        let problems = api_problems(after);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

#[test]
fn guarantees_hold_on_every_fixture() {
    let mut mutated = 0;
    for (name, request) in all_fixtures() {
        for settings in SETTINGS {
            let settings: Value = serde_json::from_str(settings).unwrap();
            if check_guarantees(&name, &request, &settings) {
                mutated += 1;
            }
        }
    }
    // Guard against a vacuous pass: most fixtures mutate under some settings.
    assert!(mutated >= 40, "only {mutated} mutations checked");
}

#[test]
fn guarantees_hold_on_generated_requests_and_nothing_panics() {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let (mut mutated, mut refused, mut kinds) = (0, 0, std::collections::BTreeSet::new());
    let mut took_back = 0;
    for case in 0..4000 {
        let request = generate::request(&mut rng);
        let settings: Value = serde_json::from_str(rng.pick(SETTINGS)).unwrap();
        let result = std::panic::catch_unwind(|| {
            check_guarantees(&format!("case {case}"), &request, &settings)
        });
        match result {
            Ok(true) => {
                mutated += 1;
                // A mutation that took the API token back (checked against the input without it).
                if without_api_token(&request["object"], &settings) != request["object"] {
                    took_back += 1;
                }
                kinds.insert(request["kind"]["kind"].as_str().unwrap().to_string());
            }
            Ok(false) => {
                refused += matches!(run(&request, settings), Outcome::Reject { .. }) as usize
            }
            Err(_) => panic!("case {case} failed for request {request}"),
        }
    }
    println!(
        "{mutated} mutated ({took_back} taking the API token back), {refused} refused, mutated kinds {kinds:?}"
    );
    // Guard against a vacuous pass: many of each answer, mutations of pods and templates.
    assert!(
        mutated > 600,
        "only {mutated} generated requests were mutated"
    );
    assert!(
        refused > 1000,
        "only {refused} generated requests were refused"
    );
    assert!(kinds.len() >= 6, "mutations only of {kinds:?}");
    assert!(
        took_back > 30,
        "only {took_back} mutations took the API token back"
    );
}
