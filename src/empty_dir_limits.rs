//! Every emptyDir — injected or the user's, `medium: Memory` included — carries a sizeLimit no
//! larger than `maxEmptyDirSizeLimit`; kubelet evicts a pod that writes past it.

use serde_json::{Map, Value, json};

use crate::fields::{Ctx, Missing, present};
use crate::settings::parse::quantity_value;

/// Checks, and in mutate mode completes, the sizeLimit of every emptyDir in `volumes`.
pub fn check(ctx: &mut Ctx<'_>, volumes: &mut [Value], spec_path: &str) {
    for (i, volume) in volumes.iter_mut().enumerate() {
        let Some(volume) = volume.as_object_mut() else {
            continue; // reported by the volume-type rule
        };
        let name = volume
            .get("name")
            .and_then(Value::as_str)
            .unwrap_or("(unnamed)")
            .to_string();
        let path = format!("{spec_path}.volumes[{i}].emptyDir");
        match volume.get_mut("emptyDir") {
            None | Some(Value::Null) => {}
            Some(Value::Object(empty_dir)) => size_limit(ctx, empty_dir, &path, &name),
            Some(other) => {
                let other = other.clone();
                ctx.violation(path, &other, "an emptyDir object");
            }
        }
    }
}

fn size_limit(ctx: &mut Ctx<'_>, empty_dir: &mut Map<String, Value>, path: &str, name: &str) {
    let s = ctx.settings;
    let max = &s.max_empty_dir_size_limit;
    let allowed = || format!("a sizeLimit above 0 and at most {max} (maxEmptyDirSizeLimit)");
    match present(empty_dir.get("sizeLimit")) {
        None => match ctx.missing {
            Missing::Add => {
                let default = s.default_empty_dir_size_limit.as_str();
                empty_dir.insert("sizeLimit".to_string(), json!(default));
                ctx.report.change(
                    format!("emptyDir.sizeLimit: {default}"),
                    &format!("volume {name}"),
                );
            }
            Missing::Report => ctx.missing_violation(format!("{path}.sizeLimit"), allowed()),
            Missing::Ignore => {}
        },
        Some(value) => match quantity_value(value) {
            // Zero is no limit at all to the kubelet.
            Ok(size) if size <= *max && !size.is_zero() => {}
            Ok(_) => {
                let value = value.clone();
                ctx.violation(format!("{path}.sizeLimit"), &value, allowed());
            }
            Err(why) => {
                let value = value.clone();
                ctx.violation(
                    format!("{path}.sizeLimit"),
                    &value,
                    format!("{} ({why})", allowed()),
                );
            }
        },
    }
}
