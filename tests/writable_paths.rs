//! Writable paths per framework, emptyDir size limits and forbidden log paths.

mod common;

use common::*;
use serde_json::{Value, json};

/// The pod's volumes but the ServiceAccount token's, which the API server adds to every pod
/// before the policy sees it (its handling is tested in platform.rs).
fn volumes(object: &Value) -> Vec<Value> {
    let all = object["spec"]["volumes"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let token = |v: &Value| {
        v["name"]
            .as_str()
            .is_some_and(|n| n.starts_with("kube-api-access-"))
    };
    assert!(all.iter().filter(|v| token(v)).count() <= 1);
    all.into_iter().filter(|v| !token(v)).collect()
}

fn volume_names(object: &Value) -> Vec<String> {
    volumes(object)
        .iter()
        .map(|v| v["name"].as_str().unwrap().to_string())
        .collect()
}

fn size_limits(object: &Value) -> Vec<String> {
    volumes(object)
        .iter()
        .map(|v| v["emptyDir"]["sizeLimit"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn each_default_framework_gets_its_paths() {
    let cases: &[(&str, &[&str], &[&str])] = &[
        (
            "python",
            &["/tmp", "/data", "/home/nobody/.cache/pip"],
            &["1Gi", "5Gi", "2Gi"],
        ),
        (
            "python_openllmetry",
            &[
                "/tmp",
                "/data",
                "/home/nobody/.cache",
                "/home/nobody/.local",
            ],
            &["1Gi", "5Gi", "2Gi", "1Gi"],
        ),
        // /data/node_modules is inside /data: covered, no second mount.
        (
            "node",
            &["/tmp", "/data", "/home/nobody/.npm"],
            &["1Gi", "5Gi", "2Gi"],
        ),
        ("java", &["/tmp", "/data"], &["1Gi", "5Gi"]),
        ("go", &["/tmp", "/data"], &["1Gi", "5Gi"]),
    ];
    for (framework, paths, sizes) in cases {
        let request = fixture(&format!("pod_framework_{framework}.json"));
        let (object, _) = mutated(run_default(&request));
        // The token mount the ServiceAccount plugin added comes first, then the injected ones.
        assert_eq!(
            mount_paths(&object, "/spec/containers/0"),
            [&[SA_MOUNT], *paths].concat(),
            "{framework}"
        );
        assert_eq!(size_limits(&object), *sizes, "{framework}");
    }
}

#[test]
fn no_label_gets_only_the_common_paths() {
    let (object, _) = mutated(run_default(&fixture("pod_minimal.json")));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data"]
    );
    assert_eq!(
        volumes(&object),
        vec![
            json!({"name": "writable-tmp", "emptyDir": {"sizeLimit": "1Gi"}}),
            json!({"name": "writable-data", "emptyDir": {"sizeLimit": "5Gi"}}),
        ]
    );
}

#[test]
fn default_framework_applies_when_the_label_is_missing() {
    let (object, _) = mutated(run(
        &fixture("pod_minimal.json"),
        json!({"defaultFramework": "node"}),
    ));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data", "/home/nobody/.npm"]
    );
}

#[test]
fn unknown_framework_is_rejected_with_the_known_ones() {
    let message = rejection(run_default(&fixture("pod_framework_unknown.json")));
    assert!(
        message.contains("- metadata.labels[agent.framework]: found \"ruby\", allowed one of the known frameworks: go, java, node, python, python-openllmetry"),
        "{message}"
    );
}

#[test]
fn custom_framework_from_settings_is_merged_over_the_table() {
    let settings: Value = serde_json::from_str(
        &std::fs::read_to_string(test_data_dir().join("settings/custom_frameworks.json")).unwrap(),
    )
    .unwrap();
    let (object, _) = mutated(run(&fixture("pod_framework_custom.json"), settings.clone()));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data", "/home/nobody/.cargo"]
    );
    assert_eq!(
        volumes(&object)[2],
        json!({"name": "writable-home-nobody-cargo", "emptyDir": {"sizeLimit": "3Gi"}})
    );
    // The defaults stay (node), and a framework set to null is gone.
    mutated(run(&fixture("pod_framework_node.json"), settings.clone()));
    let mut without_node = settings;
    without_node["frameworks"]["node"] = Value::Null;
    let message = rejection(run(&fixture("pod_framework_node.json"), without_node));
    assert!(
        message.contains(
            "allowed one of the known frameworks: go, java, python, python-openllmetry, rust"
        ),
        "{message}"
    );
}

#[test]
fn framework_label_key_is_a_setting() {
    let mut request = fixture("pod_minimal.json");
    set(
        &mut request,
        "/metadata/labels/example.com~1runtime",
        json!("python"),
    );
    // `set` does not unescape: put the label in place by hand.
    let labels = request["object"]["metadata"]["labels"]
        .as_object_mut()
        .unwrap();
    let value = labels.remove("example.com~1runtime").unwrap();
    labels.insert("example.com/runtime".into(), value);
    let (object, _) = mutated(run(
        &request,
        json!({"frameworkLabel": "example.com/runtime"}),
    ));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        [SA_MOUNT, "/tmp", "/data", "/home/nobody/.cache/pip"]
    );
}

#[test]
fn a_writable_ancestor_covers_the_path() {
    let request = fixture("pod_writable_ancestor.json");
    let (object, _) = mutated(run_default(&request));
    // /data is the user's; /data/node_modules needs nothing more.
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/data", SA_MOUNT, "/tmp", "/home/nobody/.npm"]
    );
    assert_eq!(
        volume_names(&object),
        ["workspace", "writable-tmp", "writable-home-nobody-npm"]
    );
}

#[test]
fn read_only_mounts_do_not_cover_a_path_and_nothing_is_mounted_inside_them() {
    let mut request = fixture("pod_writable_ancestor.json");
    set(
        &mut request,
        "/spec/containers/0/volumeMounts/0/readOnly",
        json!(true),
    );
    let (object, warnings) = mutated(run_default(&request));
    // /data stays the user's read-only mount; /data/node_modules can't be created inside it.
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/data", SA_MOUNT, "/tmp", "/home/nobody/.npm"]
    );
    assert!(
        warnings.iter().any(|w| w.contains(
            "mounts a read-only volume at /data, so /data/node_modules inside it stays read-only"
        )),
        "{warnings:?}"
    );
}

#[test]
fn user_volume_named_tmp_keeps_its_name_and_the_injected_one_does_not_collide() {
    let mut request = fixture("pod_user_volume_named_tmp.json");
    let user_volumes = request["object"]["spec"]["volumes"].as_array_mut().unwrap();
    user_volumes.push(json!({"name": "writable-tmp", "configMap": {"name": "x"}}));
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        volume_names(&object),
        ["tmp", "writable-tmp", "writable-tmp-2", "writable-data"]
    );
    assert_eq!(
        object["spec"]["containers"][0]["volumeMounts"][2],
        json!({"name": "writable-tmp-2", "mountPath": "/tmp"})
    );
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/scratch", SA_MOUNT, "/tmp", "/data"]
    );
}

#[test]
fn configmap_exactly_at_tmp_is_left_with_a_warning() {
    let request = fixture("pod_configmap_at_tmp.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/tmp", SA_MOUNT, "/data"]
    );
    assert_eq!(
        object["spec"]["containers"][0]["volumeMounts"][0]["name"],
        json!("settings")
    );
    assert!(
        warnings.contains(&"agent-hardening: agent mounts a read-only volume at /tmp, so it stays read-only; the agent may fail to write there".to_string()),
        "{warnings:?}"
    );
}

#[test]
fn existing_emptydir_at_tmp_gets_a_size_limit_and_no_duplicate_mount() {
    let request = fixture("pod_emptydir_without_limit.json");
    let (object, warnings) = mutated(run_default(&request));
    assert_eq!(
        mount_paths(&object, "/spec/containers/0"),
        ["/tmp", SA_MOUNT, "/data"]
    );
    assert_eq!(
        volumes(&object)[0],
        json!({"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}})
    );
    assert!(
        warnings.contains(
            &"agent-hardening added emptyDir.sizeLimit: 1Gi to volume scratch".to_string()
        ),
        "{warnings:?}"
    );
    let message = rejection(run(&request, json!({"mode": "validate"})));
    assert!(message.contains("- spec.volumes[0] (scratch).emptyDir.sizeLimit: found nothing (unset), allowed a sizeLimit above 0 and at most 10Gi"), "{message}");
    let (object, _) = mutated(run(&request, json!({"defaultEmptyDirSizeLimit": "512Mi"})));
    assert_eq!(volumes(&object)[0]["emptyDir"]["sizeLimit"], json!("512Mi"));
}

#[test]
fn init_containers_get_writable_paths_too() {
    let (object, _) = mutated(run_default(&fixture("pod_init_and_sidecars.json")));
    for c in [
        "containers/0",
        "containers/1",
        "initContainers/0",
        "initContainers/1",
    ] {
        assert_eq!(
            mount_paths(&object, &format!("/spec/{c}")),
            [SA_MOUNT, "/tmp", "/data", "/home/nobody/.cache/pip"],
            "{c}"
        );
    }
    // One volume per path, shared.
    assert_eq!(volumes(&object).len(), 3);
}

#[test]
fn deployment_gets_writable_paths_only_with_mutate_workload_templates() {
    let request = fixture("deployment_create.json");
    accepted(run_default(&request));
    let (object, _) = mutated(run(&request, json!({"mutateWorkloadTemplates": true})));
    let spec = pod_spec(&object);
    assert_eq!(spec["volumes"].as_array().unwrap().len(), 3);
    let message = rejection(run(&request, json!({"mode": "validate"})));
    assert!(message.contains("spec.template.spec.containers[0] (agent).volumeMounts: found no writable mount covering /home/nobody/.cache/pip"), "{message}");
}

#[test]
fn missing_writable_mounts_are_violations_in_validate_mode() {
    let message = rejection(run(
        &fixture("pod_framework_python.json"),
        json!({"mode": "validate"}),
    ));
    for path in ["/tmp", "/data", "/home/nobody/.cache/pip"] {
        assert!(
            message.contains(&format!("- spec.containers[0] (agent).volumeMounts: found no writable mount covering {path}, allowed an emptyDir mounted at {path} or at a writable parent directory")),
            "{message}"
        );
    }
}

#[test]
fn an_unknown_framework_still_gets_the_other_volume_checks() {
    let mut request = fixture("pod_emptydir_var_log.json");
    set(
        &mut request,
        "/metadata/labels/agent.framework",
        json!("ruby"),
    );
    set(
        &mut request,
        "/spec/volumes/0/emptyDir/sizeLimit",
        json!("50Gi"),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("metadata.labels[agent.framework]: found \"ruby\""),
        "{message}"
    );
    assert!(
        message.contains("spec.volumes[0] (tmp).emptyDir.sizeLimit: found \"50Gi\""),
        "{message}"
    );
    assert!(
        message.contains("volumeMounts[2].mountPath: found \"/var/log/agent\""),
        "{message}"
    );
}

/// Found by mutation testing: a name taken twice over (`writable-tmp`, `writable-tmp-2`) moves
/// the injected volume on to the next free suffix.
#[test]
fn injected_volume_names_skip_every_taken_suffix() {
    let mut request = fixture("pod_minimal.json");
    for name in ["writable-tmp", "writable-tmp-2"] {
        push(
            &mut request,
            "/spec/volumes",
            json!({"name": name, "configMap": {"name": "x"}}),
        );
    }
    let (object, _) = mutated(run_default(&request));
    assert_eq!(
        volume_names(&object),
        [
            "writable-tmp",
            "writable-tmp-2",
            "writable-tmp-3",
            "writable-data"
        ]
    );
}

/// Found by mutation testing: which volume sources a container can write to. A claim is
/// writable unless it says `readOnly`; a source set to null is no source.
#[test]
fn claims_are_writable_unless_read_only_and_null_sources_count_for_nothing() {
    let cases = [
        (
            json!({"persistentVolumeClaim": {"claimName": "work"}}),
            true,
        ),
        (
            json!({"persistentVolumeClaim": {"claimName": "work", "readOnly": true}}),
            false,
        ),
        (json!({"csi": {"driver": "x", "readOnly": true}}), false),
        (json!({"csi": {"driver": "x"}}), true),
        (json!({"emptyDir": null, "configMap": {"name": "x"}}), false),
    ];
    for (source, writable) in cases {
        let mut request = fixture("pod_minimal.json");
        let mut volume = json!({"name": "scratch"});
        volume
            .as_object_mut()
            .unwrap()
            .extend(source.as_object().unwrap().clone());
        push(&mut request, "/spec/volumes", volume);
        push(
            &mut request,
            "/spec/containers/0/volumeMounts",
            json!({"name": "scratch", "mountPath": "/tmp"}),
        );
        let (object, warnings) = mutated(run_default(&request));
        let paths = mount_paths(&object, "/spec/containers/0");
        // Covered either way: no second mount lands at /tmp.
        assert_eq!(paths.iter().filter(|p| *p == "/tmp").count(), 1, "{source}");
        let stays_read_only = warnings
            .iter()
            .any(|w| w.contains("/tmp") && w.contains("read-only"));
        assert_eq!(stays_read_only, !writable, "{source}: {warnings:?}");
        // TMPDIR is set only where /tmp can be written.
        let env = object["spec"]["containers"][0]["env"].to_string();
        assert_eq!(env.contains("TMPDIR"), writable, "{source}: {env}");
    }
}
