//! Writable paths. The root filesystem is read-only, so every agent container gets an emptyDir
//! mounted at each path its framework needs (unless a writable mount already covers it), and
//! no container may mount anything writable at or above a forbidden path such as /var/log.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use serde_json::{Map, Value, json};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, present};
use crate::paths::{is_at_or_under, trim};
use crate::report::{Added, Target};
use crate::settings::WritablePath;
use crate::volumes::VolumeIndex;

/// Volume name prefix for injected emptyDirs.
const VOLUME_PREFIX: &str = "writable";
const MAX_NAME_LEN: usize = 63;

/// The writable-path rules for one pod spec: prepared once from the settings, the framework
/// label and the volume index, applied to each container as the walk reaches it, and finished by
/// adding the emptyDir volumes the containers were given.
pub struct WritablePaths<'s> {
    /// `writablePaths` plus the framework's (empty after an unknown framework was reported).
    required: Vec<&'s WritablePath>,
    /// The pod's volumes that can be written to.
    writable: BTreeSet<String>,
    /// Whether volumes can be added (`volumes` is absent or a list).
    can_add: bool,
    injection: Injection,
}

impl<'s> WritablePaths<'s> {
    pub fn new(
        ctx: &mut Ctx<'s>,
        metadata: Option<&Value>,
        meta_path: &FieldPath<'_>,
        volumes: VolumeIndex,
    ) -> Self {
        let required = required_paths(ctx, metadata, meta_path).unwrap_or_default();
        WritablePaths {
            required,
            writable: volumes.writable,
            can_add: volumes.well_formed,
            injection: Injection::new(volumes.names),
        }
    }

    /// Checks the container's writable mounts and, except for ephemeral containers (the API
    /// forbids adding volumes then), gives it the required paths it lacks.
    pub fn container(
        &mut self,
        ctx: &mut Ctx<'_>,
        container: &mut Map<String, Value>,
        cpath: &FieldPath<'_>,
        list: &str,
        target: &Target,
    ) {
        let mounts = mounts(ctx, container, cpath, &self.writable);
        forbidden(ctx, &mounts, cpath);
        if list != "ephemeralContainers" {
            cover(ctx, self, container, &mounts, cpath, target);
        }
    }

    /// Adds the volumes the containers were given.
    pub fn finish(self, spec: &mut Map<String, Value>) {
        self.injection.add_volumes(spec, &self.required);
    }
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
    plan: &mut WritablePaths<'_>,
    container: &mut Map<String, Value>,
    mounts: &[Mount],
    cpath: &FieldPath<'_>,
    target: &Target,
) {
    let WritablePaths {
        required,
        injection,
        can_add,
        ..
    } = plan;
    let can_add = *can_add;
    let mut added: Vec<&str> = Vec::new();
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
            Missing::Add if can_add => {
                let volume = injection.volume_for(j, &w.path);
                if push_mount(container, &volume, &w.path) {
                    added.push(&w.path);
                    let added = Added::Text(injection.description(j, w));
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
struct Injection {
    /// Every volume name in use, the user's and the injected ones.
    taken: BTreeSet<String>,
    /// Required path index → volume name, for the volumes created so far.
    created: BTreeMap<usize, String>,
    /// Required path index → how warnings describe its mount, written once.
    descriptions: BTreeMap<usize, Rc<str>>,
}

impl Injection {
    fn new(taken: BTreeSet<String>) -> Self {
        Injection {
            taken,
            created: BTreeMap::new(),
            descriptions: BTreeMap::new(),
        }
    }

    /// The volume for required path `index` (at `path`), named on first use.
    fn volume_for(&mut self, index: usize, path: &str) -> String {
        if let Some(name) = self.created.get(&index) {
            return name.clone();
        }
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

    fn description(&mut self, index: usize, w: &WritablePath) -> Rc<str> {
        let text = self.descriptions.entry(index).or_insert_with(|| {
            Rc::from(format!(
                "a writable emptyDir at {} (sizeLimit {})",
                w.path, w.size_limit
            ))
        });
        Rc::clone(text)
    }

    fn add_volumes(self, spec: &mut Map<String, Value>, required: &[&WritablePath]) {
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
            if let Some(w) = required.get(index) {
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
