//! Whole-pod behaviour: allowed values, the complete mutation of a bare pod, init containers
//! and sidecars, the shape of rejection messages, malformed input.

mod common;

use common::*;
use serde_json::{Value, json};

fn compliant() -> Value {
    fixture("pod_compliant.json")
}

#[test]
fn allowed_capability_must_be_spelled_as_pod_security_expects() {
    let mut request = compliant();
    set(
        &mut request,
        "/spec/containers/0/securityContext/capabilities/add",
        json!(["cap_net_bind_service"]),
    );
    let message = rejection(run(
        &request,
        json!({"allowedCapabilities": ["NET_BIND_SERVICE"]}),
    ));
    assert!(
        message.contains(
            "found \"cap_net_bind_service\", allowed NET_BIND_SERVICE, spelled exactly so"
        ),
        "{message}"
    );
}

#[test]
fn drop_list_without_all_gains_all_and_keeps_the_rest() {
    let request = fixture("pod_partial.json");
    let (object, warnings) = mutated(run_default(&request));
    let drop = object
        .pointer("/spec/containers/0/securityContext/capabilities/drop")
        .unwrap();
    assert_eq!(drop, &json!(["NET_RAW", "ALL"]));
    let ops = patch_ops(&request["object"], &object);
    assert!(
        ops.contains(&(
            "add".into(),
            "/spec/containers/0/securityContext/capabilities/drop/1".into()
        )),
        "{ops:?}"
    );
    assert!(ops.iter().all(|(op, _)| op == "add"), "{ops:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("capabilities.drop: ALL to agent")),
        "{warnings:?}"
    );
    // The user's explicit pod-level values stay; the missing ones are added.
    assert_eq!(
        object.pointer("/spec/securityContext/runAsUser"),
        Some(&json!(65534))
    );
    assert_eq!(
        object.pointer("/spec/securityContext/runAsGroup"),
        Some(&json!(65534))
    );
    // In validate mode the same list is a violation.
    let message = rejection(run(&request, json!({"mode": "validate"})));
    assert!(message.contains("spec.containers[0] (agent).securityContext.capabilities.drop: found [\"NET_RAW\"], allowed a list containing ALL"), "{message}");
}

#[test]
fn minimal_pod_gets_the_whole_profile() {
    let request = fixture("pod_minimal.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        patch_ops(&request["object"], &object),
        adds(&[
            "/spec/securityContext/runAsNonRoot",
            "/spec/securityContext/runAsUser",
            "/spec/securityContext/runAsGroup",
            "/spec/securityContext/fsGroup",
            "/spec/securityContext/seccompProfile",
            "/spec/containers/0/securityContext",
            // After the ServiceAccount token's volume and mount: /tmp and /data.
            "/spec/containers/0/volumeMounts/1",
            "/spec/containers/0/volumeMounts/2",
            "/spec/containers/0/env",
            "/spec/volumes/1",
            "/spec/volumes/2",
        ])
    );
    assert_eq!(
        object["spec"]["containers"][0]["env"],
        json!([{"name": "HOME", "value": "/home/nobody"}, {"name": "TMPDIR", "value": "/tmp"}])
    );
    assert_eq!(
        object["spec"]["containers"][0]["securityContext"],
        json!({"readOnlyRootFilesystem": true, "allowPrivilegeEscalation": false, "capabilities": {"drop": ["ALL"]}})
    );
    assert_eq!(
        warnings[0],
        "agent-hardening added to the pod spec: securityContext.runAsNonRoot: true, securityContext.runAsUser: 65534, securityContext.runAsGroup: 65534, securityContext.fsGroup: 65534, securityContext.seccompProfile.type: \"RuntimeDefault\""
    );
    assert!(
        warnings.contains(
            &"agent-hardening added securityContext.readOnlyRootFilesystem: true to agent"
                .to_string()
        ),
        "{warnings:?}"
    );
    assert!(
        warnings.contains(
            &"agent-hardening added a writable emptyDir at /tmp (sizeLimit 1Gi) to agent"
                .to_string()
        ),
        "{warnings:?}"
    );
}

#[test]
fn init_containers_and_native_sidecars_are_hardened() {
    let request = fixture("pod_init_and_sidecars.json");
    let (object, warnings) = mutated(run_default(&request));
    for pointer in [
        "/spec/containers/0",
        "/spec/containers/1",
        "/spec/initContainers/0",
        "/spec/initContainers/1",
    ] {
        let sc = &object.pointer(pointer).unwrap()["securityContext"];
        assert_eq!(sc["readOnlyRootFilesystem"], json!(true), "{pointer}");
        assert_eq!(sc["capabilities"]["drop"], json!(["ALL"]), "{pointer}");
    }
    assert!(
        warnings.contains(&"agent-hardening added securityContext.readOnlyRootFilesystem: true to agent, proxy, init setup, init log-shipper".to_string()),
        "{warnings:?}"
    );
}

/// The listing follows the spec (pod level, volumes, then each container); that it does not
/// depend on key, container or volume order is tests/order.rs.
#[test]
fn every_violation_is_listed_in_spec_order_and_cut() {
    let request = fixture("pod_every_violation.json");
    let first = rejection(run_default(&request));
    assert!(
        first.starts_with("agent pod hardening: 25 problems found\n- spec.hostNetwork: found true"),
        "{first}"
    );
    assert!(first.ends_with("… and 5 more"), "{first}");
    assert_eq!(first.lines().count(), 1 + 20 + 1);
}

#[test]
fn malformed_fields_are_named() {
    let message = rejection(run_default(&fixture("pod_malformed.json")));
    assert!(
        message.contains("- spec.securityContext.runAsUser: found \"abc\""),
        "{message}"
    );
    assert!(message.contains("- spec.containers[0] (agent).securityContext.readOnlyRootFilesystem: found \"yes\", allowed true"), "{message}");
}

#[test]
fn malformed_requests_are_rejected_with_a_message() {
    use agent_hardening_policy::validate::evaluate;
    for payload in [
        &b"not json"[..],
        b"{}",
        b"{\"request\": 5}",
        b"{\"request\": {\"kind\": {\"kind\": \"Pod\"}, \"operation\": \"CREATE\", \"object\": 7}}",
    ] {
        let message = rejection(common::owned(evaluate(payload)));
        assert!(
            message.contains("could not be read") || message.contains("not an object"),
            "{message}"
        );
    }
}

#[test]
fn explicit_null_is_treated_as_unset_and_filled() {
    let mut request = compliant();
    set(&mut request, "/spec/securityContext/runAsUser", Value::Null);
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        object.pointer("/spec/securityContext/runAsUser"),
        Some(&json!(65534))
    );
}
