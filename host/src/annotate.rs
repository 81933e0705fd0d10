//! `annotate`: embed metadata.yml (with the guest's protocol version and the README as usage)
//! in a custom section named `io.kubewarden.metadata`, as `kwctl annotate` does. Every other
//! section is copied byte for byte.

use serde_json::Value;

use crate::engine::{BoxError, Policy};

pub const METADATA_SECTION: &str = "io.kubewarden.metadata";
const WASM_HEADER_LEN: usize = 8;

/// One section of a wasm module: its id and the whole encoded section (id, size, content).
pub struct Section<'a> {
    pub id: u8,
    pub name: Option<String>,
    pub bytes: &'a [u8],
    pub content: &'a [u8],
}

fn read_leb_u32(bytes: &[u8], mut at: usize) -> Result<(u32, usize), BoxError> {
    let mut value: u32 = 0;
    for shift in (0..35).step_by(7) {
        let byte = *bytes.get(at).ok_or("truncated LEB128 number")?;
        at += 1;
        value |= u32::from(byte & 0x7f) << shift;
        if byte & 0x80 == 0 {
            return Ok((value, at));
        }
    }
    Err("LEB128 number too long".into())
}

fn write_leb_u32(out: &mut Vec<u8>, mut value: u32) {
    loop {
        let byte = (value & 0x7f) as u8;
        value >>= 7;
        if value == 0 {
            out.push(byte);
            return;
        }
        out.push(byte | 0x80);
    }
}

/// Splits a module into its sections.
pub fn sections(module: &[u8]) -> Result<Vec<Section<'_>>, BoxError> {
    if module.len() < WASM_HEADER_LEN || &module[..4] != b"\0asm" {
        return Err("not a WebAssembly module".into());
    }
    let mut out = Vec::new();
    let mut at = WASM_HEADER_LEN;
    while at < module.len() {
        let start = at;
        let id = module[at];
        let (size, content_start) = read_leb_u32(module, at + 1)?;
        let end = content_start + size as usize;
        let content = module.get(content_start..end).ok_or("truncated section")?;
        let name = if id == 0 {
            let (len, name_start) = read_leb_u32(module, content_start)?;
            let name = module
                .get(name_start..name_start + len as usize)
                .ok_or("truncated custom section name")?;
            Some(String::from_utf8_lossy(name).into_owned())
        } else {
            None
        };
        out.push(Section {
            id,
            name,
            bytes: &module[start..end],
            content,
        });
        at = end;
    }
    Ok(out)
}

/// The JSON payload of the metadata section, if the module has one.
pub fn read_metadata(module: &[u8]) -> Result<Option<Value>, BoxError> {
    for s in sections(module)? {
        if s.name.as_deref() == Some(METADATA_SECTION) {
            let (len, name_end) = read_leb_u32(s.content, 0)?;
            let payload = &s.content[name_end + len as usize..];
            return Ok(Some(serde_json::from_slice(payload)?));
        }
    }
    Ok(None)
}

/// The module with its metadata section replaced by `metadata`.
pub fn embed(module: &[u8], metadata: &Value) -> Result<Vec<u8>, BoxError> {
    let mut out = module[..WASM_HEADER_LEN].to_vec();
    for s in sections(module)? {
        if s.name.as_deref() != Some(METADATA_SECTION) {
            out.extend_from_slice(s.bytes);
        }
    }
    let payload = serde_json::to_vec(metadata)?;
    let mut content = Vec::new();
    write_leb_u32(&mut content, METADATA_SECTION.len() as u32);
    content.extend_from_slice(METADATA_SECTION.as_bytes());
    content.extend_from_slice(&payload);
    out.push(0);
    write_leb_u32(&mut out, content.len() as u32);
    out.extend_from_slice(&content);
    Ok(out)
}

/// Reads metadata.yml, adds the protocol version and usage, and writes the annotated module.
pub fn annotate(
    metadata_path: &str,
    usage_path: Option<&str>,
    output: &str,
    input: &str,
) -> Result<(), BoxError> {
    let module = std::fs::read(input).map_err(|e| format!("cannot read {input}: {e}"))?;
    let text = std::fs::read_to_string(metadata_path)
        .map_err(|e| format!("cannot read {metadata_path}: {e}"))?;
    let yaml: serde_yaml::Value = serde_yaml::from_str(&text)?;
    let mut metadata: Value = serde_json::to_value(yaml)?;
    let object = metadata
        .as_object_mut()
        .ok_or("metadata.yml must be a map")?;

    let policy = Policy::from_bytes(&module, Default::default())?;
    let version: Value = serde_json::from_slice(&policy.call("protocol_version", b"")?)?;
    object.insert("protocolVersion".into(), version);
    if let Some(usage_path) = usage_path {
        let usage = std::fs::read_to_string(usage_path)
            .map_err(|e| format!("cannot read {usage_path}: {e}"))?;
        let annotations = object
            .entry("annotations")
            .or_insert_with(|| Value::Object(Default::default()));
        if let Some(annotations) = annotations.as_object_mut() {
            annotations.insert("io.kubewarden.policy.usage".into(), Value::String(usage));
        }
    }
    std::fs::write(output, embed(&module, &metadata)?)
        .map_err(|e| format!("cannot write {output}: {e}"))?;
    Ok(())
}
