//! A separate, deliberately plain reading of the Pod Security Standards "restricted" level
//! (baseline included), to check the policy's output against something it did not write.

use serde_json::{Value, json};

const SAFE_SYSCTLS: &[&str] = &[
    "kernel.shm_rmid_forced",
    "net.ipv4.ip_local_port_range",
    "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies",
    "net.ipv4.ping_group_range",
    "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time",
    "net.ipv4.tcp_fin_timeout",
    "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes",
    "net.ipv4.tcp_rmem",
    "net.ipv4.tcp_wmem",
];
const VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "image",
    "persistentVolumeClaim",
    "projected",
    "secret",
];
const SELINUX_TYPES: &[&str] = &[
    "",
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

fn is(v: &Value, pointer: &str, expected: Value) -> bool {
    v.pointer(pointer) == Some(&expected)
}

fn unset_or(v: &Value, pointer: &str, allowed: &[Value]) -> bool {
    match v.pointer(pointer) {
        None | Some(Value::Null) => true,
        Some(x) => allowed.contains(x),
    }
}

/// The "restricted" checks (baseline included), as the Pod Security Standards page lists them.
pub fn restricted_violations(pod: &Value) -> Vec<String> {
    let mut out = Vec::new();
    let spec = &pod["spec"];
    let mut fail = |what: String| out.push(what);
    for ns in ["hostNetwork", "hostPID", "hostIPC"] {
        if !unset_or(spec, &format!("/{ns}"), &[json!(false)]) {
            fail(format!("host namespace {ns}"));
        }
    }
    for v in spec["volumes"].as_array().into_iter().flatten() {
        for key in v.as_object().unwrap().keys().filter(|k| *k != "name") {
            if !VOLUME_TYPES.contains(&key.as_str()) {
                fail(format!("volume type {key}"));
            }
        }
    }
    for s in spec
        .pointer("/securityContext/sysctls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        if !SAFE_SYSCTLS.contains(&s["name"].as_str().unwrap_or("")) {
            fail(format!("sysctl {}", s["name"]));
        }
    }
    for (k, v) in pod
        .pointer("/metadata/annotations")
        .and_then(Value::as_object)
        .into_iter()
        .flatten()
    {
        if k.starts_with("container.apparmor.security.beta.kubernetes.io/") {
            let v = v.as_str().unwrap_or("");
            if v != "runtime/default" && !v.starts_with("localhost/") {
                fail(format!("apparmor annotation {v}"));
            }
        }
    }
    let pod_sc = &spec["securityContext"];
    let pod_non_root = is(pod_sc, "/runAsNonRoot", json!(true));
    let pod_seccomp = matches!(
        pod_sc
            .pointer("/seccompProfile/type")
            .and_then(Value::as_str),
        Some("RuntimeDefault" | "Localhost")
    );
    let mut levels = vec![pod_sc.clone()];
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec[list].as_array().into_iter().flatten() {
            let sc = &c["securityContext"];
            levels.push(sc.clone());
            let name = format!("{list}/{}", c["name"]);
            if !unset_or(sc, "/privileged", &[json!(false)]) {
                fail(format!("{name} privileged"));
            }
            if !is(sc, "/allowPrivilegeEscalation", json!(false)) {
                fail(format!("{name} allowPrivilegeEscalation not false"));
            }
            if !unset_or(sc, "/procMount", &[json!("Default")]) {
                fail(format!("{name} procMount"));
            }
            let drops = sc.pointer("/capabilities/drop").and_then(Value::as_array);
            if !drops.is_some_and(|d| d.contains(&json!("ALL"))) {
                fail(format!("{name} does not drop ALL"));
            }
            for cap in sc
                .pointer("/capabilities/add")
                .and_then(Value::as_array)
                .into_iter()
                .flatten()
            {
                if cap != "NET_BIND_SERVICE" {
                    fail(format!("{name} adds {cap}"));
                }
            }
            if !pod_non_root && !is(sc, "/runAsNonRoot", json!(true)) {
                fail(format!("{name} may run as root"));
            }
            let own_seccomp = matches!(
                sc.pointer("/seccompProfile/type").and_then(Value::as_str),
                Some("RuntimeDefault" | "Localhost")
            );
            if !pod_seccomp && !own_seccomp {
                fail(format!("{name} has no seccomp profile"));
            }
            for port in c["ports"].as_array().into_iter().flatten() {
                if !unset_or(port, "/hostPort", &[json!(0)]) {
                    fail(format!("{name} hostPort"));
                }
            }
            for handler in [
                "/livenessProbe",
                "/readinessProbe",
                "/startupProbe",
                "/lifecycle/postStart",
                "/lifecycle/preStop",
            ] {
                for action in ["httpGet", "tcpSocket"] {
                    if !unset_or(c, &format!("{handler}/{action}/host"), &[json!("")]) {
                        fail(format!("{name} {handler} host"));
                    }
                }
            }
        }
    }
    for sc in &levels {
        if is(sc, "/runAsUser", json!(0)) {
            fail("runAsUser 0".into());
        }
        if is(sc, "/runAsNonRoot", json!(false)) {
            fail("runAsNonRoot false".into());
        }
        if is(sc, "/seccompProfile/type", json!("Unconfined")) {
            fail("seccomp Unconfined".into());
        }
        if is(sc, "/appArmorProfile/type", json!("Unconfined")) {
            fail("apparmor Unconfined".into());
        }
        if is(sc, "/windowsOptions/hostProcess", json!(true)) {
            fail("hostProcess".into());
        }
        let selinux_type = sc
            .pointer("/seLinuxOptions/type")
            .and_then(Value::as_str)
            .unwrap_or("");
        if !SELINUX_TYPES.contains(&selinux_type) {
            fail(format!("selinux type {selinux_type}"));
        }
        for key in ["user", "role"] {
            if !unset_or(sc, &format!("/seLinuxOptions/{key}"), &[json!("")]) {
                fail(format!("selinux {key}"));
            }
        }
    }
    out
}
