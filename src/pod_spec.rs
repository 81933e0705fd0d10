//! One pod spec, walked once: pod-level rules, then every container of every list, then the
//! volumes and writable paths.

use std::collections::BTreeSet;

use serde_json::{Map, Value};

use crate::container_rules::{CONTAINER_LISTS, check_container};
use crate::field_path::FieldPath;
use crate::fields::{Ctx, array_mut};
use crate::{pod_rules, volumes, writable_paths};

/// Which parts of a pod spec an evaluation may look at and change.
pub enum Scope {
    /// A new pod or a workload template: everything.
    Whole,
    /// `pods/ephemeralcontainers`: only the ephemeral containers not in the old pod; the rest
    /// of the spec is immutable and was checked when the pod was created.
    NewEphemeral(BTreeSet<String>),
}

/// Where the pod's metadata and spec sit, e.g. `metadata`/`spec` for a Pod and
/// `spec.template.metadata`/`spec.template.spec` for a Deployment.
pub struct Location<'p> {
    pub metadata_path: &'p str,
    pub spec_path: &'p str,
}

/// Checks and hardens the pod template `template` (an object with `metadata` and `spec`).
pub fn check_template(
    ctx: &mut Ctx<'_>,
    template: &mut Map<String, Value>,
    at: &Location<'_>,
    scope: &Scope,
) {
    // Borrow the metadata and the spec side by side without copying either.
    let (mut metadata, mut spec) = (None, None);
    for (key, value) in template.iter_mut() {
        match key.as_str() {
            "metadata" => metadata = Some(&*value),
            "spec" => spec = Some(value),
            _ => {}
        }
    }
    let spec_path = FieldPath::root(at.spec_path);
    let Some(spec) = spec.and_then(Value::as_object_mut) else {
        let found = template.get("spec").cloned().unwrap_or(Value::Null);
        return ctx.violation(spec_path, &found, "a pod spec object");
    };
    match scope {
        Scope::Whole => {
            pod_rules::check_pod(ctx, spec, &spec_path);
            pod_rules::check_annotations(ctx, metadata, &FieldPath::root(at.metadata_path));
            for list in CONTAINER_LISTS {
                check_list(ctx, spec, &spec_path, list, |_| true);
            }
            volumes::check_volume_types(ctx, spec, &spec_path);
            writable_paths::check(ctx, spec, metadata, at);
        }
        Scope::NewEphemeral(old_names) => {
            let is_new = |c: &Value| {
                let name = c.get("name").and_then(Value::as_str).unwrap_or("");
                !old_names.contains(name)
            };
            check_list(ctx, spec, &spec_path, "ephemeralContainers", is_new);
        }
    }
}

fn check_list(
    ctx: &mut Ctx<'_>,
    spec: &mut Map<String, Value>,
    spec_path: &FieldPath<'_>,
    list: &str,
    wanted: impl Fn(&Value) -> bool,
) {
    let Some(containers) = array_mut(ctx, spec, list, spec_path) else {
        return;
    };
    let list_path = spec_path.key(list);
    for (i, container) in containers.iter_mut().enumerate() {
        if wanted(container) {
            check_container(ctx, container, &list_path.index(i), list);
        }
    }
}
