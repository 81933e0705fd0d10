//! The policy's settings: what they hold, their defaults, and the waPC `validate_settings`
//! entry point. Reading and checking the JSON lives in `parse.rs`.

mod labels;
pub mod parse;
mod paths;
mod platform;

use std::cell::RefCell;
use std::collections::BTreeMap;
use std::rc::Rc;

use kubewarden_policy_sdk::settings::SettingsValidationResponse;

use crate::quantity::Quantity;

pub use parse::parse_settings;

/// `mutate` fills in missing hardened fields; `validate` reports them as violations.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Mutate,
    Validate,
}

/// Whether the policy asks the registry for each image's configured user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImageUserCheck {
    Off,
    Warn,
    Enforce,
}

/// An inclusive range of user or group ids.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IdRange {
    pub min: i64,
    pub max: i64,
}

/// A path that must be writable, the size of the emptyDir that makes it so, and the
/// environment variables that should point at it (set when a container does not set them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WritablePath {
    /// Clean and absolute (see `paths::clean`).
    pub path: String,
    pub size_limit: Quantity,
    pub env: Vec<String>,
}

/// A custom resource that embeds a pod template (`podTemplates`), checked like the built-in
/// workloads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PodTemplateKind {
    pub api_group: String,
    pub kind: String,
    /// The JSON keys from the object's root to the template (`spec.podTemplate`).
    pub keys: Vec<String>,
    /// `spec.podTemplate.metadata` and `spec.podTemplate.spec`, for messages.
    pub metadata_path: String,
    pub spec_path: String,
}

/// What an exception relaxes for the containers whose image matches it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allow {
    pub run_as_user: Vec<IdRange>,
    pub run_as_group: Vec<IdRange>,
    /// Normalised: upper case, without `CAP_`.
    pub capabilities: Vec<String>,
    /// `readOnlyRootFilesystem: false` is accepted.
    pub writable_root: bool,
    /// `runAsNonRoot: false` is accepted (init containers only).
    pub root_init: bool,
}

/// Trusted containers (service-mesh sidecars), by image reference only.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exception {
    /// Globs over full image references (`docker.io/istio/proxyv2:*`).
    pub images: Vec<String>,
    pub allow: Allow,
}

/// Optional stronger isolation: a sandboxed runtime class.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RuntimeClass {
    /// Filled in when a pod sets none (`""`: nothing is filled in).
    pub default: String,
    /// When not empty, the only runtime classes a pod may name.
    pub allowed: Vec<String>,
}

/// What happens to the pod's service account token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ServiceAccountToken {
    /// Left as the pod and its service account say.
    Keep,
    /// `automountServiceAccountToken: false` on pods that don't set it.
    DefaultOff,
    /// As `DefaultOff`, and `true` or a projected token volume is refused.
    Forbid,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Settings {
    pub mode: Mode,
    pub run_as_user: i64,
    pub run_as_group: i64,
    pub fs_group: i64,
    pub allowed_user_ranges: Vec<IdRange>,
    pub allowed_group_ranges: Vec<IdRange>,
    /// Normalised: upper case, without `CAP_`.
    pub allowed_capabilities: Vec<String>,
    /// `RuntimeDefault` and/or `Localhost`, in the order given.
    pub allowed_seccomp_profiles: Vec<String>,
    pub mutate_workload_templates: bool,
    pub framework_label: String,
    pub default_framework: String,
    pub writable_paths: Vec<WritablePath>,
    pub frameworks: BTreeMap<String, Vec<WritablePath>>,
    pub default_empty_dir_size_limit: Quantity,
    pub max_empty_dir_size_limit: Quantity,
    pub forbidden_writable_paths: Vec<String>,
    pub image_user_check: ImageUserCheck,
    /// `HOME` for containers that do not set it (clean and absolute).
    pub home: String,
    pub pod_templates: Vec<PodTemplateKind>,
    pub exceptions: Vec<Exception>,
    pub runtime_class: RuntimeClass,
    pub service_account_token: ServiceAccountToken,
    /// Audiences of projected tokens `forbid` still allows (a mesh's CA, a cloud's workload
    /// identity): tokens the Kubernetes API does not accept.
    pub allowed_token_audiences: Vec<String>,
    /// Requests without `userInfo.username` (the audit scanner's) are answered as in validate
    /// mode.
    pub audit_as_validate: bool,
}

/// Every settings key, in the order the documentation lists them.
pub const SETTING_KEYS: &[&str] = &[
    "mode",
    "runAsUser",
    "runAsGroup",
    "fsGroup",
    "allowedUserRanges",
    "allowedGroupRanges",
    "allowedCapabilities",
    "allowedSeccompProfiles",
    "mutateWorkloadTemplates",
    "frameworkLabel",
    "defaultFramework",
    "writablePaths",
    "frameworks",
    "defaultEmptyDirSizeLimit",
    "maxEmptyDirSizeLimit",
    "forbiddenWritablePaths",
    "imageUserCheck",
    "home",
    "podTemplates",
    "exceptions",
    "runtimeClass",
    "serviceAccountToken",
    "allowedTokenAudiences",
    "auditAsValidate",
];

/// The UID and GID of `nobody`, the identity every agent runs as by default.
pub const NOBODY: i64 = 65534;

/// Token audiences of the common meshes and clouds' workload identity: istio, linkerd, AWS
/// (IRSA), Azure workload identity.
pub const DEFAULT_TOKEN_AUDIENCES: &[&str] = &[
    "istio-ca",
    "identity.l5d.io",
    "sts.amazonaws.com",
    "api://AzureADTokenExchange",
];

/// Where `nobody`'s home is put, so that frameworks find their writable paths under it.
pub const DEFAULT_HOME: &str = "/home/nobody";

fn paths(list: &[(&str, u64, &[&str])]) -> Vec<WritablePath> {
    list.iter()
        .map(|(path, gib, env)| WritablePath {
            path: (*path).to_string(),
            size_limit: Quantity::gib(*gib),
            env: env.iter().map(|e| (*e).to_string()).collect(),
        })
        .collect()
}

/// The framework table of `../shared/SPEC.md` §1.
pub fn default_frameworks() -> BTreeMap<String, Vec<WritablePath>> {
    let mut table = BTreeMap::new();
    table.insert(
        "python".to_string(),
        paths(&[("/home/nobody/.cache/pip", 2, &["PIP_CACHE_DIR"])]),
    );
    table.insert(
        "python-openllmetry".to_string(),
        paths(&[
            ("/home/nobody/.cache", 2, &["XDG_CACHE_HOME"]),
            ("/home/nobody/.local", 1, &["PYTHONUSERBASE"]),
        ]),
    );
    table.insert(
        "node".to_string(),
        paths(&[
            ("/home/nobody/.npm", 2, &["NPM_CONFIG_CACHE"]),
            ("/data/node_modules", 2, &[]),
        ]),
    );
    table.insert("java".to_string(), Vec::new());
    table.insert("go".to_string(), Vec::new());
    table
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            mode: Mode::Mutate,
            run_as_user: NOBODY,
            run_as_group: NOBODY,
            fs_group: NOBODY,
            allowed_user_ranges: Vec::new(),
            allowed_group_ranges: Vec::new(),
            allowed_capabilities: Vec::new(),
            allowed_seccomp_profiles: vec!["RuntimeDefault".to_string()],
            mutate_workload_templates: false,
            framework_label: "agent.framework".to_string(),
            default_framework: String::new(),
            writable_paths: paths(&[("/tmp", 1, &["TMPDIR"]), ("/data", 5, &[])]),
            frameworks: default_frameworks(),
            default_empty_dir_size_limit: Quantity::gib(1),
            max_empty_dir_size_limit: Quantity::gib(10),
            forbidden_writable_paths: vec!["/var/log".to_string()],
            image_user_check: ImageUserCheck::Off,
            home: DEFAULT_HOME.to_string(),
            pod_templates: platform::default_pod_templates(),
            exceptions: Vec::new(),
            runtime_class: RuntimeClass::default(),
            service_account_token: ServiceAccountToken::Keep,
            allowed_token_audiences: DEFAULT_TOKEN_AUDIENCES
                .iter()
                .map(|a| (*a).to_string())
                .collect(),
            audit_as_validate: true,
        }
    }
}

impl Settings {
    /// Whether `uid` may be set explicitly as a user id.
    pub fn user_allowed(&self, uid: i64) -> bool {
        uid != 0 && (uid == self.run_as_user || in_ranges(&self.allowed_user_ranges, uid))
    }

    /// Whether `gid` may be set explicitly as a group id (runAsGroup, fsGroup,
    /// supplementalGroups).
    pub fn group_allowed(&self, gid: i64) -> bool {
        gid != 0
            && (gid == self.run_as_group
                || gid == self.fs_group
                || in_ranges(&self.allowed_group_ranges, gid))
    }

    /// What `user_allowed` accepts, for messages.
    pub fn users_text(&self) -> String {
        ids_text(self.run_as_user, None, &self.allowed_user_ranges)
    }

    /// What `group_allowed` accepts, for messages.
    pub fn groups_text(&self) -> String {
        ids_text(
            self.run_as_group,
            Some(self.fs_group),
            &self.allowed_group_ranges,
        )
    }

    /// The framework table's names, for messages.
    pub fn framework_names(&self) -> String {
        let names: Vec<&str> = self.frameworks.keys().map(String::as_str).collect();
        names.join(", ")
    }
}

fn in_ranges(ranges: &[IdRange], id: i64) -> bool {
    ranges.iter().any(|r| r.min <= id && id <= r.max)
}

fn ids_text(first: i64, second: Option<i64>, ranges: &[IdRange]) -> String {
    let mut parts = vec![first.to_string()];
    if let Some(second) = second.filter(|s| *s != first) {
        parts.push(second.to_string());
    }
    parts.extend(ranges.iter().map(|r| format!("{}-{}", r.min, r.max)));
    parts.join(" or ")
}

thread_local! {
    /// The last settings seen, by their JSON text: an instance that evaluates many requests
    /// (kwctl bench, a host that reuses instances) parses and checks them once. The policy
    /// server makes a new instance per request, where this never hits (BENCHMARKS.md).
    static CACHE: RefCell<Option<(String, Rc<Settings>)>> = const { RefCell::new(None) };
}

/// The settings written as `text` (JSON; empty or `null` for the defaults), parsed once.
pub fn cached(text: &str) -> Result<Rc<Settings>, String> {
    let hit = CACHE.with(|c| {
        c.borrow()
            .as_ref()
            .filter(|(cached, _)| cached == text)
            .map(|(_, s)| Rc::clone(s))
    });
    if let Some(settings) = hit {
        return Ok(settings);
    }
    let raw: serde_json::Value = if text.trim().is_empty() {
        serde_json::Value::Null
    } else {
        serde_json::from_str(text).map_err(|e| format!("settings are not valid JSON: {e}"))?
    };
    let settings = Rc::new(parse_settings(&raw)?);
    CACHE.with(|c| *c.borrow_mut() = Some((text.to_string(), Rc::clone(&settings))));
    Ok(settings)
}

/// waPC `validate_settings`: every problem in one message.
pub fn validate_settings(payload: &[u8]) -> wapc_guest::CallResult {
    let response = match serde_json::from_slice::<serde_json::Value>(payload) {
        Ok(raw) => match parse_settings(&raw) {
            Ok(_) => SettingsValidationResponse {
                valid: true,
                message: None,
            },
            Err(problems) => SettingsValidationResponse {
                valid: false,
                message: Some(problems),
            },
        },
        Err(e) => SettingsValidationResponse {
            valid: false,
            message: Some(format!("settings are not valid JSON: {e}")),
        },
    };
    Ok(serde_json::to_vec(&response)?)
}
