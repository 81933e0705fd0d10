//! Reading settings from JSON: each key on its own, so one message lists every problem.

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::paths::{
    check_env_twins, check_path_twins, clean_path_list, positive_quantity, read_frameworks,
    read_paths,
};
use super::platform;
use super::{IdRange, ImageUserCheck, Mode, SETTING_KEYS, ServiceAccountToken, Settings};
use crate::capabilities::normalise;
use crate::paths::{absolute_problem, clean, overlap};
use crate::quantity::Quantity;

use super::labels::label_key_problem;
pub use super::paths::quantity_value;

/// The largest id the API server accepts for runAsUser, runAsGroup and fsGroup.
const MAX_ID: i64 = 2_147_483_647;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    min: i64,
    max: i64,
}

/// Problems found so far, each prefixed with the key it belongs to.
#[derive(Default)]
pub(super) struct Problems(pub(super) Vec<String>);

impl Problems {
    pub(super) fn add(&mut self, key: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{key}: {problem}"));
    }

    /// Deserialises `value` as `T`, or records why it can't.
    pub(super) fn typed<T: DeserializeOwned>(&mut self, key: &str, value: &Value) -> Option<T> {
        match T::deserialize(value) {
            Ok(v) => Some(v),
            Err(e) => {
                self.add(key, e);
                None
            }
        }
    }
}

/// Parses and checks settings. `null` or `{}` gives the defaults.
pub fn parse_settings(raw: &Value) -> Result<Settings, String> {
    let mut settings = Settings::default();
    let mut problems = Problems::default();
    let map = match raw {
        Value::Null => return Ok(settings),
        // The defaults are consistent (a test checks it): nothing to read or check. This is
        // the common case, and the policy server parses the settings on every request.
        Value::Object(map) if map.is_empty() => return Ok(settings),
        Value::Object(map) => map,
        other => return Err(format!("settings must be an object, found {other}")),
    };
    for (key, value) in map {
        read_key(&mut settings, &mut problems, key, value);
    }
    check_consistency(&settings, &mut problems);
    if problems.0.is_empty() {
        Ok(settings)
    } else {
        Err(problems.0.join("; "))
    }
}

fn read_key(s: &mut Settings, p: &mut Problems, key: &str, value: &Value) {
    match key {
        "mode" => match p.typed::<String>(key, value).as_deref() {
            Some("mutate") => s.mode = Mode::Mutate,
            Some("validate") => s.mode = Mode::Validate,
            Some(other) => p.add(key, format!("found {other:?}, allowed mutate or validate")),
            None => {}
        },
        "runAsUser" => read_id(p, key, value, &mut s.run_as_user),
        "runAsGroup" => read_id(p, key, value, &mut s.run_as_group),
        "fsGroup" => read_id(p, key, value, &mut s.fs_group),
        "allowedUserRanges" => read_ranges(p, key, value, &mut s.allowed_user_ranges),
        "allowedGroupRanges" => read_ranges(p, key, value, &mut s.allowed_group_ranges),
        "allowedCapabilities" => {
            if let Some(list) = p.typed::<Vec<String>>(key, value) {
                s.allowed_capabilities = read_capabilities(p, key, &list);
            }
        }
        "allowedSeccompProfiles" => {
            if let Some(list) = p.typed::<Vec<String>>(key, value) {
                read_seccomp(p, key, list, &mut s.allowed_seccomp_profiles);
            }
        }
        "mutateWorkloadTemplates" => {
            if let Some(b) = p.typed::<bool>(key, value) {
                s.mutate_workload_templates = b;
            }
        }
        "frameworkLabel" => {
            if let Some(label) = p.typed::<String>(key, value) {
                if let Some(why) = label_key_problem(&label) {
                    p.add(key, format!("{label:?} is not a valid label key: {why}"));
                }
                s.framework_label = label;
            }
        }
        "defaultFramework" => {
            if let Some(name) = p.typed::<String>(key, value) {
                s.default_framework = name;
            }
        }
        "writablePaths" => {
            if let Some(list) = read_paths(p, key, value) {
                s.writable_paths = list;
            }
        }
        "frameworks" => read_frameworks(p, key, value, &mut s.frameworks),
        "defaultEmptyDirSizeLimit" => {
            read_quantity(p, key, value, &mut s.default_empty_dir_size_limit)
        }
        "maxEmptyDirSizeLimit" => read_quantity(p, key, value, &mut s.max_empty_dir_size_limit),
        "forbiddenWritablePaths" => {
            if let Some(list) = p.typed::<Vec<String>>(key, value) {
                s.forbidden_writable_paths = clean_path_list(p, key, &list);
            }
        }
        "home" => {
            if let Some(home) = p.typed::<String>(key, value) {
                match absolute_problem(&home) {
                    Some(why) => p.add(key, format!("{home:?} {why}")),
                    None => s.home = clean(&home).into_owned(),
                }
            }
        }
        "imageUserCheck" => match p.typed::<String>(key, value).as_deref() {
            Some("off") => s.image_user_check = ImageUserCheck::Off,
            Some("warn") => s.image_user_check = ImageUserCheck::Warn,
            Some("enforce") => s.image_user_check = ImageUserCheck::Enforce,
            Some(other) => p.add(
                key,
                format!("found {other:?}, allowed off, warn or enforce"),
            ),
            None => {}
        },
        "podTemplates" => {
            if let Some(list) = platform::read_pod_templates(p, key, value) {
                s.pod_templates = list;
            }
        }
        "exceptions" => {
            if let Some(list) = platform::read_exceptions(p, key, value) {
                s.exceptions = list;
            }
        }
        "runtimeClass" => {
            if let Some(rc) = platform::read_runtime_class(p, key, value) {
                s.runtime_class = rc;
            }
        }
        "serviceAccountToken" => match p.typed::<String>(key, value).as_deref() {
            Some("keep") => s.service_account_token = ServiceAccountToken::Keep,
            Some("default-off") => s.service_account_token = ServiceAccountToken::DefaultOff,
            Some("forbid") => s.service_account_token = ServiceAccountToken::Forbid,
            Some(other) => p.add(
                key,
                format!("found {other:?}, allowed keep, default-off or forbid"),
            ),
            None => {}
        },
        "allowedTokenAudiences" => {
            if let Some(list) = p.typed::<Vec<String>>(key, value) {
                for (i, audience) in list.iter().enumerate() {
                    if audience.trim().is_empty() || audience.contains("kubernetes.default.svc") {
                        p.add(
                            &format!("{key}[{i}]"),
                            format!("{audience:?} would let tokens for the Kubernetes API through"),
                        );
                    }
                }
                s.allowed_token_audiences = list;
            }
        }
        "auditAsValidate" => {
            if let Some(b) = p.typed::<bool>(key, value) {
                s.audit_as_validate = b;
            }
        }
        unknown => p.add(
            unknown,
            format!(
                "unknown setting (known settings: {})",
                SETTING_KEYS.join(", ")
            ),
        ),
    }
}

fn read_id(p: &mut Problems, key: &str, value: &Value, out: &mut i64) {
    if let Some(id) = p.typed::<i64>(key, value) {
        if (1..=MAX_ID).contains(&id) {
            *out = id;
        } else {
            p.add(
                key,
                format!("found {id}, allowed 1 to {MAX_ID} (never 0: root)"),
            );
        }
    }
}

fn read_ranges(p: &mut Problems, key: &str, value: &Value, out: &mut Vec<IdRange>) {
    let Some(raw) = p.typed::<Vec<RawRange>>(key, value) else {
        return;
    };
    for (i, r) in raw.iter().enumerate() {
        if r.min < 1 || r.max > MAX_ID || r.min > r.max {
            p.add(
                &format!("{key}[{i}]"),
                format!(
                    "found {{min: {}, max: {}}}, allowed 1 <= min <= max <= {MAX_ID} (0 is root)",
                    r.min, r.max
                ),
            );
        }
    }
    *out = raw
        .iter()
        .map(|r| IdRange {
            min: r.min,
            max: r.max,
        })
        .collect();
}

/// Pod Security "restricted" lets containers add back only NET_BIND_SERVICE.
const RESTRICTED_ADDABLE: &[&str] = &["NET_BIND_SERVICE"];

fn read_capabilities(p: &mut Problems, key: &str, list: &[String]) -> Vec<String> {
    let mut out = Vec::new();
    for (i, name) in list.iter().enumerate() {
        let normal = normalise(name);
        if !RESTRICTED_ADDABLE.contains(&normal.as_str()) {
            p.add(
                &format!("{key}[{i}]"),
                format!(
                    "found {name:?}, allowed {} (Pod Security \"restricted\" forbids adding any other capability)",
                    RESTRICTED_ADDABLE.join(", ")
                ),
            );
        } else if !out.contains(&normal) {
            out.push(normal);
        }
    }
    out
}

fn read_seccomp(p: &mut Problems, key: &str, list: Vec<String>, out: &mut Vec<String>) {
    if list.is_empty() {
        p.add(key, "must list at least one of RuntimeDefault, Localhost");
    }
    for (i, name) in list.iter().enumerate() {
        if name != "RuntimeDefault" && name != "Localhost" {
            p.add(
                &format!("{key}[{i}]"),
                format!("found {name:?}, allowed RuntimeDefault or Localhost (never Unconfined)"),
            );
        }
    }
    *out = list;
}

fn read_quantity(p: &mut Problems, key: &str, value: &Value, out: &mut Quantity) {
    match positive_quantity(value) {
        Ok(q) => *out = q,
        Err(e) => p.add(key, e),
    }
}

/// Checks that need more than one key.
fn check_consistency(s: &Settings, p: &mut Problems) {
    let max = &s.max_empty_dir_size_limit;
    if s.default_empty_dir_size_limit > *max {
        p.add(
            "defaultEmptyDirSizeLimit",
            format!(
                "{} is above maxEmptyDirSizeLimit {max}",
                s.default_empty_dir_size_limit
            ),
        );
    }
    // The settings key of each path, spelled out only for a message.
    let framework_paths = s
        .frameworks
        .iter()
        .flat_map(|(name, list)| list.iter().map(move |w| (Some(name), w)));
    let global_paths = s.writable_paths.iter().map(|w| (None, w));
    for (name, w) in global_paths.chain(framework_paths) {
        let key = || name.map_or("writablePaths".to_string(), |n| format!("frameworks.{n}"));
        if w.size_limit > *max {
            p.add(
                &key(),
                format!(
                    "{} asks for {}, above maxEmptyDirSizeLimit {max}",
                    w.path, w.size_limit
                ),
            );
        }
        if let Some(forbidden) = s
            .forbidden_writable_paths
            .iter()
            .find(|f| overlap(&w.path, f))
        {
            p.add(
                &key(),
                format!(
                    "{} is at, under or above forbiddenWritablePaths entry {forbidden}",
                    w.path
                ),
            );
        }
    }
    check_path_twins(s, p);
    check_env_twins(s, p);
    if !s.default_framework.is_empty() && !s.frameworks.contains_key(&s.default_framework) {
        p.add(
            "defaultFramework",
            format!(
                "{:?} is not in frameworks (known: {})",
                s.default_framework,
                s.framework_names()
            ),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `{}` skips the reading and the checks: that is only right while the defaults pass them.
    #[test]
    fn the_defaults_pass_the_consistency_checks() {
        let mut problems = Problems::default();
        check_consistency(&Settings::default(), &mut problems);
        assert_eq!(problems.0, Vec::<String>::new());
    }

    #[test]
    fn empty_settings_are_the_checked_defaults() {
        let empty = parse_settings(&serde_json::json!({})).unwrap();
        let spelled = parse_settings(&serde_json::json!({"mode": "mutate"})).unwrap();
        assert_eq!(empty, spelled);
    }
}
