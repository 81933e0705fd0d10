//! Every rule of the profile, both ways, from the fixtures in `test_data/rules/` (one admission
//! request per case, listed in `index.json`): missing hardened fields are filled in (mutate) or
//! reported (validate), explicit violations are rejected naming the field, the value and what
//! is allowed, and allowed values are accepted untouched.

mod common;

use common::*;
use serde_json::{Value, json};

#[test]
fn compliant_pod_is_accepted_untouched() {
    let compliant = fixture("pod_compliant.json");
    let warnings = accepted(run_default(&compliant));
    assert!(warnings.is_empty(), "{warnings:?}");
    accepted(run(&compliant, json!({"mode": "validate"})));
}

/// The cases of one kind: (fixture, index entry).
fn cases(expect: &str) -> Vec<(Value, Value)> {
    let index = fixture("rules/index.json");
    let cases: Vec<(Value, Value)> = index
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["expect"] == expect)
        .map(|e| (fixture(e["file"].as_str().unwrap()), e.clone()))
        .collect();
    assert!(!cases.is_empty(), "no {expect} cases");
    cases
}

/// `/spec/containers/0/x` → `spec.containers[0] (agent).x`, naming list items as messages
/// do (by the `name` they have in `object`).
fn dotted(object: &Value, pointer: &str) -> String {
    let mut out = String::new();
    let mut at = String::new();
    for part in pointer.trim_start_matches('/').split('/') {
        at.push('/');
        at.push_str(part);
        if part.parse::<usize>().is_ok() {
            out.push_str(&format!("[{part}]"));
            if let Some(name) = object
                .pointer(&format!("{at}/name"))
                .and_then(Value::as_str)
            {
                out.push_str(&format!(" ({name})"));
            }
        } else {
            if !out.is_empty() {
                out.push('.');
            }
            out.push_str(part);
        }
    }
    out
}

#[test]
fn each_missing_field_is_added_exactly_in_mutate_mode() {
    for (request, case) in cases("mutate") {
        let pointer = case["pointer"].as_str().unwrap();
        let (object, warnings) = mutated(run_default(&request));
        assert_eq!(object.pointer(pointer), Some(&case["added"]), "{case}");
        assert_eq!(
            patch_ops(&request["object"], &object),
            adds(&[pointer]),
            "{case}"
        );
        assert_eq!(warnings.len(), 1, "{case}: {warnings:?}");
    }
}

#[test]
fn each_missing_field_is_a_violation_in_validate_mode() {
    for (request, case) in cases("mutate") {
        let pointer = case["pointer"].as_str().unwrap();
        let message = rejection(run(&request, json!({"mode": "validate"})));
        // A removed object is reported by its first missing leaf, below the pointer.
        assert!(
            message.contains(&format!("- {}", dotted(&request["object"], pointer))),
            "{case}: {message}"
        );
        assert!(
            message.contains("found nothing (unset)"),
            "{case}: {message}"
        );
    }
}

#[test]
fn each_explicit_violation_is_rejected_naming_the_field() {
    let cases = cases("reject");
    assert!(cases.len() >= 40);
    for mode in ["mutate", "validate"] {
        for (request, case) in &cases {
            let message = rejection(run(request, json!({"mode": mode})));
            let line = case["line"].as_str().unwrap();
            assert!(
                message.contains(&format!("- {line}")),
                "{mode} {case}:\n{message}"
            );
        }
    }
}

#[test]
fn allowed_values_are_accepted_untouched() {
    for (request, case) in cases("accept") {
        let warnings = accepted(run(&request, case["settings"].clone()));
        assert!(warnings.is_empty(), "{case}: {warnings:?}");
    }
}

/// Found by mutation testing: a refused group id is told every group id that would do — the
/// run-as group, the fsGroup when it differs, and the allowed ranges.
#[test]
fn a_refused_group_is_told_every_allowed_group() {
    let mut request = fixture("pod_compliant.json");
    set(&mut request, "/spec/securityContext/runAsGroup", json!(0));
    let message = rejection(run_default(&request));
    assert!(
        message.contains(
            "spec.securityContext.runAsGroup: found 0, allowed a non-root group id: 65534\n"
        ) || message.ends_with(
            "spec.securityContext.runAsGroup: found 0, allowed a non-root group id: 65534"
        ),
        "{message}"
    );
    let settings = json!({"fsGroup": 2000, "allowedGroupRanges": [{"min": 3000, "max": 4000}]});
    set(&mut request, "/spec/securityContext/fsGroup", json!(2000));
    let message = rejection(run(&request, settings));
    assert!(
        message.contains(
            "runAsGroup: found 0, allowed a non-root group id: 65534 or 2000 or 3000-4000"
        ),
        "{message}"
    );
}
