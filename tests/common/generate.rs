//! Generated admission requests for the property tests: pods, workloads, debug containers and
//! workload UPDATEs, with random mixes of present, missing, compliant, violating, wrong-typed
//! and oddly spelled fields, and the settings to evaluate them with.

use serde_json::{Value, json};

use super::fixture;

/// A small deterministic generator (xorshift), so failures reproduce without extra crates.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// Where the changes land: Pod CREATEs, workload CREATEs of every kind, debug containers,
/// workload UPDATEs (template changed, unchanged, being deleted).
const BASES: &[&str] = &[
    "pod_minimal.json",
    "pod_compliant.json",
    "pod_init_and_sidecars.json",
    "pod_writable_ancestor.json",
    "pod_from_replicaset.json",
    "pod_partial.json",
    "pod_istio_injected.json",
    "deployment_create.json",
    "deployment_compliant.json",
    "statefulset_claim_at_data.json",
    "daemonset_create.json",
    "job_create.json",
    "cronjob_create.json",
    "sandbox_create.json",
    "pod_ephemeral_debug.json",
    "pod_ephemeral_unhardened.json",
    "deployment_update_privileged.json",
    "deployment_update_unchanged.json",
    "job_update_template_changed.json",
    "deployment_update_deleting.json",
];

pub const SETTINGS: &[&str] = &[
    "{}",
    r#"{"mode": "validate"}"#,
    r#"{"mutateWorkloadTemplates": true}"#,
    r#"{"mutateWorkloadTemplates": true, "defaultFramework": "python-openllmetry"}"#,
    r#"{"frameworks": {"rust": [{"path": "/home/nobody/.cargo/", "sizeLimit": "3Gi"}]}, "defaultFramework": "rust"}"#,
    r#"{"writablePaths": [{"path": "//tmp/.", "sizeLimit": "512Mi"}, {"path": "/scratch", "sizeLimit": "1G"}], "maxEmptyDirSizeLimit": "8Gi"}"#,
    r#"{"allowedCapabilities": ["NET_BIND_SERVICE"], "mutateWorkloadTemplates": true, "mode": "mutate"}"#,
    r#"{"serviceAccountToken": "default-off", "allowedSeccompProfiles": ["Localhost", "RuntimeDefault"]}"#,
    r#"{"exceptions": [{"images": ["ghcr.io/example/*"], "allow": {"runAsUser": [{"min": 1000, "max": 2000}], "capabilities": ["NET_ADMIN"]}}], "runtimeClass": {"default": "gvisor", "allowed": ["gvisor", "kata"]}}"#,
];

const ODD_VALUES: &[&str] = &[
    "null",
    "true",
    "false",
    "0",
    "65534",
    "-1",
    "\"abc\"",
    "[]",
    "{}",
    "[0]",
    "[\"ALL\"]",
    "[\"all\"]",
    "{\"type\":\"RuntimeDefault\"}",
    "{\"type\":\"Localhost\"}",
    "\"1Gi\"",
    "\"20Gi\"",
    "[{\"name\":\"x\",\"mountPath\":\"/tmp\"}]",
    "9223372036854775807",
    "1.5",
    "\"Unmasked\"",
    "[\"NET_BIND_SERVICE\"]",
    "[\"SYS_ADMIN\"]",
    "[\"NET_RAW\", 5]",
    "{\"type\":\"Unconfined\"}",
    "{\"type\":\"spc_t\"}",
    "[{\"name\":\"kernel.msgmax\",\"value\":\"1\"}]",
    "{\"httpGet\":{\"port\":80,\"host\":\"10.0.0.1\"}}",
    "[{\"name\":\"dbg\",\"image\":\"busybox\"}]",
    "[{\"name\":\"HOME\",\"value\":\"/home/agent\"}]",
    "[{\"name\":\"TMPDIR\",\"valueFrom\":{\"fieldRef\":{\"fieldPath\":\"metadata.name\"}}}]",
];

/// Fields relative to the pod spec's object (`/spec/...` of the pod or of the template).
const FIELDS: &[&str] = &[
    "/spec/securityContext",
    "/spec/securityContext/runAsUser",
    "/spec/securityContext/runAsGroup",
    "/spec/securityContext/fsGroup",
    "/spec/securityContext/runAsNonRoot",
    "/spec/securityContext/seccompProfile",
    "/spec/securityContext/supplementalGroups",
    "/spec/securityContext/sysctls",
    "/spec/securityContext/seLinuxOptions",
    "/spec/securityContext/appArmorProfile",
    "/spec/containers/0/securityContext",
    "/spec/containers/0/securityContext/capabilities",
    "/spec/containers/0/securityContext/capabilities/drop",
    "/spec/containers/0/securityContext/capabilities/add",
    "/spec/containers/0/securityContext/readOnlyRootFilesystem",
    "/spec/containers/0/securityContext/allowPrivilegeEscalation",
    "/spec/containers/0/securityContext/privileged",
    "/spec/containers/0/securityContext/procMount",
    "/spec/containers/0/securityContext/runAsUser",
    "/spec/containers/0/securityContext/seccompProfile",
    "/spec/containers/0/volumeMounts",
    "/spec/containers/0/env",
    "/spec/containers/0/ports",
    "/spec/containers/0/livenessProbe",
    "/spec/initContainers/0/securityContext/runAsUser",
    "/spec/volumes",
    "/spec/initContainers",
    "/spec/containers",
    "/spec",
    "/metadata/labels",
    "/metadata/annotations",
    "/spec/hostNetwork",
    "/spec/ephemeralContainers",
];

const MOUNT_PATHS: &[&str] = &[
    "/tmp",
    "/tmp/",
    "//tmp",
    "/tmp/./x",
    "/data",
    "/data/node_modules",
    "/home/nobody",
    "/home/nobody/.cache/",
    "/var/./log",
    "/var/tmp/../log",
    "/var/logs",
    "/scratch",
    "/",
];

const VOLUME_SOURCES: &[&str] = &[
    "{\"emptyDir\":{}}",
    "{\"emptyDir\":{\"sizeLimit\":\"1Gi\"}}",
    "{\"emptyDir\":{\"sizeLimit\":\"64Gi\"}}",
    "{\"emptyDir\":{\"medium\":\"Memory\"}}",
    "{\"emptyDir\":{\"medium\":\"Memory\",\"sizeLimit\":\"256Mi\"}}",
    "{\"emptyDir\":{\"sizeLimit\":\"1.5Gi\"}}",
    "{\"configMap\":{\"name\":\"settings\"}}",
    "{\"persistentVolumeClaim\":{\"claimName\":\"work\"}}",
    "{\"hostPath\":{\"path\":\"/var/log\"}}",
];

/// Where the pod spec's object is: the pod itself or its template.
pub fn template_prefix(object: &Value) -> &'static str {
    for prefix in [
        "/spec/jobTemplate/spec/template",
        "/spec/template",
        "/spec/podTemplate",
    ] {
        if object.pointer(prefix).is_some_and(Value::is_object) {
            return prefix;
        }
    }
    ""
}

/// Sets `pointer` in `object` to `value`, creating missing objects on the way; gives up
/// (returns false) where a non-object stands in the way.
pub fn set_creating(object: &mut Value, pointer: &str, value: Value) -> bool {
    let mut node = object;
    let parts: Vec<&str> = pointer.trim_start_matches('/').split('/').collect();
    for (i, part) in parts.iter().enumerate() {
        if node.is_null() {
            *node = json!({});
        }
        let last = i == parts.len() - 1;
        let next = match node {
            Value::Object(map) if last => {
                map.insert(part.to_string(), value);
                return true;
            }
            Value::Object(map) => map.entry(part.to_string()).or_insert(Value::Null),
            Value::Array(items) => {
                match part.parse::<usize>().ok().and_then(|i| items.get_mut(i)) {
                    Some(item) if last => {
                        *item = value;
                        return true;
                    }
                    Some(item) => item,
                    None => return false,
                }
            }
            _ => return false,
        };
        node = next;
    }
    false
}

/// One generated request.
pub fn request(rng: &mut Rng) -> Value {
    let mut request = fixture(rng.pick(BASES));
    // Debug containers: the changes land on the new one; otherwise on the pod or template.
    let ephemeral = request["subResource"] == "ephemeralcontainers";
    let prefix = template_prefix(&request["object"]);
    let last = request["object"]["spec"]["ephemeralContainers"]
        .as_array()
        .map_or(0, |l| l.len().saturating_sub(1));
    let at = |field: &str| -> String {
        let field = if ephemeral {
            field.replace(
                "/spec/containers/0",
                &format!("/spec/ephemeralContainers/{last}"),
            )
        } else {
            field.to_string()
        };
        format!("{prefix}{field}")
    };
    if rng.chance(40) {
        let fw = rng.pick(&[
            "python",
            "node",
            "go",
            "python-openllmetry",
            "java",
            "rust",
            "",
        ]);
        let labels = at("/metadata/labels/agent.framework");
        set_creating(&mut request["object"], &labels, json!(fw));
    }
    if rng.chance(40) {
        let name = rng.pick(&["u", "tmp", "writable-tmp", "kube-api-access-x"]);
        let mount =
            json!({"name": name, "mountPath": rng.pick(MOUNT_PATHS), "readOnly": rng.chance(20)});
        let source: Value = serde_json::from_str(rng.pick(VOLUME_SOURCES)).unwrap();
        let mut volume = json!({"name": name});
        volume
            .as_object_mut()
            .unwrap()
            .extend(source.as_object().unwrap().clone());
        let object = &mut request["object"];
        let mounts = at("/spec/containers/0/volumeMounts");
        match object.pointer_mut(&mounts).and_then(Value::as_array_mut) {
            Some(list) => list.push(mount),
            None => {
                set_creating(object, &mounts, json!([mount]));
            }
        }
        // Sometimes the volume is missing: the mount must then be refused.
        if !ephemeral && rng.chance(90) {
            let volumes = format!("{prefix}/spec/volumes");
            match object.pointer_mut(&volumes).and_then(Value::as_array_mut) {
                Some(list) if list.iter().all(|v| v["name"] != name) => list.push(volume),
                Some(_) => {}
                None => {
                    set_creating(object, &volumes, json!([volume]));
                }
            }
        }
    }
    let odd_fields = if rng.chance(50) {
        0
    } else {
        1 + rng.next() % 3
    };
    for _ in 0..odd_fields {
        let field = at(rng.pick(FIELDS));
        let value: Value = serde_json::from_str(rng.pick(ODD_VALUES)).unwrap();
        set_creating(&mut request["object"], &field, value);
    }
    request
}
