//! One pod spec, walked once: pod-level rules, the volumes (types, size limits, an index of
//! them), then each container of each list — its own rules and its writable paths together —
//! and last the emptyDir volumes the containers were given.

use std::collections::BTreeSet;

use crate::json::{Map, Value};

use crate::container_rules::{CONTAINER_LISTS, check_container, target_name};
use crate::field_path::FieldPath;
use crate::fields::{Ctx, array_mut};
use crate::report::Target;
use crate::security_context::PodGaps;
use crate::volumes::{self, VolumeIndex};
use crate::writable_paths::{Framework, WritablePaths};
use crate::{exceptions, isolation, pod_rules};

/// Which parts of a pod spec an evaluation may look at and change.
pub enum Scope {
    /// A new pod or a workload template: everything.
    Whole,
    /// `pods/ephemeralcontainers`: only the ephemeral containers not in the old pod; the rest
    /// of the spec is immutable and was checked (or not) when the pod was created.
    NewEphemeral(BTreeSet<String>),
}

/// Where the pod's metadata and spec sit, e.g. `metadata`/`spec` for a Pod and
/// `spec.template.metadata`/`spec.template.spec` for a Deployment.
pub struct Location<'p> {
    pub metadata_path: &'p str,
    pub spec_path: &'p str,
}

/// Checks and hardens the pod template `template` (an object with `metadata` and `spec`).
/// `claims`: the names of a StatefulSet's volumeClaimTemplates, writable volumes of its pods.
pub fn check_template(
    ctx: &mut Ctx<'_>,
    template: &mut Map,
    at: &Location<'_>,
    scope: &Scope,
    claims: &[String],
) {
    // Borrow the metadata and the spec side by side without copying either.
    let (mut metadata, mut spec) = (None, None);
    for (key, value) in template.iter_mut() {
        match key {
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
    if pod_rules::refuse_windows(ctx, spec, &spec_path) {
        return;
    }
    let meta_path = FieldPath::root(at.metadata_path);
    match scope {
        Scope::Whole => {
            isolation::runtime_class(ctx, spec, &spec_path);
            isolation::service_account_token(ctx, spec, &spec_path);
            pod_rules::check_pod(ctx, spec, &spec_path);
            pod_rules::check_annotations(ctx, metadata, &meta_path);
            let index = volumes::check(ctx, spec, &spec_path, VolumeIndex::with_claims(claims));
            let mut writable =
                WritablePaths::new(ctx, metadata, &meta_path, index, Framework::Checked);
            for list in CONTAINER_LISTS {
                walk_list(
                    ctx,
                    spec,
                    &spec_path,
                    list,
                    |ctx, container, path, target| {
                        check_container(ctx, container, path, target, None);
                        writable.container(ctx, container, path, list, target);
                    },
                );
            }
            writable.finish(spec);
        }
        Scope::NewEphemeral(old_names) => {
            let gaps = PodGaps::of(spec, &ctx.settings.allowed_seccomp_profiles);
            for weak in gaps.weaknesses() {
                ctx.report.notes.push(format!(
                    "agent-hardening: the pod itself sets {weak} (it predates the policy): debug containers are hardened on their own level, but the pod will not pass Pod Security \"restricted\" until it is recreated"
                ));
            }
            let index = volumes::index_only(spec);
            let mut writable =
                WritablePaths::new(ctx, metadata, &meta_path, index, Framework::Lenient);
            let list = "ephemeralContainers";
            walk_list(
                ctx,
                spec,
                &spec_path,
                list,
                |ctx, container, path, target| {
                    let name = container.get("name").and_then(Value::as_str).unwrap_or("");
                    if !old_names.contains(name) {
                        check_container(ctx, container, path, target, Some(gaps));
                        writable.container(ctx, container, path, list, target);
                    }
                },
            );
        }
    }
}

/// Calls `each` once for every container of `list`, with its path and warning name.
fn walk_list(
    ctx: &mut Ctx<'_>,
    spec: &mut Map,
    spec_path: &FieldPath<'_>,
    list: &str,
    mut each: impl FnMut(&mut Ctx<'_>, &mut Map, &FieldPath<'_>, &Target),
) {
    let Some(containers) = array_mut(ctx, spec, list, spec_path) else {
        return;
    };
    let list_path = spec_path.key(list);
    for (i, container) in containers.iter_mut().enumerate() {
        match container.as_object_mut() {
            Some(container) => {
                let name = container.text("name");
                let target = target_name(list, name.as_deref());
                let path = list_path.named(i, name.as_deref());
                // The exceptions that apply to this container, by its image only.
                // Never for debug containers: mesh containers are never ephemeral, and an
                // exception must not let one join a running agent with extra powers.
                let image = container.get("image").and_then(Value::as_str);
                let restart = container.get("restartPolicy").and_then(Value::as_str);
                let init = list == "initContainers" && restart != Some("Always");
                ctx.granted = match list {
                    "ephemeralContainers" => None,
                    _ => exceptions::granted(ctx.settings, image, init),
                };
                each(ctx, container, &path, &target);
                ctx.granted = None;
            }
            None => {
                let found = container.clone();
                ctx.violation(list_path.index(i), &found, "a container object");
            }
        }
    }
}
