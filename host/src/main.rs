fn main() {
    let _ = wasmtime_provider::WasmtimeEngineProviderBuilder::new();
}
