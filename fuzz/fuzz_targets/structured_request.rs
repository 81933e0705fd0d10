//! Structure-aware: admission requests built from a small grammar of the fields the policy
//! reads — present, missing, null, compliant, violating, wrong-typed, oddly spelled — for Pods,
//! debug containers, and workload templates. Asserts SPEC §2's properties, not only "no panic":
//! an admitted mutation passes validate mode, a second run changes nothing, no input field is
//! lost, and the patch holds no `remove`.
#![no_main]

use arbitrary::Arbitrary;
use libfuzzer_sys::fuzz_target;
use serde_json::{Map, Value, json};

use agent_hardening_policy::response::to_bytes;
use agent_hardening_policy::validate::evaluate;

#[derive(Arbitrary, Debug, Clone, Copy)]
enum Slot<T> {
    Missing,
    Null,
    Wrong,
    Set(T),
}

fn put<T>(map: &mut Map<String, Value>, key: &str, slot: &Slot<T>, value: impl Fn(&T) -> Value) {
    match slot {
        Slot::Missing => {}
        Slot::Null => {
            map.insert(key.into(), Value::Null);
        }
        Slot::Wrong => {
            map.insert(key.into(), json!("wrong-type"));
        }
        Slot::Set(v) => {
            map.insert(key.into(), value(v));
        }
    }
}

const NAMES: &[&str] = &["agent", "pod", "proxy", "agent", "istio-init", ""];
const IMAGES: &[&str] = &["ghcr.io/example/agent:1", "docker.io/istio/proxyv2:1.22.0", "busybox", "istio/proxyv2:1"];
const IDS: &[i64] = &[0, 1000, 65534, 1337, -1, 2147483648];
const CAPS: &[&str] = &["ALL", "all", "NET_BIND_SERVICE", "cap_net_raw", "SYS_ADMIN", "NET_ADMIN"];
const SECCOMP: &[&str] = &["RuntimeDefault", "Unconfined", "Localhost", ""];
const PATHS: &[&str] = &[
    "/tmp", "/tmp/.", "/tmp/", "/data", "/data/node_modules", "//var/log", "/var/log/app",
    "/var/run/../var/log", "/home/nobody/.cache", "/home/nobody", "relative", "", "/", "/var",
];
const VOLUMES: &[&str] = &["tmp", "scratch", "writable-tmp", "cfg", "host", "model", "kube-api-access-x"];
const SIZES: &[&str] = &["1Gi", "0", "50Gi", "abc", "512Mi", "1e3"];
const ENV: &[&str] = &["HOME", "TMPDIR", "PIP_CACHE_DIR", "OTHER", "NPM_CONFIG_CACHE"];
const VALUES: &[&str] = &["/home/nobody", "/tmp", "/opt/x", "$(BASE)/x", "rel"];
const FRAMEWORKS: &[&str] = &["python", "node", "", "ruby", "python-openllmetry"];

fn pick<'a>(list: &'a [&'a str], i: u8) -> &'a str {
    list[i as usize % list.len()]
}

#[derive(Arbitrary, Debug)]
struct Mount {
    volume: u8,
    path: u8,
    read_only: Slot<bool>,
}

#[derive(Arbitrary, Debug)]
struct Env {
    name: u8,
    value: u8,
    from: bool,
}

#[derive(Arbitrary, Debug)]
struct Container {
    name: u8,
    image: u8,
    security_context: Slot<()>,
    read_only_root: Slot<bool>,
    escalation: Slot<bool>,
    privileged: Slot<bool>,
    non_root: Slot<bool>,
    user: Slot<u8>,
    group: Slot<u8>,
    add: Slot<Vec<u8>>,
    drop: Slot<Vec<u8>>,
    seccomp: Slot<u8>,
    mounts: Slot<Vec<Mount>>,
    env: Slot<Vec<Env>>,
    device: Option<u8>,
    host_port: Option<u16>,
}

#[derive(Arbitrary, Debug)]
enum Source {
    EmptyDir { size: Slot<u8>, memory: bool },
    ConfigMap,
    HostPath,
    Image,
    Token,
    Claim { read_only: bool },
}

#[derive(Arbitrary, Debug)]
struct Volume {
    name: u8,
    source: Source,
}

#[derive(Arbitrary, Debug)]
enum Kind {
    Pod,
    Debug,
    Deployment,
    DeploymentUpdate { same_template: bool, deleting: bool },
    CronJob,
    StatefulSet { claim: u8 },
    Sandbox,
}

#[derive(Arbitrary, Debug)]
struct Input {
    kind: Kind,
    settings: u8,
    framework: Slot<u8>,
    pod_sc: Slot<()>,
    pod_non_root: Slot<bool>,
    pod_user: Slot<u8>,
    pod_seccomp: Slot<u8>,
    host_network: Slot<bool>,
    windows: bool,
    containers: Vec<Container>,
    init: Vec<Container>,
    volumes: Slot<Vec<Volume>>,
}

const SETTINGS: &[&str] = &[
    "{}",
    r#"{"mode": "validate"}"#,
    r#"{"mutateWorkloadTemplates": true}"#,
    r#"{"defaultFramework": "node", "allowedCapabilities": ["NET_BIND_SERVICE"]}"#,
    r#"{"exceptions": [{"images": ["docker.io/istio/proxyv2:*"], "allow": {"runAsUser": [{"min": 0, "max": 1337}], "capabilities": ["NET_ADMIN"], "readOnlyRootFilesystem": false, "runAsNonRoot": false}}], "runtimeClass": {"default": "gvisor"}}"#,
    r#"{"writablePaths": [{"path": "/tmp/", "sizeLimit": "1Gi", "env": ["TMPDIR"]}], "home": "/srv/agent", "allowedSeccompProfiles": ["Localhost"]}"#,
];

fn container(c: &Container) -> Value {
    let mut m = Map::new();
    m.insert("name".into(), json!(pick(NAMES, c.name)));
    m.insert("image".into(), json!(pick(IMAGES, c.image)));
    let mut sc = Map::new();
    put(&mut sc, "readOnlyRootFilesystem", &c.read_only_root, |b| json!(b));
    put(&mut sc, "allowPrivilegeEscalation", &c.escalation, |b| json!(b));
    put(&mut sc, "privileged", &c.privileged, |b| json!(b));
    put(&mut sc, "runAsNonRoot", &c.non_root, |b| json!(b));
    put(&mut sc, "runAsUser", &c.user, |i| json!(IDS[*i as usize % IDS.len()]));
    put(&mut sc, "runAsGroup", &c.group, |i| json!(IDS[*i as usize % IDS.len()]));
    let mut caps = Map::new();
    put(&mut caps, "add", &c.add, |l| json!(l.iter().map(|i| pick(CAPS, *i)).collect::<Vec<_>>()));
    put(&mut caps, "drop", &c.drop, |l| json!(l.iter().map(|i| pick(CAPS, *i)).collect::<Vec<_>>()));
    if !caps.is_empty() {
        sc.insert("capabilities".into(), Value::Object(caps));
    }
    put(&mut sc, "seccompProfile", &c.seccomp, |i| json!({"type": pick(SECCOMP, *i)}));
    put(&mut m, "securityContext", &c.security_context, |_| Value::Object(sc.clone()));
    put(&mut m, "volumeMounts", &c.mounts, |list| {
        json!(list.iter().map(|mt| {
            let mut o = Map::new();
            o.insert("name".into(), json!(pick(VOLUMES, mt.volume)));
            o.insert("mountPath".into(), json!(pick(PATHS, mt.path)));
            put(&mut o, "readOnly", &mt.read_only, |b| json!(b));
            Value::Object(o)
        }).collect::<Vec<_>>())
    });
    put(&mut m, "env", &c.env, |list| {
        json!(list.iter().map(|e| if e.from {
            json!({"name": pick(ENV, e.name), "valueFrom": {"fieldRef": {"fieldPath": "metadata.name"}}})
        } else {
            json!({"name": pick(ENV, e.name), "value": pick(VALUES, e.value)})
        }).collect::<Vec<_>>())
    });
    if let Some(d) = c.device {
        m.insert("volumeDevices".into(), json!([{"name": pick(VOLUMES, d), "devicePath": pick(PATHS, d)}]));
    }
    if let Some(p) = c.host_port {
        m.insert("ports".into(), json!([{"containerPort": 8080, "hostPort": p}]));
    }
    Value::Object(m)
}

fn volume(v: &Volume) -> Value {
    let name = pick(VOLUMES, v.name);
    match &v.source {
        Source::EmptyDir { size, memory } => {
            let mut e = Map::new();
            put(&mut e, "sizeLimit", size, |i| json!(pick(SIZES, *i)));
            if *memory {
                e.insert("medium".into(), json!("Memory"));
            }
            json!({"name": name, "emptyDir": e})
        }
        Source::ConfigMap => json!({"name": name, "configMap": {"name": "cfg"}}),
        Source::HostPath => json!({"name": name, "hostPath": {"path": "/var/log"}}),
        Source::Image => json!({"name": name, "image": {"reference": "ghcr.io/example/model:1"}}),
        Source::Token => json!({"name": name, "projected": {"sources": [{"serviceAccountToken": {"path": "token"}}]}}),
        Source::Claim { read_only } => json!({"name": name, "persistentVolumeClaim": {"claimName": "c", "readOnly": read_only}}),
    }
}

fn template(input: &Input) -> Value {
    let mut spec = Map::new();
    spec.insert("containers".into(), json!(input.containers.iter().map(container).collect::<Vec<_>>()));
    if !input.init.is_empty() {
        spec.insert("initContainers".into(), json!(input.init.iter().map(container).collect::<Vec<_>>()));
    }
    put(&mut spec, "volumes", &input.volumes, |l| json!(l.iter().map(volume).collect::<Vec<_>>()));
    put(&mut spec, "hostNetwork", &input.host_network, |b| json!(b));
    let mut sc = Map::new();
    put(&mut sc, "runAsNonRoot", &input.pod_non_root, |b| json!(b));
    put(&mut sc, "runAsUser", &input.pod_user, |i| json!(IDS[*i as usize % IDS.len()]));
    put(&mut sc, "seccompProfile", &input.pod_seccomp, |i| json!({"type": pick(SECCOMP, *i)}));
    put(&mut spec, "securityContext", &input.pod_sc, |_| Value::Object(sc.clone()));
    if input.windows {
        spec.insert("os".into(), json!({"name": "windows"}));
    }
    let mut labels = Map::new();
    put(&mut labels, "agent.framework", &input.framework, |i| json!(pick(FRAMEWORKS, *i)));
    json!({"metadata": {"labels": labels}, "spec": spec})
}

fn request(input: &Input) -> Value {
    let t = template(input);
    let user = json!({"username": "kubernetes-admin"});
    let pod = |t: &Value| json!({"apiVersion": "v1", "kind": "Pod", "metadata": t["metadata"], "spec": t["spec"]});
    let kind = |group: &str, kind: &str| json!({"group": group, "version": "v1", "kind": kind});
    match &input.kind {
        Kind::Pod => json!({"kind": kind("", "Pod"), "operation": "CREATE", "userInfo": user, "object": pod(&t)}),
        Kind::Debug => {
            let old = pod(&t);
            let mut new = old.clone();
            let debug = input.init.first().map(container).unwrap_or_else(|| json!({"name": "debugger", "image": "busybox"}));
            new["spec"]["ephemeralContainers"] = json!([debug]);
            json!({"kind": kind("", "Pod"), "operation": "UPDATE", "subResource": "ephemeralcontainers", "userInfo": user, "object": new, "oldObject": old})
        }
        Kind::Deployment => json!({"kind": kind("apps", "Deployment"), "operation": "CREATE", "userInfo": user,
            "object": {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"template": t}}}),
        Kind::DeploymentUpdate { same_template, deleting } => {
            let mut new = json!({"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"}, "spec": {"replicas": 2, "template": t}});
            let mut old = new.clone();
            old["spec"]["replicas"] = json!(1);
            if !same_template {
                old["spec"]["template"]["metadata"]["annotations"] = json!({"x": "y"});
            }
            if *deleting {
                new["metadata"]["deletionTimestamp"] = json!("2026-01-01T00:00:00Z");
            }
            json!({"kind": kind("apps", "Deployment"), "operation": "UPDATE", "userInfo": user, "object": new, "oldObject": old})
        }
        Kind::CronJob => json!({"kind": kind("batch", "CronJob"), "operation": "CREATE", "userInfo": user,
            "object": {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": {"name": "c"}, "spec": {"jobTemplate": {"spec": {"template": t}}}}}),
        Kind::StatefulSet { claim } => json!({"kind": kind("apps", "StatefulSet"), "operation": "CREATE", "userInfo": user,
            "object": {"apiVersion": "apps/v1", "kind": "StatefulSet", "metadata": {"name": "s"}, "spec": {"template": t,
                "volumeClaimTemplates": [{"metadata": {"name": pick(VOLUMES, *claim)}}]}}}),
        Kind::Sandbox => json!({"kind": {"group": "agents.x-k8s.io", "version": "v1alpha1", "kind": "Sandbox"}, "operation": "CREATE", "userInfo": user,
            "object": {"apiVersion": "agents.x-k8s.io/v1alpha1", "kind": "Sandbox", "metadata": {"name": "s"}, "spec": {"podTemplate": t}}}),
    }
}

/// The answer as the policy server reads it: a mutated object from the answer's bytes (the
/// request's own text where nothing changed), not from the policy's tree.
enum Outcome {
    Accept,
    Mutate { object: Value },
    Reject { message: String },
}

fn run(request: &Value, settings: &Value) -> Outcome {
    let payload = serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap();
    let answer: Value = serde_json::from_slice(&to_bytes(evaluate(&payload)).unwrap()).unwrap();
    match (&answer["accepted"], &answer["mutated_object"]) {
        (Value::Bool(true), Value::Null) => Outcome::Accept,
        (Value::Bool(true), object) => Outcome::Mutate { object: object.clone() },
        _ => Outcome::Reject { message: answer["message"].as_str().unwrap().to_string() },
    }
}

/// Every leaf of `before` is in `after`, unchanged — except an explicit null the policy
/// filled in, and an empty object or list it filled.
fn preserved(before: &Value, after: &Value, at: &str) {
    match before {
        Value::Object(m) if !m.is_empty() => {
            for (k, v) in m {
                let child = after.get(k).unwrap_or_else(|| panic!("{at}/{k} lost"));
                preserved(v, child, &format!("{at}/{k}"));
            }
        }
        Value::Array(a) if !a.is_empty() => {
            let b = after.as_array().unwrap_or_else(|| panic!("{at} is no longer a list"));
            assert!(b.len() >= a.len(), "{at} shrank");
            for (i, v) in a.iter().enumerate() {
                preserved(v, &b[i], &format!("{at}/{i}"));
            }
        }
        Value::Null => {}
        Value::Object(_) => assert!(after.is_object(), "{at}"),
        Value::Array(_) => assert!(after.is_array(), "{at}"),
        leaf => assert_eq!(leaf, after, "{at} changed"),
    }
}

fuzz_target!(|input: Input| {
    let request = request(&input);
    let settings: Value = serde_json::from_str(SETTINGS[input.settings as usize % SETTINGS.len()]).unwrap();
    let Outcome::Mutate { object, .. } = run(&request, &settings) else {
        return;
    };
    // Nothing lost, and the patch only adds (or fills an explicit null).
    preserved(&request["object"], &object, "");
    let patch = serde_json::to_value(json_patch::diff(&request["object"], &object)).unwrap();
    for op in patch.as_array().unwrap() {
        let path = op["path"].as_str().unwrap();
        let ok = op["op"] == "add"
            || (op["op"] == "replace" && request["object"].pointer(path) == Some(&Value::Null));
        assert!(ok, "{op}");
    }
    // Idempotent, and sound: the output passes validate mode.
    let mut again = request.clone();
    again["object"] = object.clone();
    match run(&again, &settings) {
        Outcome::Accept => {}
        Outcome::Mutate { object: twice, .. } => panic!(
            "not idempotent: {settings}\nrequest {request}\nonce {object}\ntwice {twice}"
        ),
        Outcome::Reject { message, .. } => panic!(
            "its own output is refused: {settings}\nrequest {request}\nonce {object}\n{message}"
        ),
    }
    let mut validate = settings.clone();
    validate["mode"] = json!("validate");
    match run(&again, &validate) {
        Outcome::Accept => {}
        Outcome::Reject { message, .. } => {
            panic!("output fails validate mode: {settings}\nrequest {request}\n{message}")
        }
        Outcome::Mutate { .. } => panic!("validate mode mutated"),
    }
});
