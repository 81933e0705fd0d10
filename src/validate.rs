//! The waPC `validate` entry point: read the request once, walk the pod spec once, answer.

use crate::json::{self, Value};

use crate::arena;
use crate::fields::{Ctx, Missing};
use crate::image_user::{self, ImageConfigs, OciHost};
use crate::pod_spec::{Scope, check_template};
use crate::report::Report;
use crate::request::Payload;
use crate::response::{self, Outcome};
use crate::settings::{Mode, Settings, cached};
use crate::updates;
use crate::workload::{self, POD_LOCATION, Plan};

pub fn validate(payload: &[u8]) -> wapc_guest::CallResult {
    arena::during(|| response::to_bytes(evaluate(payload)))
}

fn reject(message: String) -> Outcome<'static> {
    Outcome::Reject {
        message,
        warnings: Vec::new(),
    }
}

/// The whole decision for one waPC payload, reading image configs from the policy server.
pub fn evaluate(payload: &[u8]) -> Outcome<'_> {
    evaluate_with(payload, &mut OciHost)
}

/// The whole decision for one waPC payload, reading image configs from `images`.
pub fn evaluate_with<'p>(payload: &'p [u8], images: &mut dyn ImageConfigs) -> Outcome<'p> {
    let payload = match Payload::read(payload) {
        Ok(p) => p,
        Err(e) => return reject(format!("the admission request could not be read: {e}")),
    };
    // The cache outlives the call: its entries are made outside the arena.
    let settings = match arena::outside(|| cached(payload.settings.unwrap_or(""))) {
        Ok(s) => s,
        Err(e) => return reject(format!("the policy settings are not valid: {e}")),
    };
    let mut request = payload.request;
    let plan = workload::plan(&request, &settings);
    if matches!(plan, Plan::Pass) {
        return accept(Vec::new());
    }
    // The audit scanner builds its requests without a user: answer it as validate mode does,
    // so background audit reports what admission would add (stricter only, never looser).
    let audit = settings.audit_as_validate && request.without_user();
    // Only now is the object worth building: pass-through requests never parse it.
    // Read with the places of its lists and objects, so that what no rule touches is written
    // back as the request's own bytes (`response::to_bytes`).
    let (mut object, source) = match request.object_tree() {
        Ok(read) => read,
        Err(e) => return reject(format!("the object could not be read: {e}")),
    };
    let old = || {
        request
            .old_object
            .and_then(|raw| json::parse(raw, false).ok())
    };
    let missing = missing_fields(&plan, &settings, audit, &object);
    let mut ctx = Ctx::new(&settings, missing);
    match plan {
        Plan::Pass => {}
        Plan::PodImages => updates::changed_images(&mut ctx, &object, old().as_ref()),
        Plan::Pod(scope) => match object.as_object_mut() {
            Some(pod) => check_template(&mut ctx, pod, &POD_LOCATION, &scope, &[]),
            None => {
                return reject(format!("the Pod is not an object: found {}", object));
            }
        },
        Plan::Template(w) => {
            if w.update && updates::being_deleted(&object) {
                return accept(Vec::new());
            }
            let unchanged =
                w.update && updates::template_unchanged(&object, old().as_ref(), &w.keys);
            let claims = if w.claims {
                updates::claim_names(&object)
            } else {
                Vec::new()
            };
            let mut node = &mut object;
            for key in &w.keys {
                match node.get_mut(key) {
                    Some(next) if !next.is_null() => node = next,
                    // No template (a ReplicationController may omit it): nothing to check.
                    _ => return accept(Vec::new()),
                }
            }
            match node.as_object_mut() {
                Some(template) => {
                    check_template(&mut ctx, template, &w.location, &Scope::Whole, &claims)
                }
                None => {
                    let path = w.keys.join(".");
                    ctx.violation(path, &node.clone(), "a pod template object");
                }
            }
            if unchanged {
                return accept(updates::let_through(ctx.report));
            }
        }
    }
    image_user::check(&mut ctx, images);
    decide(ctx.report, object, source)
}

/// What becomes of a missing hardened field: added (mutate), reported (validate mode, and the
/// audit scanner's requests), or left to the pods for a template admission does not patch —
/// not mutated by the settings, a Job's on UPDATE (immutable), a controller-owned ReplicaSet's
/// (its Deployment would stop recognising it).
fn missing_fields(plan: &Plan<'_>, settings: &Settings, audit: bool, object: &Value) -> Missing {
    let patched = match plan {
        Plan::Template(w) => {
            settings.mutate_workload_templates
                && !w.immutable_template
                && !(w.owned_template && updates::controlled(object))
        }
        _ => true,
    };
    match (settings.mode, audit, patched) {
        (Mode::Validate, _, _) => Missing::Report,
        (Mode::Mutate, _, false) => Missing::Ignore,
        (Mode::Mutate, true, true) => Missing::Report,
        (Mode::Mutate, false, true) => Missing::Add,
    }
}

fn accept(warnings: Vec<String>) -> Outcome<'static> {
    Outcome::Accept {
        warnings,
        audit: Vec::new(),
    }
}

fn decide<'s>(report: Report, object: Value<'s>, source: &'s str) -> Outcome<'s> {
    if !report.violations.is_empty() {
        Outcome::Reject {
            message: report.rejection_message(),
            // Nothing was changed: only the notes still apply.
            warnings: report.notes,
        }
    } else if report.changed() {
        let warnings = report.warnings();
        let audit = report.audit_annotations();
        Outcome::Mutate {
            object,
            source,
            warnings,
            audit,
        }
    } else {
        Outcome::Accept {
            warnings: report.warnings(),
            audit: report.audit_annotations(),
        }
    }
}
