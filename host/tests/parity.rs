//! The compiled policy.wasm decides exactly as the native code: same verdict, message,
//! warnings and mutated object, for every fixture under several settings.

mod common;

use agent_hardening_policy::response::to_bytes;
use agent_hardening_policy::validate::evaluate;
use common::*;
use kwhost::callbacks::HostCalls;
use kwhost::engine::Policy;
use serde_json::{Value, json};

#[test]
fn wasm_and_native_verdicts_are_identical() {
    let policy = Policy::load(policy_wasm().to_str().unwrap(), HostCalls::default()).unwrap();
    let settings = [
        json!({}),
        json!({"mode": "validate"}),
        json!({"mutateWorkloadTemplates": true}),
        json!({"defaultFramework": "node", "allowedCapabilities": ["NET_BIND_SERVICE"]}),
    ];
    let mut compared = 0;
    let mut names: Vec<_> = ["test_data", "test_data/rules"]
        .iter()
        .flat_map(|dir| std::fs::read_dir(repo().join(dir)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .filter(|p| !p.ends_with("index.json"))
        .collect();
    names.sort();
    // Settings outside, fixtures inside: the settings cache is hit on most calls, as in a
    // long-lived instance, and missed when the settings change.
    for s in &settings {
        for path in &names {
            let request: Value = serde_json::from_slice(&std::fs::read(path).unwrap()).unwrap();
            let payload = serde_json::to_vec(&json!({"request": request, "settings": s})).unwrap();
            let native: Value =
                serde_json::from_slice(&to_bytes(evaluate(&payload)).unwrap()).unwrap();
            let wasm: Value =
                serde_json::from_slice(&policy.call("validate", &payload).unwrap()).unwrap();
            assert_eq!(native, wasm, "{} with {s}", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 150, "only {compared} comparisons");
}

/// kwctl hands the policy its typed reading of the request (unknown fields dropped, nulls
/// left out, keys in its own order): every fixture must be decided the same either way.
#[test]
fn the_request_as_kwctl_rewrites_it_is_decided_the_same() {
    let mut compared = 0;
    for dir in ["test_data", "test_data/rules"] {
        for entry in std::fs::read_dir(repo().join(dir)).unwrap() {
            let path = entry.unwrap().path();
            if path.extension().is_none_or(|e| e != "json") || path.ends_with("index.json") {
                continue;
            }
            let raw: Value = serde_json::from_slice(&std::fs::read(&path).unwrap()).unwrap();
            let typed = kwhost::request::from_document(raw.clone())
                .unwrap_or_else(|e| panic!("{}: kwctl would refuse it: {e}", path.display()));
            let decide = |request: &Value| {
                let payload =
                    serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
                serde_json::from_slice::<Value>(&to_bytes(evaluate(&payload)).unwrap()).unwrap()
            };
            assert_eq!(decide(&raw), decide(&typed), "{}", path.display());
            compared += 1;
        }
    }
    assert!(compared >= 100, "only {compared} fixtures");
}

#[test]
fn wasm_settings_validation_matches_native() {
    let policy = Policy::load(policy_wasm().to_str().unwrap(), HostCalls::default()).unwrap();
    for settings in [
        json!({}),
        json!({"mode": "x", "runAsUser": 0}),
        json!({"frameworks": {"a": [{"path": "/x", "sizeLimit": "99Gi"}]}}),
        json!(null),
    ] {
        let payload = serde_json::to_vec(&settings).unwrap();
        let native: Value = serde_json::from_slice(
            &agent_hardening_policy::settings::validate_settings(&payload).unwrap(),
        )
        .unwrap();
        let wasm: Value =
            serde_json::from_slice(&policy.call("validate_settings", &payload).unwrap()).unwrap();
        assert_eq!(native, wasm, "{settings}");
    }
}

/// SPEC §5: every dependency and every typed deserialisation has a price; the module stays
/// within 400 KB (a size, not a time: deterministic on any machine).
#[test]
fn the_module_stays_within_400_kb() {
    let size = std::fs::metadata(policy_wasm()).unwrap().len();
    assert!(size <= 400 * 1024, "policy.wasm is {size} bytes");
}

/// One instance answering many requests (kwctl, and policy servers that keep instances):
/// reusing it never changes an answer.
#[test]
fn a_reused_instance_answers_alike() {
    let policy = Policy::load(policy_wasm().to_str().unwrap(), HostCalls::default()).unwrap();
    let request: Value =
        serde_json::from_slice(&std::fs::read(test_data("bench/pod_100_containers.json")).unwrap())
            .unwrap();
    let payload = serde_json::to_vec(&json!({"request": request, "settings": {}})).unwrap();
    let first = policy.call("validate", &payload).unwrap();
    assert!(first.len() > 50_000, "a mutation of the whole pod");
    for i in 0..300 {
        let answer = policy.call("validate", &payload).unwrap();
        assert!(answer == first, "answer {i} differs from the first");
    }
}

/// The policy's request arena is handed back after each answer, so a reused instance's memory
/// does not grow with the number of requests. Measured in a process of its own (`kwhost
/// bench` reuses one instance), where no other test's memory counts.
#[test]
fn a_reused_instance_gives_its_memory_back() {
    let text = bench_text("bench/pod_100_containers.json", 300, 1);
    let growth: u64 = text
        .split(" KiB growth")
        .next()
        .and_then(|head| head.rsplit('(').next())
        .and_then(|n| n.trim().parse().ok())
        .unwrap_or_else(|| panic!("no growth figure in {text}"));
    // Without the reset each call would keep what it allocated, until the arena is full
    // (16 MiB) and the system allocator takes over.
    assert!(growth < 8 * 1024, "peak memory grew by {growth} KiB");
}
