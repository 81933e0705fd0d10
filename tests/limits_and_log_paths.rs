//! emptyDir size limits and forbidden (log) paths.

mod common;

use common::*;
use serde_json::json;

#[test]
fn memory_emptydir_above_the_maximum_is_rejected() {
    let message = rejection(run_default(&fixture("pod_memory_emptydir_too_big.json")));
    assert!(
        message.contains("- spec.volumes[2] (shm).emptyDir.sizeLimit: found \"16Gi\", allowed a sizeLimit above 0 and at most 10Gi (maxEmptyDirSizeLimit)"),
        "{message}"
    );
    accepted(run(
        &fixture("pod_memory_emptydir_too_big.json"),
        json!({"maxEmptyDirSizeLimit": "16Gi"}),
    ));
}

#[test]
fn size_limits_compare_exactly() {
    let mut request = fixture("pod_compliant.json");
    for (size, ok) in [
        ("10Gi", true),
        ("10737418240", true),
        ("10737418241", false),
        ("10240Mi", true),
        ("10.5Gi", false),
        ("1e10", true),
        ("11e9", false),
        ("500M", true),
    ] {
        set(
            &mut request,
            "/spec/volumes/0/emptyDir/sizeLimit",
            json!(size),
        );
        let outcome = run_default(&request);
        if ok {
            accepted(outcome);
        } else {
            let message = rejection(outcome);
            assert!(message.contains(&format!("found \"{size}\"")), "{message}");
        }
    }
    for zero in [json!("0"), json!("0Gi"), json!(0)] {
        set(
            &mut request,
            "/spec/volumes/0/emptyDir/sizeLimit",
            zero.clone(),
        );
        let message = rejection(run_default(&request));
        let expected = format!(
            "spec.volumes[0] (tmp).emptyDir.sizeLimit: found {zero}, allowed a sizeLimit above 0"
        );
        assert!(message.contains(&expected), "{message}");
    }
    set(
        &mut request,
        "/spec/volumes/0/emptyDir/sizeLimit",
        json!("1GB"),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("spec.volumes[0] (tmp).emptyDir.sizeLimit: found \"1GB\""),
        "{message}"
    );
    assert!(message.contains("unknown suffix"), "{message}");
}

#[test]
fn writable_mounts_under_var_log_are_rejected() {
    let message = rejection(run_default(&fixture("pod_hostpath_var_log.json")));
    assert!(
        message.contains("- spec.volumes[2] (logs).hostPath: found"),
        "{message}"
    );
    assert!(
        message.contains("- spec.containers[0] (agent).volumeMounts[2].mountPath: found \"/var/log\", allowed no writable mount at, under or above /var/log: logs go to stdout"),
        "{message}"
    );
    let message = rejection(run_default(&fixture("pod_emptydir_var_log.json")));
    assert!(
        message.contains(
            "- spec.containers[0] (agent).volumeMounts[2].mountPath: found \"/var/log/agent\""
        ),
        "{message}"
    );
    let mut request = fixture("pod_emptydir_var_log.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts/2/mountPath",
        json!("/var"),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("found \"/var\", allowed no writable mount at, under or above /var/log"),
        "{message}"
    );
}

#[test]
fn var_logs_is_not_var_log() {
    accepted(run_default(&fixture("pod_var_logs_allowed.json")));
}

#[test]
fn read_only_mount_at_var_log_is_allowed() {
    let mut request = fixture("pod_emptydir_var_log.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts/2/readOnly",
        json!(true),
    );
    accepted(run_default(&request));
}

#[test]
fn generic_ephemeral_volumes_are_not_emptydirs_and_are_left_alone() {
    let mut request = fixture("pod_compliant.json");
    let claim = json!({
        "name": "scratch",
        "ephemeral": {"volumeClaimTemplate": {"spec": {
            "accessModes": ["ReadWriteOnce"],
            "resources": {"requests": {"storage": "50Gi"}}
        }}}
    });
    request["object"]["spec"]["volumes"]
        .as_array_mut()
        .unwrap()
        .push(claim);
    accepted(run_default(&request));
    accepted(run(&request, json!({"mode": "validate"})));
}

#[test]
fn forbidden_writable_paths_are_a_setting() {
    let mut request = fixture("pod_var_logs_allowed.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts/2/mountPath",
        json!("/etc/agent"),
    );
    accepted(run_default(&request));
    let settings = json!({"forbiddenWritablePaths": ["/var/log", "/etc"]});
    let message = rejection(run(&request, settings));
    assert!(
        message.contains("found \"/etc/agent\", allowed no writable mount at, under or above /etc"),
        "{message}"
    );
}
