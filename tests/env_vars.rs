//! Issue 9: HOME and each writable path's variables, so the frameworks find their mounts.

mod common;

use common::*;
use serde_json::{Value, json};

fn env(object: &Value, container: &str) -> Value {
    object
        .pointer(&format!("/spec/{container}/env"))
        .cloned()
        .unwrap_or(Value::Null)
}

fn var(name: &str, value: &str) -> Value {
    json!({"name": name, "value": value})
}

#[test]
fn each_framework_gets_home_and_its_variables() {
    let cases: &[(&str, &[(&str, &str)])] = &[
        ("python", &[("PIP_CACHE_DIR", "/home/nobody/.cache/pip")]),
        (
            "python_openllmetry",
            &[
                ("XDG_CACHE_HOME", "/home/nobody/.cache"),
                ("PYTHONUSERBASE", "/home/nobody/.local"),
            ],
        ),
        ("node", &[("NPM_CONFIG_CACHE", "/home/nobody/.npm")]),
        ("java", &[]),
        ("go", &[]),
    ];
    for (framework, vars) in cases {
        let request = fixture(&format!("pod_framework_{framework}.json"));
        let (object, warnings) = mutated(run_default(&request));
        let mut expected = vec![var("HOME", "/home/nobody"), var("TMPDIR", "/tmp")];
        expected.extend(vars.iter().map(|(n, v)| var(n, v)));
        assert_eq!(env(&object, "containers/0"), json!(expected), "{framework}");
        assert!(
            warnings.contains(&"agent-hardening added env HOME=/home/nobody to agent".to_string()),
            "{warnings:?}"
        );
    }
}

#[test]
fn variables_the_container_sets_are_never_changed() {
    let mut request = fixture("pod_framework_python.json");
    set(
        &mut request,
        "/spec/containers/0/env",
        json!([
            {"name": "HOME", "value": "/tmp/home"},
            {"name": "PIP_CACHE_DIR", "valueFrom": {"configMapKeyRef": {"name": "agent", "key": "pip"}}},
            {"name": "OTHER", "value": "x"}
        ]),
    );
    let (object, warnings) = mutated(run_default(&request));
    let env = env(&object, "containers/0");
    assert_eq!(
        env,
        json!([
            {"name": "HOME", "value": "/tmp/home"},
            {"name": "PIP_CACHE_DIR", "valueFrom": {"configMapKeyRef": {"name": "agent", "key": "pip"}}},
            {"name": "OTHER", "value": "x"},
            {"name": "TMPDIR", "value": "/tmp"}
        ])
    );
    // HOME under the injected /tmp is writable: no warning about it.
    assert!(
        !warnings.iter().any(|w| w.contains("sets HOME")),
        "{warnings:?}"
    );
    // Only the env list grows: nothing the user wrote moves.
    assert!(
        patch_ops(&request["object"], &object)
            .iter()
            .all(|(op, path)| op == "add"
                && !path.starts_with("/spec/containers/0/env/0")
                && !path.starts_with("/spec/containers/0/env/1")
                && !path.starts_with("/spec/containers/0/env/2"))
    );
}

#[test]
fn a_variable_pointing_outside_every_writable_mount_is_warned_about() {
    let mut request = fixture("pod_framework_python.json");
    set(
        &mut request,
        "/spec/containers/0/env",
        json!([
            {"name": "HOME", "value": "/home/agent"},
            {"name": "PIP_CACHE_DIR", "value": "/opt/pip//"},
            {"name": "TMPDIR", "value": "/data/./tmp"}
        ]),
    );
    let (_, warnings) = mutated(run_default(&request));
    assert!(
        warnings.contains(&"agent-hardening: agent sets HOME=/home/agent, which no writable mount covers: writes there fail on the read-only root filesystem".to_string()),
        "{warnings:?}"
    );
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("sets PIP_CACHE_DIR=/opt/pip//, which no writable mount covers")),
        "{warnings:?}"
    );
    // /data/./tmp is inside the injected /data.
    assert!(
        !warnings.iter().any(|w| w.contains("TMPDIR")),
        "{warnings:?}"
    );
    // A value that can't be resolved here is not judged.
    set(
        &mut request,
        "/spec/containers/0/env",
        json!([{"name": "HOME", "value": "$(BASE)/home"}, {"name": "TMPDIR", "value": "relative"}]),
    );
    let (_, warnings) = mutated(run_default(&request));
    assert!(
        !warnings
            .iter()
            .any(|w| w.contains("no writable mount covers")),
        "{warnings:?}"
    );
}

#[test]
fn init_containers_get_them_and_debug_containers_get_home() {
    let (object, _) = mutated(run_default(&fixture("pod_init_and_sidecars.json")));
    for c in [
        "containers/0",
        "containers/1",
        "initContainers/0",
        "initContainers/1",
    ] {
        assert_eq!(
            env(&object, c),
            json!([
                var("HOME", "/home/nobody"),
                var("TMPDIR", "/tmp"),
                var("PIP_CACHE_DIR", "/home/nobody/.cache/pip")
            ]),
            "{c}"
        );
    }
    // A debug container has no mounts of its own: only HOME.
    let (object, _) = mutated(run_default(&fixture("pod_ephemeral_debug.json")));
    assert_eq!(
        env(&object, "ephemeralContainers/1"),
        json!([var("HOME", "/home/nobody")])
    );
}

#[test]
fn a_path_that_stays_read_only_gets_no_variable() {
    // A configMap at /tmp: TMPDIR would point at a read-only directory.
    let (object, _) = mutated(run_default(&fixture("pod_configmap_at_tmp.json")));
    assert_eq!(
        env(&object, "containers/0"),
        json!([var("HOME", "/home/nobody")])
    );
}

#[test]
fn validate_mode_reports_each_missing_variable() {
    let message = rejection(run(
        &fixture("pod_framework_python.json"),
        json!({"mode": "validate"}),
    ));
    assert!(
        message.contains("- spec.containers[0] (agent).env: found no HOME, allowed HOME set (the policy would add HOME=/home/nobody)"),
        "{message}"
    );
    assert!(
        message.contains("- spec.containers[0] (agent).env: found no PIP_CACHE_DIR, allowed PIP_CACHE_DIR set (the policy would add PIP_CACHE_DIR=/home/nobody/.cache/pip)"),
        "{message}"
    );
    // The compliant fixture sets them and passes validate mode.
    accepted(run(
        &fixture("pod_compliant.json"),
        json!({"mode": "validate"}),
    ));
}

#[test]
fn home_and_variables_are_settings() {
    let settings = json!({
        "home": "/srv/agent/",
        "writablePaths": [{"path": "/scratch", "sizeLimit": "1Gi", "env": ["TMPDIR", "TEMP"]}],
        "frameworks": {"python": [{"path": "/srv/agent/.cache", "sizeLimit": "1Gi", "env": ["XDG_CACHE_HOME"]}]}
    });
    let (object, _) = mutated(run(&fixture("pod_framework_python.json"), settings));
    assert_eq!(
        env(&object, "containers/0"),
        json!([
            var("HOME", "/srv/agent"),
            var("TMPDIR", "/scratch"),
            var("TEMP", "/scratch"),
            var("XDG_CACHE_HOME", "/srv/agent/.cache")
        ])
    );
}

#[test]
fn a_malformed_env_is_refused_and_templates_are_left_to_their_pods() {
    let mut request = fixture("pod_framework_python.json");
    set(
        &mut request,
        "/spec/containers/0/env",
        json!({"HOME": "/x"}),
    );
    let message = rejection(run_default(&request));
    assert!(
        message.contains("- spec.containers[0] (agent).env: found {\"HOME\":\"/x\"}, allowed a list of environment variables"),
        "{message}"
    );
    // Check-only templates get no variables (their pods do).
    accepted(run_default(&fixture("deployment_create.json")));
    let (object, _) = mutated(run(
        &fixture("deployment_create.json"),
        json!({"mutateWorkloadTemplates": true}),
    ));
    assert_eq!(
        env(&object["spec"]["template"], "containers/0")[0],
        var("HOME", "/home/nobody")
    );
}

/// Review finding: when nothing can be injected (spec.volumes is not a list), a variable the
/// container points at an uncovered path is still warned about with the refusal.
#[test]
fn a_refused_pod_still_hears_about_variables_pointing_at_read_only_paths() {
    let mut request = fixture("pod_minimal.json");
    set(&mut request, "/spec/volumes", json!({}));
    set(
        &mut request,
        "/spec/containers/0/env",
        json!([{"name": "TMPDIR", "value": "/tmp"}]),
    );
    match run_default(&request) {
        Outcome::Reject { message, warnings } => {
            assert!(
                message.contains("spec.volumes: found {}, allowed a list"),
                "{message}"
            );
            assert!(
                warnings
                    .iter()
                    .any(|w| w.contains("sets TMPDIR=/tmp, which no writable mount covers")),
                "{warnings:?}"
            );
        }
        _ => panic!("a pod with malformed volumes was not refused"),
    }
}
