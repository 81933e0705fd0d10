//! The waPC `validate` payload: the admission request and the settings, read once.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;

#[derive(Deserialize)]
pub struct Payload<'a> {
    pub request: AdmissionRequest<'a>,
    /// Kept as text: the parsed settings are cached by it (see `settings::cached`).
    #[serde(borrow, default)]
    pub settings: Option<&'a RawValue>,
}

/// The fields of Kubernetes' AdmissionRequest the policy uses. The objects stay unparsed text
/// until (unless) the request turns out to need them; the object then becomes raw JSON, never
/// typed structs, so that mutation keeps every field it does not know.
#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
pub struct AdmissionRequest<'a> {
    pub kind: GroupVersionKind,
    pub sub_resource: String,
    pub operation: String,
    #[serde(borrow)]
    pub object: Option<&'a RawValue>,
    #[serde(borrow)]
    pub old_object: Option<&'a RawValue>,
    pub user_info: Option<UserInfo>,
}

/// Who sent the request: the API server always names a user (`system:anonymous` at least);
/// Kubewarden's audit scanner sends none.
#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UserInfo {
    pub username: Option<String>,
}

impl AdmissionRequest<'_> {
    /// Whether the request names no user (absent, null or empty).
    pub fn without_user(&self) -> bool {
        self.user_info
            .as_ref()
            .and_then(|u| u.username.as_deref())
            .is_none_or(str::is_empty)
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GroupVersionKind {
    pub group: String,
    pub kind: String,
}

#[derive(Deserialize)]
struct OldPod {
    spec: Option<OldSpec>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct OldSpec {
    ephemeral_containers: Option<Vec<Named>>,
}

#[derive(Deserialize)]
struct Named {
    name: Option<String>,
}

impl AdmissionRequest<'_> {
    /// Names of the ephemeral containers the pod already had (read from the old object only
    /// for the `ephemeralcontainers` subresource).
    pub fn old_ephemeral_names(&self) -> BTreeSet<String> {
        let mut names = BTreeSet::new();
        let containers = self
            .old_object
            .and_then(|raw| serde_json::from_str::<OldPod>(raw.get()).ok())
            .and_then(|pod| pod.spec)
            .and_then(|spec| spec.ephemeral_containers)
            .unwrap_or_default();
        // Inserted one by one: `collect` into a set would bring a sort into the module.
        for name in containers.into_iter().filter_map(|c| c.name) {
            names.insert(name);
        }
        names
    }
}
