//! Issue 8, the bypasses: every way found to slip past a rule, closed as a class.

mod common;

use common::*;
use serde_json::{Value, json};

/// The compliant pod with an emptyDir `logs` mounted at `path` by its container.
fn log_mount_at(path: &str) -> Value {
    let mut request = fixture("pod_var_log_spelled.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts/2/mountPath",
        json!(path),
    );
    request
}

#[test]
fn forbidden_paths_are_caught_however_they_are_spelled() {
    for path in [
        "/var/./log",
        "//var/log",
        "/var//log/",
        "/var/tmp/../log",
        "/../var/log",
        "var/log",
        "/var/log/.",
        "/var/log/./agent",
        "/var/.",
        "/usr/../var",
        "//",
    ] {
        let message = rejection(run_default(&log_mount_at(path)));
        assert!(
            message.contains("spec.containers[0] (agent).volumeMounts[2].mountPath: found"),
            "{path}: {message}"
        );
        assert!(
            message.contains("allowed no writable mount at, under or above /var/log"),
            "{path}: {message}"
        );
    }
    // The message shows what the user wrote and where the runtime mounts it.
    let message = rejection(run_default(&fixture("pod_var_log_backstep.json")));
    assert!(
        message.contains("found \"/var/tmp/../log\" (mounted at \"/var/log\")"),
        "{message}"
    );
    // Look-alikes that clean to other places stay allowed.
    for path in ["/var/logs", "/var/log..", "/var/.log", "/var/logs/./x/"] {
        accepted(run_default(&log_mount_at(path)));
    }
}

#[test]
fn a_spelled_mount_covers_the_required_path_it_cleans_to() {
    let request = fixture("pod_tmp_dot.json");
    let (object, _) = mutated(run_default(&request));
    // `/tmp/.` is /tmp: no second mount lands there.
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/tmp/.", SA_MOUNT, "/data"]
    );
    for spelled in ["/tmp/", "//tmp", "/./tmp", "/tmp//"] {
        let mut request = fixture("pod_tmp_dot.json");
        set(
            &mut request,
            "/spec/containers/0/volumeMounts/0/mountPath",
            json!(spelled),
        );
        let (object, _) = mutated(run_default(&request));
        assert_eq!(
            mount_paths(&object, "/spec/containers/0"),
            [spelled, SA_MOUNT, "/data"],
            "{spelled}"
        );
    }
    // A writable ancestor spelled oddly still covers: `/home/./nobody/` covers the pip cache.
    let mut request = fixture("pod_framework_python.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts",
        json!([{"name": "home", "mountPath": "/home/./nobody/"}]),
    );
    set(
        &mut request,
        "/spec/volumes",
        json!([{"name": "home", "emptyDir": {"sizeLimit": "2Gi"}}]),
    );
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/home/./nobody/", "/tmp", "/data"]
    );
}

#[test]
fn debug_containers_on_unhardened_pods_carry_the_pod_level_fields_themselves() {
    let request = fixture("pod_ephemeral_unhardened.json");
    let (object, warnings) = mutated(run_default(&request));
    let sc = &object["spec"]["ephemeralContainers"][0]["securityContext"];
    assert_eq!(
        sc,
        &json!({
            "readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false,
            "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": true, "runAsUser": 65534,
            "runAsGroup": 65534, "seccompProfile": {"type": "RuntimeDefault"}
        })
    );
    // Only the new container changed; the pod level is immutable here.
    assert_eq!(
        patch_ops(&request["object"], &object),
        adds(&[
            "/spec/ephemeralContainers/0/securityContext",
            "/spec/ephemeralContainers/0/env"
        ])
    );
    assert!(
        warnings.contains(
            &"agent-hardening added securityContext.runAsNonRoot: true to ephemeral debugger-x1"
                .to_string()
        ),
        "{warnings:?}"
    );
    // The result passes Pod Security "restricted" as far as the debug container goes.
    let problems = restricted::restricted_violations(&object);
    assert!(
        !problems.iter().any(|p| p.contains("debugger-x1")),
        "{problems:?}"
    );
    // In validate mode each is reported.
    let message = rejection(run(&request, json!({"mode": "validate"})));
    for field in [
        "runAsNonRoot",
        "runAsUser",
        "runAsGroup",
        "seccompProfile.type",
    ] {
        let line = format!(
            "- spec.ephemeralContainers[0] (debugger-x1).securityContext.{field}: found nothing (unset)"
        );
        assert!(message.contains(&line), "{field}: {message}");
    }
}

#[test]
fn debug_containers_only_carry_what_the_pod_lacks() {
    let mut request = fixture("pod_ephemeral_unhardened.json");
    for at in ["object", "oldObject"] {
        request[at]["spec"]["securityContext"] = json!({"runAsNonRoot": true, "runAsUser": 1000, "seccompProfile": {"type": "RuntimeDefault"}});
    }
    let (object, _) = mutated(run_default(&request));
    let sc = &object["spec"]["ephemeralContainers"][0]["securityContext"];
    assert_eq!(sc.get("runAsNonRoot"), None);
    assert_eq!(sc.get("seccompProfile"), None);
    assert_eq!(sc.get("runAsUser"), None, "the pod's non-root user stays");
    assert_eq!(sc["runAsGroup"], json!(65534));
    // A pod-level root user is overridden for the debug container, never inherited.
    for at in ["object", "oldObject"] {
        request[at]["spec"]["securityContext"]["runAsUser"] = json!(0);
    }
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        object["spec"]["ephemeralContainers"][0]["securityContext"]["runAsUser"],
        json!(65534)
    );
    // An explicit weak value on the debug container is still refused.
    set(
        &mut request,
        "/spec/ephemeralContainers/0/securityContext",
        json!({"seccompProfile": {"type": "Unconfined"}, "runAsNonRoot": false}),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("securityContext.seccompProfile.type: found \"Unconfined\""),
        "{message}"
    );
    assert!(
        message.contains("securityContext.runAsNonRoot: found false"),
        "{message}"
    );
}

#[test]
fn debug_containers_follow_the_path_rules_with_the_pods_volumes() {
    let request = fixture("pod_ephemeral_var_log.json");
    let message = rejection(run_default(&request));
    assert!(
        message.contains("- spec.ephemeralContainers[0] (debugger-logs).volumeMounts[0].mountPath: found \"//var/log\" (mounted at \"/var/log\"), allowed no writable mount at, under or above /var/log"),
        "{message}"
    );
    // Read-only, the same mount is fine; so is a writable one elsewhere.
    let mut ro = request.clone();
    set(
        &mut ro,
        "/spec/ephemeralContainers/0/volumeMounts/0/readOnly",
        json!(true),
    );
    mutated(run_default(&ro));
    let mut elsewhere = request.clone();
    set(
        &mut elsewhere,
        "/spec/ephemeralContainers/0/volumeMounts/0/mountPath",
        json!("/scratch"),
    );
    let (object, _) = mutated(run_default(&elsewhere));
    // No volume or mount is ever added on this subresource.
    assert_eq!(
        object["spec"]["volumes"],
        request["object"]["spec"]["volumes"]
    );
    assert_eq!(
        mount_paths(&object, "/spec/ephemeralContainers/0"),
        ["/scratch"]
    );
}

#[test]
fn debug_containers_on_pods_with_an_unknown_framework_are_judged_on_their_own() {
    let mut request = fixture("pod_ephemeral_unhardened.json");
    for at in ["object", "oldObject"] {
        request[at]["metadata"]["labels"]["agent.framework"] = json!("ruby");
    }
    mutated(run_default(&request));
}

#[test]
fn a_container_named_pod_is_reported_as_a_container() {
    let (_, warnings) = mutated(run_default(&fixture("pod_container_named_pod.json")));
    assert!(
        warnings.contains(
            &"agent-hardening added securityContext.readOnlyRootFilesystem: true to pod"
                .to_string()
        ),
        "{warnings:?}"
    );
    let pod_line = warnings
        .iter()
        .find(|w| w.starts_with("agent-hardening added to the pod spec:"))
        .unwrap();
    assert!(!pod_line.contains("readOnlyRootFilesystem"), "{pod_line}");
}

#[test]
fn violations_name_the_container_or_volume() {
    let mut request = fixture("pod_init_and_sidecars.json");
    set(
        &mut request,
        "/spec/initContainers/1/securityContext",
        json!({"privileged": true}),
    );
    set(
        &mut request,
        "/spec/volumes",
        json!([{"name": "ramdisk", "emptyDir": {"medium": "Memory", "sizeLimit": "64Gi"}}]),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains(
            "- spec.initContainers[1] (log-shipper).securityContext.privileged: found true"
        ),
        "{message}"
    );
    assert!(
        message.contains("- spec.volumes[0] (ramdisk).emptyDir.sizeLimit: found \"64Gi\""),
        "{message}"
    );
}

#[test]
fn backsteps_in_mount_paths_are_refused_because_the_runtime_follows_symlinks() {
    // `/var/run` is a symlink to `/run` in most images: the runtime resolves
    // `/var/run/../var/log` to /var/log, a lexical reading to /var/var/log.
    for path in [
        "/var/run/../var/log",
        "/var/run/../tmp",
        "/data/..",
        "/x/../data",
    ] {
        let message = rejection(run_default(&log_mount_at(path)));
        assert!(
            message.contains(&format!(
                "- spec.containers[0] (agent).volumeMounts[2].mountPath: found \"{path}\", allowed a path without .. components"
            )),
            "{path}: {message}"
        );
    }
    // Read-only mounts and devices too, and debug containers.
    let mut request = fixture("pod_block_device_at_data.json");
    set(
        &mut request,
        "/spec/containers/0/volumeDevices/0/devicePath",
        json!("/dev/../data"),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains(
            "spec.containers[0] (agent).volumeDevices[0].devicePath: found \"/dev/../data\""
        ),
        "{message}"
    );
    let mut debug = fixture("pod_ephemeral_var_log.json");
    set(
        &mut debug,
        "/spec/ephemeralContainers/0/volumeMounts/0/mountPath",
        json!("/var/run/../var/log"),
    );
    let message = rejection(run_default(&debug));
    assert!(
        message.contains("allowed a path without .. components"),
        "{message}"
    );
}

#[test]
fn a_debug_container_on_a_pod_that_can_never_pass_restricted_says_so() {
    let mut request = fixture("pod_ephemeral_unhardened.json");
    for at in ["object", "oldObject"] {
        request[at]["spec"]["securityContext"] = json!({"runAsNonRoot": false, "runAsUser": 0, "seccompProfile": {"type": "Unconfined"}});
    }
    let (object, warnings) = mutated(run_default(&request));
    let sc = &object["spec"]["ephemeralContainers"][0]["securityContext"];
    assert_eq!(sc["runAsNonRoot"], json!(true));
    assert_eq!(sc["seccompProfile"]["type"], json!("RuntimeDefault"));
    for weak in [
        "spec.securityContext.runAsNonRoot: false",
        "spec.securityContext.runAsUser: 0",
        "spec.securityContext.seccompProfile.type: Unconfined",
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.contains(&format!("the pod itself sets {weak}"))),
            "{weak}: {warnings:?}"
        );
    }
}

#[test]
fn kubectl_debug_general_profile_is_told_to_use_restricted() {
    let mut request = fixture("pod_ephemeral_unhardened.json");
    set(
        &mut request,
        "/spec/ephemeralContainers/0/securityContext",
        json!({"capabilities": {"add": ["SYS_PTRACE"]}}),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("capabilities.add[0]: found \"SYS_PTRACE\", allowed no added capabilities (allowedCapabilities is empty) (for kubectl debug, use --profile=restricted)"),
        "{message}"
    ); // The hint is for debug containers only (found by mutation testing).
    let mut regular = fixture("pod_compliant.json");
    set(
        &mut regular,
        "/spec/containers/0/securityContext/capabilities/add",
        json!(["SYS_PTRACE"]),
    );
    let message = rejection(run_default(&regular));
    assert!(
        message.contains("allowed no added capabilities"),
        "{message}"
    );
    assert!(!message.contains("kubectl debug"), "{message}");
}

#[test]
fn a_mount_of_a_missing_volume_is_refused_not_completed_by_an_injected_one() {
    // Found by fuzzing: the policy would add a volume named `writable-tmp`, turning this
    // mount into a writable /var/log.
    let request = fixture("pod_mount_of_missing_volume.json");
    let message = rejection(run_default(&request));
    assert!(
        message.contains("- spec.containers[0] (agent).volumeMounts[0].name: found \"writable-tmp\", allowed the name of one of the pod's volumes"),
        "{message}"
    );
    // Devices too, and a mount without a name.
    let mut device = fixture("pod_block_device_at_data.json");
    set(
        &mut device,
        "/spec/containers/0/volumeDevices/0/name",
        json!("nope"),
    );
    let message = rejection(run_default(&device));
    assert!(
        message.contains("volumeDevices[0].name: found \"nope\""),
        "{message}"
    );
    let mut unnamed = request.clone();
    set(
        &mut unnamed,
        "/spec/containers/0/volumeMounts/0",
        json!({"mountPath": "/scratch"}),
    );
    let message = rejection(run_default(&unnamed));
    assert!(
        message.contains("volumeMounts[0].name: found null"),
        "{message}"
    );
}

/// Review finding (issue 10): an object nested deeper than the parser's limit is passed through
/// when the policy does not look at such requests, and refused, naming the object, when it does.
#[test]
fn deeply_nested_objects_pass_through_where_nothing_is_checked() {
    let mut deep = json!("bottom");
    for _ in 0..200 {
        deep = json!({ "x": deep });
    }
    let mut update = fixture("pod_update.json");
    set(&mut update, "/metadata/annotations", json!({}));
    set(&mut update, "/spec/x-deep", deep.clone());
    accepted(run_default(&update));
    let mut create = fixture("pod_minimal.json");
    set(&mut create, "/spec/x-deep", deep);
    let message = rejection(run_default(&create));
    assert!(
        message.starts_with("the object could not be read: recursion limit exceeded"),
        "{message}"
    );
    // With the image check on, a Pod UPDATE is looked at: refused the same way.
    let message = rejection(run(&update, json!({"imageUserCheck": "warn"})));
    assert!(
        message.starts_with("the object could not be read"),
        "{message}"
    );
}

#[test]
fn container_ids_spelled_as_other_types_are_refused_and_never_excepted() {
    // An exception grants this image user and group 0 and 1337: only as integers.
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(test_data_dir().join("settings/istio_exceptions.json")).unwrap(),
    )
    .unwrap();
    let base = {
        let mut request = fixture("pod_compliant.json");
        set(
            &mut request,
            "/spec/containers/0/image",
            json!("docker.io/istio/proxyv2:1.22.0"),
        );
        request
    };
    for key in ["runAsUser", "runAsGroup"] {
        for spelled in [
            json!("1337"),
            json!("0"),
            json!(1337.0),
            json!(0.0),
            json!(true),
            json!([1337]),
        ] {
            let mut request = base.clone();
            set(
                &mut request,
                &format!("/spec/containers/0/securityContext/{key}"),
                spelled.clone(),
            );
            let message = rejection(run(&request, settings.clone()));
            let found = format!("securityContext.{key}: found {spelled}");
            assert!(message.contains(&found), "{key} {spelled}: {message}");
            assert!(!message.contains("exception"), "{key} {spelled}: {message}");
        }
        // The same id as an integer is granted by the exception.
        let mut request = base.clone();
        set(
            &mut request,
            &format!("/spec/containers/0/securityContext/{key}"),
            json!(1337),
        );
        let warnings = accepted(run(&request, settings.clone()));
        assert!(
            warnings.iter().any(|w| w.contains(&format!("{key} 1337"))),
            "{key}: {warnings:?}"
        );
    }
    for spelled in [json!("false"), json!(0), json!(false), json!("true")] {
        let mut request = base.clone();
        set(
            &mut request,
            "/spec/containers/0/securityContext/runAsNonRoot",
            spelled.clone(),
        );
        let message = rejection(run(&request, settings.clone()));
        let found = format!("securityContext.runAsNonRoot: found {spelled}");
        assert!(message.contains(&found), "{spelled}: {message}");
    }
}
