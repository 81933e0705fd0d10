//! Issue 12: custom resources with pod templates, per-control exceptions, stronger isolation,
//! audits that tell the truth.

mod common;

use common::*;
use serde_json::{Value, json};

fn settings_file(name: &str) -> Value {
    let path = test_data_dir().join("settings").join(name);
    serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap()
}

#[test]
fn sandboxes_are_checked_like_workloads() {
    let request = fixture("sandbox_create.json");
    assert!(accepted(run_default(&request)).is_empty());
    let (object, _) = mutated(run(&request, json!({"mutateWorkloadTemplates": true})));
    let template = &object["spec"]["podTemplate"]["spec"];
    assert_eq!(template["securityContext"]["runAsNonRoot"], json!(true));
    assert_eq!(
        template["containers"][0]["securityContext"]["readOnlyRootFilesystem"],
        json!(true)
    );
    let message = rejection(run_default(&fixture("sandbox_update_privileged.json")));
    assert!(
        message.contains(
            "- spec.podTemplate.spec.containers[0] (agent).securityContext.privileged: found true"
        ),
        "{message}"
    );
    let message = rejection(run_default(&fixture("sandboxtemplate_host_network.json")));
    assert!(
        message.contains("- spec.podTemplate.spec.hostNetwork: found true"),
        "{message}"
    );
    // The UPDATE rule holds for them too.
    let mut unchanged = fixture("sandbox_update_privileged.json");
    unchanged["oldObject"] = unchanged["object"].clone();
    accepted(run_default(&unchanged));
}

#[test]
fn other_kinds_are_added_by_settings() {
    let request = fixture("rollout_create.json");
    // Not listed: passes untouched.
    assert!(accepted(run(&request, json!({"mutateWorkloadTemplates": true}))).is_empty());
    let settings = json!({
        "mutateWorkloadTemplates": true,
        "podTemplates": [{"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec.template"}]
    });
    let (object, _) = mutated(run(&request, settings));
    assert_eq!(
        object["spec"]["template"]["spec"]["securityContext"]["seccompProfile"],
        json!({"type": "RuntimeDefault"})
    );
    assert_eq!(
        patch_ops(&request["object"], &object)
            .iter()
            .filter(|(_, p)| !p.starts_with("/spec/template/spec/"))
            .count(),
        0
    );
}

#[test]
fn pod_template_settings_are_checked() {
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "podTemplates": [
            {"apiGroup": "apps", "kind": "Deployment", "path": "spec.template"},
            {"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec..template"},
            {"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec.template"},
            {"apiGroup": "x", "kind": "", "path": "spec"}
        ]
    }))
    .unwrap_err();
    for expected in [
        "podTemplates[0]: apps/Deployment is built in",
        "podTemplates[1]: path \"spec..template\" must be dotted keys",
        "podTemplates[2]: argoproj.io/Rollout is listed twice",
        "podTemplates[3]: kind \"\" must be the kind's name as the API spells it",
    ] {
        assert!(problems.contains(expected), "{expected}: {problems}");
    }
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "podTemplates": [{"apiGroup": "x", "kind": "Y", "path": "spec", "extra": 1}]
    }))
    .unwrap_err();
    assert!(problems.contains("unknown field `extra`"), "{problems}");
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
    let agent_hardening_policy::response::Outcome::Mutate {
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
fn runtime_class_default_allowed_and_refused() {
    let request = fixture("pod_minimal.json");
    let settings = json!({"runtimeClass": {"default": "gvisor", "allowed": ["gvisor", "kata"]}});
    let (object, warnings) = mutated(run(&request, settings.clone()));
    assert_eq!(object["spec"]["runtimeClassName"], json!("gvisor"));
    assert!(
        warnings[0].contains("runtimeClassName: gvisor"),
        "{warnings:?}"
    );
    let mut kata = request.clone();
    set(&mut kata, "/spec/runtimeClassName", json!("kata"));
    let (object, _) = mutated(run(&kata, settings.clone()));
    assert_eq!(
        object["spec"]["runtimeClassName"],
        json!("kata"),
        "never overwritten"
    );
    let mut runc = request.clone();
    set(&mut runc, "/spec/runtimeClassName", json!("runc"));
    let message = rejection(run(&runc, settings.clone()));
    assert!(
        message.contains(
            "- spec.runtimeClassName: found \"runc\", allowed one of gvisor, kata (runtimeClass)"
        ),
        "{message}"
    );
    // Allowed list without a default: unset is the node's default runtime, refused.
    let message = rejection(run(
        &request,
        json!({"runtimeClass": {"allowed": ["gvisor"]}}),
    ));
    assert!(
        message.contains("- spec.runtimeClassName: found nothing (unset)"),
        "{message}"
    );
    // Validate mode reports the default as missing.
    let message = rejection(run(
        &request,
        json!({"mode": "validate", "runtimeClass": {"default": "gvisor"}}),
    ));
    assert!(
        message.contains("- spec.runtimeClassName: found nothing (unset), allowed one of gvisor"),
        "{message}"
    );
    // Off by default.
    let (object, _) = mutated(run_default(&request));
    assert_eq!(object["spec"].get("runtimeClassName"), None);
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "runtimeClass": {"default": "gvisor", "allowed": ["kata", "Not_Valid"]}
    }))
    .unwrap_err();
    assert!(
        problems.contains("runtimeClass.default: \"gvisor\" is not in allowed (kata, Not_Valid)"),
        "{problems}"
    );
    assert!(
        problems
            .contains("runtimeClass.allowed[1]: \"Not_Valid\" is not a valid RuntimeClass name"),
        "{problems}"
    );
}

#[test]
fn service_account_token_modes() {
    let request = fixture("pod_service_account_token.json");
    // keep (default): nothing changes about the token.
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        object["spec"]["volumes"][0]["name"],
        json!("kube-api-access-7xk2q")
    );
    assert_eq!(object["spec"].get("automountServiceAccountToken"), None);
    // default-off: false, and the volume the API server added is taken back.
    let (object, warnings) = mutated(run(&request, json!({"serviceAccountToken": "default-off"})));
    assert_eq!(object["spec"]["automountServiceAccountToken"], json!(false));
    let names: Vec<&str> = object["spec"]["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert!(!names.contains(&"kube-api-access-7xk2q"), "{names:?}");
    assert!(
        !object["spec"]["containers"][0]["volumeMounts"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "kube-api-access-7xk2q")
    );
    assert!(
        warnings[0].contains("took back the token volume kube-api-access-7xk2q"),
        "{warnings:?}"
    );
    // An explicit true is kept in default-off, refused in forbid.
    let mut wants = request.clone();
    set(
        &mut wants,
        "/spec/automountServiceAccountToken",
        json!(true),
    );
    let (object, _) = mutated(run(&wants, json!({"serviceAccountToken": "default-off"})));
    assert_eq!(object["spec"]["automountServiceAccountToken"], json!(true));
    let message = rejection(run(&wants, json!({"serviceAccountToken": "forbid"})));
    assert!(
        message.contains("- spec.automountServiceAccountToken: found true, allowed false"),
        "{message}"
    );
    assert!(
        message.contains("- spec.volumes[0] (kube-api-access-7xk2q).projected: found \"a projected serviceAccountToken for the API\""),
        "{message}"
    );
    // forbid refuses a token volume the user declares, whatever its name.
    let mut own = fixture("pod_minimal.json");
    set(&mut own, "/spec/automountServiceAccountToken", json!(false));
    set(
        &mut own,
        "/spec/volumes",
        json!([{"name": "my-token", "projected": {"sources": [{"serviceAccountToken": {"path": "t"}}]}}]),
    );
    let message = rejection(run(&own, json!({"serviceAccountToken": "forbid"})));
    assert!(
        message.contains("spec.volumes[0] (my-token).projected"),
        "{message}"
    );
    // Validate mode reports the missing false.
    let message = rejection(run(
        &fixture("pod_compliant.json"),
        json!({"serviceAccountToken": "forbid", "mode": "validate"}),
    ));
    assert!(
        message
            .contains("- spec.automountServiceAccountToken: found nothing (unset), allowed false"),
        "{message}"
    );
}

#[test]
fn requests_without_a_user_are_answered_as_validate_mode() {
    let request = fixture("pod_audit_scanner.json");
    let message = rejection(run_default(&request));
    assert!(
        message.contains("spec.securityContext.runAsNonRoot: found nothing (unset)"),
        "{message}"
    );
    // Turned off, the same request is mutated; with a user it always is.
    mutated(run(&request, json!({"auditAsValidate": false})));
    let mut with_user = request.clone();
    with_user["userInfo"] = json!({"username": "system:anonymous"});
    mutated(run_default(&with_user));
    // It only makes answers stricter: a compliant pod passes either way.
    let mut compliant = fixture("pod_compliant.json");
    compliant["userInfo"] = json!({});
    accepted(run_default(&compliant));
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
fn forbid_refuses_api_tokens_not_a_mesh_s_own() {
    let mut request = fixture("pod_minimal.json");
    set(
        &mut request,
        "/spec/automountServiceAccountToken",
        json!(false),
    );
    set(
        &mut request,
        "/spec/volumes",
        json!([
            {"name": "istio-token", "projected": {"sources": [{"serviceAccountToken": {"audience": "istio-ca", "path": "istio-token"}}]}},
            {"name": "api", "projected": {"sources": [{"serviceAccountToken": {"audience": "https://kubernetes.default.svc.cluster.local", "path": "t"}}]}}
        ]),
    );
    let message = rejection(run(&request, json!({"serviceAccountToken": "forbid"})));
    assert!(!message.contains("istio-token"), "{message}");
    assert!(
        message.contains("spec.volumes[1] (api).projected"),
        "{message}"
    );
    // default-off names its own mode when the value is not a boolean.
    let mut odd = fixture("pod_minimal.json");
    set(
        &mut odd,
        "/spec/automountServiceAccountToken",
        json!("false"),
    );
    let message = rejection(run(&odd, json!({"serviceAccountToken": "default-off"})));
    assert!(
        message.contains("allowed true or false (serviceAccountToken: default-off)"),
        "{message}"
    );
}

#[test]
fn audit_requests_judge_templates_as_admission_does() {
    // Admission only checks templates by default (their pods get the fields), so audit does.
    let mut request = fixture("deployment_create.json");
    request["userInfo"] = json!({});
    accepted(run_default(&request));
    // A null user is no user, and a pass-through request is not broken by it.
    let mut null_user = fixture("pod_minimal.json");
    null_user["userInfo"] = Value::Null;
    rejection(run_default(&null_user));
    let mut configmap = fixture("configmap_create.json");
    configmap["userInfo"] = Value::Null;
    accepted(run_default(&configmap));
}
