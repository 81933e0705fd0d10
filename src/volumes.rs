//! Volume types: only those Pod Security "restricted" allows.

use serde_json::{Map, Value};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, array};

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

/// Every volume of the pod spec at `path` uses an allowed source.
pub fn check_volume_types(ctx: &mut Ctx<'_>, spec: &Map<String, Value>, path: &FieldPath<'_>) {
    let Some(volumes) = array(ctx, spec, "volumes", path) else {
        return;
    };
    let list = path.key("volumes");
    for (i, volume) in volumes.iter().enumerate() {
        let Some(volume) = volume.as_object() else {
            ctx.violation(list.index(i), volume, "a volume object");
            continue;
        };
        for (key, source) in volume {
            if key != "name"
                && !source.is_null()
                && !RESTRICTED_VOLUME_TYPES.contains(&key.as_str())
            {
                let allowed = format!("a volume of type {}", RESTRICTED_VOLUME_TYPES.join(", "));
                ctx.violation(list.index(i).key(key), source, allowed);
            }
        }
    }
}
