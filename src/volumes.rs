//! The pod's volumes, walked once: only the types Pod Security "restricted" allows, every
//! emptyDir's sizeLimit (see `empty_dir_limits`), and an index of names and writable volumes for
//! the writable-path rules.

use std::collections::BTreeSet;

use crate::json::{Map, Value};

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
    // Kubernetes 1.33+: an OCI image or artifact, mounted read-only (how models reach agents).
    "image",
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

impl VolumeIndex {
    /// An index holding the pod's other writable volumes: a StatefulSet's
    /// `volumeClaimTemplates`, each a writable volume of every pod it creates.
    pub fn with_claims(claims: &[String]) -> Self {
        let mut index = VolumeIndex {
            names: BTreeSet::new(),
            writable: BTreeSet::new(),
            well_formed: true,
        };
        // Inserted one by one: `collect` into a set would bring a sort into the module.
        for claim in claims {
            index.names.insert(claim.clone());
            index.writable.insert(claim.clone());
        }
        index
    }

    fn add(&mut self, volume: &Map) {
        if let Some(name) = volume.get("name").and_then(Value::as_str) {
            if is_writable(volume) {
                self.writable.insert(name.to_string());
            }
            self.names.insert(name.to_string());
        }
    }
}

/// Checks every volume of the pod spec at `path` and adds them to `index`.
pub fn check(
    ctx: &mut Ctx<'_>,
    spec: &mut Map,
    path: &FieldPath<'_>,
    mut index: VolumeIndex,
) -> VolumeIndex {
    index.well_formed = !matches!(present(spec.get("volumes")), Some(v) if !v.is_array());
    let Some(volumes) = array_mut(ctx, spec, "volumes", path) else {
        return index;
    };
    let list = path.key("volumes");
    for (i, volume) in volumes.iter_mut().enumerate() {
        let Some(volume) = volume.as_object_mut() else {
            ctx.violation(list.index(i), volume, "a volume object");
            continue;
        };
        let name = volume.text("name");
        let item = list.named(i, name.as_deref());
        check_types(ctx, volume, &item);
        index.add(volume);
        empty_dir_limits::check(ctx, volume, &item);
    }
    index
}

/// Indexes the volumes of an existing pod without judging them (they were judged, or not, when
/// the pod was created, and can't change now).
pub fn index_only(spec: &Map) -> VolumeIndex {
    let mut index = VolumeIndex::default();
    if let Some(Value::Array(volumes)) = spec.get("volumes") {
        for volume in volumes.iter().filter_map(Value::as_object) {
            index.add(volume);
        }
    }
    index
}

fn check_types(ctx: &mut Ctx<'_>, volume: &Map, item: &FieldPath<'_>) {
    for (key, source) in volume {
        if key != "name" && !source.is_null() && !RESTRICTED_VOLUME_TYPES.contains(&key) {
            let allowed = format!("a volume of type {}", RESTRICTED_VOLUME_TYPES.join(", "));
            ctx.violation(item.key(key), source, allowed);
        }
    }
}

/// Whether a container mounting this volume (not read-only) can write to it.
fn is_writable(volume: &Map) -> bool {
    let read_only_flag =
        |source: &Value| source.get("readOnly").and_then(Value::as_bool) == Some(true);
    volume.iter().any(|(key, source)| match key {
        "name" => false,
        _ if source.is_null() => false,
        // Sources the kubelet always mounts read-only.
        "configMap" | "secret" | "projected" | "downwardAPI" | "image" => false,
        "persistentVolumeClaim" | "csi" => !read_only_flag(source),
        // emptyDir, ephemeral, hostPath and anything else may be written.
        _ => true,
    })
}
