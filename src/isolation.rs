//! Optional stronger isolation (L2), both off by default: a sandboxed runtime class
//! (`runtimeClass`), and no Kubernetes API token in the pod (`serviceAccountToken`).

use crate::json;
use crate::json::{Map, Value};

use crate::field_path::FieldPath;
use crate::fields::{Ctx, Missing, present};
use crate::report::{Added, Target};
use crate::settings::ServiceAccountToken;

/// `runtimeClassName`: filled with `runtimeClass.default` when unset; one outside
/// `runtimeClass.allowed` (when that list is not empty) is refused. Never overwritten.
pub fn runtime_class(ctx: &mut Ctx<'_>, spec: &mut Map, path: &FieldPath<'_>) {
    let rc = &ctx.settings.runtime_class;
    let key = "runtimeClassName";
    let allowed = || {
        let mut names = rc.allowed.join(", ");
        if names.is_empty() {
            names = rc.default.clone();
        }
        format!("one of {names} (runtimeClass)")
    };
    match present(spec.get(key)) {
        Some(value) => {
            let ok = rc.allowed.is_empty()
                || value
                    .as_str()
                    .is_some_and(|n| rc.allowed.iter().any(|a| a == n));
            if !ok {
                let value = value.clone();
                ctx.violation(path.key(key), &value, allowed());
            }
        }
        None if !rc.default.is_empty() => match ctx.missing {
            Missing::Add => {
                spec.insert(key.into(), json!(rc.default));
                let text = format!("runtimeClassName: {}", rc.default);
                ctx.report.change(Added::Text(text.into()), &Target::Pod);
            }
            Missing::Report => ctx.missing_violation(path.key(key), allowed()),
            Missing::Ignore => {}
        },
        // No default to give: unset means the node's default runtime, which is not allowed.
        None if !rc.allowed.is_empty() => ctx.missing_violation(path.key(key), allowed()),
        None => {}
    }
}

/// The projected volume the ServiceAccount admission plugin adds to a pod (before any webhook
/// runs) when `automountServiceAccountToken` is not false.
fn is_injected_token_volume(volume: &Value) -> bool {
    volume
        .get("name")
        .and_then(Value::as_str)
        .is_some_and(|n| n.starts_with("kube-api-access-"))
        && has_token_source(volume)
}

fn has_token_source(volume: &Value) -> bool {
    token_sources(volume).next().is_some()
}

fn token_sources<'v, 's>(volume: &'v Value<'s>) -> impl Iterator<Item = &'v Value<'s>> {
    volume
        .get("projected")
        .and_then(|p| p.get("sources"))
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|s| present(s.get("serviceAccountToken")))
}

/// A token that may reach the Kubernetes API: without an audience (it gets the API server's),
/// or for any audience not in `allowed` — the API server accepts its issuer URL and whatever
/// `--api-audiences` names, which can't be known here, so only listed audiences (a mesh's CA,
/// a cloud's workload identity) pass.
fn has_api_token(volume: &Value, allowed: &[String]) -> bool {
    token_sources(volume).any(|t| {
        t.get("audience")
            .and_then(Value::as_str)
            .is_none_or(|a| !allowed.iter().any(|ok| ok == a))
    })
}

/// `automountServiceAccountToken`: `default-off` and `forbid` set it to false on pods that
/// don't set it (and take back the token volume the API server already added for it);
/// `forbid` also refuses `true` and projected token volumes.
pub fn service_account_token(ctx: &mut Ctx<'_>, spec: &mut Map, path: &FieldPath<'_>) {
    let mode = ctx.settings.service_account_token;
    if mode == ServiceAccountToken::Keep {
        return;
    }
    let key = "automountServiceAccountToken";
    match present(spec.get(key)) {
        Some(Value::Bool(false)) => {}
        Some(Value::Bool(true)) if mode == ServiceAccountToken::DefaultOff => {}
        Some(value) => {
            let value = value.clone();
            let allowed = match mode {
                ServiceAccountToken::Forbid => "false (serviceAccountToken: forbid)",
                _ => "true or false (serviceAccountToken: default-off)",
            };
            ctx.violation(path.key(key), &value, allowed);
        }
        None => match ctx.missing {
            Missing::Add => {
                spec.insert(key.into(), Value::Bool(false));
                let removed = take_injected_token(spec);
                let text = match &removed {
                    Some(name) => format!(
                        "automountServiceAccountToken: false (and took back the token volume {name} the API server had added)"
                    ),
                    None => "automountServiceAccountToken: false".to_string(),
                };
                ctx.report.change(Added::Text(text.into()), &Target::Pod);
            }
            Missing::Report => ctx.missing_violation(path.key(key), "false (serviceAccountToken)"),
            Missing::Ignore => {}
        },
    }
    if mode == ServiceAccountToken::Forbid
        && let Some(Value::Array(volumes)) = spec.get("volumes")
    {
        let list = path.key("volumes");
        for (i, volume) in volumes.iter().enumerate() {
            if has_api_token(volume, &ctx.settings.allowed_token_audiences) {
                let name = volume.get("name").and_then(Value::as_str);
                let item = list.named(i, name);
                let found = Value::String("a projected serviceAccountToken for the API".into());
                ctx.violation(
                    item.key("projected"),
                    &found,
                    format!(
                        "no token the Kubernetes API could accept (serviceAccountToken: forbid); tokens for the audiences in allowedTokenAudiences ({}) are fine",
                        ctx.settings.allowed_token_audiences.join(", ")
                    ),
                );
            }
        }
    }
}

/// Removes the ServiceAccount plugin's token volume and every mount of it; returns its name.
fn take_injected_token(spec: &mut Map) -> Option<String> {
    let volumes = spec.get_mut("volumes").and_then(Value::as_array_mut)?;
    let at = volumes.iter().position(is_injected_token_volume)?;
    let volume = volumes.remove(at);
    let name = volume.get("name").and_then(Value::as_str)?.to_string();
    for list in ["containers", "initContainers", "ephemeralContainers"] {
        let Some(containers) = spec.get_mut(list).and_then(Value::as_array_mut) else {
            continue;
        };
        for container in containers {
            if let Some(mounts) = container
                .get_mut("volumeMounts")
                .and_then(Value::as_array_mut)
            {
                mounts.retain(|m| m.get("name").and_then(Value::as_str) != Some(name.as_str()));
            }
        }
    }
    Some(name)
}
