//! Environment that makes the agent find its writable paths. UID 65534's home in most images
//! is `/nonexistent` or `/`, so every container that does not set `HOME` gets the `home`
//! setting, and each writable path's variables (`PIP_CACHE_DIR`, `NPM_CONFIG_CACHE`, `TMPDIR`,
//! …) point at it in the containers that can write there. A variable the container sets —
//! by `value` or `valueFrom` — is never changed; one that points outside every writable mount
//! is warned about. `envFrom` can't be seen from here.

use std::rc::Rc;

use crate::json::{Map, Value};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, list_to_extend, present};
use crate::paths::clean;
use crate::report::Target;
use crate::writable_paths::{Kind, Mount, nearest};

/// A variable that should name a writable path.
pub struct PathVar<'s> {
    pub name: &'s str,
    pub path: &'s str,
    /// Whether the container can write at `path` (only then is the variable set; a value the
    /// container sets itself is checked either way).
    pub writable: bool,
}

const HOME: &str = "HOME";

/// Each added variable as warnings name it (`env HOME=/home/nobody`) and as its `env` entry,
/// both written once per pod and shared by every container that gets it.
#[derive(Default)]
pub struct EnvTexts(Vec<(String, String, Rc<str>, Map<'static>)>);

impl EnvTexts {
    fn get(&mut self, name: &str, path: &str) -> Option<(&Rc<str>, Map<'static>)> {
        let at = match self.0.iter().position(|(n, p, ..)| n == name && p == path) {
            Some(at) => at,
            None => {
                let text: Rc<str> = Rc::from(["env ", name, "=", path].concat());
                let entry = Map::rendered(&[("name", name), ("value", path)]);
                self.0
                    .push((name.to_string(), path.to_string(), text, entry));
                self.0.len() - 1
            }
        };
        let (_, _, text, entry) = self.0.get(at)?;
        Some((text, entry.clone()))
    }
}

/// Checks and completes the container's `env` for `HOME` and `vars`.
pub fn check<'s>(
    ctx: &mut Ctx<'_>,
    container: &mut Map,
    cpath: &FieldPath<'_>,
    target: &Target,
    vars: impl Iterator<Item = PathVar<'s>>,
    mounts: &[Mount],
    texts: &mut EnvTexts,
) {
    let env_path = cpath.key("env");
    let home = ctx.settings.home.as_str();
    // HOME and a framework's few variables: room for them without growing.
    let mut wanted: Vec<(&str, &str, bool)> = Vec::with_capacity(8);
    wanted.push((HOME, home, true));
    wanted.extend(vars.map(|v| (v.name, v.path, v.writable)));
    let mut missing: Vec<(&str, &str)> = Vec::with_capacity(wanted.len());
    match present(container.get("env")) {
        None => missing.extend(wanted.iter().filter(|w| w.2).map(|w| (w.0, w.1))),
        Some(Value::Array(entries)) => {
            for (name, path, writable) in wanted {
                match entries
                    .iter()
                    .find(|e| e.get("name").and_then(Value::as_str) == Some(name))
                {
                    Some(entry) => outside_note(ctx, target, entry, name, home, mounts),
                    None if writable => missing.push((name, path)),
                    None => {}
                }
            }
        }
        Some(other) => {
            let other = other.clone();
            return ctx.violation(env_path, &other, "a list of environment variables");
        }
    }
    if missing.is_empty() {
        return;
    }
    match ctx.missing {
        Missing::Ignore => {}
        Missing::Report => {
            for (name, path) in missing {
                ctx.report.violation(
                    env_path.to_string(),
                    format!("no {name}"),
                    format!("{name} set (the policy would add {name}={path})"),
                );
            }
        }
        Missing::Add => add(ctx, container, target, &missing, texts),
    }
}

fn add(
    ctx: &mut Ctx<'_>,
    container: &mut Map,
    target: &Target,
    missing: &[(&str, &str)],
    texts: &mut EnvTexts,
) {
    let Some(list) = list_to_extend(container, "env") else {
        return;
    };
    list.reserve(missing.len());
    for (name, path) in missing {
        if let Some((text, entry)) = texts.get(name, path) {
            list.push(Value::Object(entry));
            ctx.report.change_shared(text, target);
        }
    }
}

/// Warns when the container's own value for a variable names a directory no writable mount
/// covers: the framework would then write to the read-only root filesystem and fail.
fn outside_note(
    ctx: &mut Ctx<'_>,
    target: &Target,
    entry: &Value,
    name: &str,
    home: &str,
    mounts: &[Mount],
) {
    // `valueFrom` and `$(VAR)` references can't be resolved here.
    let Some(value) = entry.get("value").and_then(Value::as_str) else {
        return;
    };
    if !value.starts_with('/') || value.contains("$(") {
        return;
    }
    let path = clean(value);
    if name == HOME && path == home {
        return;
    }
    let covered = nearest(mounts, &path).is_some_and(|m| m.kind == Kind::Writable);
    if !covered {
        ctx.report.notes.push(format!(
            "agent-hardening: {target} sets {name}={value}, which no writable mount covers: writes there fail on the read-only root filesystem"
        ));
    }
}
