//! The emptyDir volumes and mounts the policy adds for writable paths: one volume per required
//! path, shared by the pod's containers, named so that it never collides with the user's.

use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

use crate::json::{Map, Value};

use crate::fields::list_to_extend;
use crate::settings::WritablePath;

/// Volume name prefix for injected emptyDirs.
const VOLUME_PREFIX: &str = "writable";
const MAX_NAME_LEN: usize = 63;

#[derive(Default)]
pub struct Injection {
    /// Required path index → volume name, for the volumes created so far.
    created: BTreeMap<usize, String>,
    /// By required path index: its mount, rendered once for all the containers that get it,
    /// and how warnings describe it.
    prepared: Vec<Option<(Map<'static>, Rc<str>)>>,
}

impl Injection {
    /// The volume for required path `index` (at `path`), named on first use so that it
    /// collides neither with `existing` (the pod's volumes) nor with another injected one.
    pub fn volume_for(&mut self, index: usize, path: &str, existing: &BTreeSet<String>) -> &str {
        if !self.created.contains_key(&index) {
            let base = volume_name(path);
            let mut name = base.clone();
            let mut n = 2;
            while existing.contains(&name) || self.created.values().any(|n| *n == name) {
                let suffix = format!("-{n}");
                let keep = MAX_NAME_LEN.saturating_sub(suffix.len()).min(base.len());
                name = format!("{}{suffix}", base.get(..keep).unwrap_or(&base));
                n += 1;
            }
            self.created.insert(index, name);
        }
        self.created.get(&index).map_or("", String::as_str)
    }

    /// The mount of required path `index` (`w`), in the volume `volume_for` names, and how
    /// warnings describe it (both made once, for the first container that gets the mount).
    pub fn mount(
        &mut self,
        index: usize,
        w: &WritablePath,
        existing: &BTreeSet<String>,
    ) -> Option<(Map<'static>, &Rc<str>)> {
        if self.prepared.len() <= index {
            self.prepared.resize_with(index + 1, || None);
        }
        if matches!(self.prepared.get(index), Some(None)) {
            let volume = self.volume_for(index, &w.path, existing);
            let mount = Map::rendered(&[("name", volume), ("mountPath", &w.path)]);
            let text = Rc::from(
                [
                    "a writable emptyDir at ",
                    &w.path,
                    " (sizeLimit ",
                    w.size_limit.as_str(),
                    ")",
                ]
                .concat(),
            );
            *self.prepared.get_mut(index)? = Some((mount, text));
        }
        let (mount, text) = self.prepared.get(index)?.as_ref()?;
        Some((mount.clone(), text))
    }

    /// Adds the volumes the containers were given to the pod spec.
    pub fn add_volumes(self, spec: &mut Map, required: &[&WritablePath]) {
        if self.created.is_empty() {
            return;
        }
        let Some(list) = list_to_extend(spec, "volumes") else {
            return;
        };
        for (index, name) in self.created {
            if let Some(w) = required.get(index) {
                // `{"emptyDir":{"sizeLimit":…},"name":…}`: keys sorted, as the module's
                // serde_json (without `preserve_order`) wrote them through `json!` before.
                let mut empty_dir = Map::new();
                empty_dir.insert(
                    "sizeLimit".into(),
                    Value::from(w.size_limit.as_str().to_string()),
                );
                let mut volume = Map::new();
                volume.insert("emptyDir".into(), Value::Object(empty_dir));
                volume.insert("name".into(), Value::from(name));
                list.push(Value::Object(volume));
            }
        }
    }
}

/// `/home/nobody/.cache/pip` → `writable-home-nobody-cache-pip`: a valid DNS label.
pub fn volume_name(path: &str) -> String {
    let mut name = String::with_capacity(VOLUME_PREFIX.len() + path.len() + 1);
    name.push_str(VOLUME_PREFIX);
    for part in path.split(|c: char| !c.is_ascii_alphanumeric()) {
        if !part.is_empty() {
            name.push('-');
            name.push_str(&part.to_ascii_lowercase());
        }
    }
    name.truncate(MAX_NAME_LEN);
    name.trim_end_matches('-').to_string()
}
