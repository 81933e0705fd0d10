//! Every emptyDir — injected or the user's, `medium: Memory` included — carries a sizeLimit
//! above zero and no larger than `maxEmptyDirSizeLimit`; kubelet evicts a pod that writes past
//! it (and reads a zero limit as none).

use std::rc::Rc;

use crate::json::{Map, Value};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, present};
use crate::quantity::Quantity;
use crate::report::{Added, Target};

/// Checks, and in mutate mode completes, the sizeLimit of `volume` (at `item`) if it is an
/// emptyDir.
pub fn check(ctx: &mut Ctx<'_>, volume: &mut Map, item: &FieldPath<'_>) {
    let (mut name, mut empty_dir) = (None, None);
    for (key, value) in volume.iter_mut() {
        match key {
            "name" => name = value.as_str(),
            "emptyDir" => empty_dir = Some(value),
            _ => {}
        }
    }
    let path = item.key("emptyDir");
    match empty_dir {
        None | Some(Value::Null) => {}
        Some(Value::Object(empty_dir)) => {
            size_limit(ctx, empty_dir, &path, name.unwrap_or("(unnamed)"))
        }
        Some(other) => {
            let other = other.clone();
            ctx.violation(path, &other, "an emptyDir object");
        }
    }
}
fn size_limit(ctx: &mut Ctx<'_>, empty_dir: &mut Map, path: &FieldPath<'_>, name: &str) {
    let s = ctx.settings;
    let max = &s.max_empty_dir_size_limit;
    let allowed = || format!("a sizeLimit above 0 and at most {max} (maxEmptyDirSizeLimit)");
    match present(empty_dir.get("sizeLimit")) {
        None => match ctx.missing {
            Missing::Add => {
                let default = s.default_empty_dir_size_limit.as_str();
                // Texts joined, not formatted: a pod may have an emptyDir per container.
                empty_dir.insert("sizeLimit".into(), Value::from(default.to_string()));
                let added = Added::Text(Rc::from(["emptyDir.sizeLimit: ", default].concat()));
                ctx.report
                    .change(added, &Target::named(["volume ", name].concat()));
            }
            Missing::Report => ctx.missing_violation(path.key("sizeLimit"), allowed()),
            Missing::Ignore => {}
        },
        Some(value) => match Quantity::from_json(value.as_str(), value.as_number(), value) {
            // Zero is no limit at all to the kubelet.
            Ok(size) if size <= *max && !size.is_zero() => {}
            Ok(_) => {
                let value = value.clone();
                ctx.violation(path.key("sizeLimit"), &value, allowed());
            }
            Err(why) => {
                let value = value.clone();
                let allowed = format!("{} ({why})", allowed());
                ctx.violation(path.key("sizeLimit"), &value, allowed);
            }
        },
    }
}
