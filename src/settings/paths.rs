//! Reading the settings' paths: writable paths (cleaned, never the root or a kernel
//! filesystem, with valid variable names), the framework table, and the checks between them.

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

use super::labels::label_value_problem;
use super::parse::Problems;
use super::{Settings, WritablePath};
use crate::paths::{absolute_problem, clean, is_at_or_under};
use crate::quantity::Quantity;

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

/// A size limit: zero would mean no limit to the kubelet.
pub(super) fn positive_quantity(value: &Value) -> Result<Quantity, String> {
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
    Quantity::from_json(value.as_str(), value.as_number(), value)
}

pub(super) fn read_paths(p: &mut Problems, key: &str, value: &Value) -> Option<Vec<WritablePath>> {
    let raw = p.typed::<Vec<RawPath>>(key, value)?;
    let paths: Vec<&str> = raw.iter().map(|w| w.path.as_str()).collect();
    let cleaned = clean_path_list(p, key, &paths);
    let mut out = Vec::with_capacity(raw.len());
    for (i, (item, path)) in raw.into_iter().zip(cleaned).enumerate() {
        if let Some(why) = never_writable(&path) {
            p.add(&format!("{key}[{i}].path"), why);
        }
        for (j, name) in item.env.iter().enumerate() {
            if let Some(why) = env_name_problem(name) {
                p.add(&format!("{key}[{i}].env"), format!("{name:?} {why}"));
            }
            if item
                .env
                .get(..j)
                .is_some_and(|before| before.contains(name))
            {
                p.add(
                    &format!("{key}[{i}].env"),
                    format!("{name:?} is listed twice"),
                );
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

pub(super) fn read_frameworks(
    p: &mut Problems,
    key: &str,
    value: &Value,
    out: &mut BTreeMap<String, Vec<WritablePath>>,
) {
    let Some(map) = p.typed::<BTreeMap<String, Value>>(key, value) else {
        return;
    };
    // Merged over the table so far (the defaults): a framework given here is added or replaced
    // whole, one set to null is removed.
    for (name, list) in &map {
        let item_key = format!("{key}.{name}");
        if list.is_null() {
            out.remove(name);
            continue;
        }
        if name.is_empty() {
            p.add(&item_key, "a framework needs a non-empty name");
        } else if let Some(why) = label_value_problem(name) {
            p.add(
                &item_key,
                format!("{name:?} is not a valid label value: {why}"),
            );
        }
        if let Some(paths) = read_paths(p, &item_key, list) {
            out.insert(name.clone(), paths);
        }
    }
}

/// The list's paths, cleaned; a relative path or one listed twice (once cleaned) is a problem.
pub(super) fn clean_path_list<S: AsRef<str>>(
    p: &mut Problems,
    key: &str,
    paths: &[S],
) -> Vec<String> {
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

/// A framework path that is also a global writable path must agree with it: the pod gets one
/// emptyDir there, so two sizes (or two variable lists) can't both hold.
pub(super) fn check_path_twins(s: &Settings, p: &mut Problems) {
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
pub(super) fn check_env_twins(s: &Settings, p: &mut Problems) {
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
