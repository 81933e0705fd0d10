//! `validate_settings` on arbitrary JSON: never a panic, always a verdict; settings it accepts
//! can evaluate a pod without panicking.
#![no_main]

use agent_hardening_policy::settings::{parse_settings, validate_settings};
use agent_hardening_policy::validate::evaluate;
use libfuzzer_sys::fuzz_target;

const POD: &str = include_str!("../../test_data/pod_framework_python.json");

fuzz_target!(|data: &[u8]| {
    let answer = validate_settings(data).expect("validate_settings answers");
    let response: serde_json::Value = serde_json::from_slice(&answer).expect("JSON answer");
    let valid = response["valid"].as_bool().expect("a verdict");
    let Ok(raw) = serde_json::from_slice::<serde_json::Value>(data) else {
        assert!(!valid, "invalid JSON accepted");
        return;
    };
    assert_eq!(parse_settings(&raw).is_ok(), valid);
    if valid {
        let request: serde_json::Value = serde_json::from_str(POD).unwrap();
        let payload = serde_json::json!({"request": request, "settings": raw});
        let _ = evaluate(&serde_json::to_vec(&payload).unwrap());
    }
});
