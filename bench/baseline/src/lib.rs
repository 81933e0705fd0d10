//! Do-nothing policies to measure the engine's own cost against: `validate` parses the
//! request (the object into a `serde_json::Value`, as a straightforward policy would) and
//! accepts it; with settings `{"echo": true}` it returns the object unchanged as a mutation
//! (the cost of building and writing a whole pod back); with settings `{"answer": RESPONSE}`
//! it parses the request the same way and returns RESPONSE — the real policy's answer for that
//! request — copied byte for byte out of the settings, never parsed or re-serialised. That is
//! the floor any policy giving that answer pays (the answer "compiled in"), so that
//! *policy − answer* is the policy's own work, also on a fresh instance per request.
//!
//! Built with the feature `compiled-answer` and `BASELINE_ANSWER=/path/answer.json` in the
//! environment, it parses the request the same way and returns that file's bytes, compiled
//! into the module: the answer "compiled in", without carrying it through the settings.

use serde::Deserialize;
use serde_json::value::RawValue;
use wapc_guest::prelude::*;

#[derive(Deserialize)]
struct Payload<'a> {
    request: Request,
    #[serde(borrow, default)]
    settings: Option<Settings<'a>>,
}

#[derive(Deserialize)]
struct Request {
    #[serde(default)]
    object: serde_json::Value,
}

#[derive(Deserialize, Default)]
struct Settings<'a> {
    #[serde(borrow, default)]
    answer: Option<&'a RawValue>,
    #[serde(default)]
    echo: bool,
}

/// The answer compiled in (`compiled-answer`), returned for every request.
#[cfg(feature = "compiled-answer")]
const COMPILED_ANSWER: Option<&[u8]> = Some(include_bytes!(env!("BASELINE_ANSWER")));
#[cfg(not(feature = "compiled-answer"))]
const COMPILED_ANSWER: Option<&[u8]> = None;

fn validate(payload: &[u8]) -> CallResult {
    let payload: Payload = serde_json::from_slice(payload)?;
    if let Some(answer) = COMPILED_ANSWER {
        return Ok(answer.to_vec());
    }
    let settings = payload.settings.unwrap_or_default();
    if let Some(answer) = settings.answer {
        return Ok(answer.get().as_bytes().to_vec());
    }
    if settings.echo {
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
