//! Field paths for messages (`spec.initContainers[1].securityContext.runAsUser`), built on the
//! stack as the walk descends and written out only when a message needs one, so a compliant
//! pod costs no string formatting.

use std::fmt;

#[derive(Clone, Copy)]
enum Segment<'a> {
    /// The start, already dotted: `spec`, `spec.template.spec`.
    Root(&'a str),
    /// `.key`
    Key(&'a str),
    /// `[3]`
    Index(usize),
    /// `[key]`, for map keys that contain dots (labels, annotations).
    MapKey(&'a str),
}

#[derive(Clone, Copy)]
pub struct FieldPath<'a> {
    parent: Option<&'a FieldPath<'a>>,
    segment: Segment<'a>,
}

impl<'a> FieldPath<'a> {
    pub const fn root(path: &'a str) -> Self {
        FieldPath {
            parent: None,
            segment: Segment::Root(path),
        }
    }

    pub fn key(&'a self, key: &'a str) -> FieldPath<'a> {
        self.child(Segment::Key(key))
    }

    pub fn index(&'a self, index: usize) -> FieldPath<'a> {
        self.child(Segment::Index(index))
    }

    pub fn map_key(&'a self, key: &'a str) -> FieldPath<'a> {
        self.child(Segment::MapKey(key))
    }

    fn child(&'a self, segment: Segment<'a>) -> FieldPath<'a> {
        FieldPath {
            parent: Some(self),
            segment,
        }
    }
}

impl fmt::Display for FieldPath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some(parent) = self.parent {
            parent.fmt(f)?;
        }
        match self.segment {
            Segment::Root(path) => f.write_str(path),
            Segment::Key(key) => write!(f, ".{key}"),
            Segment::Index(i) => write!(f, "[{i}]"),
            Segment::MapKey(key) => write!(f, "[{key}]"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::FieldPath;

    #[test]
    fn paths_read_as_kubectl_explain_writes_them() {
        let spec = FieldPath::root("spec.template.spec");
        let list = spec.key("initContainers");
        let c = list.index(1);
        let sc = c.key("securityContext");
        assert_eq!(
            sc.key("runAsUser").to_string(),
            "spec.template.spec.initContainers[1].securityContext.runAsUser"
        );
        let meta = FieldPath::root("metadata");
        let labels = meta.key("labels");
        assert_eq!(
            labels.map_key("agent.framework").to_string(),
            "metadata.labels[agent.framework]"
        );
    }
}
