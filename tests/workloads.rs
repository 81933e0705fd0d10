//! Which objects and operations the policy looks at, and how templates are treated.

mod common;

use common::*;
use serde_json::{Value, json};

const KINDS: &[(&str, &str)] = &[
    ("deployment", "spec.template.spec"),
    ("replicaset", "spec.template.spec"),
    ("statefulset", "spec.template.spec"),
    ("daemonset", "spec.template.spec"),
    ("job", "spec.template.spec"),
    ("replicationcontroller", "spec.template.spec"),
    ("cronjob", "spec.jobTemplate.spec.template.spec"),
];

#[test]
fn templates_are_checked_but_not_mutated_by_default() {
    for (kind, _) in KINDS {
        let request = fixture(&format!("{kind}_create.json"));
        let warnings = accepted(run_default(&request));
        assert!(warnings.is_empty(), "{kind}: {warnings:?}");
    }
}

#[test]
fn templates_with_explicit_violations_are_rejected_with_the_template_path() {
    for (kind, spec_path) in KINDS {
        let request = fixture(&format!("{kind}_update_privileged.json"));
        for settings in [
            json!({}),
            json!({"mutateWorkloadTemplates": true}),
            json!({"mode": "validate"}),
        ] {
            let message = rejection(run(&request, settings.clone()));
            assert!(
                message.contains(&format!("- {spec_path}.hostPID: found true")),
                "{kind} {settings}: {message}"
            );
            assert!(
                message.contains(&format!(
                    "- {spec_path}.containers[0] (agent).securityContext.privileged: found true"
                )),
                "{kind} {settings}: {message}"
            );
        }
    }
}

#[test]
fn templates_are_mutated_when_asked() {
    for (kind, _) in KINDS {
        let request = fixture(&format!("{kind}_create.json"));
        let (object, warnings) = mutated(run(&request, json!({"mutateWorkloadTemplates": true})));
        let spec = pod_spec(&object);
        assert_eq!(
            spec["securityContext"]["runAsNonRoot"],
            json!(true),
            "{kind}"
        );
        assert_eq!(
            spec["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
            json!(true),
            "{kind}"
        );
        let mounts: Vec<&str> = spec["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["mountPath"].as_str().unwrap())
            .collect();
        // The template's own label picks the framework (python).
        assert_eq!(
            mounts,
            ["/tmp", "/data", "/home/nobody/.cache/pip"],
            "{kind}"
        );
        assert!(!warnings.is_empty());
        let ops = patch_ops(&request["object"], &object);
        assert!(ops.iter().all(|(op, _)| op == "add"), "{kind}: {ops:?}");
    }
}

#[test]
fn templates_missing_fields_are_violations_in_validate_mode() {
    let request = fixture("deployment_create.json");
    let message = rejection(run(&request, json!({"mode": "validate"})));
    assert!(
        message.contains(
            "- spec.template.spec.securityContext.runAsNonRoot: found nothing (unset), allowed true"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "- spec.template.spec.containers[0] (agent).volumeMounts: found no writable mount covering /tmp"
        ),
        "{message}"
    );
}

#[test]
fn compliant_workload_is_accepted_in_every_mode() {
    let request = fixture("deployment_compliant.json");
    for settings in [
        json!({}),
        json!({"mutateWorkloadTemplates": true}),
        json!({"mode": "validate"}),
    ] {
        accepted(run(&request, settings));
    }
}

#[test]
fn requests_that_cannot_change_a_pod_spec_pass_untouched() {
    for name in [
        "pod_update.json",
        "pod_delete.json",
        "pod_connect_exec.json",
        "configmap_create.json",
        "deployment_scale.json",
    ] {
        let request = fixture(name);
        for settings in [json!({}), json!({"mode": "validate"})] {
            let warnings = accepted(run(&request, settings));
            assert!(warnings.is_empty(), "{name}");
        }
    }
}

#[test]
fn delete_with_a_null_object_does_not_crash() {
    let request = fixture("pod_delete.json");
    assert_eq!(request["object"], Value::Null);
    accepted(run_default(&request));
    let mut deployment = fixture("deployment_create.json");
    deployment["operation"] = json!("DELETE");
    deployment["oldObject"] = deployment["object"].take();
    accepted(run_default(&deployment));
}

#[test]
fn new_ephemeral_containers_are_hardened_and_nothing_else_changes() {
    let request = fixture("pod_ephemeral_debug.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        patch_ops(&request["object"], &object),
        adds(&[
            "/spec/ephemeralContainers/1/securityContext",
            "/spec/ephemeralContainers/1/env"
        ])
    );
    assert_eq!(
        object["spec"]["ephemeralContainers"][1]["env"],
        json!([{"name": "HOME", "value": "/home/nobody"}])
    );
    assert_eq!(
        object["spec"]["ephemeralContainers"][1]["securityContext"],
        json!({"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
    );
    assert!(
        warnings.contains(&"agent-hardening added securityContext.readOnlyRootFilesystem: true to ephemeral debugger-k7x2p".to_string()),
        "{warnings:?}"
    );
    // The already-running debugger is not looked at again, even in validate mode.
    let message = rejection(run(&request, json!({"mode": "validate"})));
    assert!(!message.contains("ephemeralContainers[0]"), "{message}");
    assert!(
        message.contains(
            "spec.ephemeralContainers[1] (debugger-k7x2p).securityContext.readOnlyRootFilesystem: found nothing"
        ),
        "{message}"
    );
}

#[test]
fn privileged_ephemeral_container_is_rejected() {
    let message = rejection(run_default(&fixture("pod_ephemeral_privileged.json")));
    assert!(
        message.contains(
            "- spec.ephemeralContainers[1] (debugger-root).securityContext.privileged: found true"
        ),
        "{message}"
    );
    assert!(
        message.contains(
            "- spec.ephemeralContainers[1] (debugger-root).securityContext.runAsUser: found 0"
        ),
        "{message}"
    );
}

#[test]
fn ephemeral_containers_of_a_new_pod_are_hardened_without_mounts() {
    let mut request = fixture("pod_compliant.json");
    set(
        &mut request,
        "/spec/ephemeralContainers",
        json!([{"name": "debug", "image": "busybox"}]),
    );
    let (object, _) = mutated(run_default(&request));
    let debug = &object["spec"]["ephemeralContainers"][0];
    assert_eq!(
        debug["securityContext"]["readOnlyRootFilesystem"],
        json!(true)
    );
    assert!(debug.get("volumeMounts").is_none(), "{debug}");
}

/// Found by mutation testing: an UPDATE that keeps a compliant template is let through with no
/// warning at all (the "would have refused" warning is for non-compliant templates only).
#[test]
fn an_unchanged_compliant_template_gets_no_warning() {
    let create = fixture("deployment_compliant.json");
    let mut update = create.clone();
    update["operation"] = json!("UPDATE");
    update["oldObject"] = create["object"].clone();
    set(&mut update, "/spec/replicas", json!(3));
    let warnings = accepted(run_default(&update));
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// Found by mutation testing: a template set to null (a ReplicationController may omit it) is
/// nothing to check, not a malformed template.
#[test]
fn a_null_template_is_nothing_to_check() {
    let mut request = fixture("replicationcontroller_create.json");
    set(&mut request, "/spec/template", Value::Null);
    let warnings = accepted(run(&request, json!({"mutateWorkloadTemplates": true})));
    assert!(warnings.is_empty(), "{warnings:?}");
}

/// Found by mutation testing: subresources of a workload (status, scale) are not its template.
#[test]
fn workload_subresources_pass_untouched() {
    let mut request = fixture("deployment_update_privileged.json");
    rejection(run_default(&request));
    for sub in ["status", "scale"] {
        request["subResource"] = json!(sub);
        let warnings = accepted(run_default(&request));
        assert!(warnings.is_empty(), "{sub}: {warnings:?}");
    }
}
