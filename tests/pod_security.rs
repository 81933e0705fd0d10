//! SPEC §1: every pod the policy admits, after its patch, passes the Pod Security Standards
//! "restricted" level. Checked against a separate, deliberately plain reading of the
//! standard (not the policy's own validate mode) on every fixture and on generated pods.

mod common;

use common::restricted::restricted_violations;
use common::*;
use serde_json::{Value, json};

/// The pod admitted for a Pod CREATE request, if it was admitted.
fn admitted_pod(request: &Value, settings: Value) -> Option<Value> {
    if request["kind"]["kind"] != "Pod" || request["operation"] != "CREATE" {
        return None;
    }
    match run(request, settings) {
        Outcome::Accept { .. } => Some(request["object"].clone()),
        Outcome::Mutate { object, .. } => Some(object),
        Outcome::Reject { .. } => None,
    }
}

#[test]
fn the_plain_reading_catches_what_it_should() {
    let bare = fixture("pod_minimal.json")["object"].clone();
    assert!(
        restricted_violations(&bare).len() >= 3,
        "a bare pod is not restricted"
    );
    let every = fixture("pod_every_violation.json")["object"].clone();
    assert!(restricted_violations(&every).len() >= 15);
    assert_eq!(
        restricted_violations(&fixture("pod_compliant.json")["object"]),
        Vec::<String>::new()
    );
}

#[test]
fn every_admitted_fixture_pod_passes_restricted() {
    let mut admitted = 0;
    for (name, request) in all_fixtures() {
        for settings in [
            json!({}),
            json!({"allowedCapabilities": ["NET_BIND_SERVICE"], "allowedSeccompProfiles": ["Localhost", "RuntimeDefault"]}),
        ] {
            if let Some(pod) = admitted_pod(&request, settings) {
                let problems = restricted_violations(&pod);
                assert!(problems.is_empty(), "{name}: {problems:?}");
                admitted += 1;
            }
        }
    }
    assert!(admitted >= 30, "only {admitted} admitted pods checked");
}

#[test]
fn mutated_templates_pass_restricted() {
    for (name, request) in all_fixtures() {
        if request["kind"]["kind"] == "Pod" || request["object"].is_null() {
            continue;
        }
        if let Outcome::Mutate { object, .. } =
            run(&request, json!({"mutateWorkloadTemplates": true}))
        {
            let template = object
                .pointer("/spec/template")
                .or(object.pointer("/spec/jobTemplate/spec/template"))
                .or(object.pointer("/spec/podTemplate"))
                .unwrap_or_else(|| panic!("{name}: no template"));
            let problems = restricted_violations(template);
            assert!(problems.is_empty(), "{name}: {problems:?}");
        }
    }
}

#[test]
fn pods_with_single_weak_fields_are_never_admitted_weak() {
    // Each field set to a value "restricted" forbids, with the verdict it must get: refused
    // (an explicit weak value), or admitted (filled in, or harmless) in a form that passes.
    let refused = true;
    let weak: &[(&str, Value, bool)] = &[
        (
            "/spec/containers/0/securityContext/capabilities/add",
            json!(["NET_RAW"]),
            refused,
        ),
        // ALL is appended to the user's own drops.
        (
            "/spec/containers/0/securityContext/capabilities/drop",
            json!(["all"]),
            !refused,
        ),
        (
            "/spec/containers/0/securityContext/capabilities/drop",
            json!(["CAP_ALL"]),
            !refused,
        ),
        (
            "/spec/containers/0/securityContext/seccompProfile",
            json!({"type": "Unconfined"}),
            refused,
        ),
        (
            "/spec/securityContext/seccompProfile",
            json!({"type": "Localhost"}),
            refused,
        ),
        // An explicit null is unset: filled in.
        ("/spec/securityContext/runAsNonRoot", Value::Null, !refused),
        (
            "/spec/volumes/0",
            json!({"name": "tmp", "gitRepo": {"repository": "https://example.com/agent.git"}}),
            refused,
        ),
        (
            "/spec/containers/0/securityContext/allowPrivilegeEscalation",
            Value::Null,
            !refused,
        ),
        // An empty SELinux type is the runtime's default.
        (
            "/spec/securityContext/seLinuxOptions",
            json!({"type": ""}),
            !refused,
        ),
        (
            "/spec/containers/0/securityContext/runAsUser",
            json!(0),
            refused,
        ),
    ];
    for (pointer, value, must_refuse) in weak {
        let mut request = fixture("pod_compliant.json");
        set(&mut request, pointer, value.clone());
        match admitted_pod(&request, json!({})) {
            Some(pod) => {
                assert!(!must_refuse, "{pointer}={value}: admitted");
                let problems = restricted_violations(&pod);
                assert!(problems.is_empty(), "{pointer}={value}: {problems:?}");
            }
            None => assert!(*must_refuse, "{pointer}={value}: refused"),
        }
    }
}
