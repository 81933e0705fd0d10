//! The fixtures are what the API server sends (issue 11), and the policy answers them as it
//! answers hand-made ones: pods created by controllers, the ServiceAccount token volume that
//! the API server adds before any webhook, scale subresource requests.

mod common;

use common::restricted::restricted_violations;
use common::*;
use serde_json::{Value, json};

fn is_token_volume(v: &Value) -> bool {
    v["name"]
        .as_str()
        .is_some_and(|n| n.starts_with("kube-api-access-"))
}

/// Every committed fixture has the shape the API server gives it.
#[test]
fn fixtures_look_like_what_the_api_server_sends() {
    let mut pods_with_token = 0;
    for (name, request) in all_fixtures() {
        for key in ["uid", "kind", "resource", "operation", "userInfo"] {
            assert!(request.get(key).is_some(), "{name}: no {key}");
        }
        let object = &request["object"];
        // Stored objects carry their identity on UPDATE and DELETE.
        if matches!(request["operation"].as_str(), Some("UPDATE" | "DELETE")) {
            for o in [object, &request["oldObject"]] {
                if o.is_object() {
                    assert!(o.pointer("/metadata/uid").is_some(), "{name}: no uid");
                    assert!(
                        o.pointer("/metadata/resourceVersion").is_some(),
                        "{name}: no resourceVersion"
                    );
                }
            }
        }
        // A workload's selector selects its own template.
        if let Some(selector) = object.pointer("/spec/selector/matchLabels") {
            let labels = &object["spec"]["template"]["metadata"]["labels"];
            for (k, v) in selector.as_object().unwrap() {
                assert_eq!(&labels[k], v, "{name}: selector {k} misses the template");
            }
        }
        // A Pod CREATE went through the ServiceAccount admission plugin first.
        let spec = &object["spec"];
        if request["kind"]["kind"] == "Pod"
            && request["operation"] == "CREATE"
            && spec["containers"].is_array()
            && spec["automountServiceAccountToken"] != json!(false)
            && request["subResource"].is_null()
        {
            let volumes = spec["volumes"].as_array();
            let tokens = volumes.map_or(0, |v| v.iter().filter(|v| is_token_volume(v)).count());
            let mounted = spec["containers"][0]["volumeMounts"]
                .as_array()
                .is_some_and(|m| m.iter().any(|m| m["mountPath"] == SA_MOUNT));
            if tokens == 1 && mounted {
                pods_with_token += 1;
            }
        }
    }
    assert!(
        pods_with_token >= 100,
        "only {pods_with_token} pods carry the token"
    );
}

#[test]
fn the_scale_subresource_passes_untouched() {
    let request = fixture("deployment_scale.json");
    assert_eq!(request["kind"]["kind"], "Scale");
    for settings in [
        json!({}),
        json!({"mutateWorkloadTemplates": true, "mode": "validate"}),
    ] {
        let warnings = accepted(run(&request, settings));
        assert!(warnings.is_empty(), "{warnings:?}");
    }
}

#[test]
fn pods_created_by_controllers_are_hardened_like_any_other() {
    for name in ["pod_from_replicaset.json", "pod_from_job.json"] {
        let request = fixture(name);
        assert!(request["object"]["metadata"].get("name").is_none());
        let (object, _) = mutated(run_default(&request));
        assert!(restricted_violations(&object).is_empty(), "{name}");
        // Identity and ownership are kept: the controller must still recognise its pod.
        assert_eq!(object["metadata"], request["object"]["metadata"], "{name}");
        // The framework label chose the paths, as on a pod a person creates.
        assert!(
            mount_paths(&object, "/spec/containers/0")
                .contains(&"/home/nobody/.cache/pip".to_string()),
            "{name}"
        );
    }
}

#[test]
fn the_service_account_token_mount_is_left_as_the_api_server_made_it() {
    let request = fixture("pod_init_and_sidecars.json");
    let (object, _) = mutated(run_default(&request));
    let before = &request["object"]["spec"];
    let after = &object["spec"];
    let token: Vec<&Value> = after["volumes"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|v| is_token_volume(v))
        .collect();
    assert_eq!(token.len(), 1);
    assert_eq!(token[0], &before["volumes"][0]);
    for list in ["containers", "initContainers"] {
        for (i, c) in after[list].as_array().unwrap().iter().enumerate() {
            let mount = c["volumeMounts"]
                .as_array()
                .unwrap()
                .iter()
                .find(|m| m["mountPath"] == SA_MOUNT)
                .unwrap_or_else(|| panic!("{list}[{i}] lost its token mount"));
            assert_eq!(mount["readOnly"], json!(true));
            // Nothing was injected at or under the token's mount.
            let under = mount_paths(&object, &format!("/spec/{list}/{i}"))
                .into_iter()
                .filter(|p| p.starts_with(SA_MOUNT))
                .count();
            assert_eq!(under, 1, "{list}[{i}]");
        }
    }
    // In validate mode the same pod is refused for what it lacks, never for the token.
    if let Outcome::Reject { message, .. } = run(&request, json!({"mode": "validate"})) {
        assert!(!message.contains("kube-api-access"), "{message}");
    } else {
        panic!("a bare pod passed validate mode");
    }
}

/// Found by mutation testing: `serviceAccountToken: default-off` takes back exactly the
/// plugin's token volume: not the pod's first volume, not a look-alike without a token.
#[test]
fn default_off_takes_back_only_the_plugins_token_volume() {
    let mut request = fixture("pod_writable_ancestor.json");
    let volumes = request["object"]["spec"]["volumes"].as_array_mut().unwrap();
    // A user's configMap that happens to be named like the plugin's volume, ahead of it.
    volumes.insert(
        1,
        json!({"name": "kube-api-access-settings", "configMap": {"name": "settings"}}),
    );
    push(
        &mut request,
        "/spec/containers/0/volumeMounts",
        json!({"name": "kube-api-access-settings", "mountPath": "/etc/agent", "readOnly": true}),
    );
    let before: Vec<Value> = request["object"]["spec"]["volumes"]
        .as_array()
        .unwrap()
        .clone();
    assert!(is_token_volume(&before[2]));
    let (object, _) = mutated(run(&request, json!({"serviceAccountToken": "default-off"})));
    let after = object["spec"]["volumes"].as_array().unwrap();
    assert_eq!(after[0], before[0], "the pod's first volume is kept");
    assert_eq!(after[1], before[1], "a look-alike without a token is kept");
    assert!(
        !after.iter().any(|v| *v == before[2]),
        "the token volume stays"
    );
    let mounts = mount_paths(&object, "/spec/containers/0");
    assert!(mounts.contains(&"/etc/agent".to_string()), "{mounts:?}");
    assert!(!mounts.contains(&SA_MOUNT.to_string()), "{mounts:?}");
    assert_eq!(object["spec"]["automountServiceAccountToken"], json!(false));
}
