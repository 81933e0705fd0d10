//! Pod-level rules: host namespaces, the pod securityContext (identity, seccomp, SELinux,
//! AppArmor, sysctls) and the AppArmor annotations.

use crate::json::{Map, Value};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, is_false, present};
use crate::report::Target;
use crate::security_context::{self, At, Level};

/// Sysctls Pod Security "baseline" calls safe (Kubernetes 1.32+).
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

const HOST_NAMESPACES: [&str; 3] = ["hostNetwork", "hostPID", "hostIPC"];
const APPARMOR_ANNOTATION: &str = "container.apparmor.security.beta.kubernetes.io/";

/// Checks (and in mutate mode hardens) the pod-level fields of the pod spec at `path`.
pub fn check_pod(ctx: &mut Ctx<'_>, spec: &mut Map, path: &FieldPath<'_>) {
    for key in HOST_NAMESPACES {
        if let Some(v) = present(spec.get(key))
            && !is_false(v)
        {
            let v = v.clone();
            ctx.violation(path.key(key), &v, "false or unset");
        }
    }
    let sc_path = path.key("securityContext");
    let mut sc = ctx.child(spec, "securityContext", &sc_path);
    let pod = Target::Pod;
    let at = At {
        path: &sc_path,
        target: &pod,
    };
    security_context::check_all(ctx, &mut sc, &at, Level::Pod);
    if let Some(sysctls) = sc.get("sysctls") {
        check_sysctls(ctx, sysctls, &sc_path.key("sysctls"));
    }
}

fn check_sysctls(ctx: &mut Ctx<'_>, sysctls: &Value, path: &FieldPath<'_>) {
    let Some(items) = sysctls.as_array() else {
        return ctx.violation(path, sysctls, "a list");
    };
    for (i, item) in items.iter().enumerate() {
        let name = item.get("name").unwrap_or(&Value::Null);
        if !name.as_str().is_some_and(|n| SAFE_SYSCTLS.contains(&n)) {
            let allowed = format!("one of the safe sysctls: {}", SAFE_SYSCTLS.join(", "));
            ctx.violation(path.index(i).key("name"), name, allowed);
        }
    }
}

/// The deprecated per-container AppArmor annotations may not ask for `unconfined`.
pub fn check_annotations(ctx: &mut Ctx<'_>, metadata: Option<&Value>, meta_path: &FieldPath<'_>) {
    let Some(annotations) = metadata.and_then(|m| present(m.get("annotations"))) else {
        return;
    };
    let path = meta_path.key("annotations");
    let Some(annotations) = annotations.as_object() else {
        return ctx.violation(path, annotations, "a map of strings");
    };
    for (key, value) in annotations {
        if !key.starts_with(APPARMOR_ANNOTATION) {
            continue;
        }
        let ok = value
            .as_str()
            .is_some_and(|v| v == "runtime/default" || v.starts_with("localhost/"));
        if !ok {
            ctx.violation(
                path.map_key(key),
                value,
                "runtime/default or localhost/<profile>",
            );
        }
    }
}

/// Windows pods are refused: every field of the profile is Linux-only, and the API server
/// rejects them on a pod with `spec.os.name: windows`. Returns whether the pod was refused.
pub fn refuse_windows(ctx: &mut Ctx<'_>, spec: &Map, path: &FieldPath<'_>) -> bool {
    let os = spec.get("os").and_then(|os| os.get("name"));
    if os.and_then(Value::as_str) != Some("windows") {
        return false;
    }
    let os_path = path.key("os");
    ctx.report.violation(
        os_path.key("name").to_string(),
        "\"windows\"".into(),
        "linux or unset: this policy hardens Linux pods only (its fields are Linux-only); \
         exclude Windows workloads from it with a namespaceSelector or objectSelector on the policy"
            .into(),
    );
    true
}
