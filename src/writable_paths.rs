//! Writable paths. The root filesystem is read-only, so every agent container gets an emptyDir
//! mounted at each path its framework needs (unless a writable mount already covers it), and
//! no container may mount anything writable at or above a forbidden path such as /var/log.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::container_rules::{CONTAINER_LISTS, target_name};
use crate::empty_dir_limits;
use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, array_mut, present};
use crate::paths::{is_at_or_under, trim};
use crate::pod_spec::Location;
use crate::report::{Added, Target};
use crate::settings::WritablePath;

/// Volume name prefix for injected emptyDirs.
const VOLUME_PREFIX: &str = "writable";
const MAX_NAME_LEN: usize = 63;

/// Checks and completes the writable paths of every container of the pod spec.
pub fn check(
    ctx: &mut Ctx<'_>,
    spec: &mut Map<String, Value>,
    metadata: Option<&Value>,
    at: &Location<'_>,
) {
    let path = FieldPath::root(at.spec_path);
    let Some(required) = required_paths(ctx, metadata, &FieldPath::root(at.metadata_path)) else {
        return;
    };
    let volumes_ok = !matches!(present(spec.get("volumes")), Some(v) if !v.is_array());
    let writable = writable_volumes(spec);
    if let Some(volumes) = spec.get_mut("volumes").and_then(Value::as_array_mut) {
        empty_dir_limits::check(ctx, volumes, &path);
    }
    let mut plan = Injection::new(spec, &required);
    for list in CONTAINER_LISTS {
        let Some(containers) = array_mut(ctx, spec, list, &path) else {
            continue;
        };
        let list_path = path.key(list);
        for (i, container) in containers.iter_mut().enumerate() {
            let Some(container) = container.as_object_mut() else {
                continue; // reported by the container rules
            };
            let cpath = list_path.index(i);
            let mounts = mounts(ctx, container, &cpath, &writable);
            forbidden(ctx, &mounts, &cpath);
            // Ephemeral containers can't get new mounts: the API forbids adding volumes then.
            if list != "ephemeralContainers" {
                let target = target_name(list, container);
                cover(
                    ctx, container, &mounts, &cpath, &target, &mut plan, volumes_ok,
                );
            }
        }
    }
    plan.add_volumes(spec);
}

/// `writablePaths` plus the paths of the pod's framework; `None` after reporting an unknown
/// framework.
fn required_paths<'s>(
    ctx: &mut Ctx<'s>,
    metadata: Option<&Value>,
    meta_path: &FieldPath<'_>,
) -> Option<Vec<&'s WritablePath>> {
    let s = ctx.settings;
    let label = metadata
        .and_then(|m| present(m.get("labels")))
        .and_then(|l| present(l.get(&s.framework_label)));
    let framework = match label {
        None => s.default_framework.as_str(),
        Some(Value::String(name)) => name.as_str(),
        Some(other) => {
            let other = other.clone();
            ctx.violation(
                format!("{meta_path}.labels[{}]", s.framework_label),
                &other,
                "a string",
            );
            return None;
        }
    };
    let mut paths: Vec<&WritablePath> = s.writable_paths.iter().collect();
    if !framework.is_empty() {
        let Some(extra) = s.frameworks.get(framework) else {
            let allowed = format!("one of the known frameworks: {}", s.framework_names());
            ctx.violation(
                format!("{meta_path}.labels[{}]", s.framework_label),
                &json!(framework),
                allowed,
            );
            return None;
        };
        for w in extra {
            if !paths.iter().any(|p| p.path == w.path) {
                paths.push(w);
            }
        }
    }
    Some(paths)
}

/// Names of the pod's volumes that can be written to.
fn writable_volumes(spec: &Map<String, Value>) -> BTreeSet<String> {
    let Some(volumes) = spec.get("volumes").and_then(Value::as_array) else {
        return BTreeSet::new();
    };
    volumes
        .iter()
        .filter(|v| is_writable_volume(v))
        .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
        .collect()
}

fn is_writable_volume(volume: &Value) -> bool {
    let read_only_flag = |key: &str| {
        volume
            .get(key)
            .and_then(|s| s.get("readOnly"))
            .and_then(Value::as_bool)
            == Some(true)
    };
    let Some(map) = volume.as_object() else {
        return false;
    };
    map.iter().any(|(key, source)| match key.as_str() {
        "name" => false,
        _ if source.is_null() => false,
        // Sources the kubelet always mounts read-only.
        "configMap" | "secret" | "projected" | "downwardAPI" | "image" => false,
        "persistentVolumeClaim" | "csi" => !read_only_flag(key),
        // emptyDir, ephemeral, hostPath and anything else may be written.
        _ => true,
    })
}

/// A container's mount: where, and whether the container can write there.
struct Mount {
    path: String,
    writable: bool,
    index: usize,
}

fn mounts(
    ctx: &mut Ctx<'_>,
    container: &Map<String, Value>,
    cpath: &FieldPath<'_>,
    writable: &BTreeSet<String>,
) -> Vec<Mount> {
    let Some(Value::Array(list)) = present(container.get("volumeMounts")) else {
        if let Some(other) = present(container.get("volumeMounts")) {
            let other = other.clone();
            ctx.violation(cpath.key("volumeMounts"), &other, "a list");
        }
        return Vec::new();
    };
    list.iter()
        .enumerate()
        .filter_map(|(index, m)| {
            let path = m.get("mountPath").and_then(Value::as_str)?;
            let name = m.get("name").and_then(Value::as_str).unwrap_or("");
            let read_only = m.get("readOnly").and_then(Value::as_bool) == Some(true);
            Some(Mount {
                path: trim(path).to_string(),
                writable: !read_only && writable.contains(name),
                index,
            })
        })
        .collect()
}

/// No writable mount at, under or above a forbidden path.
fn forbidden(ctx: &mut Ctx<'_>, mounts: &[Mount], cpath: &FieldPath<'_>) {
    let forbidden = &ctx.settings.forbidden_writable_paths;
    for m in mounts.iter().filter(|m| m.writable) {
        if let Some(f) = forbidden
            .iter()
            .find(|f| is_at_or_under(&m.path, f) || is_at_or_under(f, &m.path))
        {
            let allowed = format!(
                "no writable mount at, under or above {f}: logs go to stdout, not files (forbiddenWritablePaths)"
            );
            let mounts_path = cpath.key("volumeMounts");
            let item = mounts_path.index(m.index);
            ctx.violation(item.key("mountPath"), &json!(m.path), allowed);
        }
    }
}

/// Gives the container a writable mount for every required path it lacks.
fn cover(
    ctx: &mut Ctx<'_>,
    container: &mut Map<String, Value>,
    mounts: &[Mount],
    cpath: &FieldPath<'_>,
    target: &Target,
    plan: &mut Injection<'_>,
    volumes_ok: bool,
) {
    let mut added: Vec<&str> = Vec::new();
    let required = plan.required.clone();
    for (j, w) in required.iter().enumerate() {
        let covered = mounts
            .iter()
            .any(|m| m.writable && is_at_or_under(&w.path, &m.path))
            || added.iter().any(|a| is_at_or_under(&w.path, a));
        if covered {
            continue;
        }
        if mounts.iter().any(|m| m.path == w.path) {
            ctx.report.notes.push(format!(
                "agent-hardening: {target} mounts a read-only volume at {}, so it stays read-only; the agent may fail to write there",
                w.path
            ));
            continue;
        }
        match ctx.missing {
            Missing::Ignore => {}
            Missing::Report => ctx.report.violation(
                cpath.key("volumeMounts").to_string(),
                format!("no writable mount covering {}", w.path),
                format!(
                    "an emptyDir mounted at {} or at a writable parent directory",
                    w.path
                ),
            ),
            Missing::Add if volumes_ok => {
                let volume = plan.volume_for(j);
                if push_mount(container, &volume, &w.path) {
                    added.push(&w.path);
                    let added = Added::Text(plan.description(j));
                    ctx.report.change(added, target);
                }
            }
            Missing::Add => {}
        }
    }
}

fn push_mount(container: &mut Map<String, Value>, volume: &str, path: &str) -> bool {
    let mounts = container
        .entry("volumeMounts")
        .or_insert_with(|| Value::Array(Vec::new()));
    if mounts.is_null() {
        *mounts = Value::Array(Vec::new());
    }
    match mounts.as_array_mut() {
        Some(list) => {
            let mut mount = Map::new();
            mount.insert("name".into(), Value::String(volume.to_string()));
            mount.insert("mountPath".into(), Value::String(path.to_string()));
            list.push(Value::Object(mount));
            true
        }
        None => false,
    }
}

/// The emptyDir volumes the pod gains: one per required path, shared by its containers, named
/// so that they never collide with the user's volumes.
struct Injection<'s> {
    required: Vec<&'s WritablePath>,
    taken: BTreeSet<String>,
    /// Required path index → volume name, for the volumes created so far.
    created: BTreeMap<usize, String>,
    /// Required path index → how warnings describe its mount, written once.
    descriptions: BTreeMap<usize, Rc<str>>,
}

impl<'s> Injection<'s> {
    fn new(spec: &Map<String, Value>, required: &[&'s WritablePath]) -> Self {
        let taken = spec
            .get("volumes")
            .and_then(Value::as_array)
            .map(|list| {
                list.iter()
                    .filter_map(|v| v.get("name").and_then(Value::as_str).map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        Injection {
            required: required.to_vec(),
            taken,
            created: BTreeMap::new(),
            descriptions: BTreeMap::new(),
        }
    }

    fn volume_for(&mut self, index: usize) -> String {
        if let Some(name) = self.created.get(&index) {
            return name.clone();
        }
        let path = self
            .required
            .get(index)
            .map(|w| w.path.as_str())
            .unwrap_or("");
        let base = volume_name(path);
        let mut name = base.clone();
        let mut n = 2;
        while self.taken.contains(&name) {
            let suffix = format!("-{n}");
            let keep = MAX_NAME_LEN.saturating_sub(suffix.len()).min(base.len());
            name = format!("{}{suffix}", base.get(..keep).unwrap_or(&base));
            n += 1;
        }
        self.taken.insert(name.clone());
        self.created.insert(index, name.clone());
        name
    }

    fn description(&mut self, index: usize) -> Rc<str> {
        let required = &self.required;
        let text = self.descriptions.entry(index).or_insert_with(|| {
            let text = match required.get(index) {
                Some(w) => format!(
                    "a writable emptyDir at {} (sizeLimit {})",
                    w.path, w.size_limit
                ),
                None => String::new(),
            };
            Rc::from(text)
        });
        Rc::clone(text)
    }

    fn add_volumes(self, spec: &mut Map<String, Value>) {
        if self.created.is_empty() {
            return;
        }
        let volumes = spec
            .entry("volumes")
            .or_insert_with(|| Value::Array(Vec::new()));
        if volumes.is_null() {
            *volumes = Value::Array(Vec::new());
        }
        let Some(list) = volumes.as_array_mut() else {
            return;
        };
        for (index, name) in self.created {
            if let Some(w) = self.required.get(index) {
                list.push(json!({"name": name, "emptyDir": {"sizeLimit": w.size_limit.as_str()}}));
            }
        }
    }
}

/// `/home/nobody/.cache/pip` → `writable-home-nobody-cache-pip`: a valid DNS label.
pub fn volume_name(path: &str) -> String {
    let mut name = String::from(VOLUME_PREFIX);
    for part in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !part.is_empty() {
            name.push('-');
            name.push_str(&part.to_ascii_lowercase());
        }
    }
    name.truncate(MAX_NAME_LEN);
    name.trim_end_matches('-').to_string()
}
