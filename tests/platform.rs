//! Issue 12: custom resources with pod templates, per-control exceptions, stronger isolation,
//! audits that tell the truth.

mod common;

use common::*;
use serde_json::{Value, json};

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
fn forbid_refuses_api_tokens_not_a_mesh_s_own() {
    let mut request = fixture("pod_minimal.json");
    set(
        &mut request,
        "/spec/automountServiceAccountToken",
        json!(false),
    );
    set(&mut request, "/spec/containers/0/volumeMounts", json!([]));
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
    // Any audience not listed may be one the API server accepts (its issuer, k3s, ...).
    let audience = "/spec/volumes/1/projected/sources/0/serviceAccountToken/audience";
    for other in [
        "k3s",
        "https://oidc.eks.us-east-1.amazonaws.com/id/ABC",
        "api",
        "vault",
    ] {
        let mut request = request.clone();
        set(&mut request, audience, json!(other));
        let message = rejection(run(&request, json!({"serviceAccountToken": "forbid"})));
        assert!(
            message.contains("spec.volumes[1] (api).projected"),
            "{other}: {message}"
        );
    }
    // An operator may add an audience (but never the API's).
    let mut vault = request.clone();
    set(&mut vault, audience, json!("vault"));
    let settings =
        json!({"serviceAccountToken": "forbid", "allowedTokenAudiences": ["istio-ca", "vault"]});
    mutated(run(&vault, settings));
    let problems = agent_hardening_policy::settings::parse_settings(&json!({
        "allowedTokenAudiences": ["https://kubernetes.default.svc", ""]
    }))
    .unwrap_err();
    assert!(problems.contains("allowedTokenAudiences[0]: \"https://kubernetes.default.svc\" would let tokens for the Kubernetes API through"), "{problems}");
    assert!(problems.contains("allowedTokenAudiences[1]"), "{problems}");
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

#[test]
fn audit_reports_an_owned_replicaset_as_admission_treats_it() {
    // Admission never patches a controller-owned ReplicaSet's template: audit must not fail it
    // for fields its pods get.
    let mut request = fixture("replicaset_create.json");
    request["object"]["metadata"]["ownerReferences"] = json!([{
        "apiVersion": "apps/v1", "kind": "Deployment", "name": "agent-deployment",
        "uid": "0b1c2d3e-4f50-6172-8394-a5b6c7d8e9f0", "controller": true
    }]);
    request["userInfo"] = Value::Null;
    accepted(run(&request, json!({"mutateWorkloadTemplates": true})));
    // Not owned: audit reports what admission would add.
    request["object"]["metadata"]
        .as_object_mut()
        .unwrap()
        .remove("ownerReferences");
    rejection(run(&request, json!({"mutateWorkloadTemplates": true})));
}

/// Found by mutation testing: a custom kind is matched by group and kind together; the same
/// kind in another group, or another kind in the same group, is not a pod template.
#[test]
fn custom_kinds_match_by_group_and_kind_together() {
    let request = fixture("sandbox_update_privileged.json");
    rejection(run_default(&request));
    for (group, kind) in [
        ("example.com", "Sandbox"),
        ("agents.x-k8s.io", "SandboxClaim"),
    ] {
        let mut other = request.clone();
        other["kind"]["group"] = json!(group);
        other["kind"]["kind"] = json!(kind);
        let warnings = accepted(run_default(&other));
        assert!(warnings.is_empty(), "{group}/{kind}: {warnings:?}");
    }
}
