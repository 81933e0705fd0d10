//! kwhost: an offline stand-in for the parts of `kwctl` this project's tests use — `run`,
//! `annotate` and a `bench` command — built on the same waPC host stack as the Kubewarden
//! policy server.

use std::process::ExitCode;

use serde_json::{Value, json};

use kwhost::admission::{AdmissionResponse, ValidationResponse};
use kwhost::callbacks::HostCalls;
use kwhost::engine::{BoxError, Policy};
use kwhost::{annotate, bench};

const USAGE: &str = "usage:
  kwhost run --request-path FILE [--settings-path FILE | --settings-json JSON]
             [--replay-host-capabilities-interactions FILE] POLICY.wasm
  kwhost bench (same options as run) [--iterations N] [--warmup N] POLICY.wasm
  kwhost answer (same options as run) POLICY.wasm   (the policy's raw waPC answer)
  kwhost annotate -m metadata.yml [-u README.md] -o OUTPUT INPUT.wasm";

/// Options given as `--name value` (or `-n value`), and the positional arguments.
struct Args {
    options: Vec<(String, String)>,
    positional: Vec<String>,
}

/// kwctl flags that take no value; accepted and ignored here.
const SWITCHES: &[&str] = &[
    "--allow-context-aware",
    "--disable-wasmtime-cache",
    "--no-color",
];

impl Args {
    fn parse(raw: &[String]) -> Result<Args, BoxError> {
        let mut options = Vec::new();
        let mut positional = Vec::new();
        let mut iter = raw.iter();
        while let Some(arg) = iter.next() {
            if SWITCHES.contains(&arg.as_str()) {
                continue;
            }
            if let Some((name, value)) = arg.split_once('=').filter(|_| arg.starts_with("--")) {
                options.push((name.to_string(), value.to_string()));
            } else if arg.starts_with('-') && arg.len() > 1 {
                let value = iter.next().ok_or_else(|| format!("{arg} needs a value"))?;
                options.push((arg.clone(), value.clone()));
            } else {
                positional.push(arg.clone());
            }
        }
        Ok(Args {
            options,
            positional,
        })
    }

    fn get(&self, names: &[&str]) -> Option<&str> {
        self.options
            .iter()
            .rev()
            .find(|(n, _)| names.contains(&n.as_str()))
            .map(|(_, v)| v.as_str())
    }

    fn policy(&self) -> Result<&str, BoxError> {
        match self.positional.as_slice() {
            [one] => Ok(one),
            _ => Err(format!("expected exactly one policy file\n{USAGE}").into()),
        }
    }
}

/// The pieces `run` and `bench` share.
struct Evaluation {
    policy: Policy,
    request: Value,
    settings: Value,
}

fn prepare(args: &Args) -> Result<Evaluation, BoxError> {
    let request_path = args
        .get(&["--request-path", "-r"])
        .ok_or("--request-path is required")?;
    let text = std::fs::read_to_string(request_path)
        .map_err(|e| format!("cannot read {request_path}: {e}"))?;
    let mut request: Value =
        serde_json::from_str(&text).map_err(|e| format!("{request_path} is not JSON: {e}"))?;
    if let Some(inner) = request.get_mut("request") {
        request = inner.take();
    }
    let settings = match (
        args.get(&["--settings-path"]),
        args.get(&["--settings-json"]),
    ) {
        (Some(path), _) => {
            let text =
                std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?;
            let yaml: serde_yaml::Value = serde_yaml::from_str(&text)?;
            serde_json::to_value(yaml)?
        }
        (None, Some(json)) => {
            serde_json::from_str(json).map_err(|e| format!("--settings-json: {e}"))?
        }
        (None, None) => json!({}),
    };
    let settings = if settings.is_null() {
        json!({})
    } else {
        settings
    };
    let calls = match args.get(&["--replay-host-capabilities-interactions"]) {
        Some(path) => HostCalls::from_session(
            &std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?,
        )?,
        None => HostCalls::default(),
    };
    let policy = Policy::load(args.policy()?, calls)?;
    policy.call("protocol_version", b"")?;
    let answer: Value = serde_json::from_slice(
        &policy.call("validate_settings", &serde_json::to_vec(&settings)?)?,
    )?;
    if answer.get("valid") != Some(&Value::Bool(true)) {
        let message = answer.get("message").and_then(Value::as_str).unwrap_or("");
        return Err(format!("Provided settings are not valid: {message}").into());
    }
    Ok(Evaluation {
        policy,
        request,
        settings,
    })
}

fn run(args: &Args) -> Result<(), BoxError> {
    let e = prepare(args)?;
    let payload = serde_json::to_vec(&json!({"request": e.request, "settings": e.settings}))?;
    let uid = e.request.get("uid").and_then(Value::as_str).unwrap_or("");
    let response = match e.policy.call("validate", &payload) {
        Ok(bytes) => match serde_json::from_slice::<ValidationResponse>(&bytes) {
            Ok(answer) => {
                let original = e.request.get("object").cloned().unwrap_or(Value::Null);
                AdmissionResponse::from_policy(uid, &original, answer)
            }
            Err(err) => {
                AdmissionResponse::internal_error(uid, &format!("unreadable response: {err}"))
            }
        },
        Err(err) => AdmissionResponse::internal_error(uid, &err.to_string()),
    };
    println!("{}", serde_json::to_string(&response)?);
    Ok(())
}

/// The policy's own answer (the waPC ValidationResponse), before kwctl turns it into an
/// AdmissionResponse: what an answer-only baseline must return to cost the engine the same.
fn answer(args: &Args) -> Result<(), BoxError> {
    let e = prepare(args)?;
    let payload = serde_json::to_vec(&json!({"request": e.request, "settings": e.settings}))?;
    let bytes = e.policy.call("validate", &payload)?;
    println!("{}", String::from_utf8(bytes)?);
    Ok(())
}

fn bench(args: &Args) -> Result<(), BoxError> {
    let number = |names: &[&str], default: usize| -> Result<usize, BoxError> {
        match args.get(names) {
            Some(n) => n
                .parse()
                .map_err(|_| format!("{} takes a number", names[0]).into()),
            None => Ok(default),
        }
    };
    let iterations = number(&["--iterations"], 2000)?;
    let warmup = number(&["--warmup"], 200)?;
    let e = prepare(args)?;
    let payload = serde_json::to_vec(&json!({"request": e.request, "settings": e.settings}))?;
    let before = bench::peak_rss_kib();
    let summary = bench::measure(&e.policy, &payload, warmup, iterations)?;
    bench::print(&summary, iterations);
    if let (Some(before), Some(after)) = (before, bench::peak_rss_kib()) {
        // Growth during the evaluations: the guest's memory plus the host's per-call buffers.
        println!(
            "peak RSS: {after} KiB ({} KiB growth during the evaluations)",
            after.saturating_sub(before)
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    let raw: Vec<String> = std::env::args().skip(1).collect();
    let Some((command, rest)) = raw.split_first() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    let result = Args::parse(rest).and_then(|args| match command.as_str() {
        "run" => run(&args),
        "bench" => bench(&args),
        "answer" => answer(&args),
        "annotate" => {
            let metadata = args
                .get(&["-m", "--metadata-path"])
                .ok_or("-m metadata.yml is required")?;
            let output = args
                .get(&["-o", "--output-path"])
                .ok_or("-o OUTPUT is required")?;
            let usage = args.get(&["-u", "--usage-path"]);
            annotate::annotate(metadata, usage, output, args.policy()?)
        }
        other => Err(format!("unknown command {other}\n{USAGE}").into()),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("{e}");
            ExitCode::FAILURE
        }
    }
}
