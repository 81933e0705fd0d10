//! Writable paths. The root filesystem is read-only, so every agent container gets an emptyDir
//! mounted at each path its framework needs (unless a writable mount already covers it), and
//! no container may mount anything writable at or above a forbidden path such as /var/log.
//! Mount paths are compared cleaned (`paths::clean`), as the container runtime mounts them.

use std::borrow::Cow;
use std::collections::BTreeSet;

use crate::json;
use crate::json::{Map, Text, Value};

use crate::env_vars::{self, EnvTexts, PathVar};
use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, list_to_extend_at, present, shown};
use crate::injection::Injection;
use crate::paths::{clean, is_at_or_under, overlap};
use crate::report::Target;
use crate::settings::WritablePath;
use crate::volumes::VolumeIndex;

/// The writable-path rules for one pod spec: prepared once from the settings, the framework
/// label and the volume index, applied to each container as the walk reaches it, and finished by
/// adding the emptyDir volumes the containers were given.
pub struct WritablePaths<'s> {
    /// `writablePaths` plus the framework's (empty after an unknown framework was reported).
    required: Vec<&'s WritablePath>,
    /// The pod's volumes that can be written to.
    writable: BTreeSet<String>,
    /// Every volume the pod has (its own, and a StatefulSet's claims).
    names: BTreeSet<String>,
    /// Whether volumes can be added (`volumes` is absent or a list).
    can_add: bool,
    injection: Injection,
    env_texts: EnvTexts,
}

/// How an unknown framework label is treated.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Framework {
    /// Rejected, with the known ones (new pods and templates).
    Checked,
    /// Ignored: only the common paths apply (debug containers on an existing pod).
    Lenient,
}

impl<'s> WritablePaths<'s> {
    pub fn new(
        ctx: &mut Ctx<'s>,
        metadata: Option<&Value>,
        meta_path: &FieldPath<'_>,
        volumes: VolumeIndex,
        framework: Framework,
    ) -> Self {
        let required = required_paths(ctx, metadata, meta_path, framework).unwrap_or_default();
        WritablePaths {
            required,
            writable: volumes.writable,
            names: volumes.names,
            can_add: volumes.well_formed,
            injection: Injection::default(),
            env_texts: EnvTexts::default(),
        }
    }

    /// Checks the container's writable mounts and, except for ephemeral containers (the API
    /// forbids adding volumes then), gives it the required paths it lacks; then points `HOME`
    /// and the paths' variables where they belong.
    pub fn container<'d>(
        &mut self,
        ctx: &mut Ctx<'_>,
        container: &mut Map<'d>,
        cpath: &FieldPath<'_>,
        list: &str,
        target: &Target,
    ) {
        let room = self.required.len();
        let mut mounts = mounts(ctx, container, cpath, &self.writable, &self.names, room);
        forbidden(ctx, container, &mounts, cpath);
        let inject = list != "ephemeralContainers";
        let writable_now = self.cover(ctx, container, &mut mounts, cpath, target, inject);
        let vars = self.required.iter().zip(&writable_now).flat_map(|(w, ok)| {
            w.env.iter().map(move |name| PathVar {
                name,
                path: &w.path,
                writable: *ok,
            })
        });
        let texts = &mut self.env_texts;
        env_vars::check(ctx, container, cpath, target, vars, &mounts, texts);
    }

    /// Adds the volumes the containers were given.
    pub fn finish(self, spec: &mut Map) {
        self.injection.add_volumes(spec, &self.required);
    }

    /// Gives the container a writable mount for every required path it lacks (when `inject`);
    /// says, per required path, whether the container can write there afterwards.
    fn cover<'m>(
        &mut self,
        ctx: &mut Ctx<'_>,
        container: &mut Map<'_>,
        mounts: &mut Vec<Mount<'m>>,
        cpath: &FieldPath<'_>,
        target: &Target,
        inject: bool,
    ) -> Vec<bool>
    where
        's: 'm,
    {
        let mut writable_now = Vec::with_capacity(self.required.len());
        // Where `volumeMounts` is among the container's keys, looked up with the first mount
        // added (and set when that mount creates it), so that each mount is added without a
        // search.
        let mut mounts_at: Option<Option<usize>> = None;
        for (j, w) in self.required.iter().enumerate() {
            match nearest(mounts, &w.path) {
                Some(m) if m.kind == Kind::Writable => {
                    writable_now.push(true);
                    continue;
                }
                Some(m) => {
                    writable_now.push(false);
                    if inject {
                        ctx.report.notes.push(blocked_note(target, m, &w.path));
                    }
                    continue;
                }
                None => {}
            }
            let mut added = false;
            // In validate mode the path is reported missing, and judged as if it were there
            // (so its variables are reported too).
            let mut would_be = false;
            match ctx.missing {
                _ if !inject => {}
                Missing::Ignore => {}
                Missing::Report => {
                    would_be = true;
                    ctx.report.violation(
                        cpath.key("volumeMounts").to_string(),
                        format!("no writable mount covering {}", w.path),
                        format!(
                            "an emptyDir mounted at {} or at a writable parent directory",
                            w.path
                        ),
                    );
                }
                Missing::Add if self.can_add => {
                    let found =
                        *mounts_at.get_or_insert_with(|| container.position("volumeMounts"));
                    if let Some((at, list)) = list_to_extend_at(container, found, "volumeMounts") {
                        // The list is there now, whatever follows.
                        mounts_at = Some(Some(at));
                        if let Some((mount, text)) = self.injection.mount(j, w, &self.names) {
                            list.push(Value::Object(mount));
                            added = true;
                            ctx.report.change_shared(text, target);
                        }
                    }
                }
                Missing::Add => {}
            }
            if added {
                mounts.push(Mount {
                    path: Cow::Borrowed(w.path.as_str()),
                    kind: Kind::Writable,
                    index: None,
                });
            }
            writable_now.push(added || would_be);
        }
        writable_now
    }
}

/// `writablePaths` plus the paths of the pod's framework; `None` after reporting an unknown
/// framework. An empty label is no label.
fn required_paths<'s>(
    ctx: &mut Ctx<'s>,
    metadata: Option<&Value>,
    meta_path: &FieldPath<'_>,
    mode: Framework,
) -> Option<Vec<&'s WritablePath>> {
    let s = ctx.settings;
    let label = metadata
        .and_then(|m| present(m.get("labels")))
        .and_then(|l| present(l.get(&s.framework_label)));
    let framework = match label {
        Some(Value::String(name)) if !name.is_empty() => &**name,
        None | Some(Value::String(_)) => s.default_framework.as_str(),
        Some(_) if mode == Framework::Lenient => "",
        Some(other) => {
            let other = other.clone();
            let path = meta_path.key("labels");
            ctx.violation(path.map_key(&s.framework_label), &other, "a string");
            return None;
        }
    };
    let mut paths: Vec<&WritablePath> = s.writable_paths.iter().collect();
    if !framework.is_empty() {
        match s.frameworks.get(framework) {
            Some(extra) => {
                for w in extra {
                    if !paths.iter().any(|p| p.path == w.path) {
                        paths.push(w);
                    }
                }
            }
            None if mode == Framework::Lenient => {}
            None => {
                let allowed = format!("one of the known frameworks: {}", s.framework_names());
                let path = meta_path.key("labels");
                ctx.violation(path.map_key(&s.framework_label), &json!(framework), allowed);
                return None;
            }
        }
    }
    Some(paths)
}

/// What a container can do at one of its mount points.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Writable,
    ReadOnly,
    /// A `volumeDevices` entry: a block device node, no directory at all.
    Device,
}

/// A container's mount (or device) point: where, cleaned (borrowed from the request or the
/// settings unless cleaning changed it), and what it allows.
pub struct Mount<'a> {
    pub path: Cow<'a, str>,
    pub kind: Kind,
    /// Position in `volumeMounts` (`None` for devices and for mounts the policy added).
    index: Option<usize>,
}

fn mounts<'d>(
    ctx: &mut Ctx<'_>,
    container: &Map<'d>,
    cpath: &FieldPath<'_>,
    writable: &BTreeSet<String>,
    names: &BTreeSet<String>,
    room: usize,
) -> Vec<Mount<'d>> {
    let listed = present(container.get("volumeMounts"));
    // `room` more for the mounts the container may be given.
    let mut out =
        Vec::with_capacity(listed.and_then(Value::as_array).map_or(0, |l| l.len()) + room);
    match listed {
        None => {}
        Some(Value::Array(list)) => {
            for (index, m) in list.iter().enumerate() {
                let Some(Value::String(path)) = m.get("mountPath") else {
                    continue;
                };
                let mounts_path = cpath.key("volumeMounts");
                let item = mounts_path.index(index);
                let clean_path = mount_point(ctx, path, &item.key("mountPath"));
                let name = m.get("name").and_then(Value::as_str).unwrap_or("");
                // A mount of a volume the pod lacks would be completed by an injected volume
                // of that name (`writable-tmp`), making it writable wherever it points.
                missing_volume(ctx, names, m.get("name"), &item);
                let read_only = m.get("readOnly").and_then(Value::as_bool) == Some(true);
                let kind = if !read_only && writable.contains(name) {
                    Kind::Writable
                } else {
                    Kind::ReadOnly
                };
                out.push(Mount {
                    path: clean_path,
                    kind,
                    index: Some(index),
                });
            }
        }
        Some(other) => {
            let other = other.clone();
            ctx.violation(cpath.key("volumeMounts"), &other, "a list");
        }
    }
    if let Some(Value::Array(devices)) = present(container.get("volumeDevices")) {
        let devices_path = cpath.key("volumeDevices");
        for (index, d) in devices.iter().enumerate() {
            if let Some(Value::String(path)) = d.get("devicePath") {
                let item = devices_path.index(index);
                let clean_path = mount_point(ctx, path, &item.key("devicePath"));
                missing_volume(ctx, names, d.get("name"), &item);
                out.push(Mount {
                    path: clean_path,
                    kind: Kind::Device,
                    index: None,
                });
            }
        }
    }
    out
}

/// The mount point at `path` (the field `at`): cleaned, once a `..` in it is refused.
fn mount_point<'d>(ctx: &mut Ctx<'_>, path: &Text<'d>, at: &FieldPath<'_>) -> Cow<'d, str> {
    let clean_path = cleaned(path);
    no_backsteps(ctx, path, matches!(clean_path, Cow::Borrowed(_)), at);
    clean_path
}

/// `path` cleaned, borrowed from the request when it was clean and had no escapes.
fn cleaned<'d>(path: &Text<'d>) -> Cow<'d, str> {
    match path {
        Cow::Borrowed(text) => clean(text),
        Cow::Owned(text) => Cow::Owned(clean(text).into_owned()),
    }
}

/// A mount or device must name one of the pod's volumes (the API server requires it too; the
/// policy must not satisfy it by accident with a volume it adds).
fn missing_volume(
    ctx: &mut Ctx<'_>,
    names: &BTreeSet<String>,
    name: Option<&Value>,
    item: &FieldPath<'_>,
) {
    let known = name
        .and_then(Value::as_str)
        .is_some_and(|n| names.contains(n));
    if !known {
        let found = name.cloned().unwrap_or(Value::Null);
        ctx.violation(
            item.key("name"),
            &found,
            "the name of one of the pod's volumes",
        );
    }
}

/// A mount path with a `..` component is refused outright: the runtime resolves it component by
/// component and follows the image's symlinks (`/var/run` → `/run` in most images), so
/// `/var/run/../var/log` lands on `/var/log` while a lexical reading says `/var/var/log`. No
/// tool writes such paths; nothing legitimate is lost.
/// `was_clean`: cleaning left `path` as it was (borrowed it), so it has no `..`.
fn no_backsteps(ctx: &mut Ctx<'_>, path: &str, was_clean: bool, at: &FieldPath<'_>) {
    if !was_clean && path.as_bytes().split(|&b| b == b'/').any(|c| c == b"..") {
        ctx.violation(
            at,
            &json!(path),
            "a path without .. components (the runtime follows the image's symlinks before it applies them)",
        );
    }
}

/// The deepest mount at or above `path`: the one whose filesystem `path` is on.
pub fn nearest<'m, 'a>(mounts: &'m [Mount<'a>], path: &str) -> Option<&'m Mount<'a>> {
    mounts
        .iter()
        .filter(|m| is_at_or_under(path, &m.path))
        .max_by_key(|m| m.path.len())
}

fn blocked_note(target: &Target, m: &Mount, path: &str) -> String {
    let what = match m.kind {
        Kind::Device => "a block device",
        _ => "a read-only volume",
    };
    if m.path == path {
        format!(
            "agent-hardening: {target} mounts {what} at {path}, so it stays read-only; the agent may fail to write there"
        )
    } else {
        format!(
            "agent-hardening: {target} mounts {what} at {}, so {path} inside it stays read-only (nothing can be mounted there); the agent may fail to write there",
            m.path
        )
    }
}

/// No writable mount at, under or above a forbidden path.
fn forbidden(ctx: &mut Ctx<'_>, container: &Map, mounts: &[Mount], cpath: &FieldPath<'_>) {
    let forbidden = &ctx.settings.forbidden_writable_paths;
    for m in mounts.iter().filter(|m| m.kind == Kind::Writable) {
        let (Some(index), Some(f)) = (m.index, forbidden.iter().find(|f| overlap(&m.path, f)))
        else {
            continue;
        };
        let mounts_path = cpath.key("volumeMounts");
        let item = mounts_path.index(index);
        let raw = container
            .get("volumeMounts")
            .and_then(Value::as_array)
            .and_then(|l| l.get(index))
            .and_then(|m| m.get("mountPath"))
            .and_then(Value::as_str)
            .unwrap_or("");
        let found = if raw == m.path {
            shown(&json!(raw))
        } else {
            format!(
                "{} (mounted at {})",
                shown(&json!(raw)),
                shown(&json!(m.path))
            )
        };
        let allowed = format!(
            "no writable mount at, under or above {f}: logs go to stdout, not files (forbiddenWritablePaths)"
        );
        ctx.report
            .violation(item.key("mountPath").to_string(), found, allowed);
    }
}
