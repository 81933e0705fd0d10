//! The waPC `validate` payload: the admission request and the settings, read once.
//!
//! A well-formed payload is read in one pass into the policy's JSON tree (`read_tree`), so
//! that the object is not scanned twice (once to find where it ends, once to read it).
//! Anything unusual — a repeated key, a field of an unexpected type, text that is not JSON —
//! is read by serde_json instead, which decides (and words its refusals) as before.

use std::collections::BTreeSet;

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::json::read::parse_passing_over;
use crate::json::{self, Map, Value, value::Raw};

pub struct Payload<'a> {
    pub request: AdmissionRequest<'a>,
    /// Kept as text: the parsed settings are cached by it (see `settings::cached`).
    pub settings: Option<&'a str>,
}

#[derive(Deserialize)]
struct Wire<'a> {
    #[serde(borrow)]
    request: WireRequest<'a>,
    #[serde(borrow, default)]
    settings: Option<&'a RawValue>,
}

#[derive(Deserialize, Default)]
#[serde(default, rename_all = "camelCase")]
struct WireRequest<'a> {
    kind: GroupVersionKind,
    sub_resource: String,
    operation: String,
    #[serde(borrow)]
    object: Option<&'a RawValue>,
    #[serde(borrow)]
    old_object: Option<&'a RawValue>,
    user_info: Option<UserInfo>,
}

/// The fields of Kubernetes' AdmissionRequest the policy uses. The objects stay unparsed text
/// until (unless) the request turns out to need them; the object then becomes raw JSON, never
/// typed structs, so that mutation keeps every field it does not know.
#[derive(Default)]
pub struct AdmissionRequest<'a> {
    pub kind: GroupVersionKind,
    pub sub_resource: String,
    pub operation: String,
    /// The object, as `object_tree` hands it over.
    object: Object<'a>,
    pub old_object: Option<&'a str>,
    pub user_info: Option<UserInfo>,
}

/// The request's object: its text (serde_json read the payload; `None` when absent or `null`),
/// or the tree read with the payload and the text its places are in (the whole payload).
enum Object<'a> {
    Text(Option<&'a str>),
    Read(Value<'a>, &'a str),
}

impl Default for Object<'_> {
    fn default() -> Self {
        Object::Text(None)
    }
}

impl<'a> Payload<'a> {
    /// The payload, or serde_json's reason it cannot be read.
    pub fn read(payload: &'a [u8]) -> Result<Self, serde_json::Error> {
        if let Some(read) = read_tree(payload) {
            return Ok(read);
        }
        let wire: Wire<'a> = serde_json::from_slice(payload)?;
        let r = wire.request;
        Ok(Payload {
            request: AdmissionRequest {
                kind: r.kind,
                sub_resource: r.sub_resource,
                operation: r.operation,
                object: Object::Text(r.object.map(RawValue::get)),
                old_object: r.old_object.map(RawValue::get),
                user_info: r.user_info,
            },
            settings: wire.settings.map(RawValue::get),
        })
    }
}

impl<'a> AdmissionRequest<'a> {
    /// Whether the payload was read in one pass, the object with it (not by serde_json).
    pub fn read_in_one_pass(&self) -> bool {
        matches!(self.object, Object::Read(..))
    }

    /// The object as a tree whose places are in the returned text (what the answer is
    /// written against); `null` when the request has none. Called once: a tree read with the
    /// payload is handed over, and a second call would find none.
    pub fn object_tree(&mut self) -> Result<(Value<'a>, &'a str), json::read::Error> {
        match std::mem::take(&mut self.object) {
            Object::Read(tree, source) => Ok((tree, source)),
            Object::Text(text) => {
                let source = text.unwrap_or("null");
                Ok((json::parse(source, true)?, source))
            }
        }
    }
}

/// The payload read in one pass, or `None` for serde_json to read it.
fn read_tree(payload: &[u8]) -> Option<Payload<'_>> {
    let text = std::str::from_utf8(payload).ok()?;
    // The old object is only checked as it goes by: few requests need it (see `old_object`).
    let (mut tree, old) = parse_passing_over(text, true, Some((2, "oldObject"))).ok()?;
    let top = tree.as_object_mut()?;
    // Without its place, the document repeated a key somewhere: serde_json refuses a
    // repeated field, and keeps the last of a repeated key elsewhere.
    if !matches!(top.raw(), Some(Raw::At(_))) {
        return None;
    }
    let settings = match top.get("settings") {
        None | Some(Value::Null) => None,
        Some(Value::Object(map)) => Some(text_of(map, text)?),
        Some(_) => return None,
    };
    let request = top.get_mut("request")?.as_object_mut()?;
    let (kind, kind_name) = match request.get("kind") {
        None => (String::new(), String::new()),
        Some(Value::Object(gvk)) => (plain(gvk.get("group"))?, plain(gvk.get("kind"))?),
        Some(_) => return None,
    };
    let user_info = match request.get("userInfo") {
        None | Some(Value::Null) => None,
        Some(Value::Object(info)) => Some(UserInfo {
            username: match info.get("username") {
                None | Some(Value::Null) => None,
                Some(Value::String(name)) => Some(name.to_string()),
                Some(_) => return None,
            },
        }),
        Some(_) => return None,
    };
    // The text passed over must be the request's `oldObject`, not a key of that name in the
    // settings; an object, or `null`.
    let old_entry = request.entries().iter().find(|e| e.key == "oldObject");
    let old_object = match (old_entry.and_then(|e| e.raw()), old) {
        (None, None) => None,
        (Some(entry), Some(value)) if entry.end == value.end && entry.start < value.start => {
            match text.get(value.start..value.end)? {
                "null" => None,
                object if object.starts_with('{') => Some(object),
                _ => return None,
            }
        }
        _ => return None,
    };
    let sub_resource = plain(request.get("subResource"))?;
    let operation = plain(request.get("operation"))?;
    let object = match request.get_mut("object") {
        None | Some(Value::Null) => Object::Text(None),
        Some(object) => Object::Read(object.take(), text),
    };
    Some(Payload {
        request: AdmissionRequest {
            kind: GroupVersionKind {
                group: kind,
                kind: kind_name,
            },
            sub_resource,
            operation,
            object,
            old_object,
            user_info,
        },
        settings,
    })
}

/// A string field as serde_json reads it into a `String` with a default: absent is empty,
/// anything but a string (`null` too) is serde_json's to refuse.
fn plain(value: Option<&Value<'_>>) -> Option<String> {
    match value {
        None => Some(String::new()),
        Some(Value::String(s)) => Some(s.to_string()),
        Some(_) => None,
    }
}

/// The text of an object read from `text` with its place.
fn text_of<'t>(map: &Map<'_>, text: &'t str) -> Option<&'t str> {
    match map.raw() {
        Some(Raw::At(span)) => text.get(span.start..span.end),
        _ => None,
    }
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
            .and_then(|raw| serde_json::from_str::<OldPod>(raw).ok())
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
