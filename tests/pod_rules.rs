//! Every rule of the profile, both ways: compliant accepted, missing filled in (mutate) or
//! reported (validate), explicit violation rejected naming the field, the value and what is
//! allowed.

mod common;

use common::*;
use serde_json::{Value, json};

fn compliant() -> Value {
    fixture("pod_compliant.json")
}

#[test]
fn compliant_pod_is_accepted_untouched() {
    let warnings = accepted(run_default(&compliant()));
    assert!(warnings.is_empty(), "{warnings:?}");
    accepted(run(&compliant(), json!({"mode": "validate"})));
}

/// Hardened fields that are filled in when missing: (pointer, value added).
#[rustfmt::skip]
const FILLED: &[(&str, &str)] = &[
    ("/spec/securityContext/runAsNonRoot", "true"),
    ("/spec/securityContext/runAsUser", "65534"),
    ("/spec/securityContext/runAsGroup", "65534"),
    ("/spec/securityContext/fsGroup", "65534"),
    ("/spec/securityContext/seccompProfile", r#"{"type":"RuntimeDefault"}"#),
    ("/spec/containers/0/securityContext/readOnlyRootFilesystem", "true"),
    ("/spec/containers/0/securityContext/allowPrivilegeEscalation", "false"),
    ("/spec/containers/0/securityContext/capabilities", r#"{"drop":["ALL"]}"#),
    ("/spec/containers/0/securityContext/capabilities/drop", r#"["ALL"]"#),
];

#[test]
fn each_missing_field_is_added_exactly_in_mutate_mode() {
    for (pointer, value) in FILLED {
        let mut request = compliant();
        remove(&mut request, pointer);
        let (object, warnings) = mutated(run_default(&request));
        let expected: Value = serde_json::from_str(value).unwrap();
        assert_eq!(object.pointer(pointer), Some(&expected), "{pointer}");
        assert_eq!(
            patch_ops(&request["object"], &object),
            adds(&[pointer]),
            "{pointer}"
        );
        assert_eq!(warnings.len(), 1, "{pointer}: {warnings:?}");
    }
}

#[test]
fn each_missing_field_is_a_violation_in_validate_mode() {
    for (pointer, _) in FILLED {
        let mut request = compliant();
        remove(&mut request, pointer);
        let message = rejection(run(&request, json!({"mode": "validate"})));
        // `/spec/containers/0/x` → `spec.containers[0].x`; a removed object reports its leaf.
        let dotted = dotted(pointer);
        assert!(message.contains(&dotted), "{pointer}: {message}");
        assert!(
            message.contains("found nothing (unset)"),
            "{pointer}: {message}"
        );
    }
}

fn dotted(pointer: &str) -> String {
    let mut out = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

/// Explicit violations: (pointer, value, expected message line).
#[rustfmt::skip]
const VIOLATIONS: &[(&str, &str, &str)] = &[
    ("/spec/hostNetwork", "true", "spec.hostNetwork: found true, allowed false or unset"),
    ("/spec/hostPID", "true", "spec.hostPID: found true"),
    ("/spec/hostIPC", "true", "spec.hostIPC: found true"),
    ("/spec/securityContext/runAsNonRoot", "false", "spec.securityContext.runAsNonRoot: found false, allowed true"),
    ("/spec/securityContext/runAsUser", "0", "spec.securityContext.runAsUser: found 0, allowed a non-root user id: 65534"),
    ("/spec/securityContext/runAsUser", "1000", "spec.securityContext.runAsUser: found 1000"),
    ("/spec/securityContext/runAsGroup", "0", "spec.securityContext.runAsGroup: found 0"),
    ("/spec/securityContext/fsGroup", "0", "spec.securityContext.fsGroup: found 0"),
    ("/spec/securityContext/supplementalGroups", "[65534, 0]", "spec.securityContext.supplementalGroups[1]: found 0"),
    ("/spec/securityContext/seccompProfile/type", r#""Unconfined""#, "spec.securityContext.seccompProfile.type: found \"Unconfined\", allowed RuntimeDefault"),
    ("/spec/securityContext/seccompProfile/type", r#""Localhost""#, "spec.securityContext.seccompProfile.type: found \"Localhost\""),
    ("/spec/securityContext/sysctls", r#"[{"name":"net.core.somaxconn","value":"1024"}]"#, "spec.securityContext.sysctls[0].name: found \"net.core.somaxconn\""),
    ("/spec/securityContext/seLinuxOptions", r#"{"type":"spc_t"}"#, "spec.securityContext.seLinuxOptions.type: found \"spc_t\""),
    ("/spec/securityContext/seLinuxOptions", r#"{"user":"system_u"}"#, "spec.securityContext.seLinuxOptions.user: found \"system_u\", allowed unset"),
    ("/spec/securityContext/seLinuxOptions", r#"{"role":"sysadm_r"}"#, "spec.securityContext.seLinuxOptions.role: found \"sysadm_r\""),
    ("/spec/securityContext/appArmorProfile", r#"{"type":"Unconfined"}"#, "spec.securityContext.appArmorProfile.type: found \"Unconfined\""),
    ("/spec/securityContext/appArmorProfile", r#"{"type":"Localhost"}"#, "spec.securityContext.appArmorProfile.localhostProfile: found nothing (unset)"),
    ("/spec/securityContext/windowsOptions", r#"{"hostProcess":true}"#, "spec.securityContext.windowsOptions.hostProcess: found true"),
    ("/metadata/annotations", r#"{"container.apparmor.security.beta.kubernetes.io/agent":"unconfined"}"#, "metadata.annotations[container.apparmor.security.beta.kubernetes.io/agent]: found \"unconfined\""),
    ("/spec/containers/0/securityContext/readOnlyRootFilesystem", "false", "spec.containers[0].securityContext.readOnlyRootFilesystem: found false, allowed true"),
    ("/spec/containers/0/securityContext/allowPrivilegeEscalation", "true", "spec.containers[0].securityContext.allowPrivilegeEscalation: found true, allowed false"),
    ("/spec/containers/0/securityContext/privileged", "true", "spec.containers[0].securityContext.privileged: found true, allowed false or unset"),
    ("/spec/containers/0/securityContext/procMount", r#""Unmasked""#, "spec.containers[0].securityContext.procMount: found \"Unmasked\", allowed Default or unset"),
    ("/spec/containers/0/securityContext/runAsNonRoot", "false", "spec.containers[0].securityContext.runAsNonRoot: found false"),
    ("/spec/containers/0/securityContext/runAsUser", "0", "spec.containers[0].securityContext.runAsUser: found 0"),
    ("/spec/containers/0/securityContext/runAsGroup", "0", "spec.containers[0].securityContext.runAsGroup: found 0"),
    ("/spec/containers/0/securityContext/seccompProfile", r#"{"type":"Unconfined"}"#, "spec.containers[0].securityContext.seccompProfile.type: found \"Unconfined\""),
    ("/spec/containers/0/securityContext/seLinuxOptions", r#"{"type":"unconfined_t"}"#, "spec.containers[0].securityContext.seLinuxOptions.type: found \"unconfined_t\""),
    ("/spec/containers/0/securityContext/appArmorProfile", r#"{"type":"Unconfined"}"#, "spec.containers[0].securityContext.appArmorProfile.type: found \"Unconfined\""),
    ("/spec/containers/0/securityContext/windowsOptions", r#"{"hostProcess":true}"#, "spec.containers[0].securityContext.windowsOptions.hostProcess: found true"),
    ("/spec/containers/0/securityContext/capabilities/add", r#"["SYS_ADMIN"]"#, "spec.containers[0].securityContext.capabilities.add[0]: found \"SYS_ADMIN\", allowed no added capabilities"),
    ("/spec/containers/0/securityContext/capabilities/add", r#"["cap_sys_ptrace"]"#, "spec.containers[0].securityContext.capabilities.add[0]: found \"cap_sys_ptrace\""),
    ("/spec/containers/0/securityContext/capabilities/drop", r#""ALL""#, "spec.containers[0].securityContext.capabilities.drop: found \"ALL\", allowed a list"),
    ("/spec/containers/0/ports", r#"[{"containerPort":8080,"hostPort":8080}]"#, "spec.containers[0].ports[0].hostPort: found 8080, allowed 0 or unset"),
    ("/spec/containers/0/readinessProbe", r#"{"httpGet":{"port":8080,"host":"example.com"}}"#, "spec.containers[0].readinessProbe.httpGet.host: found \"example.com\""),
    ("/spec/containers/0/startupProbe", r#"{"tcpSocket":{"port":8080,"host":"10.1.2.3"}}"#, "spec.containers[0].startupProbe.tcpSocket.host: found \"10.1.2.3\""),
    ("/spec/containers/0/lifecycle", r#"{"postStart":{"httpGet":{"port":80,"host":"metadata.google.internal"}}}"#, "spec.containers[0].lifecycle.postStart.httpGet.host: found \"metadata.google.internal\""),
    ("/spec/volumes/0", r#"{"name":"tmp","hostPath":{"path":"/tmp"}}"#, "spec.volumes[0].hostPath: found {\"path\":\"/tmp\"}, allowed a volume of type configMap, csi"),
    ("/spec/volumes/0", r#"{"name":"tmp","nfs":{"server":"nfs","path":"/"}}"#, "spec.volumes[0].nfs: found"),
    ("/spec/initContainers", r#"[{"name":"setup","image":"busybox","securityContext":{"privileged":true}}]"#, "spec.initContainers[0].securityContext.privileged: found true"),
    ("/spec/ephemeralContainers", r#"[{"name":"debug","image":"busybox","securityContext":{"runAsUser":0}}]"#, "spec.ephemeralContainers[0].securityContext.runAsUser: found 0"),
    ("/spec/securityContext/runAsUser", r#""abc""#, "spec.securityContext.runAsUser: found \"abc\", allowed a non-root user id"),
    ("/spec/containers/0/securityContext", "[]", "spec.containers[0].securityContext: found [], allowed an object"),
    ("/spec/containers", r#"{"name":"agent"}"#, "spec.containers: found {\"name\":\"agent\"}, allowed a list"),
];

#[test]
fn each_explicit_violation_is_rejected_naming_the_field() {
    for mode in ["mutate", "validate"] {
        for (pointer, value, line) in VIOLATIONS {
            let mut request = compliant();
            set(&mut request, pointer, serde_json::from_str(value).unwrap());
            let message = rejection(run(&request, json!({"mode": mode})));
            assert!(
                message.contains(&format!("- {line}")),
                "{mode} {pointer}={value}:\n{message}"
            );
        }
    }
}
