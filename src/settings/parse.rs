//! Reading settings from JSON: each key on its own, so one message lists every problem.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{IdRange, ImageUserCheck, Mode, SETTING_KEYS, Settings, WritablePath};
use crate::capabilities::normalise;
use crate::paths::{absolute_problem, clean, is_at_or_under, overlap};
use crate::quantity::Quantity;

use super::labels::{label_key_problem, label_value_problem};

/// The largest id the API server accepts for runAsUser, runAsGroup and fsGroup.
const MAX_ID: i64 = 2_147_483_647;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRange {
    min: i64,
    max: i64,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "camelCase")]
struct RawPath {
    path: String,
    size_limit: Value,
    #[serde(default)]
    env: Vec<String>,
}

/// Paths that may never be made writable as a whole: the root (that would undo the read-only
/// root filesystem) and the kernel's filesystems. At or under `/proc` and `/sys`; `/dev` itself
/// (a `/dev/shm` emptyDir is common and harmless).
const NEVER_WRITABLE_TREES: &[&str] = &["/proc", "/sys"];
const NEVER_WRITABLE_EXACT: &[&str] = &["/", "/dev"];

/// Why `path` (clean) may not be a writable path, if it may not.
fn never_writable(path: &str) -> Option<String> {
    if NEVER_WRITABLE_EXACT.contains(&path) {
        return Some(format!(
            "{path} may not be made writable (the root filesystem stays read-only; allowed: a directory such as /tmp or /data)"
        ));
    }
    NEVER_WRITABLE_TREES
        .iter()
        .find(|t| is_at_or_under(path, t))
        .map(|t| {
            format!("{path} is at or under {t}, a kernel filesystem that may not be made writable")
        })
}

/// Why `name` can't be an environment variable set by the policy, if it can't.
fn env_name_problem(name: &str) -> Option<&'static str> {
    let mut bytes = name.bytes();
    let first_ok = bytes
        .next()
        .is_some_and(|b| b.is_ascii_alphabetic() || b == b'_');
    if !first_ok || !bytes.all(|b| b.is_ascii_alphanumeric() || b == b'_') {
        return Some(
            "is not a valid variable name (letters, digits and _, not starting with a digit)",
        );
    }
    if name == "HOME" {
        return Some("is set by the `home` setting, not by a writable path");
    }
    None
}

/// Problems found so far, each prefixed with the key it belongs to.
#[derive(Default)]
struct Problems(Vec<String>);

impl Problems {
    fn add(&mut self, key: &str, problem: impl std::fmt::Display) {
        self.0.push(format!("{key}: {problem}"));
    }

    /// Deserialises `value` as `T`, or records why it can't.
    fn typed<T: DeserializeOwned>(&mut self, key: &str, value: &Value) -> Option<T> {
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

/// A size limit: zero would mean no limit to the kubelet.
fn positive_quantity(value: &Value) -> Result<Quantity, String> {
    let q = quantity_value(value)?;
    if q.is_zero() {
        Err(format!(
            "{q} is zero, which the kubelet treats as no limit: give a size above 0"
        ))
    } else {
        Ok(q)
    }
}

/// A quantity written as a string or a JSON number, as the API server accepts both.
pub fn quantity_value(value: &Value) -> Result<Quantity, String> {
    match value {
        Value::String(s) => Quantity::parse(s),
        Value::Number(n) => Quantity::parse(&n.to_string()),
        other => Err(format!(
            "found {other}, expected a quantity string such as \"1Gi\""
        )),
    }
}

fn read_paths(p: &mut Problems, key: &str, value: &Value) -> Option<Vec<WritablePath>> {
    let raw = p.typed::<Vec<RawPath>>(key, value)?;
    let paths: Vec<&str> = raw.iter().map(|w| w.path.as_str()).collect();
    let cleaned = clean_path_list(p, key, &paths);
    let mut out = Vec::with_capacity(raw.len());
    for (i, (item, path)) in raw.into_iter().zip(cleaned).enumerate() {
        if let Some(why) = never_writable(&path) {
            p.add(&format!("{key}[{i}].path"), why);
        }
        for name in &item.env {
            if let Some(why) = env_name_problem(name) {
                p.add(&format!("{key}[{i}].env"), format!("{name:?} {why}"));
            }
        }
        match positive_quantity(&item.size_limit) {
            Ok(size_limit) => out.push(WritablePath {
                path,
                size_limit,
                env: item.env,
            }),
            Err(e) => p.add(&format!("{key}[{i}].sizeLimit"), e),
        }
    }
    Some(out)
}

fn read_frameworks(
    p: &mut Problems,
    key: &str,
    value: &Value,
    out: &mut BTreeMap<String, Vec<WritablePath>>,
) {
    let Some(map) = p.typed::<BTreeMap<String, Value>>(key, value) else {
        return;
    };
    let mut table = BTreeMap::new();
    for (name, list) in &map {
        let item_key = format!("{key}.{name}");
        if name.is_empty() {
            p.add(&item_key, "a framework needs a non-empty name");
        } else if let Some(why) = label_value_problem(name) {
            p.add(
                &item_key,
                format!("{name:?} is not a valid label value: {why}"),
            );
        }
        if let Some(paths) = read_paths(p, &item_key, list) {
            table.insert(name.clone(), paths);
        }
    }
    *out = table;
}

/// The list's paths, cleaned; a relative path or one listed twice (once cleaned) is a problem.
fn clean_path_list<S: AsRef<str>>(p: &mut Problems, key: &str, paths: &[S]) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut out = Vec::with_capacity(paths.len());
    for (i, path) in paths.iter().enumerate() {
        let path = path.as_ref();
        if let Some(why) = absolute_problem(path) {
            p.add(&format!("{key}[{i}]"), format!("{path:?} {why}"));
        }
        let cleaned = clean(path).into_owned();
        if !seen.insert(cleaned.clone()) {
            p.add(
                &format!("{key}[{i}]"),
                format!("{path:?} is listed twice (as {cleaned})"),
            );
        }
        out.push(cleaned);
    }
    out
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
    let framework_paths = s
        .frameworks
        .iter()
        .flat_map(|(name, list)| list.iter().map(move |w| (format!("frameworks.{name}"), w)));
    let global_paths = s
        .writable_paths
        .iter()
        .map(|w| ("writablePaths".to_string(), w));
    for (key, w) in global_paths.chain(framework_paths) {
        if w.size_limit > *max {
            p.add(
                &key,
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
                &key,
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

/// A framework path that is also a global writable path must agree with it: the pod gets one
/// emptyDir there, so two sizes (or two variable lists) can't both hold.
fn check_path_twins(s: &Settings, p: &mut Problems) {
    for (name, list) in &s.frameworks {
        for (i, w) in list.iter().enumerate() {
            let Some((j, global)) = s
                .writable_paths
                .iter()
                .enumerate()
                .find(|(_, g)| g.path == w.path)
            else {
                continue;
            };
            if global.size_limit != w.size_limit || global.env != w.env {
                p.add(
                    &format!("frameworks.{name}[{i}]"),
                    format!(
                        "{} (sizeLimit {}, env {:?}) is also writablePaths[{j}] (sizeLimit {}, env {:?}): give it once, or the same way in both",
                        w.path, w.size_limit, w.env, global.size_limit, global.env
                    ),
                );
            }
        }
    }
}

/// One variable can point at one path only, among the paths a pod can get together.
fn check_env_twins(s: &Settings, p: &mut Problems) {
    let empty = Vec::new();
    let frameworks = s.frameworks.iter().map(|(n, l)| (Some(n), l));
    for (name, list) in frameworks.chain(std::iter::once((None, &empty))) {
        let mut seen: BTreeMap<&str, &str> = BTreeMap::new();
        for w in s.writable_paths.iter().chain(list) {
            for var in &w.env {
                match seen.get(var.as_str()) {
                    Some(first) if *first != w.path => {
                        let key =
                            name.map_or("writablePaths".to_string(), |n| format!("frameworks.{n}"));
                        p.add(
                            &key,
                            format!(
                                "{var} points at both {first} and {}: name it for one path",
                                w.path
                            ),
                        );
                    }
                    _ => {
                        seen.insert(var, &w.path);
                    }
                }
            }
        }
    }
}
