//! Pins kwhost's kwctl-compatible output: the patch, the settings error, the replay of host
//! capabilities, the annotation, and errors of a broken guest.

mod common;

use common::*;
use kwhost::annotate::{METADATA_SECTION, read_metadata, sections};
use kwhost::callbacks::HostCalls;
use kwhost::engine::Policy;
use serde_json::{Value, json};
use std::path::Path;
use std::process::Output;

/// `kwhost run` of `wasm` on the request at `request`, with `extra` flags.
fn run_wasm(wasm: &Path, request: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["run", "--request-path", request.to_str().unwrap()];
    args.extend_from_slice(extra);
    args.push(wasm.to_str().unwrap());
    kwhost(&args)
}

/// The policy's answer to a fixture.
fn run(request: &str, extra: &[&str]) -> Value {
    stdout_json(&run_wasm(&policy_wasm(), &test_data(request), extra))
}

#[test]
fn a_known_mutation_gives_the_expected_base64_json_patch() {
    let response = run("pod_ephemeral_debug.json", &[]);
    let request: Value =
        serde_json::from_slice(&std::fs::read(test_data("pod_ephemeral_debug.json")).unwrap())
            .unwrap();
    assert_eq!(response["uid"], request["uid"]);
    assert_eq!(response["allowed"], json!(true));
    assert_eq!(response["patchType"], json!("JSONPatch"));
    assert_eq!(
        response["patch"],
        json!(
            "W3sib3AiOiJhZGQiLCJwYXRoIjoiL3NwZWMvZXBoZW1lcmFsQ29udGFpbmVycy8xL2VudiIsInZhbHVlIjpbeyJuYW1lIjoiSE9NRSIsInZhbHVlIjoiL2hvbWUvbm9ib2R5In1dfSx7Im9wIjoiYWRkIiwicGF0aCI6Ii9zcGVjL2VwaGVtZXJhbENvbnRhaW5lcnMvMS9zZWN1cml0eUNvbnRleHQiLCJ2YWx1ZSI6eyJhbGxvd1ByaXZpbGVnZUVzY2FsYXRpb24iOmZhbHNlLCJjYXBhYmlsaXRpZXMiOnsiZHJvcCI6WyJBTEwiXX0sInJlYWRPbmx5Um9vdEZpbGVzeXN0ZW0iOnRydWV9fV0="
        )
    );
    assert!(response.get("status").is_none());
    // readOnlyRootFilesystem, allowPrivilegeEscalation, capabilities.drop, env HOME.
    assert_eq!(response["warnings"].as_array().unwrap().len(), 4);
    assert!(response["warnings"].as_array().unwrap().contains(&json!(
        "agent-hardening added env HOME=/home/nobody to ephemeral debugger-k7x2p"
    )));
}

#[test]
fn a_rejection_has_status_message_and_code() {
    let response = run("pod_run_as_root.json", &[]);
    assert_eq!(response["allowed"], json!(false));
    assert_eq!(response["status"]["code"], json!(400));
    assert_eq!(
        response["status"]["message"],
        json!(
            "agent pod hardening: 1 problem found\n- spec.securityContext.runAsUser: found 0, allowed a non-root user id: 65534"
        )
    );
    assert!(response.get("patch").is_none());
}

#[test]
fn invalid_settings_give_kwctls_message_and_fail() {
    let request = test_data("pod_minimal.json");
    let wasm = policy_wasm();
    let out = kwhost(&[
        "run",
        "-r",
        request.to_str().unwrap(),
        "--settings-json",
        r#"{"mode":"x"}"#,
        wasm.to_str().unwrap(),
    ]);
    assert!(!out.status.success());
    assert!(out.stdout.is_empty());
    assert_eq!(
        String::from_utf8_lossy(&out.stderr),
        "Error: Provided settings are not valid: mode: found \"x\", allowed mutate or validate\n"
    );
}

#[test]
fn settings_path_reads_yaml_and_json() {
    let yaml = temp_file("settings.yaml", b"mode: validate\n");
    let response = run(
        "pod_minimal.json",
        &["--settings-path", yaml.to_str().unwrap()],
    );
    assert_eq!(response["allowed"], json!(false));
}

#[test]
fn an_admission_review_is_read_through_its_request() {
    let request: Value =
        serde_json::from_slice(&std::fs::read(test_data("pod_run_as_root.json")).unwrap()).unwrap();
    let review =
        json!({"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview", "request": request});
    let path = temp_file("review.json", &serde_json::to_vec(&review).unwrap());
    let wasm = policy_wasm();
    let response = stdout_json(&run_wasm(&wasm, &path, &[]));
    assert_eq!(response["uid"], request["uid"]);
    assert_eq!(response["allowed"], json!(false));
}

#[test]
fn a_replayed_oci_answer_reaches_the_guest() {
    let enforce = r#"{"imageUserCheck":"enforce"}"#;
    let root = test_data("sessions/image_runs_as_root.yml");
    let response = run(
        "pod_compliant.json",
        &[
            "--settings-json",
            enforce,
            "--replay-host-capabilities-interactions",
            root.to_str().unwrap(),
        ],
    );
    assert_eq!(response["allowed"], json!(false));
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("ghcr.io/example/agent:1.4.2 sets no USER")
    );

    let nobody = test_data("sessions/image_runs_as_nobody.yml");
    let response = run(
        "pod_compliant.json",
        &[
            "--settings-json",
            enforce,
            "--replay-host-capabilities-interactions",
            nobody.to_str().unwrap(),
        ],
    );
    assert_eq!(response["allowed"], json!(true));

    // No recorded answer: an error for the guest, which fails closed.
    let response = run("pod_compliant.json", &["--settings-json", enforce]);
    let message = response["status"]["message"].as_str().unwrap();
    assert!(message.contains("no recorded answer for host call !OciManifestAndConfig image: ghcr.io/example/agent:1.4.2"), "{message}");
}

#[test]
fn an_error_answer_in_the_session_reaches_the_guest() {
    let session = temp_file(
        "error-session.yml",
        b"- type: Exchange\n  request: |\n    !OciManifestAndConfig\n    image: ghcr.io/example/agent:1.4.2\n  response:\n    type: Error\n    message: registry said no\n",
    );
    let response = run(
        "pod_compliant.json",
        &[
            "--settings-json",
            r#"{"imageUserCheck":"enforce"}"#,
            "--replay-host-capabilities-interactions",
            session.to_str().unwrap(),
        ],
    );
    assert!(
        response["status"]["message"]
            .as_str()
            .unwrap()
            .contains("registry said no")
    );
}

#[test]
fn annotation_embeds_metadata_and_keeps_the_code() {
    let wasm = policy_wasm();
    let out_path = std::env::temp_dir().join(format!("annotated-{}.wasm", std::process::id()));
    let metadata = repo().join("metadata.yml");
    let readme = repo().join("README.md");
    let out = kwhost(&[
        "annotate",
        "-m",
        metadata.to_str().unwrap(),
        "-u",
        readme.to_str().unwrap(),
        "-o",
        out_path.to_str().unwrap(),
        wasm.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let original = std::fs::read(&wasm).unwrap();
    let annotated = std::fs::read(&out_path).unwrap();

    let meta = read_metadata(&annotated)
        .unwrap()
        .expect("metadata section");
    assert_eq!(meta["protocolVersion"], json!("v1"));
    assert_eq!(meta["mutating"], json!(true));
    assert_eq!(meta["executionMode"], json!("kubewarden-wapc"));
    assert_eq!(meta["rules"][0]["resources"], json!(["pods"]));
    assert_eq!(meta["rules"].as_array().unwrap().len(), 7);
    assert_eq!(meta["backgroundAudit"], json!(true));
    for key in [
        "io.kubewarden.policy.title",
        "io.kubewarden.policy.version",
        "io.artifacthub.displayName",
    ] {
        assert!(meta["annotations"][key].is_string(), "{key}");
    }
    assert_eq!(
        meta["annotations"]["io.kubewarden.policy.usage"]
            .as_str()
            .unwrap(),
        std::fs::read_to_string(&readme).unwrap()
    );

    let code = |module: &[u8]| -> Vec<Vec<u8>> {
        sections(module)
            .unwrap()
            .into_iter()
            .filter(|s| s.name.as_deref() != Some(METADATA_SECTION))
            .map(|s| s.bytes.to_vec())
            .collect()
    };
    assert_eq!(code(&original), code(&annotated));
    assert_eq!(&annotated[..8], &original[..8]);
    // Annotating again replaces the section instead of adding a second one.
    let again = kwhost::annotate::embed(&annotated, &json!({"x": 1})).unwrap();
    let named: Vec<_> = sections(&again)
        .unwrap()
        .into_iter()
        .filter(|s| s.name.as_deref() == Some(METADATA_SECTION))
        .collect();
    assert_eq!(named.len(), 1);
    // The annotated module still runs.
    let policy = Policy::load(out_path.to_str().unwrap(), HostCalls::default()).unwrap();
    assert_eq!(policy.call("protocol_version", b"").unwrap(), b"\"v1\"");
}

/// A module whose `__guest_call` executes `unreachable`: every call traps.
fn trapping_module() -> Vec<u8> {
    let mut m = b"\0asm\x01\0\0\0".to_vec();
    m.extend_from_slice(&[0x01, 0x07, 0x01, 0x60, 0x02, 0x7f, 0x7f, 0x01, 0x7f]); // type (i32,i32)->i32
    m.extend_from_slice(&[0x03, 0x02, 0x01, 0x00]); // one function of that type
    m.extend_from_slice(&[0x05, 0x03, 0x01, 0x00, 0x01]); // one page of memory
    let mut exports = vec![0x02, 0x06];
    exports.extend_from_slice(b"memory");
    exports.extend_from_slice(&[0x02, 0x00, 0x0c]);
    exports.extend_from_slice(b"__guest_call");
    exports.extend_from_slice(&[0x00, 0x00]);
    m.push(0x07);
    m.push(exports.len() as u8);
    m.extend_from_slice(&exports);
    m.extend_from_slice(&[0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b]); // body: unreachable
    m
}

#[test]
fn a_guest_trap_is_an_error_not_a_crash() {
    let policy =
        Policy::from_bytes(&trapping_module(), HostCalls::default()).expect("module loads");
    let err = policy.call("validate", b"{}").unwrap_err();
    assert!(!err.to_string().is_empty());
}

#[test]
fn a_trapping_policy_gives_an_error_response() {
    // `run` asks protocol_version and validate_settings first; those trap too, so the command
    // fails with a message instead of crashing.
    let wasm = temp_file("trap.wasm", &trapping_module());
    let request = test_data("pod_minimal.json");
    let out = run_wasm(&wasm, &request, &[]);
    assert!(!out.status.success());
    assert!(out.status.code().is_some(), "killed by a signal");
    assert!(!out.stderr.is_empty());
}

/// A waPC guest in WAT that answers `protocol_version` ("v1") and `validate_settings`
/// (valid) itself, and runs `validate_body` for `validate`. The host passes the operation's
/// length: 8 is "validate", 16 "protocol_version". `imports` and `data` are spliced in; offsets
/// below 64 are taken.
fn wapc_guest(imports: &str, data: &str, validate_body: &str) -> String {
    format!(
        r#"
(module
  (import "wapc" "__guest_response" (func $respond (param i32 i32)))
  {imports}
  (memory (export "memory") 1)
  (data (i32.const 0) "\"v1\"")
  (data (i32.const 16) "{{\"valid\":true}}")
  {data}
  (func (export "__guest_call") (param $op_len i32) (param $msg_len i32) (result i32)
    (if (i32.eq (local.get $op_len) (i32.const 8)) (then {validate_body}))
    (if (i32.eq (local.get $op_len) (i32.const 16))
      (then (call $respond (i32.const 0) (i32.const 4)) (return (i32.const 1))))
    (call $respond (i32.const 16) (i32.const 14))
    (i32.const 1)))
"#
    )
}

#[test]
fn a_trap_during_validate_becomes_an_internal_error_response() {
    let guest = wapc_guest("", "", "unreachable");
    let wasm = temp_file("traps-in-validate.wat", guest.as_bytes());
    let request = test_data("pod_minimal.json");
    let out = run_wasm(&wasm, &request, &[]);
    let response = stdout_json(&out);
    let uid: Value =
        serde_json::from_slice::<Value>(&std::fs::read(&request).unwrap()).unwrap()["uid"].clone();
    assert_eq!(response["uid"], uid);
    assert_eq!(response["allowed"], json!(false));
    assert_eq!(response["status"]["code"], json!(500));
    let message = response["status"]["message"].as_str().unwrap();
    assert!(
        // The call itself failed (a trap), not the reading of an answer.
        message.starts_with("internal server error: Guest call failure"),
        "{message}"
    );
}

/// `validate` logs through `kubewarden/tracing/log`, as the SDK's logger does, then accepts.
const LOG_IMPORT: &str = r#"(import "wapc" "__host_call"
    (func $host_call (param i32 i32 i32 i32 i32 i32 i32 i32) (result i32)))"#;
const LOG_DATA: &str = r#"(data (i32.const 64) "kubewarden")
  (data (i32.const 80) "tracing")
  (data (i32.const 96) "log")
  (data (i32.const 128) "{\"level\":\"info\",\"message\":\"hello from the guest\"}")
  (data (i32.const 256) "{\"accepted\":true}")"#;
const LOG_THEN_ACCEPT: &str = r#"
    (drop (call $host_call (i32.const 64) (i32.const 10) (i32.const 80) (i32.const 7)
                           (i32.const 96) (i32.const 3) (i32.const 128) (i32.const 49)))
    (call $respond (i32.const 256) (i32.const 17))
    (return (i32.const 1))"#;

#[test]
fn the_guests_log_calls_are_answered_and_printed_on_stderr() {
    let guest = wapc_guest(LOG_IMPORT, LOG_DATA, LOG_THEN_ACCEPT);
    let wasm = temp_file("logs-in-validate.wat", guest.as_bytes());
    let request = test_data("pod_minimal.json");
    let out = run_wasm(&wasm, &request, &[]);
    let response = stdout_json(&out);
    assert_eq!(response["allowed"], json!(true));
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains(r#"{"level":"info","message":"hello from the guest"}"#),
        "{stderr}"
    );
}

#[test]
fn bench_prints_its_numbers() {
    let text = bench_text("pod_minimal.json", 20, 2);
    assert!(text.contains("evaluations: 20"), "{text}");
    assert!(text.contains("per evaluation: min "), "{text}");
    assert!(text.contains("evaluations per second: "), "{text}");
}

#[test]
fn answer_prints_the_policys_own_wapc_response() {
    let request = test_data("pod_minimal.json");
    let out = kwhost(&[
        "answer",
        "--request-path",
        request.to_str().unwrap(),
        policy_wasm().to_str().unwrap(),
    ]);
    let answer = stdout_json(&out);
    // The ValidationResponse, not kwctl's AdmissionResponse: the mutated object itself.
    assert_eq!(answer["accepted"], json!(true));
    assert_eq!(
        answer["mutated_object"]["spec"]["securityContext"]["runAsUser"],
        json!(65534)
    );
    assert!(answer.get("patch").is_none());
}
