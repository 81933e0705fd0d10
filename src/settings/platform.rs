//! Reading the settings that fit the policy to a platform: custom resources with pod templates,
//! exceptions for trusted images, the runtime class.

use serde::Deserialize;
use serde_json::{Map, Value};

use super::parse::Problems;
use super::{Allow, Exception, IdRange, PodTemplateKind, RuntimeClass};
use crate::capabilities::normalise;
use crate::exceptions::glob_problem;

/// The largest id the API server accepts for runAsUser and runAsGroup.
const MAX_ID: i64 = 2_147_483_647;

/// The Linux capabilities (without `CAP_`), as of Linux 6.x.
const LINUX_CAPABILITIES: &[&str] = &[
    "CHOWN",
    "DAC_OVERRIDE",
    "DAC_READ_SEARCH",
    "FOWNER",
    "FSETID",
    "KILL",
    "SETGID",
    "SETUID",
    "SETPCAP",
    "LINUX_IMMUTABLE",
    "NET_BIND_SERVICE",
    "NET_BROADCAST",
    "NET_ADMIN",
    "NET_RAW",
    "IPC_LOCK",
    "IPC_OWNER",
    "SYS_MODULE",
    "SYS_RAWIO",
    "SYS_CHROOT",
    "SYS_PTRACE",
    "SYS_PACCT",
    "SYS_ADMIN",
    "SYS_BOOT",
    "SYS_NICE",
    "SYS_RESOURCE",
    "SYS_TIME",
    "SYS_TTY_CONFIG",
    "MKNOD",
    "LEASE",
    "AUDIT_WRITE",
    "AUDIT_CONTROL",
    "SETFCAP",
    "MAC_OVERRIDE",
    "MAC_ADMIN",
    "SYSLOG",
    "WAKE_ALARM",
    "BLOCK_SUSPEND",
    "AUDIT_READ",
    "PERFMON",
    "BPF",
    "CHECKPOINT_RESTORE",
];

/// Kinds the policy knows without being told; naming one in `podTemplates` would do nothing.
const BUILT_IN: &[(&str, &str)] = &[
    ("", "Pod"),
    ("", "ReplicationController"),
    ("apps", "Deployment"),
    ("apps", "ReplicaSet"),
    ("apps", "StatefulSet"),
    ("apps", "DaemonSet"),
    ("batch", "Job"),
    ("batch", "CronJob"),
];

fn kind(api_group: &str, kind: &str, path: &str) -> PodTemplateKind {
    PodTemplateKind {
        api_group: api_group.to_string(),
        kind: kind.to_string(),
        keys: path.split('.').map(str::to_string).collect(),
        metadata_path: [path, ".metadata"].concat(),
        spec_path: [path, ".spec"].concat(),
    }
}

/// The agent-sandbox kinds (kubernetes-sigs/agent-sandbox).
pub fn default_pod_templates() -> Vec<PodTemplateKind> {
    vec![
        kind("agents.x-k8s.io", "Sandbox", "spec.podTemplate"),
        kind(
            "extensions.agents.x-k8s.io",
            "SandboxTemplate",
            "spec.podTemplate",
        ),
    ]
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawKind {
    api_group: String,
    kind: String,
    path: String,
}

pub(super) fn read_pod_templates(
    p: &mut Problems,
    key: &str,
    value: &Value,
) -> Option<Vec<PodTemplateKind>> {
    let raw = p.typed::<Vec<RawKind>>(key, value)?;
    let mut out: Vec<PodTemplateKind> = Vec::with_capacity(raw.len());
    for (i, r) in raw.iter().enumerate() {
        let at = format!("{key}[{i}]");
        if !r.kind.starts_with(|c: char| c.is_ascii_uppercase()) {
            p.add(
                &at,
                format!(
                    "kind {:?} must be the kind's name as the API spells it (e.g. Rollout)",
                    r.kind
                ),
            );
        }
        if r.path.is_empty() || r.path.split('.').any(str::is_empty) {
            p.add(
                &at,
                format!(
                    "path {:?} must be dotted keys to the pod template, e.g. spec.template",
                    r.path
                ),
            );
        }
        if BUILT_IN.contains(&(r.api_group.as_str(), r.kind.as_str())) {
            p.add(
                &at,
                format!("{}/{} is built in: leave it out", r.api_group, r.kind),
            );
        }
        if out
            .iter()
            .any(|k| k.api_group == r.api_group && k.kind == r.kind)
        {
            p.add(&at, format!("{}/{} is listed twice", r.api_group, r.kind));
        }
        out.push(kind(&r.api_group, &r.kind, &r.path));
    }
    Some(out)
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawException {
    images: Vec<String>,
    allow: Map<String, Value>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    min: i64,
    max: i64,
}

pub(super) fn read_exceptions(
    p: &mut Problems,
    key: &str,
    value: &Value,
) -> Option<Vec<Exception>> {
    let raw = p.typed::<Vec<RawException>>(key, value)?;
    let mut out = Vec::with_capacity(raw.len());
    for (i, r) in raw.into_iter().enumerate() {
        let at = format!("{key}[{i}]");
        if r.images.is_empty() {
            p.add(&format!("{at}.images"), "must name at least one image glob");
        }
        for (j, glob) in r.images.iter().enumerate() {
            if let Some(why) = glob_problem(glob) {
                p.add(&format!("{at}.images[{j}]"), format!("{glob:?} {why}"));
            }
        }
        let allow = read_allow(p, &format!("{at}.allow"), &r.allow);
        if allow == Allow::default() {
            p.add(
                &format!("{at}.allow"),
                "relaxes nothing: name at least one of runAsUser, runAsGroup, capabilities, readOnlyRootFilesystem: false, runAsNonRoot: false",
            );
        }
        out.push(Exception {
            images: r.images,
            allow,
        });
    }
    Some(out)
}

fn read_allow(p: &mut Problems, at: &str, map: &Map<String, Value>) -> Allow {
    let mut allow = Allow::default();
    for (key, value) in map {
        let field = format!("{at}.{key}");
        match key.as_str() {
            "runAsUser" => allow.run_as_user = read_ranges(p, &field, value),
            "runAsGroup" => allow.run_as_group = read_ranges(p, &field, value),
            "capabilities" => {
                if let Some(names) = p.typed::<Vec<String>>(&field, value) {
                    for (j, name) in names.iter().enumerate() {
                        let normal = normalise(name);
                        if normal == "ALL" {
                            p.add(
                                &format!("{field}[{j}]"),
                                "ALL can't be excepted: it is privileged in all but name; name the capabilities",
                            );
                        } else if !LINUX_CAPABILITIES.contains(&normal.as_str()) {
                            p.add(
                                &format!("{field}[{j}]"),
                                format!("{name:?} is not a Linux capability"),
                            );
                        } else if !allow.capabilities.contains(&normal) {
                            allow.capabilities.push(normal);
                        }
                    }
                }
            }
            "readOnlyRootFilesystem" => match value.as_bool() {
                Some(false) => allow.writable_root = true,
                _ => p.add(&field, format!("found {value}, allowed false (true relaxes nothing)")),
            },
            "runAsNonRoot" => match value.as_bool() {
                Some(false) => allow.root_init = true,
                _ => p.add(&field, format!("found {value}, allowed false (true relaxes nothing)")),
            },
            "privileged" => p.add(
                &field,
                "privileged can't be excepted: a privileged container is the host; grant capabilities instead",
            ),
            other => p.add(
                &field,
                format!(
                    "unknown control {other:?} (known: runAsUser, runAsGroup, capabilities, readOnlyRootFilesystem, runAsNonRoot)"
                ),
            ),
        }
    }
    allow
}

fn read_ranges(p: &mut Problems, key: &str, value: &Value) -> Vec<IdRange> {
    let Some(raw) = p.typed::<Vec<RawRange>>(key, value) else {
        return Vec::new();
    };
    for (i, r) in raw.iter().enumerate() {
        if r.min < 0 || r.max > MAX_ID || r.min > r.max {
            p.add(
                &format!("{key}[{i}]"),
                format!(
                    "found {{min: {}, max: {}}}, allowed 0 <= min <= max <= {MAX_ID}",
                    r.min, r.max
                ),
            );
        }
    }
    raw.iter()
        .map(|r| IdRange {
            min: r.min,
            max: r.max,
        })
        .collect()
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntimeClass {
    #[serde(default)]
    default: String,
    #[serde(default)]
    allowed: Vec<String>,
}

/// Why `name` can't be a RuntimeClass name (a DNS subdomain), if it can't.
fn runtime_class_problem(name: &str) -> Option<&'static str> {
    let ok = !name.is_empty()
        && name.len() <= 253
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-' || b == b'.')
        && name.starts_with(|c: char| c.is_ascii_alphanumeric())
        && name.ends_with(|c: char| c.is_ascii_alphanumeric());
    (!ok).then_some("is not a valid RuntimeClass name (lower case letters, digits, '-' and '.')")
}

pub(super) fn read_runtime_class(
    p: &mut Problems,
    key: &str,
    value: &Value,
) -> Option<RuntimeClass> {
    let raw = p.typed::<RawRuntimeClass>(key, value)?;
    if !raw.default.is_empty()
        && let Some(why) = runtime_class_problem(&raw.default)
    {
        p.add(
            &format!("{key}.default"),
            format!("{:?} {why}", raw.default),
        );
    }
    for (i, name) in raw.allowed.iter().enumerate() {
        if let Some(why) = runtime_class_problem(name) {
            p.add(&format!("{key}.allowed[{i}]"), format!("{name:?} {why}"));
        }
    }
    if !raw.default.is_empty() && !raw.allowed.is_empty() && !raw.allowed.contains(&raw.default) {
        p.add(
            &format!("{key}.default"),
            format!(
                "{:?} is not in allowed ({}): pods would be given a class they are refused",
                raw.default,
                raw.allowed.join(", ")
            ),
        );
    }
    Some(RuntimeClass {
        default: raw.default,
        allowed: raw.allowed,
    })
}
