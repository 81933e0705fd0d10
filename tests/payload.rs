//! The payload read in one pass into the policy's JSON tree, against serde_json's reading,
//! which takes over whenever a payload is unusual (a repeated key, a field of another type,
//! text that is not JSON): the same answer for every fixture either way, and serde_json's
//! refusals kept.

mod common;

use agent_hardening_policy::request::Payload;
use agent_hardening_policy::validate::evaluate;
use common::{all_fixtures, owned, rejection};
use serde_json::json;

fn answer(payload: &str) -> String {
    format!("{:?}", owned(evaluate(payload.as_bytes())))
}

/// `text` with a key the policy does not read written twice in the request: serde_json
/// reads such a payload.
fn with_repeat(text: &str) -> String {
    text.replacen(r#""request":{"#, r#""request":{"x-pad":1,"x-pad":2,"#, 1)
}

fn one_pass(text: &str) -> bool {
    Payload::read(text.as_bytes())
        .unwrap()
        .request
        .read_in_one_pass()
}

#[test]
fn every_fixture_gets_the_same_answer_either_way() {
    let settings = [
        json!({}),
        json!({"mode": "validate"}),
        json!({"serviceAccountToken": "forbid", "runAsUser": 1000}),
        // A settings key named like the old object the reader passes over.
        json!({"oldObject": {"metadata": {}}}),
    ];
    for settings in settings {
        for (name, request) in all_fixtures() {
            let text =
                serde_json::to_string(&json!({"request": request, "settings": settings})).unwrap();
            let repeated = with_repeat(&text);
            assert_ne!(text, repeated, "{name}");
            assert!(!one_pass(&repeated), "{name}");
            // Read in one pass, unless the settings name an `oldObject` too (their own text
            // is then the one passed over last).
            let has_object = !request["object"].is_null();
            let old_in_settings =
                settings.get("oldObject").is_some() && request.get("oldObject").is_some();
            assert_eq!(one_pass(&text), has_object && !old_in_settings, "{name}");
            assert_eq!(answer(&text), answer(&repeated), "{name} with {settings}");
        }
    }
}

#[test]
fn unusual_requests_are_refused_as_serde_json_refuses_them() {
    let pod = r#""kind":{"kind":"Pod","group":""},"operation":"CREATE","object":{"spec":{}}"#;
    for (request, expected) in [
        (
            format!(r#"{{{pod},"operation":"UPDATE"}}"#),
            "duplicate field `operation`",
        ),
        (
            r#"{"kind":null,"operation":"CREATE","object":{}}"#.to_string(),
            "invalid type: null",
        ),
        (
            r#"{"kind":{"kind":"Pod","group":5},"operation":"CREATE","object":{}}"#.to_string(),
            "invalid type: integer `5`",
        ),
        (
            format!(r#"{{{pod},"userInfo":{{"username":7}}}}"#),
            "invalid type: integer `7`",
        ),
        (
            format!(r#"{{{pod},"subResource":["x"]}}"#),
            "invalid type: sequence",
        ),
        // The old object is only passed over, but it must still be JSON.
        (
            format!(r#"{{{pod},"oldObject":{{"a":tru}}}}"#),
            "expected ident",
        ),
    ] {
        let payload = format!(r#"{{"request":{request},"settings":{{}}}}"#);
        let message = rejection(owned(evaluate(payload.as_bytes())));
        assert!(
            message.starts_with("the admission request could not be read: ")
                && message.contains(expected),
            "{request}: {message}"
        );
    }
}

/// Keys written with escapes are the same keys (as serde_json reads them), an object that is
/// not an object is refused the same way, and the answers agree with serde_json's reading.
#[test]
fn escaped_keys_and_odd_objects_read_as_serde_json_reads_them() {
    let update = serde_json::to_string(&json!({
        "request": common::fixture("deployment_update_unchanged.json"),
        "settings": {}
    }))
    .unwrap();
    let create = serde_json::to_string(&json!({
        "request": common::fixture("pod_minimal.json"),
        "settings": {}
    }))
    .unwrap();
    let variants = [
        update.replacen(r#""kind":"#, r#""\u006bind":"#, 1),
        update.replacen(r#""oldObject":"#, r#""old\u004fbject":"#, 1),
        create.replacen(r#""operation":"#, r#""\u006fperation":"#, 1),
        create.replacen(r#""object":{"#, r#""object":"a pod","x":{"#, 1),
        create
            .replacen(r#""object":{"#, r#""object":[{"#, 1)
            .replacen(r#"},"oldObject""#, r#"}],"oldObject""#, 1),
    ];
    for (i, text) in variants.iter().enumerate() {
        assert!(
            text != &update && text != &create,
            "variant {i} changed nothing"
        );
        assert!(one_pass(text), "variant {i}");
        assert_eq!(answer(text), answer(&with_repeat(text)), "variant {i}");
    }
    // The escaped names were read as the names: the same answers as the plain payloads.
    assert_eq!(answer(&variants[0]), answer(&update));
    assert_eq!(answer(&variants[1]), answer(&update));
    assert_eq!(answer(&variants[2]), answer(&create));
    for odd in &variants[3..] {
        let message = rejection(owned(evaluate(odd.as_bytes())));
        assert!(message.starts_with("the Pod is not an object"), "{message}");
    }
}
