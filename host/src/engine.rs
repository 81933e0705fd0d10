//! Loading a policy through the waPC host stack the Kubewarden policy server uses
//! (`wapc` + `wasmtime-provider`, with WASI) and calling its exported operations.

use std::error::Error;
use std::path::Path;

use wapc::WapcHost;
use wasmtime_provider::{
    WasmtimeEngineProvider, WasmtimeEngineProviderBuilder, WasmtimeEngineProviderPre,
};

use crate::callbacks::HostCalls;

pub type BoxError = Box<dyn Error + Send + Sync>;

pub struct Policy {
    host: WapcHost,
}

impl Policy {
    /// Compiles the module at `path` (a plain path or a `file://` URI).
    pub fn load(path: &str, calls: HostCalls) -> Result<Policy, BoxError> {
        Self::from_bytes(&read_module(path)?, calls)
    }

    pub fn from_bytes(bytes: &[u8], calls: HostCalls) -> Result<Policy, BoxError> {
        let engine = builder(bytes)
            .build()
            .map_err(|e| format!("cannot load the policy: {e}"))?;
        Self::start(engine, calls)
    }

    /// Runs `wapc_init` on a loaded engine, answering host calls from `calls`.
    fn start(engine: WasmtimeEngineProvider, calls: HostCalls) -> Result<Policy, BoxError> {
        let callback = move |_id: u64, binding: &str, ns: &str, op: &str, payload: &[u8]| {
            calls.answer(binding, ns, op, payload)
        };
        let host = WapcHost::new(Box::new(engine), Some(Box::new(callback)))
            .map_err(|e| format!("cannot start the policy: {e}"))?;
        Ok(Policy { host })
    }

    /// Calls the guest's `op`. A trap or a guest error comes back as `Err`, never a crash.
    pub fn call(&self, op: &str, payload: &[u8]) -> Result<Vec<u8>, BoxError> {
        self.host
            .call(op, payload)
            .map_err(|e| e.to_string().into())
    }
}

/// A compiled module from which each evaluation gets a fresh instance, as the policy server
/// evaluates (it rehydrates a pre-instantiated module per request): no state survives a call.
pub struct PolicyPre {
    pre: WasmtimeEngineProviderPre,
    calls: HostCalls,
}

impl PolicyPre {
    pub fn load(path: &str, calls: HostCalls) -> Result<PolicyPre, BoxError> {
        let pre = builder(&read_module(path)?)
            .build_pre()
            .map_err(|e| format!("cannot load the policy: {e}"))?;
        Ok(PolicyPre { pre, calls })
    }

    /// A new instance, initialised (`wapc_init` has run).
    pub fn instance(&self) -> Result<Policy, BoxError> {
        let engine = self
            .pre
            .rehydrate(None)
            .map_err(|e| format!("cannot instantiate the policy: {e}"))?;
        Policy::start(engine, self.calls.clone())
    }
}

/// The module at `path` (a plain path or a `file://` URI).
fn read_module(path: &str) -> Result<Vec<u8>, BoxError> {
    let path = path.strip_prefix("file://").unwrap_or(path);
    Ok(std::fs::read(Path::new(path)).map_err(|e| format!("cannot read policy {path}: {e}"))?)
}

/// The engine as the policy server configures it for a waPC policy: WASI, default parameters.
/// With `KWHOST_PERFMAP` set, the same default configuration also writes
/// `/tmp/perf-<pid>.map`, naming the compiled wasm functions (for `bench/profile.sh`).
fn builder(bytes: &[u8]) -> WasmtimeEngineProviderBuilder<'_> {
    let builder = WasmtimeEngineProviderBuilder::new()
        .module_bytes(bytes)
        .wasi_params(wapc::WasiParams::default());
    if std::env::var_os("KWHOST_PERFMAP").is_none() {
        return builder;
    }
    let mut config = wasmtime::Config::default();
    config.profiler(wasmtime::ProfilingStrategy::PerfMap);
    match wasmtime::Engine::new(&config) {
        Ok(engine) => builder.engine(engine),
        Err(e) => {
            eprintln!("KWHOST_PERFMAP: no profiling engine ({e}); using the default one");
            builder
        }
    }
}
