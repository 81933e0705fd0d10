//! Shared by the host's tests: where the compiled policy and the fixtures are, and how to run
//! the `kwhost` binary.
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::{Command, Output};

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// The compiled policy: `$POLICY_WASM`, or `policy.wasm` at the repository root
/// (`make policy.wasm` builds it).
pub fn policy_wasm() -> PathBuf {
    let path = std::env::var_os("POLICY_WASM")
        .map(PathBuf::from)
        .unwrap_or_else(|| repo().join("policy.wasm"));
    assert!(
        path.exists(),
        "{} is missing: run `make policy.wasm` first",
        path.display()
    );
    path
}

pub fn test_data(name: &str) -> PathBuf {
    repo().join("test_data").join(name)
}

pub fn kwhost(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kwhost"))
        .args(args)
        .output()
        .expect("kwhost runs")
}

/// `kwhost bench` of the policy on the fixture `request` (one reused instance): its report.
pub fn bench_text(request: &str, iterations: usize, warmup: usize) -> String {
    let request = test_data(request);
    let out = kwhost(&[
        "bench",
        "-r",
        request.to_str().unwrap(),
        "--iterations",
        &iterations.to_string(),
        "--warmup",
        &warmup.to_string(),
        policy_wasm().to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

pub fn stdout_json(out: &Output) -> serde_json::Value {
    assert!(
        out.status.success(),
        "kwhost failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

pub fn temp_file(name: &str, contents: &[u8]) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kwhost-tests-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, contents).unwrap();
    path
}
