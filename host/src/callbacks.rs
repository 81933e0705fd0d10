//! Answers to the policy's host calls: its log lines (printed on stderr, as kwctl does) and
//! host capabilities replayed from a kwctl session file.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};

use serde::Deserialize;

use crate::engine::BoxError;

/// One recorded host-capability exchange, in kwctl's session format.
#[derive(Deserialize, Debug)]
#[serde(tag = "type")]
pub enum SessionEntry {
    Exchange {
        request: String,
        response: ReplayResponse,
    },
}

#[derive(Deserialize, Debug, Clone)]
#[serde(tag = "type")]
pub enum ReplayResponse {
    Success { payload: String },
    Error { message: String },
}

#[derive(Clone, Default)]
pub struct HostCalls {
    replay: Arc<Mutex<VecDeque<(serde_yaml::Value, ReplayResponse)>>>,
}

impl HostCalls {
    /// Reads a kwctl `--replay-host-capabilities-interactions` file.
    pub fn from_session(text: &str) -> Result<HostCalls, BoxError> {
        let entries: Vec<SessionEntry> =
            serde_yaml::from_str(text).map_err(|e| format!("cannot read the session file: {e}"))?;
        let mut queue = VecDeque::new();
        for SessionEntry::Exchange { request, response } in entries {
            let request: serde_yaml::Value = serde_yaml::from_str(&request)
                .map_err(|e| format!("cannot read a recorded request: {e}"))?;
            queue.push_back((request, response));
        }
        Ok(HostCalls {
            replay: Arc::new(Mutex::new(queue)),
        })
    }

    pub fn answer(
        &self,
        binding: &str,
        ns: &str,
        op: &str,
        payload: &[u8],
    ) -> Result<Vec<u8>, BoxError> {
        if binding == "kubewarden" && ns == "tracing" && op == "log" {
            eprintln!("{}", String::from_utf8_lossy(payload));
            return Ok(Vec::new());
        }
        let asked = request_of(binding, ns, op, payload)?;
        let mut queue = self.replay.lock().map_err(|_| "replay state poisoned")?;
        let show = |v: &serde_yaml::Value| {
            serde_yaml::to_string(v)
                .unwrap_or_default()
                .trim()
                .replace('\n', " ")
        };
        let Some((recorded, response)) = queue.pop_front() else {
            return Err(format!("no recorded answer for host call {}", show(&asked)).into());
        };
        if recorded != asked {
            return Err(format!(
                "host call {} does not match the next recorded request {}",
                show(&asked),
                show(&recorded)
            )
            .into());
        }
        match response {
            ReplayResponse::Success { payload } => Ok(payload.into_bytes()),
            ReplayResponse::Error { message } => Err(message.into()),
        }
    }
}

/// The host call as kwctl records it: a YAML value tagged with the request type.
fn request_of(
    binding: &str,
    ns: &str,
    op: &str,
    payload: &[u8],
) -> Result<serde_yaml::Value, BoxError> {
    let tag = match (binding, ns, op) {
        ("kubewarden", "oci", "v1/manifest_digest") => "OciManifestDigest",
        ("kubewarden", "oci", "v1/oci_manifest") => "OciManifest",
        ("kubewarden", "oci", "v1/oci_manifest_config") => "OciManifestAndConfig",
        _ => {
            return Err(format!(
                "host call {binding}/{ns}/{op} is not supported by this test host"
            )
            .into());
        }
    };
    let image: String = serde_json::from_slice(payload)
        .map_err(|e| format!("{tag}: the payload is not an image name: {e}"))?;
    let mut fields = serde_yaml::Mapping::new();
    fields.insert("image".into(), image.into());
    Ok(serde_yaml::Value::Tagged(Box::new(
        serde_yaml::value::TaggedValue {
            tag: serde_yaml::value::Tag::new(tag),
            value: serde_yaml::Value::Mapping(fields),
        },
    )))
}
