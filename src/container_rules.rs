//! Rules for one container — regular, init (native sidecars included) or ephemeral: its
//! securityContext, capabilities, host ports, and `host` on probes and lifecycle handlers.

use serde_json::{Map, Value, json};

use crate::capabilities::normalise;
use crate::fields::{Child, Ctx, array, is_false, is_true, present};
use crate::security_context::{self, At, Level};
use crate::settings::ImageUserCheck;

/// The three container lists of a pod spec, in the order they are checked and reported.
pub const CONTAINER_LISTS: [&str; 3] = ["containers", "initContainers", "ephemeralContainers"];

/// How warnings name a container: `agent`, `init setup`, `ephemeral debugger`.
pub fn target_name(list: &str, container: &Map<String, Value>) -> String {
    let name = container
        .get("name")
        .and_then(Value::as_str)
        .unwrap_or("(unnamed)");
    match list {
        "initContainers" => format!("init {name}"),
        "ephemeralContainers" => format!("ephemeral {name}"),
        _ => name.to_string(),
    }
}

/// Checks (and in mutate mode hardens) the container at `path`.
pub fn check_container(ctx: &mut Ctx<'_>, container: &mut Value, path: &str, list: &str) {
    let Some(container) = container.as_object_mut() else {
        let found = container.clone();
        ctx.violation(path, &found, "a container object");
        return;
    };
    let target = target_name(list, container);
    if ctx.settings.image_user_check != ImageUserCheck::Off
        && let Some(image) = container.get("image").and_then(Value::as_str)
    {
        ctx.images
            .push((format!("{path}.image"), image.to_string()));
    }
    host_ports(ctx, container, path);
    probe_hosts(ctx, container, path);

    let sc_path = format!("{path}.securityContext");
    let mut sc = ctx.child(container, "securityContext", &sc_path);
    let at = At {
        path: &sc_path,
        rel: "securityContext",
        target: &target,
    };
    let (p, r, t) = (at.path, at.rel, at.target);
    let fill_true = Some(json!(true));
    let fill_false = Some(json!(false));
    ctx.ensure(
        &mut sc,
        p,
        r,
        "readOnlyRootFilesystem",
        fill_true,
        is_true,
        || "true".into(),
        t,
    );
    ctx.ensure(
        &mut sc,
        p,
        r,
        "allowPrivilegeEscalation",
        fill_false,
        is_false,
        || "false".into(),
        t,
    );
    ctx.check_optional(&sc, p, "privileged", is_false, || "false or unset".into());
    let default_proc = |v: &Value| v.as_str() == Some("Default");
    ctx.check_optional(&sc, p, "procMount", default_proc, || {
        "Default or unset".into()
    });
    capabilities(ctx, &mut sc, &at);
    security_context::check_all(ctx, &mut sc, &at, Level::Container);
}

/// capabilities.drop must hold `ALL`; capabilities.add only the allowed ones.
fn capabilities(ctx: &mut Ctx<'_>, sc: &mut Child<'_>, at: &At<'_>) {
    let path = format!("{}.capabilities", at.path);
    let create = ctx.adds();
    let mut caps = ctx.sub(sc, "capabilities", &path, create);
    drop_all(ctx, &mut caps, &path, at.target);
    if let Child::Object(map) = &caps
        && let Some(added) = array(ctx, map, "add", &path)
    {
        for (i, name) in added.iter().enumerate() {
            check_added(ctx, name, &format!("{path}.add[{i}]"));
        }
    }
}

fn drop_all(ctx: &mut Ctx<'_>, caps: &mut Child<'_>, path: &str, target: &str) {
    let has_all = |v: &Value| {
        v.as_array()
            .is_some_and(|items| items.iter().any(|c| c.as_str() == Some("ALL")))
    };
    let map = match caps {
        Child::Object(map) => map,
        Child::Malformed => return,
        Child::Missing => {
            let allowed = || "a list containing ALL".to_string();
            let rel = "securityContext.capabilities";
            return ctx.ensure(caps, path, rel, "drop", None, has_all, allowed, target);
        }
    };
    match present(map.get("drop")) {
        None => {
            let mut caps = Child::Object(map);
            ctx.ensure(
                &mut caps,
                path,
                "securityContext.capabilities",
                "drop",
                Some(json!(["ALL"])),
                has_all,
                || "a list containing ALL".into(),
                target,
            );
        }
        Some(v) if has_all(v) => {}
        Some(Value::Array(items)) if items.iter().all(Value::is_string) => {
            // The user's own drops stay; ALL is appended (Pod Security compares it exactly,
            // so `all` or `CAP_ALL` alone do not count).
            if ctx.adds() {
                if let Some(Value::Array(items)) = map.get_mut("drop") {
                    items.push(json!("ALL"));
                }
                ctx.report
                    .change("securityContext.capabilities.drop: ALL".to_string(), target);
            } else if ctx.missing == crate::fields::Missing::Report {
                let found = Value::Array(items.clone());
                ctx.violation(format!("{path}.drop"), &found, "a list containing ALL");
            }
        }
        Some(other) => {
            let other = other.clone();
            ctx.violation(
                format!("{path}.drop"),
                &other,
                "a list of capability names containing ALL",
            );
        }
    }
}

fn check_added(ctx: &mut Ctx<'_>, name: &Value, path: &str) {
    let allowed = &ctx.settings.allowed_capabilities;
    let allowed_text = || {
        if allowed.is_empty() {
            "no added capabilities (allowedCapabilities is empty)".to_string()
        } else {
            format!("only {}", allowed.join(", "))
        }
    };
    let Some(text) = name.as_str() else {
        let text = allowed_text();
        return ctx.violation(path, name, text);
    };
    let normal = normalise(text);
    if !allowed.contains(&normal) {
        let text = allowed_text();
        ctx.violation(path, name, text);
    } else if normal != text {
        // Allowed, but Pod Security "restricted" only recognises the exact spelling.
        ctx.violation(path, name, format!("{normal}, spelled exactly so"));
    }
}

/// hostPort must be unset or 0.
fn host_ports(ctx: &mut Ctx<'_>, container: &Map<String, Value>, path: &str) {
    let Some(ports) = array(ctx, container, "ports", path) else {
        return;
    };
    for (i, port) in ports.iter().enumerate() {
        if let Some(host_port) = present(port.get("hostPort"))
            && host_port.as_i64() != Some(0)
        {
            ctx.violation(
                format!("{path}.ports[{i}].hostPort"),
                host_port,
                "0 or unset",
            );
        }
    }
}

const PROBES: [&str; 3] = ["livenessProbe", "readinessProbe", "startupProbe"];
const HANDLERS: [&str; 2] = ["postStart", "preStop"];
const HOST_ACTIONS: [&str; 2] = ["httpGet", "tcpSocket"];

/// Probes and lifecycle handlers may not aim at another host.
fn probe_hosts(ctx: &mut Ctx<'_>, container: &Map<String, Value>, path: &str) {
    let lifecycle = present(container.get("lifecycle"));
    let probes = PROBES
        .iter()
        .map(|p| (format!("{path}.{p}"), present(container.get(*p))));
    let handlers = HANDLERS.iter().map(|h| {
        let handler = lifecycle.and_then(|l| present(l.get(*h)));
        (format!("{path}.lifecycle.{h}"), handler)
    });
    for (at, handler) in probes.chain(handlers) {
        let Some(handler) = handler else { continue };
        for action in HOST_ACTIONS {
            if let Some(host) = handler.get(action).and_then(|a| present(a.get("host")))
                && host.as_str() != Some("")
            {
                ctx.violation(
                    format!("{at}.{action}.host"),
                    host,
                    "unset (the pod's own IP)",
                );
            }
        }
    }
}
