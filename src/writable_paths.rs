//! Writable paths and emptyDir size limits (filled in by the writable-paths work).

use serde_json::{Map, Value};

use crate::fields::Ctx;
use crate::pod_spec::Location;

pub fn check(
    _ctx: &mut Ctx<'_>,
    _spec: &mut Map<String, Value>,
    _metadata: Option<&Value>,
    _at: &Location<'_>,
) {
}
