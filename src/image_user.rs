//! Images that run as root (SPEC §3): with `imageUserCheck` on, each image's config is read
//! through Kubewarden's OCI host capability, and an image whose USER is unset, `root` or `0` is
//! rejected (`enforce`) or warned about (`warn`).

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::fields::Ctx;
use crate::settings::ImageUserCheck;

/// Reads the USER an image's config declares (`None` when it sets none).
pub trait ImageConfigs {
    fn user(&mut self, image: &str) -> Result<Option<String>, String>;
}

/// The policy server's OCI capability (`kubewarden/oci/v1/oci_manifest_config`). Only the
/// config's `User` is read, to keep the module small.
pub struct OciHost;

#[derive(Deserialize)]
struct ManifestAndConfig {
    config: ImageConfig,
}

#[derive(Deserialize)]
struct ImageConfig {
    #[serde(default)]
    config: Option<RuntimeConfig>,
}

#[derive(Deserialize)]
struct RuntimeConfig {
    #[serde(rename = "User", default)]
    user: Option<String>,
}

impl ImageConfigs for OciHost {
    fn user(&mut self, image: &str) -> Result<Option<String>, String> {
        let request = serde_json::to_vec(image).map_err(|e| e.to_string())?;
        let answer = wapc_guest::host_call("kubewarden", "oci", "v1/oci_manifest_config", &request)
            .map_err(|e| format!("the registry lookup failed: {}", first_line(&e.to_string())))?;
        let parsed: ManifestAndConfig = serde_json::from_slice(&answer).map_err(|e| {
            let e = e.to_string();
            format!("the image config could not be read: {}", first_line(&e))
        })?;
        Ok(parsed.config.config.and_then(|c| c.user))
    }
}

/// The first line of a host error, kept short: the policy server's errors can carry a whole
/// backtrace, which does not belong in a rejection message.
pub fn first_line(text: &str) -> String {
    const MAX: usize = 200;
    let line = text
        .lines()
        .map(str::trim)
        .find(|l| !l.is_empty())
        .unwrap_or("");
    match line.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", line.get(..cut).unwrap_or("")),
        None => line.to_string(),
    }
}

/// Whether a Dockerfile USER value means root: unset, empty, `root` or uid 0 (a group after
/// `:` does not change the user).
pub fn runs_as_root(user: Option<&str>) -> bool {
    let name = user.unwrap_or("").split(':').next().unwrap_or("").trim();
    name.is_empty() || name == "root" || name.trim_start_matches('0').is_empty()
}

/// Checks every image recorded during the walk, asking `configs` once per distinct image.
pub fn check(ctx: &mut Ctx<'_>, configs: &mut dyn ImageConfigs) {
    let mode = ctx.settings.image_user_check;
    if mode == ImageUserCheck::Off {
        return;
    }
    let images = std::mem::take(&mut ctx.images);
    let mut seen: BTreeMap<String, Result<Option<String>, String>> = BTreeMap::new();
    for (path, image) in images {
        let answer = seen
            .entry(image.clone())
            .or_insert_with(|| configs.user(&image))
            .clone();
        let problem = match answer {
            Ok(user) if runs_as_root(user.as_deref()) => format!(
                "an image whose USER is not root ({image} {}): add `USER 65534` (or another non-root uid) to its Dockerfile and rebuild",
                match user.as_deref() {
                    None | Some("") => "sets no USER".to_string(),
                    Some(u) => format!("sets USER {u}"),
                }
            ),
            Ok(_) => continue,
            Err(why) => format!(
                "an image whose USER can be checked ({image}: {})",
                first_line(&why)
            ),
        };
        match mode {
            ImageUserCheck::Enforce => ctx.report.violation(path, format!("{image:?}"), problem),
            _ => ctx
                .report
                .notes
                .push(format!("agent-hardening: {path} should be {problem}")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn host_errors_are_quoted_by_their_first_line() {
        let backtrace = "cannot fetch manifest: 401 Unauthorized\n\nStack backtrace:\n   0: anyhow::error\n   1: policy_evaluator::callback";
        assert_eq!(
            first_line(backtrace),
            "cannot fetch manifest: 401 Unauthorized"
        );
        assert_eq!(first_line("\n  late start\nmore"), "late start");
        assert_eq!(first_line(&"x".repeat(500)).chars().count(), 201);
    }

    #[test]
    fn root_users() {
        for user in [
            None,
            Some(""),
            Some("root"),
            Some("0"),
            Some("0:0"),
            Some("root:agent"),
            Some("00"),
        ] {
            assert!(runs_as_root(user), "{user:?}");
        }
        for user in [
            Some("65534"),
            Some("nobody"),
            Some("1000:1000"),
            Some("agent"),
            Some("10"),
        ] {
            assert!(!runs_as_root(user), "{user:?}");
        }
    }
}
