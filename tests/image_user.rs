//! The optional check of each image's configured USER (SPEC §3), with a fake registry.

mod common;

use std::collections::BTreeMap;

use agent_hardening_policy::image_user::ImageConfigs;
use agent_hardening_policy::validate::evaluate_with;
use common::*;
use serde_json::{Value, json};

#[derive(Default)]
struct FakeRegistry {
    users: BTreeMap<&'static str, Result<Option<&'static str>, &'static str>>,
    asked: Vec<String>,
}

impl ImageConfigs for FakeRegistry {
    fn user(&mut self, image: &str) -> Result<Option<String>, String> {
        self.asked.push(image.to_string());
        match self.users.get(image) {
            Some(Ok(user)) => Ok(user.map(str::to_string)),
            Some(Err(e)) => Err(e.to_string()),
            None => Err("not found".into()),
        }
    }
}

fn run_with(request: &Value, settings: Value, registry: &mut FakeRegistry) -> Outcome {
    let payload = serde_json::to_vec(&json!({"request": request, "settings": settings})).unwrap();
    owned(evaluate_with(&payload, registry))
}

fn registry(user: Result<Option<&'static str>, &'static str>) -> FakeRegistry {
    let mut r = FakeRegistry::default();
    r.users.insert("ghcr.io/example/agent:1.4.2", user);
    r
}

#[test]
fn off_by_default_asks_nothing() {
    let mut r = registry(Ok(Some("0")));
    accepted(run_with(&fixture("pod_compliant.json"), json!({}), &mut r));
    assert!(r.asked.is_empty());
}

#[test]
fn enforce_rejects_root_images_and_says_how_to_fix_them() {
    for user in [None, Some("root"), Some("0:0")] {
        let mut r = registry(Ok(user));
        let message = rejection(run_with(
            &fixture("pod_compliant.json"),
            json!({"imageUserCheck": "enforce"}),
            &mut r,
        ));
        assert!(message.contains("- spec.containers[0] (agent).image: found \"ghcr.io/example/agent:1.4.2\", allowed an image whose USER is not root"), "{message}");
        assert!(message.contains("add `USER 65534`"), "{message}");
    }
}

#[test]
fn enforce_accepts_non_root_images_and_asks_once_per_image() {
    let mut r = registry(Ok(Some("65534")));
    r.users
        .insert("ghcr.io/example/proxy:2.0", Ok(Some("nobody")));
    r.users
        .insert("ghcr.io/example/setup:1.0", Ok(Some("1000:1000")));
    r.users
        .insert("ghcr.io/example/shipper:3.1", Ok(Some("agent")));
    let mut request = fixture("pod_init_and_sidecars.json");
    set(
        &mut request,
        "/spec/containers/1/image",
        json!("ghcr.io/example/agent:1.4.2"),
    );
    mutated(run_with(
        &request,
        json!({"imageUserCheck": "enforce"}),
        &mut r,
    ));
    assert_eq!(
        r.asked,
        [
            "ghcr.io/example/agent:1.4.2",
            "ghcr.io/example/setup:1.0",
            "ghcr.io/example/shipper:3.1"
        ]
    );
}

#[test]
fn warn_mode_only_warns() {
    let mut r = registry(Ok(None));
    let warnings = accepted(run_with(
        &fixture("pod_compliant.json"),
        json!({"imageUserCheck": "warn"}),
        &mut r,
    ));
    assert_eq!(warnings.len(), 1);
    assert!(warnings[0].starts_with("agent-hardening: spec.containers[0] (agent).image should be an image whose USER is not root (ghcr.io/example/agent:1.4.2 sets no USER)"), "{warnings:?}");
}

#[test]
fn lookup_failures_fail_closed_when_enforcing() {
    let mut r = registry(Err("registry unreachable"));
    let message = rejection(run_with(
        &fixture("pod_compliant.json"),
        json!({"imageUserCheck": "enforce"}),
        &mut r,
    ));
    assert!(message.contains("allowed an image whose USER can be checked (ghcr.io/example/agent:1.4.2: registry unreachable)"), "{message}");
}

#[test]
fn a_pod_update_checks_only_the_images_that_changed() {
    let request = fixture("pod_update_image.json");
    let mut r = FakeRegistry::default();
    r.users.insert("ghcr.io/example/agent:1.5.0", Ok(None));
    r.users.insert("ghcr.io/example/setup:1.0", Ok(None));
    let message = rejection(run_with(
        &request,
        json!({"imageUserCheck": "enforce"}),
        &mut r,
    ));
    assert_eq!(
        r.asked,
        ["ghcr.io/example/agent:1.5.0"],
        "only the new image"
    );
    assert!(
        message
            .contains("- spec.containers[0] (agent).image: found \"ghcr.io/example/agent:1.5.0\""),
        "{message}"
    );
    // A non-root new image passes, and nothing is patched on a running pod.
    let mut ok = FakeRegistry::default();
    ok.users
        .insert("ghcr.io/example/agent:1.5.0", Ok(Some("65534")));
    accepted(run_with(
        &request,
        json!({"imageUserCheck": "enforce"}),
        &mut ok,
    ));
    // With the check off, a Pod UPDATE is not even read.
    let mut off = FakeRegistry::default();
    accepted(run_with(&request, json!({}), &mut off));
    assert!(off.asked.is_empty());
    // An UPDATE that changes no image asks nothing.
    let mut same = request.clone();
    same["object"] = same["oldObject"].clone();
    let mut none = FakeRegistry::default();
    accepted(run_with(
        &same,
        json!({"imageUserCheck": "enforce"}),
        &mut none,
    ));
    assert!(none.asked.is_empty());
}

#[test]
fn registry_errors_are_quoted_by_their_first_line() {
    let mut r = registry(Err("401 Unauthorized\n\nStack backtrace:\n  0: anyhow"));
    let message = rejection(run_with(
        &fixture("pod_compliant.json"),
        json!({"imageUserCheck": "enforce"}),
        &mut r,
    ));
    assert!(
        message.contains("(ghcr.io/example/agent:1.4.2: 401 Unauthorized)"),
        "{message}"
    );
    assert!(!message.contains("backtrace"), "{message}");
}

#[test]
fn an_exception_that_names_the_identity_vouches_for_the_image_user() {
    // Found by mutation testing: nothing checked which images are looked up under exceptions.
    let request = fixture("pod_istio_injected.json");
    let path = test_data_dir().join("settings/istio_exceptions.json");
    let mut settings: Value =
        serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    settings["imageUserCheck"] = json!("enforce");
    let mut r = FakeRegistry::default();
    r.users
        .insert("ghcr.io/example/agent:1.4.2", Ok(Some("65534")));
    mutated(run_with(&request, settings.clone(), &mut r));
    assert_eq!(
        r.asked,
        ["ghcr.io/example/agent:1.4.2"],
        "the proxy image is vouched for"
    );
    // An exception that names no runAsUser does not vouch: the proxy image is looked up.
    settings["exceptions"][0]["allow"]
        .as_object_mut()
        .unwrap()
        .remove("runAsUser");
    let mut r = FakeRegistry::default();
    r.users
        .insert("ghcr.io/example/agent:1.4.2", Ok(Some("65534")));
    r.users.insert("docker.io/istio/proxyv2:1.22.0", Ok(None));
    let message = rejection(run_with(&request, settings, &mut r));
    assert!(
        r.asked
            .contains(&"docker.io/istio/proxyv2:1.22.0".to_string()),
        "{:?}",
        r.asked
    );
    assert!(message.contains("(istio-proxy).image"), "{message}");
}
