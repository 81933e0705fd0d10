//! Rules for one container — regular, init (native sidecars included) or ephemeral: its
//! securityContext, capabilities, host ports, and `host` on probes and lifecycle handlers.

use crate::json::{Map, Value};

use crate::capabilities::normalise;
use crate::exceptions::{self, Granted};
use crate::field_path::FieldPath;
use crate::fields::{Child, Ctx, Field, Missing, array, is_false, is_true, present};
use crate::report::{Added, Target};
use crate::security_context::{self, At, Level, PodGaps};
use crate::settings::ImageUserCheck;

/// The three container lists of a pod spec, in the order they are checked and reported.
pub const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// How warnings name a container (`name`, its `name` if it is a string): `agent`,
/// `init setup`, `ephemeral debugger`.
pub fn target_name(list: &str, name: Option<&str>) -> Target {
    let name = name.unwrap_or("(unnamed)");
    match list {
        "initContainers" => Target::named(format!("init {name}")),
        "ephemeralContainers" => Target::named(format!("ephemeral {name}")),
        _ => Target::named(name),
    }
}

/// Checks (and in mutate mode hardens) the container at `path`, named `target` in warnings.
/// `gaps`: what the pod level lacks and this container must therefore set itself (debug
/// containers added to an existing pod).
pub fn check_container(
    ctx: &mut Ctx<'_>,
    container: &mut Map,
    path: &FieldPath<'_>,
    target: &Target,
    gaps: Option<PodGaps>,
) {
    let vouched = ctx.granted.as_ref().is_some_and(|g| g.names_identity());
    if ctx.settings.image_user_check != ImageUserCheck::Off
        && !vouched
        && let Some(image) = container.get("image").and_then(Value::as_str)
    {
        ctx.images
            .push((path.key("image").to_string(), image.to_string()));
    }
    host_ports(ctx, container, path);
    probe_hosts(ctx, container, path);

    let sc_path = path.key("securityContext");
    let mut sc = ctx.child(container, "securityContext", &sc_path);
    let at = At {
        path: &sc_path,
        target,
    };
    let field = |key, fill| Field {
        path: &sc_path,
        rel: "securityContext",
        key,
        fill: Some(fill),
        target,
    };
    let read_only = field("readOnlyRootFilesystem", Value::Bool(true));
    let writable_root = sc.get("readOnlyRootFilesystem").is_some_and(is_false)
        && exceptions::allows(
            ctx,
            target,
            || "readOnlyRootFilesystem: false".into(),
            |g: &Granted<'_>| g.writable_root(),
        );
    if !writable_root {
        ctx.ensure(&mut sc, read_only, is_true, || "true".into());
    }
    let escalation = field("allowPrivilegeEscalation", Value::Bool(false));
    ctx.ensure(&mut sc, escalation, is_false, || "false".into());
    ctx.check_optional(&sc, &sc_path, "privileged", is_false, || {
        "false or unset".into()
    });
    let default_proc = |v: &Value| v.as_str() == Some("Default");
    ctx.check_optional(&sc, &sc_path, "procMount", default_proc, || {
        "Default or unset".into()
    });
    capabilities(ctx, &mut sc, &at);
    security_context::check_all(ctx, &mut sc, &at, Level::Container);
    if let Some(gaps) = gaps {
        security_context::fill_gaps(ctx, &mut sc, &at, gaps);
    }
}

/// capabilities.drop must hold `ALL`; capabilities.add only the allowed ones.
fn capabilities(ctx: &mut Ctx<'_>, sc: &mut Child<'_, '_>, at: &At<'_>) {
    let path = at.path.key("capabilities");
    let create = ctx.adds();
    let mut caps = ctx.sub(sc, "capabilities", &path, create);
    drop_all(ctx, &mut caps, &path, at.target);
    if let Child::Object(map) = &caps
        && let Some(added) = array(ctx, map, "add", &path)
    {
        let add_path = path.key("add");
        for (i, name) in added.iter().enumerate() {
            check_added(ctx, name, &add_path.index(i), at.target);
        }
    }
}

fn has_all(v: &Value) -> bool {
    v.as_array()
        .is_some_and(|items| items.iter().any(|c| c.as_str() == Some("ALL")))
}

fn drop_all(ctx: &mut Ctx<'_>, caps: &mut Child<'_, '_>, path: &FieldPath<'_>, target: &Target) {
    let allowed = || "a list containing ALL".to_string();
    let field = |fill| Field {
        path,
        rel: "securityContext.capabilities",
        key: "drop",
        fill,
        target,
    };
    let map = match caps {
        Child::Object(map) => map,
        Child::Malformed => return,
        Child::Missing => {
            return ctx.ensure(
                caps,
                field(Some(Value::from(vec![Value::from("ALL")]))),
                has_all,
                allowed,
            );
        }
    };
    match present(map.get("drop")) {
        None => {
            let mut caps = Child::Object(map);
            ctx.ensure(
                &mut caps,
                field(Some(Value::from(vec![Value::from("ALL")]))),
                has_all,
                allowed,
            );
        }
        Some(v) if has_all(v) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => match ctx.missing {
            // The user's own drops stay; ALL is appended (Pod Security compares it exactly,
            // so `all` or `CAP_ALL` alone do not count).
            Missing::Add => {
                if let Some(Value::Array(items)) = map.get_mut("drop") {
                    items.push(Value::from("ALL"));
                }
                let added = Added::Static("securityContext.capabilities.drop: ALL");
                ctx.report.change(added, target);
            }
            Missing::Report => {
                let found = Value::Array(items.clone());
                ctx.violation(path.key("drop"), &found, allowed());
            }
            Missing::Ignore => {}
        },
        Some(other) => {
            let other = other.clone();
            ctx.violation(
                path.key("drop"),
                &other,
                "a list of capability names containing ALL",
            );
        }
    }
}

fn check_added(ctx: &mut Ctx<'_>, name: &Value, path: &FieldPath<'_>, target: &Target) {
    let allowed = &ctx.settings.allowed_capabilities;
    // `kubectl debug --profile=general` adds SYS_PTRACE; the restricted profile fits.
    let debug_hint = match target {
        Target::Named(name) if name.starts_with("ephemeral ") => {
            " (for kubectl debug, use --profile=restricted)"
        }
        _ => "",
    };
    let allowed_text = || {
        if allowed.is_empty() {
            format!("no added capabilities (allowedCapabilities is empty){debug_hint}")
        } else {
            format!("only {}{debug_hint}", allowed.join(", "))
        }
    };
    let Some(text) = name.as_str() else {
        let text = allowed_text();
        return ctx.violation(path, name, text);
    };
    let normal = normalise(text);
    if !allowed.contains(&normal) {
        let control = || format!("capabilities.add {text}");
        if exceptions::allows(ctx, target, control, |g| g.capability(&normal)) {
            return;
        }
        let text = allowed_text();
        ctx.violation(path, name, text);
    } else if normal != text {
        // Allowed, but Pod Security "restricted" only recognises the exact spelling.
        ctx.violation(path, name, format!("{normal}, spelled exactly so"));
    }
}

/// hostPort must be unset or 0.
fn host_ports(ctx: &mut Ctx<'_>, container: &Map, path: &FieldPath<'_>) {
    let Some(ports) = array(ctx, container, "ports", path) else {
        return;
    };
    let ports_path = path.key("ports");
    for (i, port) in ports.iter().enumerate() {
        if let Some(host_port) = present(port.get("hostPort"))
            && host_port.as_i64() != Some(0)
        {
            ctx.violation(ports_path.index(i).key("hostPort"), host_port, "0 or unset");
        }
    }
}

const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
const HANDLERS: [&str; 2] = ["postStart", "preStop"];
const HOST_ACTIONS: [&str; 2] = ["httpGet", "tcpSocket"];

/// Probes and lifecycle handlers may not aim at another host.
fn probe_hosts(ctx: &mut Ctx<'_>, container: &Map, path: &FieldPath<'_>) {
    for probe in PROBES {
        if let Some(handler) = present(container.get(probe)) {
            handler_host(ctx, handler, &path.key(probe));
        }
    }
    let Some(lifecycle) = present(container.get("lifecycle")) else {
        return;
    };
    let lifecycle_path = path.key("lifecycle");
    for name in HANDLERS {
        if let Some(handler) = present(lifecycle.get(name)) {
            handler_host(ctx, handler, &lifecycle_path.key(name));
        }
    }
}

fn handler_host(ctx: &mut Ctx<'_>, handler: &Value, path: &FieldPath<'_>) {
    for action in HOST_ACTIONS {
        if let Some(host) = handler.get(action).and_then(|a| present(a.get("host")))
            && host.as_str() != Some("")
        {
            let at = path.key(action);
            ctx.violation(at.key("host"), host, "unset (the pod's own IP)");
        }
    }
}
