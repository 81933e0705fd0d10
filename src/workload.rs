//! Which requests the policy looks at, and where their pod spec is: Pods, the
//! `pods/ephemeralcontainers` subresource, and the pod templates of workload controllers.

use k8s_openapi::Resource;
use k8s_openapi::api::apps::v1::{DaemonSet, Deployment, ReplicaSet, StatefulSet};
use k8s_openapi::api::batch::v1::{CronJob, Job};
use k8s_openapi::api::core::v1::{Pod, ReplicationController};

use crate::pod_spec::{Location, Scope};
use crate::request::AdmissionRequest;
use crate::settings::{ImageUserCheck, Settings};

/// What to do with a request.
pub enum Plan<'s> {
    /// Not ours, or nothing can change: accept untouched.
    Pass,
    /// A Pod (`spec` at the root).
    Pod(Scope),
    /// A Pod UPDATE with the image user check on: only the images that changed are looked at
    /// (the rest of a pod's spec is immutable).
    PodImages,
    /// A workload's pod template.
    Template(Workload<'s>),
}

/// Where a workload keeps its pod template, and what its kind allows.
pub struct Workload<'s> {
    /// JSON keys from the root to the template.
    pub keys: Vec<&'s str>,
    pub location: Location<'s>,
    /// Whether the request is an UPDATE (then an unchanged template is let through).
    pub update: bool,
    /// A Job's template is immutable once created: never patched on UPDATE.
    pub immutable_template: bool,
    /// A StatefulSet: its volumeClaimTemplates are writable volumes of the pods.
    pub claims: bool,
    /// A ReplicaSet: when a controller (a Deployment) owns it, its template is the
    /// controller's and is never patched — the Deployment would no longer recognise it.
    pub owned_template: bool,
}

const TEMPLATE: &[&str] = &["spec", "template"];
const CRONJOB_TEMPLATE: &[&str] = &["spec", "jobTemplate", "spec", "template"];

pub const POD_LOCATION: Location<'static> = Location {
    metadata_path: "metadata",
    spec_path: "spec",
};
const TEMPLATE_LOCATION: Location<'static> = Location {
    metadata_path: "spec.template.metadata",
    spec_path: "spec.template.spec",
};
const CRONJOB_LOCATION: Location<'static> = Location {
    metadata_path: "spec.jobTemplate.spec.template.metadata",
    spec_path: "spec.jobTemplate.spec.template.spec",
};

fn is<R: Resource>(group: &str, kind: &str) -> bool {
    R::GROUP == group && R::KIND == kind
}

/// Which requests `settings` make the policy look at, and how.
pub fn plan<'s>(req: &AdmissionRequest<'_>, settings: &'s Settings) -> Plan<'s> {
    // The image user check alone looks at Pod UPDATEs.
    let image_check = settings.image_user_check != ImageUserCheck::Off;
    let (group, kind) = (req.kind.group.as_str(), req.kind.kind.as_str());
    let operation = req.operation.as_str();
    if is::<Pod>(group, kind) {
        return match (operation, req.sub_resource.as_str()) {
            ("CREATE", "") => Plan::Pod(Scope::Whole),
            ("UPDATE", "ephemeralcontainers") => {
                Plan::Pod(Scope::NewEphemeral(req.old_ephemeral_names()))
            }
            ("UPDATE", "") if image_check => Plan::PodImages,
            _ => Plan::Pass,
        };
    }
    if !matches!(operation, "CREATE" | "UPDATE") || !req.sub_resource.is_empty() {
        return Plan::Pass;
    }
    let update = operation == "UPDATE";
    let workload = |keys: &[&'s str], location: Location<'s>| Workload {
        keys: keys.to_vec(),
        location,
        update,
        immutable_template: update && is::<Job>(group, kind),
        claims: is::<StatefulSet>(group, kind),
        owned_template: is::<ReplicaSet>(group, kind),
    };
    if is::<Deployment>(group, kind)
        || is::<ReplicaSet>(group, kind)
        || is::<StatefulSet>(group, kind)
        || is::<DaemonSet>(group, kind)
        || is::<Job>(group, kind)
        || is::<ReplicationController>(group, kind)
    {
        Plan::Template(workload(TEMPLATE, TEMPLATE_LOCATION))
    } else if is::<CronJob>(group, kind) {
        Plan::Template(workload(CRONJOB_TEMPLATE, CRONJOB_LOCATION))
    } else if let Some(custom) = settings
        .pod_templates
        .iter()
        .find(|k| k.api_group == group && k.kind == kind)
    {
        // A custom resource that embeds a pod template (`podTemplates`).
        let keys: Vec<&str> = custom.keys.iter().map(String::as_str).collect();
        let location = Location {
            metadata_path: &custom.metadata_path,
            spec_path: &custom.spec_path,
        };
        Plan::Template(workload(&keys, location))
    } else {
        Plan::Pass
    }
}
