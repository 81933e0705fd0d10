//! The pod's volumes, walked once: only the types Pod Security "restricted" allows, every
//! emptyDir's sizeLimit (see `empty_dir_limits`), and an index of names and writable volumes for
//! the writable-path rules.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::empty_dir_limits;
use crate::field_path::FieldPath;
use crate::fields::{Ctx, array_mut, present};

/// Volume sources Pod Security "restricted" allows.
pub const RESTRICTED_VOLUME_TYPES: &[&str] = &[
    "configMap",
    "csi",
    "downwardAPI",
    "emptyDir",
    "ephemeral",
    "persistentVolumeClaim",
    "projected",
    "secret",
];

/// What the writable-path rules need to know of the volumes.
#[derive(Default)]
pub struct VolumeIndex {
    /// Every volume name in the pod (injected volumes must not collide with them).
    pub names: BTreeSet<String>,
    /// The volumes a container can write to.
    pub writable: BTreeSet<String>,
    /// `volumes` is absent or a list (if it is malformed, nothing can be added to it).
    pub well_formed: bool,
}

/// Checks every volume of the pod spec at `path` and indexes them.
pub fn check(
    ctx: &mut Ctx<'_>,
    spec: &mut Map<String, Value>,
    path: &FieldPath<'_>,
) -> VolumeIndex {
    let mut index = VolumeIndex {
        well_formed: !matches!(present(spec.get("volumes")), Some(v) if !v.is_array()),
        ..VolumeIndex::default()
    };
    let Some(volumes) = array_mut(ctx, spec, "volumes", path) else {
        return index;
    };
    let list = path.key("volumes");
    for (i, volume) in volumes.iter_mut().enumerate() {
        let item = list.index(i);
        let Some(volume) = volume.as_object_mut() else {
            ctx.violation(item, volume, "a volume object");
            continue;
        };
        check_types(ctx, volume, &item);
        if let Some(name) = volume.get("name").and_then(Value::as_str) {
            if is_writable(volume) {
                index.writable.insert(name.to_string());
            }
            index.names.insert(name.to_string());
        }
        empty_dir_limits::check(ctx, volume, &item);
    }
    index
}

fn check_types(ctx: &mut Ctx<'_>, volume: &Map<String, Value>, item: &FieldPath<'_>) {
    for (key, source) in volume {
        if key != "name" && !source.is_null() && !RESTRICTED_VOLUME_TYPES.contains(&key.as_str()) {
            let allowed = format!("a volume of type {}", RESTRICTED_VOLUME_TYPES.join(", "));
            ctx.violation(item.key(key), source, allowed);
        }
    }
}

/// Whether a container mounting this volume (not read-only) can write to it.
fn is_writable(volume: &Map<String, Value>) -> bool {
    let read_only_flag =
        |source: &Value| source.get("readOnly").and_then(Value::as_bool) == Some(true);
    volume.iter().any(|(key, source)| match key.as_str() {
        "name" => false,
        _ if source.is_null() => false,
        // Sources the kubelet always mounts read-only.
        "configMap" | "secret" | "projected" | "downwardAPI" | "image" => false,
        "persistentVolumeClaim" | "csi" => !read_only_flag(source),
        // emptyDir, ephemeral, hostPath and anything else may be written.
        _ => true,
    })
}
