//! Rules on securityContext fields that exist at both pod and container level: identity,
//! seccomp, SELinux, AppArmor and Windows hostProcess.

use crate::json::{Map, Value};

use crate::exceptions::{self, Granted};
use crate::field_path::FieldPath;
use crate::fields::{Child, Ctx, Field, is_true, is_unset_or_empty};
use crate::report::Target;
use crate::settings::Settings;

/// Which securityContext is checked. The pod level carries the defaults that get filled in;
/// a container may only narrow them, never weaken them.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Level {
    Pod,
    Container,
}

/// SELinux types Pod Security allows (`""` is the runtime's default).
const SELINUX_TYPES: &[&str] = &[
    "container_t",
    "container_init_t",
    "container_kvm_t",
    "container_engine_t",
];

/// Where a securityContext is, for messages and warnings.
pub struct At<'p> {
    /// The securityContext, e.g. `spec.containers[0].securityContext`.
    pub path: &'p FieldPath<'p>,
    /// `pod` or the container's name.
    pub target: &'p Target,
}

impl<'p> At<'p> {
    fn field(
        &'p self,
        rel: &'static str,
        key: &'static str,
        fill: Option<Value<'static>>,
    ) -> Field<'p> {
        Field {
            path: self.path,
            rel,
            key,
            fill,
            target: self.target,
        }
    }
}

/// runAsNonRoot, runAsUser, runAsGroup (both levels); fsGroup, supplementalGroups (pod).
pub fn identity(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>, level: Level) {
    let s = ctx.settings;
    let users = || format!("a non-root user id: {}", s.users_text());
    let groups = || format!("a non-root group id: {}", s.groups_text());
    let user_ok = |v: &Value| v.as_i64().is_some_and(|u| s.user_allowed(u));
    let group_ok = |v: &Value| v.as_i64().is_some_and(|g| s.group_allowed(g));
    match level {
        Level::Pod => {
            let rel = "securityContext";
            let non_root = at.field(rel, "runAsNonRoot", Some(Value::Bool(true)));
            ctx.ensure(sc, non_root, is_true, || "true".into());
            let user = at.field(rel, "runAsUser", Some(Value::from(s.run_as_user)));
            ctx.ensure(sc, user, user_ok, users);
            let group = at.field(rel, "runAsGroup", Some(Value::from(s.run_as_group)));
            ctx.ensure(sc, group, group_ok, groups);
            let fs_group = at.field(rel, "fsGroup", Some(Value::from(s.fs_group)));
            ctx.ensure(sc, fs_group, group_ok, groups);
            supplemental_groups(ctx, sc, at.path);
        }
        Level::Container => {
            let unset = || "true or unset (the pod sets it)".to_string();
            // Looked up once: unset or true is fine; false needs an exception.
            if let Some(value) = sc.get("runAsNonRoot")
                && !is_true(value)
            {
                let root = value.as_bool() == Some(false);
                if !(root && excepted(ctx, at, "runAsNonRoot: false".into(), |g| g.root())) {
                    let value = value.clone();
                    ctx.violation(at.path.key("runAsNonRoot"), &value, unset());
                }
            }
            container_id(
                ctx,
                sc,
                at,
                "runAsUser",
                Settings::user_allowed,
                |g, id| g.user(id),
                users,
            );
            container_id(
                ctx,
                sc,
                at,
                "runAsGroup",
                Settings::group_allowed,
                |g, id| g.group(id),
                groups,
            );
        }
    }
}

/// A container's own id at `key` (optional there: the pod sets one): allowed by the settings,
/// or refused unless an exception grants it (the use is recorded).
fn container_id(
    ctx: &mut Ctx<'_>,
    sc: &Child<'_, '_>,
    at: &At<'_>,
    key: &str,
    allowed: fn(&Settings, i64) -> bool,
    grant: fn(&Granted<'_>, i64) -> Option<usize>,
    allowed_text: impl FnOnce() -> String,
) {
    let s = ctx.settings;
    // Looked up once: unset is fine.
    let Some(value) = sc.get(key) else {
        return;
    };
    let id = value.as_i64();
    if id.is_some_and(|id| allowed(s, id)) {
        return;
    }
    if let Some(id) = id
        && excepted(ctx, at, format!("{key} {id}"), |g| grant(g, id))
    {
        return;
    }
    let value = value.clone();
    ctx.violation(at.path.key(key), &value, allowed_text());
}

/// Whether an exception grants `control` to the container at `at` (the use is recorded).
fn excepted(
    ctx: &mut Ctx<'_>,
    at: &At<'_>,
    control: String,
    grant: impl FnOnce(&Granted<'_>) -> Option<usize>,
) -> bool {
    exceptions::allows(ctx, at.target, || control, grant)
}

fn supplemental_groups(ctx: &mut Ctx<'_>, sc: &Child<'_, '_>, path: &FieldPath<'_>) {
    let Some(value) = sc.get("supplementalGroups") else {
        return;
    };
    let s = ctx.settings;
    let key = path.key("supplementalGroups");
    let Some(items) = value.as_array() else {
        let value = value.clone();
        ctx.violation(key, &value, "a list of group ids");
        return;
    };
    for (i, gid) in items.iter().enumerate() {
        if !gid.as_i64().is_some_and(|g| s.group_allowed(g)) {
            let allowed = format!("a non-root group id: {}", s.groups_text());
            ctx.violation(key.index(i), gid, allowed);
        }
    }
}

/// seccompProfile: the pod gets RuntimeDefault when it has none; any explicit type must be
/// one of `allowedSeccompProfiles`, and Localhost needs its profile file.
pub fn seccomp(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>, level: Level) {
    let s = ctx.settings;
    let allowed = &s.allowed_seccomp_profiles;
    let fill = allowed
        .iter()
        .any(|p| p == "RuntimeDefault")
        .then(|| Value::from("RuntimeDefault"));
    let path = at.path.key("seccompProfile");
    let create = level == Level::Pod && fill.is_some() && ctx.adds();
    let mut profile = ctx.sub(sc, "seccompProfile", &path, create);
    let ok = |v: &Value| v.as_str().is_some_and(|t| allowed.iter().any(|a| a == t));
    let allowed_text = || allowed.join(" or ");
    match level {
        Level::Pod => {
            let at = At {
                path: &path,
                target: at.target,
            };
            let field = at.field("securityContext.seccompProfile", "type", fill);
            ctx.ensure(&mut profile, field, ok, allowed_text);
        }
        Level::Container => ctx.check_optional(&profile, &path, "type", ok, allowed_text),
    }
    localhost_needs_profile(ctx, &profile, &path);
}

fn localhost_needs_profile(ctx: &mut Ctx<'_>, profile: &Child<'_, '_>, path: &FieldPath<'_>) {
    if profile.get("type").and_then(Value::as_str) == Some("Localhost")
        && is_unset_or_empty(profile.get("localhostProfile"))
    {
        ctx.missing_violation(
            path.key("localhostProfile"),
            "the profile's file name (type Localhost needs one)",
        );
    }
}

/// seLinuxOptions: only the container types Pod Security allows; no custom user or role.
pub fn selinux(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>) {
    let path = at.path.key("seLinuxOptions");
    let options = ctx.sub(sc, "seLinuxOptions", &path, false);
    if matches!(options, Child::Missing) {
        return;
    }
    let type_ok = |v: &Value| {
        v.as_str()
            .is_some_and(|t| t.is_empty() || SELINUX_TYPES.contains(&t))
    };
    ctx.check_optional(&options, &path, "type", type_ok, || {
        format!("unset or one of {}", SELINUX_TYPES.join(", "))
    });
    for key in ["user", "role"] {
        let empty = |v: &Value| is_unset_or_empty(Some(v));
        ctx.check_optional(&options, &path, key, empty, || "unset".into());
    }
}

/// appArmorProfile: RuntimeDefault or Localhost (with its profile), never Unconfined.
pub fn apparmor(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>) {
    let path = at.path.key("appArmorProfile");
    let profile = ctx.sub(sc, "appArmorProfile", &path, false);
    if matches!(profile, Child::Missing) {
        return;
    }
    let ok = |v: &Value| matches!(v.as_str(), Some("RuntimeDefault" | "Localhost"));
    ctx.check_optional(&profile, &path, "type", ok, || {
        "RuntimeDefault or Localhost".into()
    });
    localhost_needs_profile(ctx, &profile, &path);
}

/// windowsOptions.hostProcess: never true.
pub fn host_process(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>) {
    let path = at.path.key("windowsOptions");
    let options = ctx.sub(sc, "windowsOptions", &path, false);
    let not_true = |v: &Value| v.as_bool() == Some(false);
    ctx.check_optional(&options, &path, "hostProcess", not_true, || {
        "false or unset".into()
    });
}

/// Every rule above, for one securityContext.
pub fn check_all(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>, level: Level) {
    identity(ctx, sc, at, level);
    seccomp(ctx, sc, at, level);
    selinux(ctx, sc, at);
    apparmor(ctx, sc, at);
    host_process(ctx, sc, at);
}

/// What an existing pod's own securityContext fails to provide, so that a debug container
/// added to it (`pods/ephemeralcontainers`) must carry it itself. Pods created before the
/// policy, in monitor mode, or outside the selected namespaces lack these.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct PodGaps {
    /// `runAsNonRoot` is not true at pod level.
    pub non_root: bool,
    /// No allowed seccomp profile at pod level.
    pub seccomp: bool,
    /// No `runAsUser` (or root) at pod level.
    pub user: bool,
    /// No `runAsGroup` (or root) at pod level.
    pub group: bool,
    /// Pod-level values no container can make up for: Pod Security "restricted" fails a pod
    /// whose own `runAsNonRoot` is false, `runAsUser` 0 or seccomp `Unconfined`, whatever its
    /// containers set. In that order.
    weak: [bool; 3],
}

const WEAKNESSES: [&str; 3] = [
    "spec.securityContext.runAsNonRoot: false",
    "spec.securityContext.runAsUser: 0",
    "spec.securityContext.seccompProfile.type: Unconfined",
];

impl PodGaps {
    /// Reads the gaps of the pod spec `spec`.
    pub fn of(spec: &Map, allowed_seccomp: &[String]) -> Self {
        let sc = spec.get("securityContext");
        let get = |key: &str| sc.and_then(|sc| sc.get(key)).filter(|v| !v.is_null());
        let unset_or_root = |v: Option<&Value>| v.is_none_or(|v| v.as_i64() == Some(0));
        let seccomp_type = get("seccompProfile")
            .and_then(|p| p.get("type"))
            .and_then(Value::as_str);
        PodGaps {
            non_root: !get("runAsNonRoot").is_some_and(is_true),
            seccomp: !seccomp_type.is_some_and(|t| allowed_seccomp.iter().any(|a| a == t)),
            user: unset_or_root(get("runAsUser")),
            group: unset_or_root(get("runAsGroup")),
            weak: [
                get("runAsNonRoot").and_then(Value::as_bool) == Some(false),
                get("runAsUser").and_then(Value::as_i64) == Some(0),
                seccomp_type == Some("Unconfined"),
            ],
        }
    }

    /// The pod-level values that keep the pod from ever passing "restricted".
    pub fn weaknesses(&self) -> impl Iterator<Item = &'static str> + '_ {
        WEAKNESSES
            .iter()
            .zip(self.weak)
            .filter_map(|(text, weak)| weak.then_some(*text))
    }
}

/// Fills, at container level, what the pod level lacks (see [`PodGaps`]). Explicit values were
/// judged by [`check_all`]; only missing ones are added (mutate) or reported (validate).
pub fn fill_gaps(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>, gaps: PodGaps) {
    let s = ctx.settings;
    let rel = "securityContext";
    let any = |_: &Value| true;
    let why = |what: &str| {
        let what = what.to_string();
        move || format!("{what} (the pod does not set it, so a debug container must)")
    };
    if gaps.non_root {
        let field = at.field(rel, "runAsNonRoot", Some(Value::Bool(true)));
        ctx.ensure(sc, field, any, why("true"));
    }
    if gaps.user {
        let field = at.field(rel, "runAsUser", Some(Value::from(s.run_as_user)));
        ctx.ensure(sc, field, any, why("a non-root user id"));
    }
    if gaps.group {
        let field = at.field(rel, "runAsGroup", Some(Value::from(s.run_as_group)));
        ctx.ensure(sc, field, any, why("a non-root group id"));
    }
    if gaps.seccomp {
        let fill = s
            .allowed_seccomp_profiles
            .iter()
            .any(|p| p == "RuntimeDefault")
            .then(|| Value::from("RuntimeDefault"));
        let path = at.path.key("seccompProfile");
        let create = fill.is_some() && ctx.adds();
        let mut profile = ctx.sub(sc, "seccompProfile", &path, create);
        let at = At {
            path: &path,
            target: at.target,
        };
        let field = at.field("securityContext.seccompProfile", "type", fill);
        let allowed = s.allowed_seccomp_profiles.join(" or ");
        ctx.ensure(&mut profile, field, any, why(&allowed));
    }
}
