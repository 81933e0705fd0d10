//! Settings validation: defaults, every problem in one message, unknown keys rejected.

use agent_hardening_policy::settings::{
    Mode, SETTING_KEYS, Settings, parse_settings, validate_settings,
};
use serde_json::{Value, json};

fn problems(settings: Value) -> String {
    parse_settings(&settings).expect_err("expected invalid settings")
}

#[test]
fn empty_and_null_settings_are_the_defaults() {
    assert_eq!(parse_settings(&json!({})).unwrap(), Settings::default());
    assert_eq!(parse_settings(&Value::Null).unwrap(), Settings::default());
    let s = Settings::default();
    assert_eq!(s.mode, Mode::Mutate);
    assert_eq!(
        (s.run_as_user, s.run_as_group, s.fs_group),
        (65534, 65534, 65534)
    );
    assert_eq!(s.framework_label, "agent.framework");
    assert_eq!(s.max_empty_dir_size_limit.as_str(), "10Gi");
    assert_eq!(s.forbidden_writable_paths, ["/var/log"]);
    assert_eq!(
        s.frameworks.keys().collect::<Vec<_>>(),
        ["go", "java", "node", "python", "python-openllmetry"]
    );
}

#[test]
fn every_key_is_read() {
    let all = json!({
        "mode": "validate", "runAsUser": 1001, "runAsGroup": 1002, "fsGroup": 1003,
        "allowedUserRanges": [{"min": 10000, "max": 20000}],
        "allowedGroupRanges": [{"min": 30000, "max": 30010}],
        "allowedCapabilities": ["CAP_NET_BIND_SERVICE"],
        "allowedSeccompProfiles": ["Localhost", "RuntimeDefault"],
        "mutateWorkloadTemplates": true, "frameworkLabel": "example.com/agent-runtime",
        "defaultFramework": "py", "writablePaths": [{"path": "/tmp", "sizeLimit": "512Mi"}],
        "frameworks": {"py": [{"path": "/home/nobody/.cache", "sizeLimit": 1073741824}]},
        "defaultEmptyDirSizeLimit": "256Mi", "maxEmptyDirSizeLimit": "2Gi",
        "forbiddenWritablePaths": ["/var/log", "/etc"], "imageUserCheck": "warn",
        "home": "/home/agent/",
        "podTemplates": [{"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec.template"}],
        "exceptions": [{"images": ["docker.io/istio/proxyv2:*"], "allow": {"runAsUser": [{"min": 1337, "max": 1337}]}}],
        "runtimeClass": {"default": "gvisor", "allowed": ["gvisor"]},
        "serviceAccountToken": "forbid",
        "allowedTokenAudiences": ["vault"],
        "auditAsValidate": false
    });
    assert_eq!(all.as_object().unwrap().len(), SETTING_KEYS.len());
    let s = parse_settings(&all).unwrap();
    assert_eq!(s.mode, Mode::Validate);
    assert_eq!(
        (s.run_as_user, s.run_as_group, s.fs_group),
        (1001, 1002, 1003)
    );
    assert_eq!(s.allowed_capabilities, ["NET_BIND_SERVICE"]);
    assert_eq!(s.allowed_seccomp_profiles, ["Localhost", "RuntimeDefault"]);
    assert!(s.mutate_workload_templates);
    // Merged over the defaults.
    assert_eq!(
        s.frameworks.keys().collect::<Vec<_>>(),
        ["go", "java", "node", "py", "python", "python-openllmetry"]
    );
    assert_eq!(s.frameworks["py"][0].size_limit.as_str(), "1073741824");
    assert_eq!(s.forbidden_writable_paths, ["/var/log", "/etc"]);
    assert_eq!(s.home, "/home/agent");
    assert_eq!(s.pod_templates.len(), 1);
    assert_eq!(s.pod_templates[0].keys, ["spec", "template"]);
    assert_eq!(s.exceptions[0].allow.run_as_user[0].min, 1337);
    assert_eq!(s.runtime_class.default, "gvisor");
    assert_eq!(
        s.service_account_token,
        agent_hardening_policy::settings::ServiceAccountToken::Forbid
    );
    assert!(!s.audit_as_validate);
    assert!(s.user_allowed(15000) && !s.user_allowed(0) && !s.user_allowed(65534));
    assert!(s.group_allowed(30005) && s.group_allowed(1003) && !s.group_allowed(0));
}

#[test]
fn every_problem_is_listed_in_one_message() {
    let message = problems(json!({
        "mode": "enforce",
        "runAsUser": 0,
        "runAsGroup": "nobody",
        "allowedUserRanges": [{"min": 0, "max": 10}, {"min": 20, "max": 10}],
        "allowedCapabilities": ["SYS_ADMIN", "NET_BIND_SERVICE"],
        "allowedSeccompProfiles": ["Unconfined"],
        "frameworkLabel": "Not A Label!",
        "writablePaths": [{"path": "tmp", "sizeLimit": "1Gi"}, {"path": "/data/", "sizeLimit": "lots"}, {"path": "/x/../", "sizeLimit": "1Gi"}, {"path": "/proc/../sys/kernel", "sizeLimit": "1Gi"}, {"path": "//dev/", "sizeLimit": "1Gi", "env": ["9LIVES", "HOME", "OK_NAME"]}],
        "frameworks": {"bad name!": [], "big": [{"path": "/big", "sizeLimit": "100Gi"}], "logs": [{"path": "/var/log/app", "sizeLimit": "1Gi"}]},
        "defaultFramework": "ruby",
        "forbiddenWritablePaths": ["/var/log", "/var//log/"],
        "imageUserCheck": "sometimes",
        "runAsUsr": 1000,
    }));
    for expected in [
        "mode: found \"enforce\", allowed mutate or validate",
        "runAsUser: found 0, allowed 1 to 2147483647 (never 0: root)",
        "runAsGroup: invalid type: string \"nobody\", expected i64",
        "allowedUserRanges[0]: found {min: 0, max: 10}",
        "allowedUserRanges[1]: found {min: 20, max: 10}",
        "allowedCapabilities[0]: found \"SYS_ADMIN\", allowed NET_BIND_SERVICE",
        "allowedSeccompProfiles[0]: found \"Unconfined\", allowed RuntimeDefault or Localhost (never Unconfined)",
        "frameworkLabel: \"Not A Label!\" is not a valid label key",
        "writablePaths[0]: \"tmp\" must be absolute",
        "writablePaths[1].sizeLimit: \"lots\" is not a quantity",
        "writablePaths[2].path: / may not be made writable",
        "writablePaths[3].path: /sys/kernel is at or under /sys, a kernel filesystem",
        "writablePaths[4].path: /dev may not be made writable",
        "writablePaths[4].env: \"9LIVES\" is not a valid variable name",
        "writablePaths[4].env: \"HOME\" is set by the `home` setting",
        "frameworks.bad name!: \"bad name!\" is not a valid label value",
        "frameworks.big: /big asks for 100Gi, above maxEmptyDirSizeLimit 10Gi",
        "frameworks.logs: /var/log/app is at, under or above forbiddenWritablePaths entry /var/log",
        "defaultFramework: \"ruby\" is not in frameworks",
        "forbiddenWritablePaths[1]: \"/var//log/\" is listed twice (as /var/log)",
        "imageUserCheck: found \"sometimes\", allowed off, warn or enforce",
        "runAsUsr: unknown setting (known settings: mode, runAsUser,",
    ] {
        assert!(
            message.contains(expected),
            "missing {expected:?} in:\n{message}"
        );
    }
}

#[test]
fn default_size_must_fit_under_the_maximum() {
    let message = problems(json!({"maxEmptyDirSizeLimit": "512Mi"}));
    assert!(
        message.contains("defaultEmptyDirSizeLimit: 1Gi is above maxEmptyDirSizeLimit 512Mi"),
        "{message}"
    );
    assert!(
        message.contains("writablePaths: /data asks for 5Gi, above maxEmptyDirSizeLimit 512Mi"),
        "{message}"
    );
}

#[test]
fn zero_sizes_are_refused_because_the_kubelet_reads_them_as_no_limit() {
    let message = problems(
        json!({"maxEmptyDirSizeLimit": "0", "writablePaths": [{"path": "/tmp", "sizeLimit": 0}]}),
    );
    assert!(
        message.contains("maxEmptyDirSizeLimit: 0 is zero"),
        "{message}"
    );
    assert!(
        message.contains("writablePaths[0].sizeLimit: 0 is zero"),
        "{message}"
    );
}

#[test]
fn settings_that_are_not_an_object_are_rejected() {
    assert!(problems(json!([1, 2])).contains("settings must be an object"));
}

#[test]
fn wapc_validate_settings_answers_in_kubewarden_format() {
    let ok: Value = serde_json::from_slice(&validate_settings(b"{}").unwrap()).unwrap();
    assert_eq!(ok, json!({"valid": true, "message": null}));
    let bad: Value =
        serde_json::from_slice(&validate_settings(br#"{"mode": "x"}"#).unwrap()).unwrap();
    assert_eq!(bad["valid"], json!(false));
    assert_eq!(
        bad["message"],
        json!("mode: found \"x\", allowed mutate or validate")
    );
    let junk: Value = serde_json::from_slice(&validate_settings(b"{nope").unwrap()).unwrap();
    assert_eq!(junk["valid"], json!(false));
}

#[test]
fn evaluation_with_invalid_settings_is_rejected_not_crashed() {
    let payload = json!({"request": {"kind": {"kind": "Pod"}, "operation": "CREATE", "object": {}}, "settings": {"mode": 3}});
    let bytes = serde_json::to_vec(&payload).unwrap();
    match agent_hardening_policy::validate::evaluate(&bytes) {
        agent_hardening_policy::response::Outcome::Reject { message, .. } => {
            assert!(
                message.starts_with("the policy settings are not valid: mode:"),
                "{message}"
            )
        }
        _ => panic!("expected a rejection"),
    }
}

#[test]
fn cached_settings_follow_the_text() {
    use agent_hardening_policy::settings::cached;
    assert_eq!(
        cached(r#"{"mode":"validate"}"#).unwrap().mode,
        Mode::Validate
    );
    assert_eq!(cached("{}").unwrap().mode, Mode::Mutate);
    assert_eq!(
        cached(r#"{"mode":"validate"}"#).unwrap().mode,
        Mode::Validate
    );
    assert_eq!(cached("").unwrap().mode, Mode::Mutate);
    assert_eq!(cached("null").unwrap().mode, Mode::Mutate);
    assert!(
        cached(r#"{"mode":"x"}"#)
            .unwrap_err()
            .contains("mode: found")
    );
    assert!(cached("{nope").unwrap_err().contains("not valid JSON"));
}

#[test]
fn settings_paths_are_used_cleaned() {
    let s = parse_settings(&json!({
        "writablePaths": [{"path": "/tmp/./", "sizeLimit": "1Gi"}, {"path": "//data", "sizeLimit": "2Gi"}],
        "forbiddenWritablePaths": ["/var/log/", "/srv/../etc"],
        "frameworks": {"py": [{"path": "/home/nobody//.cache/pip/", "sizeLimit": "1Gi", "env": ["PIP_CACHE_DIR"]}]}
    }))
    .unwrap();
    let paths: Vec<&str> = s.writable_paths.iter().map(|w| w.path.as_str()).collect();
    assert_eq!(paths, ["/tmp", "/data"]);
    assert_eq!(s.forbidden_writable_paths, ["/var/log", "/etc"]);
    assert_eq!(s.frameworks["py"][0].path, "/home/nobody/.cache/pip");
    assert_eq!(s.frameworks["py"][0].env, ["PIP_CACHE_DIR"]);
    // Cleaned, a forbidden path is caught however it is spelled.
    let message =
        problems(json!({"writablePaths": [{"path": "/var/./log/app", "sizeLimit": "1Gi"}]}));
    assert!(message.contains("writablePaths: /var/log/app is at, under or above forbiddenWritablePaths entry /var/log"), "{message}");
}

#[test]
fn a_framework_path_that_is_also_a_global_path_must_agree_with_it() {
    let message = problems(json!({
        "frameworks": {"py": [{"path": "/tmp/", "sizeLimit": "3Gi"}]}
    }));
    assert!(
        message.contains("frameworks.py[0]: /tmp (sizeLimit 3Gi, env []) is also writablePaths[0] (sizeLimit 1Gi, env [\"TMPDIR\"])"),
        "{message}"
    );
    // The same path the same way is fine (the pod gets it once).
    parse_settings(&json!({
        "frameworks": {"py": [{"path": "/tmp", "sizeLimit": "1Gi", "env": ["TMPDIR"]}]}
    }))
    .unwrap();
}

#[test]
fn one_variable_points_at_one_path() {
    let message = problems(json!({
        "frameworks": {"py": [{"path": "/scratch", "sizeLimit": "1Gi", "env": ["TMPDIR"]}]}
    }));
    assert!(
        message.contains("frameworks.py: TMPDIR points at both /tmp and /scratch"),
        "{message}"
    );
}

#[test]
fn home_must_be_absolute() {
    let message = problems(json!({"home": "home/nobody"}));
    assert!(
        message.contains("home: \"home/nobody\" must be absolute"),
        "{message}"
    );
}

#[test]
fn a_variable_listed_twice_for_one_path_is_refused() {
    let message = problems(json!({
        "writablePaths": [{"path": "/tmp", "sizeLimit": "1Gi", "env": ["TMPDIR", "TMPDIR"]}]
    }));
    assert!(
        message.contains("writablePaths[0].env: \"TMPDIR\" is listed twice"),
        "{message}"
    );
}

#[test]
fn frameworks_merge_over_the_defaults() {
    let s = parse_settings(&json!({
        "frameworks": {
            "rust": [{"path": "/home/nobody/.cargo", "sizeLimit": "3Gi"}],
            "python": [{"path": "/home/nobody/.cache/pip", "sizeLimit": "4Gi", "env": ["PIP_CACHE_DIR"]}],
            "java": null
        }
    }))
    .unwrap();
    assert_eq!(
        s.frameworks.keys().collect::<Vec<_>>(),
        ["go", "node", "python", "python-openllmetry", "rust"]
    );
    assert_eq!(s.frameworks["python"][0].size_limit.as_str(), "4Gi");
    assert_eq!(s.frameworks["node"], Settings::default().frameworks["node"]);
}

/// Found by mutation testing: the edges of what the settings accept — id ranges from 1 to
/// 2147483647 with min ≤ max, a default emptyDir limit equal to the maximum, label-key
/// prefixes with digits and hyphens.
#[test]
fn the_edges_of_valid_settings_are_accepted_and_just_beyond_refused() {
    let max = 2_147_483_647_i64;
    for ok in [
        json!({"allowedUserRanges": [{"min": 1, "max": 1}, {"min": 5, "max": 5}, {"min": 1000, "max": max}]}),
        json!({"defaultEmptyDirSizeLimit": "10Gi", "maxEmptyDirSizeLimit": "10Gi"}),
        json!({"frameworkLabel": "agents-2.example-1.com/framework"}),
    ] {
        assert!(
            parse_settings(&ok).is_ok(),
            "{ok}: {:?}",
            parse_settings(&ok).err()
        );
    }
    for (bad, why) in [
        (
            json!({"allowedUserRanges": [{"min": 0, "max": 5}]}),
            "allowedUserRanges[0]: found {min: 0, max: 5}",
        ),
        (
            json!({"allowedUserRanges": [{"min": 1, "max": max + 1}]}),
            "allowedUserRanges[0]: found {min: 1, max: 2147483648}",
        ),
        (
            json!({"allowedGroupRanges": [{"min": 6, "max": 5}]}),
            "allowedGroupRanges[0]: found {min: 6, max: 5}",
        ),
        (
            json!({"defaultEmptyDirSizeLimit": "11Gi"}),
            "defaultEmptyDirSizeLimit: 11Gi is above maxEmptyDirSizeLimit 10Gi",
        ),
    ] {
        let message = problems(bad.clone());
        assert!(message.contains(why), "{bad}: {message}");
    }
}

/// Found by mutation testing: more edges. A path given both globally and by a framework must
/// agree in size *and* variables; podTemplates are the same kind only with the same group and
/// kind; exception id ranges run from 0 (an exception may allow root) to 2147483647.
#[test]
fn twins_kinds_and_exception_ranges_at_their_edges() {
    let twin = |env: Value, size: &str| json!({"frameworks": {"x": [{"path": "/tmp", "sizeLimit": size, "env": env}]}});
    assert!(parse_settings(&twin(json!(["TMPDIR"]), "1Gi")).is_ok());
    for bad in [
        twin(json!(["OTHER"]), "1Gi"),
        twin(json!(["TMPDIR"]), "2Gi"),
    ] {
        assert!(
            problems(bad.clone()).contains("is also writablePaths[0]"),
            "{bad}"
        );
    }
    let kinds = json!({"podTemplates": [
        {"apiGroup": "argoproj.io", "kind": "Rollout", "path": "spec.template"},
        {"apiGroup": "argoproj.io", "kind": "Experiment", "path": "spec.template"},
        {"apiGroup": "example.com", "kind": "Rollout", "path": "spec.template"}
    ]});
    assert!(
        parse_settings(&kinds).is_ok(),
        "{:?}",
        parse_settings(&kinds).err()
    );
    let range = |min: i64, max: i64| json!({"exceptions": [{"images": ["docker.io/istio/proxyv2:*"], "allow": {"runAsUser": [{"min": min, "max": max}]}}]});
    let max = 2_147_483_647_i64;
    for (min, hi) in [(0, 0), (7, 7), (0, max)] {
        let ok = range(min, hi);
        assert!(
            parse_settings(&ok).is_ok(),
            "{ok}: {:?}",
            parse_settings(&ok).err()
        );
    }
    for (min, hi) in [(-1, 5), (0, max + 1), (8, 7)] {
        let message = problems(range(min, hi));
        assert!(
            message.contains(&format!("found {{min: {min}, max: {hi}}}")),
            "{message}"
        );
    }
}

/// Found by mutation testing: RuntimeClass names are DNS subdomains, dots and hyphens included.
#[test]
fn runtime_class_names_may_hold_dots_and_hyphens() {
    for name in ["kata-qemu", "gvisor.example.com", "kata2"] {
        let ok = json!({"runtimeClass": {"default": name, "allowed": [name]}});
        assert!(
            parse_settings(&ok).is_ok(),
            "{ok}: {:?}",
            parse_settings(&ok).err()
        );
    }
    for name in ["Kata", "kata_qemu", "-kata", "kata."] {
        let bad = json!({"runtimeClass": {"default": name}});
        assert!(
            problems(bad).contains("is not a valid RuntimeClass name"),
            "{name}"
        );
    }
}
