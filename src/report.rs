//! What an evaluation found and changed, and how it is told to people: rejection messages and
//! admission warnings. Rules record here; they never format responses themselves.

use std::fmt;
use std::rc::Rc;

use crate::json::Value;
use crate::json::write::write_value;

/// What a change was made to: the pod spec, or a container (or volume) by the name warnings
/// show (`agent`, `init setup`, `volume scratch`), shared so that recording many changes to one
/// container allocates its name once. A container named `pod` is still a container.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    Pod,
    Named(Rc<str>),
}

impl Target {
    pub fn named(name: impl Into<Rc<str>>) -> Self {
        Target::Named(name.into())
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Target::Pod => f.write_str("pod"),
            Target::Named(name) => f.write_str(name),
        }
    }
}

/// The audit annotation that lists the exceptions an answer used. No `/`: the API server
/// prefixes the webhook's name (`<webhook>/exceptions`) and drops keys that already have one.
pub const EXCEPTIONS_ANNOTATION: &str = "exceptions";

/// How many violations a rejection message lists before "… and N more".
pub const MAX_LISTED: usize = 20;
/// How many containers a warning names before "and N more".
const MAX_TARGETS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted field path from the object root, e.g. `spec.containers[0].securityContext`.
    pub path: String,
    /// The value found, as JSON, or `nothing (unset)` when the field is missing.
    pub found: String,
    /// What would be accepted.
    pub allowed: String,
}

/// Something the policy added, kept structured until a warning is written.
#[derive(Debug, Clone, PartialEq)]
pub enum Added {
    /// A field (`securityContext.readOnlyRootFilesystem`) and the value it got.
    Field {
        rel: &'static str,
        key: &'static str,
        value: Value<'static>,
    },
    /// Anything else, already described (shared when the same text is recorded for many
    /// containers).
    Text(Rc<str>),
    /// A fixed description.
    Static(&'static str),
}

impl Added {
    /// Two additions are the same kind of change when they set the same field.
    fn same_kind(&self, other: &Added) -> bool {
        match (self, other) {
            (Added::Field { rel, key, .. }, Added::Field { rel: r, key: k, .. }) => {
                same_text(rel, r) && same_text(key, k)
            }
            (Added::Text(a), Added::Text(b)) => same_shared(a, b),
            (Added::Static(a), Added::Static(b)) => a == b,
            _ => false,
        }
    }
}

/// Equal shared texts; the same one is recognised without reading it.
fn same_shared(a: &Rc<str>, b: &Rc<str>) -> bool {
    Rc::ptr_eq(a, b) || a == b
}

/// Equal texts; the same `&'static str` is recognised without reading it.
fn same_text(a: &str, b: &str) -> bool {
    std::ptr::eq(a, b) || a == b
}

impl Added {
    /// Appends how warnings describe the addition: `securityContext.runAsUser: 65534`.
    fn write_to(&self, text: &mut String) {
        match self {
            Added::Field { rel, key, value } => {
                text.push_str(rel);
                text.push('.');
                text.push_str(key);
                text.push_str(": ");
                let mut json = Vec::with_capacity(32);
                write_value(&mut json, value, None);
                text.push_str(&String::from_utf8_lossy(&json));
            }
            Added::Text(added) => text.push_str(added),
            Added::Static(added) => text.push_str(added),
        }
    }
}

impl fmt::Display for Added {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = String::new();
        self.write_to(&mut text);
        f.write_str(&text)
    }
}

#[derive(Debug, Default)]
pub struct Report {
    pub violations: Vec<Violation>,
    /// Each kind of container change, in the order first seen, with the containers it was
    /// made to. A pod has a handful of kinds, so a linear look-up is the cheap one.
    pub changes: Vec<(Added, Targets)>,
    /// What was added at pod level, in the order it was added.
    pub pod_changes: Vec<Added>,
    /// Warnings that are not changes (e.g. a required path that stays read-only).
    pub notes: Vec<String>,
    /// Every control an exception relaxed: `istio-proxy: runAsUser 1337 (exceptions[0], …)`.
    pub exceptions: Vec<String>,
    /// Where in `changes` the next container change is looked for first (see `kind`).
    next_kind: usize,
}

impl Report {
    pub fn violation(&mut self, path: String, found: String, allowed: String) {
        self.violations.push(Violation {
            path,
            found,
            allowed,
        });
    }

    /// Records an addition to `target`.
    pub fn change(&mut self, added: Added, target: &Target) {
        let Target::Named(name) = target else {
            return self.pod_changes.push(added);
        };
        let found = self.kind(|a| a.same_kind(&added));
        self.add_target(found, name, || added);
    }

    /// Records an addition described by `text`, shared by the containers that get it: the
    /// text is copied only for the first of them.
    pub fn change_shared(&mut self, text: &Rc<str>, target: &Target) {
        let Target::Named(name) = target else {
            return self.pod_changes.push(Added::Text(Rc::clone(text)));
        };
        let found = self.kind(|a| matches!(a, Added::Text(t) if same_shared(t, text)));
        self.add_target(found, name, || Added::Text(Rc::clone(text)));
    }

    /// Records that `target` got `rel.key` set to `value`; the value is copied only the first
    /// time the field is added.
    pub fn field_change(
        &mut self,
        rel: &'static str,
        key: &'static str,
        value: &Value<'static>,
        target: &Target,
    ) {
        let added = || Added::Field {
            rel,
            key,
            value: value.clone(),
        };
        let Target::Named(name) = target else {
            return self.pod_changes.push(added());
        };
        let found = self.kind(|a| {
            matches!(a, Added::Field { rel: r, key: k, .. } if same_text(r, rel) && same_text(k, key))
        });
        self.add_target(found, name, added);
    }

    /// Where the kind of change `same` recognises is in `changes`. Every container goes
    /// through the rules in the same order, so its changes come in the order of the previous
    /// container's: the kind after the last one found is tried first, and a pod's changes are
    /// recorded without searching.
    fn kind(&self, same: impl Fn(&Added) -> bool) -> Option<usize> {
        match self.changes.get(self.next_kind) {
            Some((a, _)) if same(a) => Some(self.next_kind),
            _ => self.changes.iter().position(|(a, _)| same(a)),
        }
    }

    /// Adds `name` to the kind of change at `found`, or to a new kind made by `added`.
    fn add_target(&mut self, found: Option<usize>, name: &Rc<str>, added: impl FnOnce() -> Added) {
        // Each container is walked once, so its name comes once per kind of change.
        match found.and_then(|at| Some((at, self.changes.get_mut(at)?))) {
            Some((at, (_, targets))) => {
                targets.add(name);
                self.next_kind = at + 1;
            }
            None => {
                let mut targets = Targets::default();
                targets.add(name);
                self.changes.push((added(), targets));
                self.next_kind = self.changes.len();
            }
        }
    }

    pub fn exception_used(&mut self, text: String) {
        self.exceptions.push(text);
    }

    /// The audit annotations of the answer: the exceptions used, if any.
    pub fn audit_annotations(&self) -> Vec<(String, String)> {
        if self.exceptions.is_empty() {
            return Vec::new();
        }
        vec![(
            EXCEPTIONS_ANNOTATION.to_string(),
            self.exceptions.join("; "),
        )]
    }

    pub fn changed(&self) -> bool {
        !self.changes.is_empty() || !self.pod_changes.is_empty()
    }

    /// The rejection message: every violation, one a line, cut after `MAX_LISTED`.
    pub fn rejection_message(&self) -> String {
        let count = self.violations.len();
        let mut lines = Vec::with_capacity(count.min(MAX_LISTED) + 2);
        lines.push(format!(
            "agent pod hardening: {count} problem{} found",
            if count == 1 { "" } else { "s" }
        ));
        for v in self.violations.iter().take(MAX_LISTED) {
            lines.push(format!(
                "- {}: found {}, allowed {}",
                v.path, v.found, v.allowed
            ));
        }
        if count > MAX_LISTED {
            lines.push(format!("… and {} more", count - MAX_LISTED));
        }
        lines.join("\n")
    }

    /// One warning for the pod spec, one per kind of container change naming the
    /// containers, then the notes. Written piece by piece: `format!` costs as much as the
    /// rest of a one-container evaluation's own work (BENCHMARKS.md).
    pub fn warnings(&self) -> Vec<String> {
        let mut out =
            Vec::with_capacity(self.changes.len() + self.notes.len() + self.exceptions.len() + 1);
        if !self.pod_changes.is_empty() {
            let mut text = String::with_capacity(256);
            text.push_str("agent-hardening added to the pod spec: ");
            for (i, added) in self.pod_changes.iter().enumerate() {
                if i > 0 {
                    text.push_str(", ");
                }
                added.write_to(&mut text);
            }
            out.push(text);
        }
        for (added, targets) in &self.changes {
            // Room for the usual warning: one allocation, no growth.
            let mut text = String::with_capacity(192);
            text.push_str("agent-hardening added ");
            added.write_to(&mut text);
            text.push_str(" to ");
            targets.write_to(&mut text);
            out.push(text);
        }
        out.extend(self.notes.iter().cloned());
        out.extend(
            self.exceptions
                .iter()
                .map(|e| format!("agent-hardening: exception used by {e}")),
        );
        out
    }
}

/// The containers one kind of change was made to, as a warning names them: the first
/// `MAX_TARGETS` by name, the others counted.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Targets {
    named: Vec<Rc<str>>,
    more: usize,
}

impl Targets {
    fn add(&mut self, name: &Rc<str>) {
        if self.named.len() < MAX_TARGETS {
            self.named.push(Rc::clone(name));
        } else {
            self.more += 1;
        }
    }

    /// How many containers got the change.
    pub fn len(&self) -> usize {
        self.named.len() + self.more
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Targets {
    /// `a, b, c, d, e and 3 more`.
    fn write_to(&self, text: &mut String) {
        for (i, name) in self.named.iter().enumerate() {
            if i > 0 {
                text.push_str(", ");
            }
            text.push_str(name);
        }
        if self.more > 0 {
            text.push_str(" and ");
            crate::decimal::push_str(text, self.more as u64);
            text.push_str(" more");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::json;

    #[test]
    fn long_lists_are_cut() {
        let mut r = Report::default();
        for i in 0..25 {
            r.violation(
                format!("spec.volumes[{i}].hostPath"),
                "{}".into(),
                "no hostPath".into(),
            );
        }
        let msg = r.rejection_message();
        assert!(msg.starts_with("agent pod hardening: 25 problems found\n"));
        assert!(msg.contains("- spec.volumes[19].hostPath: found {}, allowed no hostPath"));
        assert!(!msg.contains("spec.volumes[20]"));
        assert!(msg.ends_with("… and 5 more"));
    }

    fn field(rel: &'static str, key: &'static str, value: Value<'static>) -> Added {
        Added::Field { rel, key, value }
    }

    #[test]
    fn one_warning_per_kind_of_change() {
        let mut r = Report::default();
        let pod = Target::Pod;
        for c in ["a", "b", "c", "d", "e", "f", "g"] {
            r.change(
                field("securityContext", "readOnlyRootFilesystem", json!(true)),
                &Target::named(c),
            );
        }
        r.change(
            Added::Text("a writable emptyDir at /tmp".into()),
            &Target::named("a"),
        );
        r.change(field("securityContext", "runAsUser", json!(65534)), &pod);
        r.change(field("securityContext", "fsGroup", json!(65534)), &pod);
        // A container named `pod` is a container, not the pod spec.
        r.change(
            field("securityContext", "readOnlyRootFilesystem", json!(true)),
            &Target::named("pod"),
        );
        let w = r.warnings();
        assert_eq!(
            w,
            [
                "agent-hardening added to the pod spec: securityContext.runAsUser: 65534, securityContext.fsGroup: 65534",
                "agent-hardening added securityContext.readOnlyRootFilesystem: true to a, b, c, d, e and 3 more",
                "agent-hardening added a writable emptyDir at /tmp to a",
            ]
        );
    }

    /// A warning names the first five containers a change was made to and counts the rest.
    #[test]
    fn a_change_names_five_containers_and_counts_the_others() {
        let mut r = Report::default();
        for name in ["a", "b", "c", "d", "e", "f", "g"] {
            r.change(Added::Static("z"), &Target::named(name));
        }
        r.change(Added::Static("y"), &Target::named("h"));
        assert_eq!(r.changes[0].1.len(), 7);
        assert_eq!(
            r.warnings(),
            [
                "agent-hardening added z to a, b, c, d, e and 2 more",
                "agent-hardening added y to h"
            ]
        );
    }

    /// Containers with different subsets of the changes, in different orders, and kinds
    /// given both as `Added` and through `field_change` (with equal texts at other
    /// addresses): each kind lists exactly the containers that got it, in walk order.
    #[test]
    fn kinds_are_found_whatever_the_order() {
        let mut r = Report::default();
        let sc = String::from("securityContext");
        let sc: &'static str = Box::leak(sc.into_boxed_str());
        let x = || field("securityContext", "runAsNonRoot", json!(true));
        let y = || Added::Text("HOME=/home/nobody".into());
        r.change(x(), &Target::named("a"));
        r.change(y(), &Target::named("a"));
        r.change(y(), &Target::named("b"));
        r.field_change(sc, "runAsNonRoot", &json!(true), &Target::named("c"));
        r.change(Added::Static("z"), &Target::named("c"));
        r.change(y(), &Target::named("c"));
        r.change(Added::Static("z"), &Target::named("d"));
        r.change(x(), &Target::named("d"));
        let kinds: Vec<(String, Vec<&str>)> = r
            .changes
            .iter()
            .map(|(a, t)| (a.to_string(), t.named.iter().map(|n| &**n).collect()))
            .collect();
        assert_eq!(
            kinds,
            [
                (
                    "securityContext.runAsNonRoot: true".into(),
                    vec!["a", "c", "d"]
                ),
                ("HOME=/home/nobody".into(), vec!["a", "b", "c"]),
                ("z".into(), vec!["c", "d"]),
            ]
        );
    }
}
