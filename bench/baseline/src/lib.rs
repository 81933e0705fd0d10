//! Do-nothing policies to measure the engine's own cost against: `validate` parses the
//! request and accepts it; with settings `{"echo": true}` it returns the object unchanged as a
//! mutation (the cost of sending a whole pod back); with settings `{"answer": RESPONSE}` it
//! parses the request and returns RESPONSE — the real policy's answer for that request, read
//! once — so that everything the engine does with an answer costs the same as for the policy,
//! and the difference is the policy's own work.

use std::cell::RefCell;

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

thread_local! {
    /// The answer's bytes, serialised on the first call.
    static ANSWER: RefCell<Option<Vec<u8>>> = const { RefCell::new(None) };
}

fn validate(payload: &[u8]) -> CallResult {
    let payload: Payload = serde_json::from_slice(payload)?;
    if let Some(answer) = payload.settings.get("answer") {
        let cached = ANSWER.with(|a| a.borrow().clone());
        return match cached {
            Some(bytes) => Ok(bytes),
            None => {
                let bytes = serde_json::to_vec(answer)?;
                ANSWER.with(|a| *a.borrow_mut() = Some(bytes.clone()));
                Ok(bytes)
            }
        };
    }
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
