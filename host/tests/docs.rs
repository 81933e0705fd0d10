//! Fails when the documentation drifts from the code: the settings keys in the README table and
//! questions-ui.yml, the versions, the artifacthub package, and the example manifests (whose
//! settings must pass the compiled policy's own validation).

mod common;

use agent_hardening_policy::settings::{SETTING_KEYS, Settings, parse_settings};
use common::*;
use kwhost::callbacks::HostCalls;
use kwhost::engine::Policy;
use serde_json::{Value, json};

fn read(name: &str) -> String {
    std::fs::read_to_string(repo().join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn yaml(text: &str) -> Value {
    let v: serde_yaml::Value = serde_yaml::from_str(text).unwrap();
    serde_json::to_value(v).unwrap()
}

/// The first column of the README's settings table, in order.
fn readme_setting_keys() -> Vec<String> {
    let readme = read("README.md");
    let section = readme
        .split("\n## Settings\n")
        .nth(1)
        .expect("a Settings section");
    let section = section.split("\n## ").next().unwrap();
    section
        .lines()
        .filter(|l| l.starts_with("| `"))
        .map(|l| {
            l.trim_start_matches("| `")
                .split('`')
                .next()
                .unwrap()
                .to_string()
        })
        .collect()
}

#[test]
fn readme_table_lists_exactly_the_settings() {
    assert_eq!(readme_setting_keys(), SETTING_KEYS);
}

fn questions() -> Vec<Value> {
    yaml(&read("questions-ui.yml"))["questions"]
        .as_array()
        .unwrap()
        .clone()
}

#[test]
fn questions_ui_lists_exactly_the_settings_with_their_defaults() {
    let questions = questions();
    // Grouped by topic in the UI, so compared as sorted lists (each key exactly once).
    let mut variables: Vec<&str> = questions
        .iter()
        .map(|q| q["variable"].as_str().unwrap())
        .collect();
    variables.sort_unstable();
    let mut keys = SETTING_KEYS.to_vec();
    keys.sort_unstable();
    assert_eq!(variables, keys);
    for q in &questions {
        for field in ["label", "description", "tooltip", "group", "type"] {
            assert!(q[field].is_string(), "{}: no {field}", q["variable"]);
        }
    }
    // The defaults the UI shows are the policy's defaults.
    let defaults: serde_json::Map<String, Value> = questions
        .iter()
        .map(|q| {
            (
                q["variable"].as_str().unwrap().to_string(),
                q["default"].clone(),
            )
        })
        .collect();
    assert_eq!(
        parse_settings(&Value::Object(defaults)).unwrap(),
        Settings::default()
    );
}

fn cargo_version() -> String {
    let toml = read("Cargo.toml");
    let line = toml.lines().find(|l| l.starts_with("version = ")).unwrap();
    line.trim_start_matches("version = ")
        .trim_matches('"')
        .to_string()
}

#[test]
fn versions_agree() {
    let version = cargo_version();
    let metadata = yaml(&read("metadata.yml"));
    let hub = yaml(&read("artifacthub-pkg.yml"));
    assert_eq!(
        metadata["annotations"]["io.kubewarden.policy.version"],
        json!(version)
    );
    assert_eq!(hub["version"], json!(version));
    let image = hub["containersImages"][0]["image"].as_str().unwrap();
    assert!(image.ends_with(&format!(":v{version}")), "{image}");
    let oci = metadata["annotations"]["io.kubewarden.policy.ociUrl"]
        .as_str()
        .unwrap();
    assert!(image.starts_with(oci), "{image} vs {oci}");
    let changelog = read("CHANGELOG.md");
    // The newest released entry (an `[Unreleased]` section may come first).
    let latest = changelog
        .lines()
        .find(|l| l.starts_with("## [") && !l.starts_with("## [Unreleased]"))
        .unwrap();
    assert!(latest.starts_with(&format!("## [{version}]")), "{latest}");
    for example in examples() {
        let module = example.1["spec"]["module"].as_str().unwrap();
        assert!(
            module.ends_with(&format!(":v{version}")),
            "{}: {module}",
            example.0
        );
    }
}

#[test]
fn artifacthub_package_matches_metadata() {
    let metadata = yaml(&read("metadata.yml"));
    let hub = yaml(&read("artifacthub-pkg.yml"));
    let a = &hub["annotations"];
    assert_eq!(
        a["kubewarden/mutation"],
        json!(metadata["mutating"].as_bool().unwrap().to_string())
    );
    assert_eq!(
        a["kubewarden/resources"],
        metadata["annotations"]["io.artifacthub.resources"]
    );
    assert_eq!(
        yaml(a["kubewarden/rules"].as_str().unwrap()),
        metadata["rules"]
    );
    assert_eq!(
        yaml(a["kubewarden/questions-ui"].as_str().unwrap()),
        yaml(&read("questions-ui.yml"))
    );
    assert_eq!(
        hub["description"],
        metadata["annotations"]["io.kubewarden.policy.description"]
    );
    assert_eq!(
        hub["displayName"],
        metadata["annotations"]["io.artifacthub.displayName"]
    );
    assert_eq!(
        hub["license"],
        metadata["annotations"]["io.kubewarden.policy.license"]
    );
}

#[test]
fn metadata_has_the_rules_and_annotations_the_hub_needs() {
    let metadata = yaml(&read("metadata.yml"));
    assert_eq!(metadata["mutating"], json!(true));
    assert_eq!(metadata["backgroundAudit"], json!(true));
    assert_eq!(metadata["executionMode"], json!("kubewarden-wapc"));
    let resources: Vec<String> = metadata["rules"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|r| {
            r["resources"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| s.as_str().unwrap().to_string())
        })
        .collect();
    for r in [
        "pods",
        "pods/ephemeralcontainers",
        "replicationcontrollers",
        "deployments",
        "replicasets",
        "statefulsets",
        "daemonsets",
        "jobs",
        "cronjobs",
        "sandboxes",
        "sandboxtemplates",
    ] {
        assert!(resources.iter().any(|x| x == r), "{r}");
    }
    for key in [
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.kubewarden.policy.description",
        "io.kubewarden.policy.author",
        "io.kubewarden.policy.url",
        "io.kubewarden.policy.source",
        "io.kubewarden.policy.license",
        "io.kubewarden.policy.category",
        "io.kubewarden.policy.severity",
        "io.kubewarden.policy.ociUrl",
        "io.artifacthub.displayName",
        "io.artifacthub.keywords",
        "io.artifacthub.resources",
    ] {
        assert!(
            metadata["annotations"][key]
                .as_str()
                .is_some_and(|v| !v.is_empty()),
            "{key}"
        );
    }
}

/// `kwctl scaffold artifacthub` reads the author annotation as comma-separated
/// `Name <email>` entries (anything else is "malformed"); they must be the hub's maintainers.
#[test]
fn the_author_annotation_is_name_and_email_entries() {
    let metadata = yaml(&read("metadata.yml"));
    let hub = yaml(&read("artifacthub-pkg.yml"));
    let author = metadata["annotations"]["io.kubewarden.policy.author"]
        .as_str()
        .unwrap();
    let mut entries = Vec::new();
    for entry in author.split(',') {
        let entry = entry.trim();
        let (name, rest) = entry
            .split_once(" <")
            .unwrap_or_else(|| panic!("{entry:?}"));
        let email = rest
            .strip_suffix('>')
            .unwrap_or_else(|| panic!("{entry:?}"));
        assert!(!name.trim().is_empty() && email.contains('@'), "{entry:?}");
        entries.push(json!({"name": name.trim(), "email": email}));
    }
    assert_eq!(Value::Array(entries), hub["maintainers"]);
}

#[test]
fn the_policy_server_example_is_highly_available() {
    let server = yaml(&read("examples/policy-server.yaml"));
    assert_eq!(server["kind"], json!("PolicyServer"));
    assert!(server["spec"]["replicas"].as_u64().unwrap() >= 2);
    assert!(server["spec"]["minAvailable"].as_u64().unwrap() >= 1);
    assert!(server["spec"]["requests"]["cpu"].is_string());
    assert!(server["spec"]["limits"]["memory"].is_string());
}

fn examples() -> Vec<(String, Value)> {
    let mut out: Vec<(String, Value)> = std::fs::read_dir(repo().join("examples"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "yaml" || e == "yml"))
        .map(|p| {
            (
                p.display().to_string(),
                yaml(&std::fs::read_to_string(&p).unwrap()),
            )
        })
        // The PolicyServer example is checked on its own.
        .filter(|(_, m)| m["kind"] != json!("PolicyServer"))
        .collect();
    out.sort_by(|a, b| a.0.cmp(&b.0));
    out
}

#[test]
fn examples_parse_and_their_settings_pass_the_policy() {
    let policy = Policy::load(policy_wasm().to_str().unwrap(), HostCalls::default()).unwrap();
    let examples = examples();
    assert!(examples.len() >= 4);
    let mut enforce = false;
    for (name, manifest) in &examples {
        assert_eq!(manifest["kind"], json!("ClusterAdmissionPolicy"), "{name}");
        assert_eq!(
            manifest["apiVersion"],
            json!("policies.kubewarden.io/v1"),
            "{name}"
        );
        assert!(
            manifest["spec"]["rules"]
                .as_array()
                .is_some_and(|r| !r.is_empty()),
            "{name}"
        );
        let settings = &manifest["spec"]["settings"];
        let answer: Value = serde_json::from_slice(
            &policy
                .call("validate_settings", &serde_json::to_vec(settings).unwrap())
                .unwrap(),
        )
        .unwrap();
        assert_eq!(
            answer["valid"],
            json!(true),
            "{name}: {}",
            answer["message"]
        );
        enforce |= settings["imageUserCheck"] == json!("enforce");
    }
    assert!(enforce, "an example with imageUserCheck: enforce");
    let monitor = examples.iter().any(|(_, m)| {
        m["spec"]["mode"] == json!("monitor") && m["spec"]["settings"]["mode"] == json!("validate")
    });
    assert!(monitor, "a monitor/validate example");
}
