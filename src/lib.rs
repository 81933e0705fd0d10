//! Kubewarden policy that hardens AI-agent pods to "L1 — hardened container" isolation.
//! This file only wires waPC; each rule lives in the module named for what it decides.
// Policy code never panics (in wasm a panic is a trap); tests may.
#![cfg_attr(
    not(test),
    deny(
        clippy::unwrap_used,
        clippy::expect_used,
        clippy::panic,
        clippy::indexing_slicing,
        clippy::unreachable,
        clippy::todo,
        clippy::unimplemented
    )
)]

pub mod arena;
pub mod capabilities;
pub mod container_rules;
pub mod decimal;
pub mod empty_dir_limits;
pub mod env_vars;
pub mod exceptions;
pub mod field_path;
pub mod fields;
pub mod image_user;
pub mod injection;
pub mod isolation;
pub mod json;
pub mod memcmp;
pub mod paths;
pub mod pod_rules;
pub mod pod_spec;
pub mod quantity;
pub mod report;
pub mod request;
pub mod response;
pub mod security_context;
pub mod settings;
pub mod updates;
pub mod validate;
pub mod volumes;
pub mod workload;
pub mod writable_paths;

use wapc_guest::prelude::*;

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate::validate);
    register_function("validate_settings", settings::validate_settings);
    register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}
