//! kwhost: an offline stand-in for the parts of `kwctl` this project's tests use — `run`,
//! `annotate` and a `bench` command — built on the same waPC host stack as the Kubewarden
//! policy server.

use std::process::ExitCode;

use serde_json::{Value, json};

use kwhost::admission::{AdmissionResponse, Deployment, ValidationResponse};
use kwhost::callbacks::HostCalls;
use kwhost::engine::{BoxError, Policy, PolicyPre};
use kwhost::manifest::{self, PolicyManifest};
use kwhost::{annotate, bench, request};

const USAGE: &str = "usage:
  kwhost run --request-path FILE [--settings-path FILE | --settings-json JSON]
             [--replay-host-capabilities-interactions FILE] POLICY.wasm | POLICY.yaml
  kwhost bench (same options as run) [--iterations N] [--warmup N] [--fresh] POLICY.wasm
             (--fresh: a new instance per evaluation, as the policy server makes one)
  kwhost answer (same options as run) POLICY.wasm   (the policy's raw waPC answer)
  kwhost annotate -m metadata.yml [-u README.md] -o OUTPUT INPUT.wasm";

/// Options given as `--name value` (or `-n value`), and the positional arguments.
struct Args {
    options: Vec<(String, String)>,
    positional: Vec<String>,
}

/// Flags that take no value (kwctl's are accepted and ignored; `--fresh` is kwhost's).
const SWITCHES: &[&str] = &[
    "--allow-context-aware",
    "--disable-wasmtime-cache",
    "--no-color",
    "--fresh",
];

impl Args {
    fn parse(raw: &[String]) -> Result<Args, BoxError> {
        let mut options = Vec::new();
        let mut positional = Vec::new();
        let mut iter = raw.iter();
        while let Some(arg) = iter.next() {
            if SWITCHES.contains(&arg.as_str()) {
                options.push((arg.clone(), String::new()));
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

/// One policy ready to evaluate a request: `run` and `bench` share it.
struct Evaluation {
    module: String,
    calls: HostCalls,
    policy: Policy,
    request: Value,
    settings: Value,
    deployment: Deployment,
}

impl Evaluation {
    /// The waPC payload of `validate`, as kwctl builds it from the typed request.
    fn payload(&self) -> Result<Vec<u8>, BoxError> {
        Ok(serde_json::to_vec(
            &json!({"request": self.request, "settings": self.settings}),
        )?)
    }
}

fn read_request(args: &Args) -> Result<Value, BoxError> {
    let request_path = args
        .get(&["--request-path", "-r"])
        .ok_or("--request-path is required")?;
    let text = std::fs::read_to_string(request_path)
        .map_err(|e| format!("cannot read {request_path}: {e}"))?;
    let document: Value =
        serde_json::from_str(&text).map_err(|e| format!("{request_path} is not JSON: {e}"))?;
    request::from_document(document)
}

fn read_settings(args: &Args) -> Result<Value, BoxError> {
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
    Ok(if settings.is_null() {
        json!({})
    } else {
        settings
    })
}

/// The policies to evaluate: the module given, with the settings flags; or every policy of a
/// manifest (`.yaml`/`.yml`), each with its own settings and deployment (flags ignored).
fn prepare(args: &Args) -> Result<Vec<Evaluation>, BoxError> {
    let request = read_request(args)?;
    let argument = args.policy()?;
    let policies = if manifest::is_manifest(argument) {
        manifest::read(argument)?
    } else {
        vec![PolicyManifest {
            module: argument.to_string(),
            settings: read_settings(args)?,
            deployment: Deployment::default(),
        }]
    };
    let calls = match args.get(&["--replay-host-capabilities-interactions"]) {
        Some(path) => {
            Some(std::fs::read_to_string(path).map_err(|e| format!("cannot read {path}: {e}"))?)
        }
        None => None,
    };
    let mut evaluations = Vec::new();
    for p in policies {
        if p.module.contains("://") && !p.module.starts_with("file://") {
            return Err(format!(
                "kwhost runs local modules only, not {}: use a file:// URI",
                p.module
            )
            .into());
        }
        let calls = match &calls {
            Some(session) => HostCalls::from_session(session)?,
            None => HostCalls::default(),
        };
        let policy = Policy::load(&p.module, calls.clone())?;
        policy.call("protocol_version", b"")?;
        let answer: Value = serde_json::from_slice(
            &policy.call("validate_settings", &serde_json::to_vec(&p.settings)?)?,
        )?;
        if answer.get("valid") != Some(&Value::Bool(true)) {
            let message = answer.get("message").and_then(Value::as_str).unwrap_or("");
            return Err(format!("Provided settings are not valid: {message}").into());
        }
        evaluations.push(Evaluation {
            module: p.module,
            calls,
            policy,
            request: request.clone(),
            settings: p.settings,
            deployment: p.deployment,
        });
    }
    Ok(evaluations)
}

/// Prints one AdmissionResponse line per policy, as kwctl does.
fn run(args: &Args) -> Result<(), BoxError> {
    for e in prepare(args)? {
        let uid = e.request.get("uid").and_then(Value::as_str).unwrap_or("");
        let response = match e.policy.call("validate", &e.payload()?) {
            Ok(bytes) => match serde_json::from_slice::<ValidationResponse>(&bytes) {
                Ok(answer) => AdmissionResponse::from_policy(uid, e.request.get("object"), answer),
                Err(err) => AdmissionResponse::internal_error(
                    uid,
                    &format!("invalid response from policy: {err}"),
                ),
            },
            Err(err) => AdmissionResponse::internal_error(uid, &err.to_string()),
        };
        println!(
            "{}",
            serde_json::to_string(&response.deployed(&e.deployment))?
        );
    }
    Ok(())
}

/// The first policy's evaluation (bench and answer take one policy).
fn single(args: &Args) -> Result<Evaluation, BoxError> {
    prepare(args)?
        .into_iter()
        .next()
        .ok_or_else(|| "no policy to evaluate".into())
}

/// The policy's own answer (the waPC ValidationResponse), before kwctl turns it into an
/// AdmissionResponse: what an answer-only baseline must return to cost the engine the same.
fn answer(args: &Args) -> Result<(), BoxError> {
    let e = single(args)?;
    let bytes = e.policy.call("validate", &e.payload()?)?;
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
    let e = single(args)?;
    let payload = e.payload()?;
    let before = bench::peak_rss_kib();
    let summary = if args.get(&["--fresh"]).is_some() {
        let pre = PolicyPre::load(&e.module, e.calls.clone())?;
        bench::measure_fresh(&pre, &payload, warmup, iterations)?
    } else {
        bench::measure(&e.policy, &payload, warmup, iterations)?
    };
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
            eprintln!("Error: {e}");
            ExitCode::FAILURE
        }
    }
}
