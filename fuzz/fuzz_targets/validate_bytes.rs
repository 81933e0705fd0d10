//! The waPC `validate` entry on arbitrary bytes: never a panic (a trap in wasm), always an
//! answer the policy server can read.
#![no_main]

use agent_hardening_policy::validate::validate;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let answer = validate(data).expect("validate answers every payload");
    let response: serde_json::Value =
        serde_json::from_slice(&answer).expect("the answer is JSON");
    assert!(response["accepted"].is_boolean(), "{response}");
});
