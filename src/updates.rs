//! The UPDATE rule: what an UPDATE may change decides what is judged. A workload whose pod
//! template did not change (a controller scaling it, suspending a CronJob, dropping a
//! finalizer) is let through, as is any object being deleted; on a running Pod only the images
//! that changed are looked at.

use crate::json::Value;

use crate::container_rules::CONTAINER_LISTS;
use crate::field_path::FieldPath;
use crate::fields::{Ctx, present};
use crate::report::Report;

/// Whether the object carries `metadata.deletionTimestamp`: it is going away, and blocking
/// its updates would only keep its finalizers from finishing.
pub fn being_deleted(object: &Value) -> bool {
    present(
        object
            .get("metadata")
            .and_then(|m| m.get("deletionTimestamp")),
    )
    .is_some()
}

/// Whether a controller owns the object (an `ownerReferences` entry with `controller: true`).
pub fn controlled(object: &Value) -> bool {
    at(object, &["metadata", "ownerReferences"])
        .and_then(Value::as_array)
        .is_some_and(|owners| {
            owners
                .iter()
                .any(|o| o.get("controller").and_then(Value::as_bool) == Some(true))
        })
}

/// The value at `keys` under `root`, if there is one.
pub fn at<'v, 's>(root: &'v Value<'s>, keys: &[&str]) -> Option<&'v Value<'s>> {
    keys.iter().try_fold(root, |node, key| node.get(key))
}

/// Whether the pod template at `keys` is the same in `object` and in `old` (as JSON: key order
/// does not matter).
pub fn template_unchanged(object: &Value, old: Option<&Value>, keys: &[&str]) -> bool {
    match old {
        Some(old) => at(object, keys) == at(old, keys),
        None => false,
    }
}

/// The warnings for an unchanged template that was let through: whatever the check noted, and
/// a word on what it would have refused.
pub fn let_through(report: Report) -> Vec<String> {
    let mut warnings = report.notes;
    let count = report.violations.len();
    if count > 0 {
        let first = report
            .violations
            .first()
            .map(|v| {
                format!(
                    "; first: {}: found {}, allowed {}",
                    v.path, v.found, v.allowed
                )
            })
            .unwrap_or_default();
        warnings.push(format!(
            "agent-hardening: the pod template is not compliant ({count} problem{}{first}); it is let through because this update does not change it, but the next change to it must fix it",
            if count == 1 { "" } else { "s" }
        ));
    }
    warnings
}

/// Records, for the image user check, the images of `object` (a Pod) that differ from the
/// container of the same name in `old`.
pub fn changed_images(ctx: &mut Ctx<'_>, object: &Value, old: Option<&Value>) {
    let spec_path = FieldPath::root("spec");
    for list in CONTAINER_LISTS {
        let Some(Value::Array(containers)) = object.get("spec").and_then(|s| s.get(list)) else {
            continue;
        };
        let old_list = old
            .and_then(|o| o.get("spec"))
            .and_then(|s| s.get(list))
            .and_then(Value::as_array);
        let list_path = spec_path.key(list);
        for (i, container) in containers.iter().enumerate() {
            let name = container.get("name").and_then(Value::as_str);
            let Some(image) = container.get("image").and_then(Value::as_str) else {
                continue;
            };
            let old_image = old_list
                .and_then(|l| {
                    l.iter()
                        .find(|c| c.get("name").and_then(Value::as_str) == name)
                })
                .and_then(|c| c.get("image"))
                .and_then(Value::as_str);
            if old_image != Some(image) {
                let path = list_path.named(i, name);
                ctx.images
                    .push((path.key("image").to_string(), image.to_string()));
            }
        }
    }
}

/// The names of a StatefulSet's `volumeClaimTemplates`.
pub fn claim_names(object: &Value) -> Vec<String> {
    let Some(Value::Array(claims)) = at(object, &["spec", "volumeClaimTemplates"]) else {
        return Vec::new();
    };
    claims
        .iter()
        .filter_map(|c| at(c, &["metadata", "name"]).and_then(Value::as_str))
        .map(str::to_owned)
        .collect()
}
