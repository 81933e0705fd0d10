//! The guarantees of SPEC §2 on every fixture and on many generated pods: idempotence,
//! soundness (output passes validate mode), preservation (no input field lost or changed),
//! additions-only patches, API-valid output, and no panic whatever the input.

mod common;

use std::collections::BTreeSet;

use agent_hardening_policy::response::Outcome;
use common::restricted::restricted_violations;
use common::*;
use serde_json::{Value, json};

const SETTINGS: &[&str] = &[
    "{}",
    r#"{"mutateWorkloadTemplates": true}"#,
    r#"{"mutateWorkloadTemplates": true, "defaultFramework": "python-openllmetry"}"#,
    r#"{"frameworks": {"rust": [{"path": "/home/nobody/.cargo", "sizeLimit": "3Gi"}]}, "defaultFramework": "rust"}"#,
];

/// Checks every guarantee for one request; returns whether it was mutated.
fn check_guarantees(name: &str, request: &Value, settings: &Value) -> bool {
    let is_pod_create = request["kind"]["kind"] == "Pod" && request["operation"] == "CREATE";
    let object = match run(request, settings.clone()) {
        Outcome::Mutate { object, .. } => object,
        Outcome::Accept { .. } => {
            // Admitted as it is: it must already be restricted.
            if is_pod_create {
                let problems = restricted_violations(&request["object"]);
                assert!(
                    problems.is_empty(),
                    "{name} {settings}: accepted but not restricted: {problems:?}"
                );
            }
            return false;
        }
        Outcome::Reject { .. } => return false,
    };
    let again = run(&with_object(request, object.clone()), settings.clone());
    assert!(
        matches!(again, Outcome::Accept { .. }),
        "{name} {settings}: not idempotent"
    );
    let mut validate = settings.clone();
    validate["mode"] = json!("validate");
    match run(&with_object(request, object.clone()), validate) {
        Outcome::Accept { .. } => {}
        Outcome::Reject { message, .. } => {
            panic!("{name} {settings}: output fails validate mode:\n{message}")
        }
        Outcome::Mutate { .. } => panic!("{name} {settings}: validate mode mutated"),
    }
    preserved(name, &request["object"], &object);
    // Only additions; a `replace` only where the input held an explicit null (unset).
    let ops = patch_ops(&request["object"], &object);
    let only_adds = ops.iter().all(|(op, path)| {
        op == "add" || (op == "replace" && request["object"].pointer(path) == Some(&Value::Null))
    });
    assert!(only_adds, "{name} {settings}: {ops:?}");
    api_valid(name, &request["object"], &object);
    if is_pod_create {
        let problems = restricted_violations(&object);
        assert!(
            problems.is_empty(),
            "{name} {settings}: not restricted: {problems:?}"
        );
    }
    true
}

/// The fields the policy fills in; an explicit null (unset, to the API server) of one of them
/// may become a value. Every other explicit null must survive as it is.
const FILLED_FIELDS: &[&str] = &[
    "securityContext",
    "runAsNonRoot",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "seccompProfile",
    "type",
    "readOnlyRootFilesystem",
    "allowPrivilegeEscalation",
    "capabilities",
    "drop",
    "volumeMounts",
    "volumes",
    "env",
    "sizeLimit",
];

/// Every leaf of the input is in the output, unchanged (explicit nulls of fields the
/// policy fills in may become values).
fn preserved(name: &str, before: &Value, after: &Value) {
    for (pointer, value) in leaves(before) {
        let key = pointer.rsplit('/').next().unwrap_or("");
        match after.pointer(&pointer) {
            Some(v) if *v == value => {}
            Some(v) if value.is_null() => {
                assert!(
                    FILLED_FIELDS.contains(&key),
                    "{name}: the null at {pointer} became {v}"
                );
                assert!(!v.is_null(), "{name}: {pointer}")
            }
            // An empty object or array the policy filled in.
            Some(v) if value == json!({}) || value == json!([]) => {
                assert!(v.is_object() || v.is_array(), "{name}: {pointer}")
            }
            other => panic!("{name}: {pointer} was {value}, is {other:?}"),
        }
    }
}

/// What the API server would check: unique volume names, unique mount paths per container,
/// every mount names a volume; and the pod spec is well typed. Returns the problems found.
fn api_problems(object: &Value) -> Vec<String> {
    let mut problems = Vec::new();
    let spec = pod_spec(object);
    let volumes: Vec<&str> = spec["volumes"]
        .as_array()
        .map(|v| v.iter().filter_map(|v| v["name"].as_str()).collect())
        .unwrap_or_default();
    let unique: BTreeSet<&&str> = volumes.iter().collect();
    if unique.len() != volumes.len() {
        problems.push(format!("duplicate volume names {volumes:?}"));
    }
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        for c in spec[list].as_array().into_iter().flatten() {
            let mut paths = BTreeSet::new();
            for m in c["volumeMounts"].as_array().into_iter().flatten() {
                let path = m["mountPath"].as_str().unwrap_or("").trim_end_matches('/');
                if !paths.insert(path.to_string()) {
                    problems.push(format!("duplicate mount {m}"));
                }
                if !volumes.contains(&m["name"].as_str().unwrap_or("")) {
                    problems.push(format!("mount of a missing volume {m}"));
                }
            }
        }
    }
    if let Err(e) = serde_json::from_value::<k8s_openapi::api::core::v1::PodSpec>(spec.clone()) {
        problems.push(format!("not a valid PodSpec: {e}"));
    }
    problems
}

/// A valid input stays valid.
fn api_valid(name: &str, before: &Value, after: &Value) {
    if api_problems(before).is_empty() {
        let problems = api_problems(after);
        assert!(problems.is_empty(), "{name}: {problems:?}");
    }
}

#[test]
fn guarantees_hold_on_every_fixture() {
    let mut mutated = 0;
    for (name, request) in all_fixtures() {
        for settings in SETTINGS {
            let settings: Value = serde_json::from_str(settings).unwrap();
            if check_guarantees(&name, &request, &settings) {
                mutated += 1;
            }
        }
    }
    // Guard against a vacuous pass: most fixtures mutate under some settings.
    assert!(mutated >= 40, "only {mutated} mutations checked");
}

/// A small deterministic generator (xorshift), so failures reproduce without extra crates.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[(self.next() % items.len() as u64) as usize]
    }
    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

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
    "{\"type\":\"Unconfined\"}",
    "{\"type\":\"spc_t\"}",
    "[{\"name\":\"kernel.msgmax\",\"value\":\"1\"}]",
    "{\"httpGet\":{\"port\":80,\"host\":\"10.0.0.1\"}}",
    "[{\"name\":\"dbg\",\"image\":\"busybox\"}]",
];

const FIELDS: &[&str] = &[
    "/spec/securityContext",
    "/spec/securityContext/runAsUser",
    "/spec/securityContext/runAsNonRoot",
    "/spec/securityContext/seccompProfile",
    "/spec/securityContext/supplementalGroups",
    "/spec/containers/0/securityContext",
    "/spec/containers/0/securityContext/capabilities",
    "/spec/containers/0/securityContext/capabilities/drop",
    "/spec/containers/0/securityContext/readOnlyRootFilesystem",
    "/spec/containers/0/volumeMounts",
    "/spec/containers/0/ports",
    "/spec/volumes",
    "/spec/initContainers",
    "/spec/containers",
    "/spec",
    "/metadata/labels",
    "/metadata/annotations",
    "/spec/hostNetwork",
    "/spec/securityContext/sysctls",
    "/spec/securityContext/seLinuxOptions",
    "/spec/securityContext/appArmorProfile",
    "/spec/containers/0/securityContext/privileged",
    "/spec/containers/0/securityContext/procMount",
    "/spec/containers/0/securityContext/capabilities/add",
    "/spec/containers/0/securityContext/allowPrivilegeEscalation",
    "/spec/containers/0/securityContext/seccompProfile",
    "/spec/containers/0/livenessProbe",
    "/spec/ephemeralContainers",
];

/// A pod with optional pieces chosen at random, and some fields replaced by odd values.
fn generated_pod(rng: &mut Rng) -> Value {
    let mut request = fixture(rng.pick(&[
        "pod_minimal.json",
        "pod_compliant.json",
        "pod_init_and_sidecars.json",
        "pod_writable_ancestor.json",
    ]));
    if rng.chance(40) {
        let fw = rng.pick(&["python", "node", "go", "python-openllmetry", "java"]);
        set(&mut request, "/metadata/labels/agent.framework", json!(fw));
    }
    if rng.chance(30) {
        set(
            &mut request,
            "/spec/containers/0/volumeMounts",
            json!([{"name": "u", "mountPath": rng.pick(&["/tmp", "/data", "/home/nobody", "/tmp/x", "/"])}]),
        );
        set(
            &mut request,
            "/spec/volumes",
            json!([{"name": "u", "emptyDir": {}}]),
        );
    }
    for _ in 0..(rng.next() % 4) {
        let field = rng.pick(FIELDS);
        let value: Value = serde_json::from_str(rng.pick(ODD_VALUES)).unwrap();
        if request["object"]
            .pointer(field.rsplit_once('/').unwrap().0)
            .is_some_and(|p| p.is_object())
        {
            set(&mut request, field, value);
        }
    }
    request
}

#[test]
fn guarantees_hold_on_generated_pods_and_nothing_panics() {
    let mut rng = Rng(0x5eed_1234_abcd_9876);
    let mut mutated = 0;
    for case in 0..3000 {
        let request = generated_pod(&mut rng);
        let settings: Value = serde_json::from_str(rng.pick(SETTINGS)).unwrap();
        let result = std::panic::catch_unwind(|| {
            check_guarantees(&format!("case {case}"), &request, &settings)
        });
        match result {
            Ok(true) => mutated += 1,
            Ok(false) => {}
            Err(_) => panic!(
                "case {case} failed for request object {}",
                request["object"]
            ),
        }
    }
    assert!(mutated > 500, "only {mutated} generated pods were mutated");
}
