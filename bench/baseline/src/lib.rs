//! Two do-nothing policies to measure the engine's own cost against: `validate` parses the
//! request and accepts it; with settings `{"echo": true}` it returns the object unchanged as a
//! mutation (the cost of sending a whole pod back).

use serde::Deserialize;
use wapc_guest::prelude::*;

#[derive(Deserialize)]
struct Payload {
    request: Request,
    #[serde(default)]
    settings: serde_json::Value,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    object: serde_json::Value,
}

fn validate(payload: &[u8]) -> CallResult {
    let payload: Payload = serde_json::from_slice(payload)?;
    if payload
        .settings
        .get("echo")
        .and_then(serde_json::Value::as_bool)
        == Some(true)
    {
        kubewarden_policy_sdk::mutate_request(payload.request.object)
    } else {
        kubewarden_policy_sdk::accept_request()
    }
}

fn validate_settings(_payload: &[u8]) -> CallResult {
    Ok(br#"{"valid":true}"#.to_vec())
}

#[unsafe(no_mangle)]
pub extern "C" fn wapc_init() {
    register_function("validate", validate);
    register_function("validate_settings", validate_settings);
    register_function(
        "protocol_version",
        kubewarden_policy_sdk::protocol_version_guest,
    );
}
