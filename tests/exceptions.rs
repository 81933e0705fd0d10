//! Issue 12: exceptions for trusted containers (service meshes), per control, by image only.

mod common;

use common::*;
use serde_json::{Value, json};

fn settings_file(name: &str) -> Value {
    let path = test_data_dir().join("settings").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn an_istio_pod_is_admitted_only_with_its_exception() {
    let request = fixture("pod_istio_injected.json");
    let message = rejection(run_default(&request));
    for line in [
        "spec.containers[1] (istio-proxy).securityContext.runAsUser: found 1337",
        "spec.initContainers[0] (istio-init).securityContext.runAsNonRoot: found false",
        "spec.initContainers[0] (istio-init).securityContext.capabilities.add[0]: found \"NET_ADMIN\"",
        "spec.initContainers[0] (istio-init).securityContext.readOnlyRootFilesystem: found false",
    ] {
        assert!(message.contains(line), "{line}: {message}");
    }
    let settings = settings_file("istio_exceptions.json");
    let outcome = run(&request, settings.clone());
    let Outcome::Mutate {
        object,
        warnings,
        audit,
    } = outcome
    else {
        panic!("expected a mutation");
    };
    // Nothing the exception does not name is relaxed: the proxy still gets the env and mounts,
    // the agent container the whole profile.
    assert_eq!(
        object["spec"]["initContainers"][0]["securityContext"]["readOnlyRootFilesystem"],
        json!(false)
    );
    for used in [
        "istio-proxy (docker.io/istio/proxyv2:1.22.0): runAsUser 1337 (exceptions[0], docker.io/istio/proxyv2:*)",
        "init istio-init (docker.io/istio/proxyv2:1.22.0): runAsNonRoot: false (exceptions[0]",
        "init istio-init (docker.io/istio/proxyv2:1.22.0): capabilities.add NET_ADMIN (exceptions[0]",
        "init istio-init (docker.io/istio/proxyv2:1.22.0): readOnlyRootFilesystem: false (exceptions[0]",
    ] {
        assert!(
            warnings
                .iter()
                .any(|w| w.starts_with("agent-hardening: exception used by") && w.contains(used)),
            "{used}: {warnings:?}"
        );
        assert!(audit[0].1.contains(used), "{used}: {audit:?}");
    }
    assert_eq!(audit[0].0, "exceptions");
}

#[test]
fn an_exception_is_granted_by_image_only_and_only_for_what_it_names() {
    let settings = settings_file("istio_exceptions.json");
    // Same names, same security context, another image: refused.
    let message = rejection(run(&fixture("pod_istio_impostor.json"), settings.clone()));
    assert!(
        message.contains(
            "spec.initContainers[0] (istio-init).securityContext.runAsNonRoot: found false"
        ),
        "{message}"
    );
    // The proxy's image may not be privileged, nor add SYS_ADMIN, nor escalate.
    let mut request = fixture("pod_istio_injected.json");
    set(
        &mut request,
        "/spec/containers/1/securityContext/privileged",
        json!(true),
    );
    set(
        &mut request,
        "/spec/initContainers/0/securityContext/capabilities/add",
        json!(["NET_ADMIN", "SYS_ADMIN"]),
    );
    set(
        &mut request,
        "/spec/initContainers/0/securityContext/allowPrivilegeEscalation",
        json!(true),
    );
    let message = rejection(run(&request, settings.clone()));
    for line in [
        "spec.containers[1] (istio-proxy).securityContext.privileged: found true",
        "spec.initContainers[0] (istio-init).securityContext.capabilities.add[1]: found \"SYS_ADMIN\"",
        "spec.initContainers[0] (istio-init).securityContext.allowPrivilegeEscalation: found true",
    ] {
        assert!(message.contains(line), "{line}: {message}");
    }
    // runAsNonRoot: false is for init containers only.
    let mut request = fixture("pod_istio_injected.json");
    set(
        &mut request,
        "/spec/containers/1/securityContext/runAsNonRoot",
        json!(false),
    );
    let message = rejection(run(&request, settings));
    assert!(
        message
            .contains("spec.containers[1] (istio-proxy).securityContext.runAsNonRoot: found false"),
        "{message}"
    );
}

#[test]
fn exception_settings_are_checked() {
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "exceptions": [
            {"images": ["*"], "allow": {"runAsUser": [{"min": 1337, "max": 1337}]}},
            {"images": ["istio/proxyv2:*"], "allow": {"privileged": true}},
            {"images": ["docker.io/istio/proxyv2:*"], "allow": {}},
            {"images": ["docker.io/x/y:*"], "allow": {"readOnlyRootFilesystem": true, "runAsNonRoot": true}},
            {"images": [], "allow": {"capabilities": ["NET_ADMIN"]}}
        ]
    }))
    .unwrap_err();
    for expected in [
        "exceptions[0].images[0]: \"*\" must be a full reference",
        "exceptions[1].images[0]: \"istio/proxyv2:*\" must write out the registry and every path component but the last",
        "exceptions[1].allow.privileged: privileged can't be excepted",
        "exceptions[2].allow: relaxes nothing",
        "exceptions[3].allow.readOnlyRootFilesystem: found true, allowed false",
        "exceptions[3].allow.runAsNonRoot: found true, allowed false",
        "exceptions[4].images: must name at least one image glob",
    ] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
}

#[test]
fn review_exceptions_are_narrow() {
    let settings = settings_file("istio_exceptions.json");
    // Root for init containers that run to completion, not for native sidecars.
    let mut sidecar = fixture("pod_istio_injected.json");
    set(
        &mut sidecar,
        "/spec/initContainers/0/restartPolicy",
        json!("Always"),
    );
    let message = rejection(run(&sidecar, settings.clone()));
    assert!(
        message.contains(
            "spec.initContainers[0] (istio-init).securityContext.runAsNonRoot: found false"
        ),
        "{message}"
    );
    // Never for debug containers.
    let mut debug = fixture("pod_ephemeral_unhardened.json");
    set(
        &mut debug,
        "/spec/ephemeralContainers/0/image",
        json!("docker.io/istio/proxyv2:1.22.0"),
    );
    set(
        &mut debug,
        "/spec/ephemeralContainers/0/securityContext",
        json!({"runAsUser": 1337, "capabilities": {"add": ["NET_ADMIN"]}}),
    );
    let message = rejection(run(&debug, settings.clone()));
    assert!(
        message.contains("securityContext.runAsUser: found 1337"),
        "{message}"
    );
    assert!(
        message.contains("capabilities.add[0]: found \"NET_ADMIN\""),
        "{message}"
    );
    // Registry-wide globs, ALL and unknown capabilities are refused.
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "exceptions": [
            {"images": ["docker.io/*/*"], "allow": {"capabilities": ["ALL", "cap_all", "FOO_BAR", "NET_ADMIN"]}}
        ]
    }))
    .unwrap_err();
    for expected in [
        "exceptions[0].images[0]: \"docker.io/*/*\" must write out the registry and every path component but the last",
        "exceptions[0].allow.capabilities[0]: ALL can't be excepted",
        "exceptions[0].allow.capabilities[1]: ALL can't be excepted",
        "exceptions[0].allow.capabilities[2]: \"FOO_BAR\" is not a Linux capability",
    ] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
    // A tag glob does not reach a digest: a digest-pinned proxy needs its own glob.
    let mut pinned = fixture("pod_istio_injected.json");
    set(
        &mut pinned,
        "/spec/containers/1/image",
        json!("docker.io/istio/proxyv2:1.22.0@sha256:0123"),
    );
    rejection(run(&pinned, settings));
}

#[test]
fn an_exception_grants_only_the_ids_in_its_ranges() {
    // Found by mutation testing: nothing checked that an id just outside a range is refused.
    let settings = settings_file("istio_exceptions.json");
    for (pointer, id, line) in [
        (
            "/spec/containers/1/securityContext/runAsUser",
            1338,
            "spec.containers[1] (istio-proxy).securityContext.runAsUser: found 1338",
        ),
        (
            "/spec/containers/1/securityContext/runAsUser",
            1336,
            "spec.containers[1] (istio-proxy).securityContext.runAsUser: found 1336",
        ),
        (
            "/spec/containers/1/securityContext/runAsGroup",
            1338,
            "spec.containers[1] (istio-proxy).securityContext.runAsGroup: found 1338",
        ),
        (
            "/spec/initContainers/0/securityContext/runAsGroup",
            1,
            "spec.initContainers[0] (istio-init).securityContext.runAsGroup: found 1",
        ),
    ] {
        let mut request = fixture("pod_istio_injected.json");
        set(&mut request, pointer, json!(id));
        let message = rejection(run(&request, settings.clone()));
        assert!(message.contains(line), "{line}: {message}");
    }
    // An exception that names no ids grants none.
    let caps_only = json!({"exceptions": [{"images": ["docker.io/istio/proxyv2:*"], "allow": {"capabilities": ["NET_ADMIN", "NET_RAW"]}}]});
    let message = rejection(run(&fixture("pod_istio_injected.json"), caps_only));
    assert!(
        message.contains("spec.containers[1] (istio-proxy).securityContext.runAsUser: found 1337"),
        "{message}"
    );
}

/// Found by mutation testing: an id the settings allow anyway is not an exception's use, even
/// when an exception's range covers it (the audit trail lists only what needed one).
#[test]
fn an_allowed_id_is_no_use_of_an_exception() {
    let mut request = fixture("pod_compliant.json");
    set(
        &mut request,
        "/spec/containers/0/securityContext/runAsUser",
        json!(65534),
    );
    let settings = json!({"exceptions": [{
        "images": ["ghcr.io/example/agent:*"],
        "allow": {"runAsUser": [{"min": 1000, "max": 70000}], "runAsGroup": [{"min": 1000, "max": 70000}]}
    }]});
    match run(&request, settings.clone()) {
        Outcome::Accept { warnings, audit } => {
            assert!(audit.is_empty(), "{audit:?}");
            assert!(
                !warnings.iter().any(|w| w.contains("exception used")),
                "{warnings:?}"
            );
        }
        _ => panic!("the compliant pod was not accepted"),
    }
    // The same range does grant an id the settings refuse, and says so.
    set(
        &mut request,
        "/spec/containers/0/securityContext/runAsUser",
        json!(1337),
    );
    match run(&request, settings) {
        Outcome::Accept { audit, .. } => {
            assert!(audit[0].1.contains("runAsUser 1337"), "{audit:?}")
        }
        _ => panic!("the excepted id was not accepted"),
    }
}
