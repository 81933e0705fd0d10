//! Issue 8, never in the way: what a controller or a person must still be able to do, and
//! pods that must not be given something the API server or the runtime refuses.

mod common;

use common::*;
use serde_json::{Value, json};

const TEMPLATES: &[(&str, &str)] = &[
    ("deployment_update_unchanged.json", "/spec/template"),
    ("replicaset_update_unchanged.json", "/spec/template"),
    (
        "cronjob_suspend_unchanged.json",
        "/spec/jobTemplate/spec/template",
    ),
];

#[test]
fn workload_updates_that_keep_the_template_are_let_through_with_a_warning() {
    for (name, _) in TEMPLATES {
        let request = fixture(name);
        for settings in [
            json!({}),
            json!({"mode": "validate"}),
            json!({"mutateWorkloadTemplates": true}),
        ] {
            let warnings = accepted(run(&request, settings.clone()));
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains("the pod template is not compliant (")
                        && w.contains("hostPID: found true")
                        && w.contains("this update does not change it")),
                "{name} {settings}: {warnings:?}"
            );
        }
    }
}

#[test]
fn a_changed_template_is_judged_as_new() {
    for (name, template) in TEMPLATES {
        let mut request = fixture(name);
        let pointer = format!("{template}/metadata/annotations");
        set(
            &mut request,
            &pointer,
            json!({"kubectl.kubernetes.io/restartedAt": "2026-11-29T10:00:00Z"}),
        );
        let message = rejection(run_default(&request));
        assert!(
            message.contains("securityContext.privileged: found true"),
            "{name}: {message}"
        );
    }
    // The template compares as JSON, not as text: key order does not matter.
    let mut request = fixture("deployment_update_unchanged.json");
    let template = request["oldObject"]["spec"]["template"].clone();
    let reordered: serde_json::Map<String, Value> = template
        .as_object()
        .unwrap()
        .iter()
        .rev()
        .map(|(k, v)| (k.clone(), v.clone()))
        .collect();
    request["object"]["spec"]["template"] = Value::Object(reordered);
    accepted(run_default(&request));
    // Without an old object (a malformed UPDATE), the template is judged.
    let mut no_old = fixture("deployment_update_unchanged.json");
    no_old["oldObject"] = Value::Null;
    rejection(run_default(&no_old));
}

#[test]
fn objects_being_deleted_are_never_blocked() {
    let request = fixture("deployment_update_deleting.json");
    for settings in [
        json!({}),
        json!({"mode": "validate"}),
        json!({"mutateWorkloadTemplates": true}),
    ] {
        assert!(accepted(run(&request, settings)).is_empty());
    }
    // The same change without the deletion timestamp is judged.
    let mut alive = request.clone();
    alive["object"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("deletionTimestamp");
    rejection(run_default(&alive));
}

#[test]
fn a_job_template_is_never_patched_on_update() {
    let request = fixture("job_update_template_changed.json");
    let settings = json!({"mutateWorkloadTemplates": true});
    accepted(run(&request, settings.clone()));
    // At CREATE the same Job is mutated.
    let mut create = request.clone();
    create["operation"] = json!("CREATE");
    create["oldObject"] = Value::Null;
    mutated(run(&create, settings));
    // Explicit violations in a changed Job template are still refused.
    let mut bad = request.clone();
    set(&mut bad, "/spec/template/spec/hostNetwork", json!(true));
    rejection(run(&bad, json!({"mutateWorkloadTemplates": true})));
}

#[test]
fn block_devices_occupy_their_path() {
    let request = fixture("pod_block_device_at_data.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp"]
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("agent mounts a block device at /data, so it stays read-only")),
        "{warnings:?}"
    );
    // A device below a required path does not stop the mount above it.
    let mut below = request.clone();
    set(
        &mut below,
        "/spec/containers/0/volumeDevices/0/devicePath",
        json!("/dev/xvdb"),
    );
    let (object, _) = mutated(run_default(&below));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data"]
    );
}

#[test]
fn nothing_is_injected_inside_a_read_only_mount() {
    let request = fixture("pod_configmap_at_data_node.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/data", SA_MOUNT, "/tmp", "/home/nobody/.npm"]
    );
    assert!(
        warnings.iter().any(|w| w.contains("agent mounts a read-only volume at /data, so /data/node_modules inside it stays read-only")),
        "{warnings:?}"
    );
    // A writable mount nested below the read-only one is the nearest: it covers.
    let mut nested = request.clone();
    push(
        &mut nested,
        "/spec/containers/0/volumeMounts",
        json!({"name": "modules", "mountPath": "/data/node_modules/"}),
    );
    push(
        &mut nested,
        "/spec/volumes",
        json!({"name": "modules", "emptyDir": {"sizeLimit": "1Gi"}}),
    );
    let (object, warnings) = mutated(run_default(&nested));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [
            "/data",
            SA_MOUNT,
            "/data/node_modules/",
            "/tmp",
            "/home/nobody/.npm"
        ]
    );
    assert!(
        !warnings.iter().any(|w| w.contains("node_modules")),
        "{warnings:?}"
    );
    // A read-only mount nested in a writable one hides the required path below it.
    let mut hidden = fixture("pod_writable_ancestor.json");
    push(
        &mut hidden,
        "/spec/containers/0/volumeMounts",
        json!({"name": "settings", "mountPath": "/data/node_modules"}),
    );
    push(
        &mut hidden,
        "/spec/volumes",
        json!({"name": "settings", "secret": {"secretName": "s"}}),
    );
    let (_, warnings) = mutated(run_default(&hidden));
    assert!(
        warnings.iter().any(|w| w
            .contains("mounts a read-only volume at /data/node_modules, so it stays read-only")),
        "{warnings:?}"
    );
}

#[test]
fn statefulset_claims_are_writable_volumes() {
    let request = fixture("statefulset_claim_at_data.json");
    let (object, _) = mutated(run(&request, json!({"mutateWorkloadTemplates": true})));
    // The claim at /data covers /data/node_modules: no second mount, and no volume named
    // like the claim is added.
    assert_eq!(
        mount_paths(&object, "/spec/template/spec/containers/0"),
        ["/data", "/tmp", "/home/nobody/.npm"]
    );
    let names: Vec<&str> = object["spec"]["template"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["writable-tmp", "writable-home-nobody-npm"]);
    let message = rejection(run_default(&fixture("statefulset_claim_at_var_log.json")));
    assert!(
        message.contains("- spec.template.spec.containers[0] (agent).volumeMounts[2].mountPath: found \"/var/log\", allowed no writable mount at, under or above /var/log"),
        "{message}"
    );
}

#[test]
fn check_only_templates_refuse_what_no_pod_could_be_given() {
    let request = fixture("deployment_create.json");
    let settings = json!({"allowedSeccompProfiles": ["Localhost"]});
    let message = rejection(run(&request, settings));
    assert!(
        message.contains("- spec.template.spec.securityContext.seccompProfile.type: found nothing (unset), allowed Localhost"),
        "{message}"
    );
    // What a pod would be given at CREATE is still not asked of the template.
    accepted(run_default(&request));
}

#[test]
fn windows_pods_are_refused_with_how_to_exclude_them() {
    let request = fixture("pod_windows.json");
    for settings in [json!({}), json!({"mode": "validate"})] {
        let message = rejection(run(&request, settings));
        assert!(
            message.starts_with("agent pod hardening: 1 problem found\n- spec.os.name: found \"windows\", allowed linux or unset: this policy hardens Linux pods only"),
            "{message}"
        );
        assert!(
            message.contains("namespaceSelector or objectSelector"),
            "{message}"
        );
    }
    let mut linux = request.clone();
    set(&mut linux, "/spec/os", json!({"name": "linux"}));
    mutated(run_default(&linux));
    let mut deployment = fixture("deployment_create.json");
    set(
        &mut deployment,
        "/spec/template/spec/os",
        json!({"name": "windows"}),
    );
    let message = rejection(run_default(&deployment));
    assert!(
        message.contains("- spec.template.spec.os.name: found \"windows\""),
        "{message}"
    );
}

#[test]
fn image_volumes_are_allowed_and_read_only() {
    let warnings = accepted(run_default(&fixture("pod_image_volume.json")));
    assert!(warnings.is_empty(), "{warnings:?}");
    // Not writable: an image volume at /tmp does not cover /tmp.
    let mut at_tmp = fixture("pod_image_volume.json");
    set(
        &mut at_tmp,
        "/spec/containers/0/volumeMounts/0/name",
        json!("model"),
    );
    let warnings = accepted(run_default(&at_tmp));
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("sets TMPDIR=/tmp, which no writable mount covers")),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("mounts a read-only volume at /tmp")),
        "{warnings:?}"
    );
}

#[test]
fn an_empty_framework_label_is_no_label() {
    let (object, _) = mutated(run_default(&fixture("pod_empty_framework_label.json")));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data"]
    );
    let (object, _) = mutated(run(
        &fixture("pod_empty_framework_label.json"),
        json!({"defaultFramework": "python"}),
    ));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data", "/home/nobody/.cache/pip"]
    );
}

#[test]
fn a_replicaset_owned_by_a_deployment_is_never_patched() {
    let mut request = fixture("replicaset_create.json");
    request["object"]["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "agent-deployment",
        "uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "controller": true, "blockOwnerDeletion": true
    }]);
    let settings = json!({"mutateWorkloadTemplates": true});
    // Checked, not patched: the Deployment must still recognise its ReplicaSet.
    assert!(accepted(run(&request, settings.clone())).is_empty());
    let mut bad = request.clone();
    set(&mut bad, "/spec/template/spec/hostPID", json!(true));
    rejection(run(&bad, settings.clone()));
    // A ReplicaSet of its own (no controller) is mutated as any workload.
    let mut own = request.clone();
    own["object"]["metadata"]["ownerReferences"][0]["controller"] = json!(false);
    mutated(run(&own, settings));
}

/// Found by mutation testing: a framework label that is not a string refuses a new pod, but
/// never a debug container for a pod already running (the pod's labels are not the debugger's
/// to fix).
#[test]
fn a_malformed_framework_label_refuses_new_pods_not_debug_containers() {
    let mut pod = fixture("pod_minimal.json");
    set(&mut pod, "/metadata/labels/agent.framework", json!(5));
    let message = rejection(run_default(&pod));
    assert!(
        message.contains("metadata.labels[agent.framework]: found 5, allowed a string"),
        "{message}"
    );
    let mut debug = fixture("pod_ephemeral_debug.json");
    set(&mut debug, "/metadata/labels/agent.framework", json!(5));
    let (object, _) = mutated(run_default(&debug));
    assert_eq!(
        object["spec"]["ephemeralContainers"][1]["securityContext"]["readOnlyRootFilesystem"],
        json!(true)
    );
}
