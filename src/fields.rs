//! The small vocabulary every rule is written in: read a field, fill it in when it is missing
//! (mutate), report it (validate), or leave it (checking a template that is not mutated), and
//! record a violation when an explicit value is not allowed. Edits happen in place on the
//! request's JSON, so fields the policy does not know survive untouched.

use std::fmt::Display;

use crate::json::{Array, Map, Value};

use crate::exceptions::Granted;
use crate::field_path::FieldPath;
use crate::report::{Report, Target};
use crate::settings::Settings;

/// What to do with a hardened field that is missing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Missing {
    /// Fill it in (mutate mode).
    Add,
    /// Report it as a violation (validate mode).
    Report,
    /// Leave it: a workload template that is checked but not mutated; its pods are mutated
    /// when they are created.
    Ignore,
}

pub struct Ctx<'a> {
    pub settings: &'a Settings,
    pub missing: Missing,
    pub report: Report,
    /// `(field path, image)` of every container walked, for the image user check.
    pub images: Vec<(String, String)>,
    /// The exceptions that apply to the container being walked.
    pub granted: Option<Granted<'a>>,
}

/// A child object of the JSON being walked.
pub enum Child<'a, 's> {
    /// Absent (or null) and not created: only reporting is possible.
    Missing,
    /// Present with the wrong type; already reported, nothing below it is checked.
    Malformed,
    Object(&'a mut Map<'s>),
}

impl<'s> Child<'_, 's> {
    pub fn get(&self, key: &str) -> Option<&Value<'s>> {
        match self {
            Child::Object(map) => present(map.get(key)),
            _ => None,
        }
    }
}

/// A hardened field: where it is, how warnings name it, and the value filled in when it is
/// missing (`None`: nothing can be filled in, so missing is a violation in every mode).
pub struct Field<'p> {
    pub path: &'p FieldPath<'p>,
    /// Short name of the object in warnings (`securityContext`), relative to the pod spec
    /// or the container.
    pub rel: &'static str,
    pub key: &'static str,
    pub fill: Option<Value<'static>>,
    /// `pod` or the container's name, for warnings.
    pub target: &'p Target,
}

/// `None` for an absent field and for an explicit `null`, which the API server treats alike.
pub fn present<'v, 's>(value: Option<&'v Value<'s>>) -> Option<&'v Value<'s>> {
    value.filter(|v| !v.is_null())
}

/// A JSON value as it appears in messages, kept short.
pub fn shown(value: &Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 {
        let cut: String = text.chars().take(77).collect();
        format!("{cut}...")
    } else {
        text
    }
}

impl<'a> Ctx<'a> {
    pub fn new(settings: &'a Settings, missing: Missing) -> Self {
        Ctx {
            settings,
            missing,
            report: Report::default(),
            images: Vec::new(),
            granted: None,
        }
    }

    pub fn adds(&self) -> bool {
        self.missing == Missing::Add
    }

    pub fn violation(&mut self, path: impl Display, found: &Value, allowed: impl Into<String>) {
        self.report
            .violation(path.to_string(), shown(found), allowed.into());
    }

    pub fn missing_violation(&mut self, path: impl Display, allowed: impl Into<String>) {
        self.report
            .violation(path.to_string(), "nothing (unset)".into(), allowed.into());
    }

    /// The object at `parent[key]` (whose path is `path`), created empty when missing and the
    /// mode adds fields.
    pub fn child<'m, 's>(
        &mut self,
        parent: &'m mut Map<'s>,
        key: &'static str,
        path: &FieldPath<'_>,
    ) -> Child<'m, 's> {
        let create = self.adds();
        self.child_if(parent, key, path, create)
    }

    /// Like `child`, but creates the object only when `create` is true.
    pub fn child_if<'m, 's>(
        &mut self,
        parent: &'m mut Map<'s>,
        key: &'static str,
        path: &FieldPath<'_>,
        create: bool,
    ) -> Child<'m, 's> {
        let found = parent.position(key);
        match found
            .and_then(|i| parent.entries().get(i))
            .map(|e| &e.value)
        {
            None | Some(Value::Null) if create => {
                if let Some(slot) = parent.slot_at(found, key) {
                    // Room for the few fields the rules fill in: the size a first addition
                    // would grow it to, without going through the growth path.
                    *slot = Value::Object(Map::with_capacity(4));
                    if let Value::Object(map) = slot {
                        return Child::Object(map);
                    }
                }
                return Child::Missing;
            }
            None | Some(Value::Null) => return Child::Missing,
            Some(Value::Object(_)) => {}
            Some(other) => {
                let other = other.clone();
                self.violation(path, &other, "an object");
                return Child::Malformed;
            }
        }
        match found
            .and_then(|i| parent.value_at_mut(i))
            .and_then(Value::as_object_mut)
        {
            Some(map) => Child::Object(map),
            None => Child::Missing,
        }
    }

    /// The object `key` inside `parent`, which may itself be missing or malformed.
    pub fn sub<'m, 's>(
        &mut self,
        parent: &'m mut Child<'_, 's>,
        key: &'static str,
        path: &FieldPath<'_>,
        create: bool,
    ) -> Child<'m, 's> {
        match parent {
            Child::Missing => Child::Missing,
            Child::Malformed => Child::Malformed,
            Child::Object(map) => self.child_if(map, key, path, create),
        }
    }

    /// The hardened `field` of `obj`: accepted as it is when `ok` says so, filled in when
    /// missing (mutate), reported when missing (validate), a violation when explicit and not
    /// `ok`.
    pub fn ensure(
        &mut self,
        obj: &mut Child<'_, '_>,
        field: Field<'_>,
        ok: impl Fn(&Value) -> bool,
        allowed: impl FnOnce() -> String,
    ) {
        // One body for every rule (the module's size): the closures are called through `dyn`.
        let mut allowed = Some(allowed);
        self.ensure_field(obj, field, &ok, &mut || {
            allowed.take().map(|f| f()).unwrap_or_default()
        });
    }

    fn ensure_field(
        &mut self,
        obj: &mut Child<'_, '_>,
        field: Field<'_>,
        ok: &dyn Fn(&Value) -> bool,
        allowed: &mut dyn FnMut() -> String,
    ) {
        let map = match obj {
            Child::Malformed => return,
            Child::Missing => None,
            Child::Object(map) => Some(&mut **map),
        };
        let found = map.as_ref().and_then(|m| m.position(field.key));
        let value = found.and_then(|i| map.as_ref()?.entries().get(i));
        match value.and_then(|e| present(Some(&e.value))) {
            Some(value) if ok(value) => {}
            Some(value) => {
                let value = value.clone();
                self.violation(field.path.key(field.key), &value, allowed());
            }
            None => match (self.missing, field.fill, map) {
                // A template that is checked, not mutated: its pods get the field when they are
                // created — unless nothing can be filled in, which must fail now, at apply time,
                // and not at every pod the controller creates later.
                (Missing::Ignore, Some(_), _) => {}
                (Missing::Add, Some(fill), Some(map)) => {
                    self.report
                        .field_change(field.rel, field.key, &fill, field.target);
                    if let Some(slot) = map.slot_at(found, field.key) {
                        *slot = fill;
                    }
                }
                _ => self.missing_violation(field.path.key(field.key), allowed()),
            },
        }
    }

    /// An optional field that, when set, must pass `ok`.
    pub fn check_optional(
        &mut self,
        obj: &Child<'_, '_>,
        path: &FieldPath<'_>,
        key: &str,
        ok: impl Fn(&Value) -> bool,
        allowed: impl FnOnce() -> String,
    ) {
        if let Some(value) = obj.get(key)
            && !ok(value)
        {
            let value = value.clone();
            self.violation(path.key(key), &value, allowed());
        }
    }
}

/// The array at `parent[key]` (absent or null: none); a non-array is reported.
pub fn array_mut<'m, 's>(
    ctx: &mut Ctx<'_>,
    parent: &'m mut Map<'s>,
    key: &str,
    path: &FieldPath<'_>,
) -> Option<&'m mut Array<'s>> {
    match parent.get_mut(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => {
            let other = other.clone();
            ctx.violation(path.key(key), &other, "a list");
            None
        }
    }
}

/// The list at `parent[key]` to append to, created empty when absent or null; `None` when
/// it is not a list (the rules report that elsewhere).
pub fn list_to_extend<'m, 's>(
    parent: &'m mut Map<'s>,
    key: &'static str,
) -> Option<&'m mut Array<'s>> {
    let found = parent.position(key);
    list_to_extend_at(parent, found, key).map(|(_, list)| list)
}

/// `list_to_extend`, with `key`'s place already looked up (`found`, from `Map::position`);
/// also says where the list is, for the next addition.
pub fn list_to_extend_at<'m, 's>(
    parent: &'m mut Map<'s>,
    found: Option<usize>,
    key: &'static str,
) -> Option<(usize, &'m mut Array<'s>)> {
    let at = found.unwrap_or(parent.len());
    let slot = parent.slot_at(found, key)?;
    if slot.is_null() {
        *slot = Value::Array(Array::new());
    }
    Some((at, slot.as_array_mut()?))
}

/// Read-only twin of `array_mut`.
pub fn array<'m, 's>(
    ctx: &mut Ctx<'_>,
    parent: &'m Map<'s>,
    key: &str,
    path: &FieldPath<'_>,
) -> Option<&'m Array<'s>> {
    match parent.get(key) {
        None | Some(Value::Null) => None,
        Some(Value::Array(items)) => Some(items),
        Some(other) => {
            ctx.violation(path.key(key), other, "a list");
            None
        }
    }
}

pub fn is_true(v: &Value) -> bool {
    v.as_bool() == Some(true)
}

pub fn is_false(v: &Value) -> bool {
    v.as_bool() == Some(false)
}

/// A string field that is absent, null or empty.
pub fn is_unset_or_empty(v: Option<&Value>) -> bool {
    match v {
        None | Some(Value::Null) => true,
        Some(Value::String(s)) => s.is_empty(),
        _ => false,
    }
}
