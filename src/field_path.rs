//! Field paths for messages (`spec.initContainers[1].securityContext.runAsUser`), built on the
//! stack as the walk descends and written out only when a message needs one, so a compliant
//! pod costs no string formatting.

use std::fmt;

/// How many characters of a name a path shows.
const MAX_NAME_SHOWN: usize = 63;

#[derive(Clone, Copy)]
enum Segment<'a> {
    /// The start, already dotted: `spec`, `spec.template.spec`.
    Root(&'a str),
    /// `.key`
    Key(&'a str),
    /// `[3]`
    Index(usize),
    /// `[3] (name)`: a list item people know by its name (a container, a volume).
    Named(usize, &'a str),
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

    /// The item `index` of a list, shown with its name when it has one, so that a person
    /// finds `spec.containers[12] (proxy)` in a long pod.
    pub fn named(&'a self, index: usize, name: Option<&'a str>) -> FieldPath<'a> {
        match name {
            Some(name) if !name.is_empty() => self.child(Segment::Named(index, name)),
            _ => self.index(index),
        }
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
            Segment::Named(i, name) => {
                // Names are DNS labels once the API server has validated the object; before
                // that (mutating admission) they can be anything, so keep them short.
                match name.char_indices().nth(MAX_NAME_SHOWN) {
                    Some((cut, _)) => write!(f, "[{i}] ({}…)", name.get(..cut).unwrap_or("")),
                    None => write!(f, "[{i}] ({name})"),
                }
            }
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
        let containers = spec.key("containers");
        let proxy = containers.named(12, Some("proxy"));
        assert_eq!(
            proxy.key("image").to_string(),
            "spec.template.spec.containers[12] (proxy).image"
        );
        assert_eq!(
            containers.named(0, None).to_string(),
            "spec.template.spec.containers[0]"
        );
        assert_eq!(
            containers.named(0, Some("")).to_string(),
            "spec.template.spec.containers[0]"
        );
        let long = "x".repeat(100);
        let shown = containers.named(1, Some(&long)).to_string();
        assert!(
            shown.ends_with(&format!("[1] ({}…)", "x".repeat(63))),
            "{shown}"
        );
        let meta = FieldPath::root("metadata");
        let labels = meta.key("labels");
        assert_eq!(
            labels.map_key("agent.framework").to_string(),
            "metadata.labels[agent.framework]"
        );
    }
}
