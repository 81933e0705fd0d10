//! What an evaluation found and changed, and how it is told to people: rejection messages and
//! admission warnings. Rules record here; they never format responses themselves.

use std::collections::BTreeMap;

/// The target name of pod-level changes.
pub const POD: &str = "pod";

/// How many violations a rejection message lists before "… and N more".
pub const MAX_LISTED: usize = 20;
/// How many containers a warning names before "and N more".
const MAX_TARGETS: usize = 5;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Dotted field path from the object root, e.g. `spec.containers[0].securityContext`.
    pub path: String,
    /// The value found, as JSON, or `nothing` when the field is missing.
    pub found: String,
    /// What would be accepted.
    pub allowed: String,
}

#[derive(Debug, Default)]
pub struct Report {
    pub violations: Vec<Violation>,
    /// What was added to containers (`securityContext.readOnlyRootFilesystem: true`) → which
    /// containers.
    pub changes: BTreeMap<String, Vec<String>>,
    /// What was added at pod level, in the order it was added.
    pub pod_changes: Vec<String>,
    /// Warnings that are not changes (e.g. a required path that stays read-only).
    pub notes: Vec<String>,
}

impl Report {
    pub fn violation(&mut self, path: String, found: String, allowed: String) {
        self.violations.push(Violation {
            path,
            found,
            allowed,
        });
    }

    /// Records an addition; `target` is a container's name, or [`POD`] for the pod spec.
    pub fn change(&mut self, what: String, target: &str) {
        if target == POD {
            return self.pod_changes.push(what);
        }
        // Each container is walked once, so its name comes once per kind of change: no
        // de-duplication (which would make this quadratic in the number of containers).
        self.changes
            .entry(what)
            .or_default()
            .push(target.to_string());
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
    /// containers, then the notes.
    pub fn warnings(&self) -> Vec<String> {
        let mut out = Vec::with_capacity(self.changes.len() + self.notes.len() + 1);
        if !self.pod_changes.is_empty() {
            out.push(format!(
                "agent-hardening added to the pod spec: {}",
                self.pod_changes.join(", ")
            ));
        }
        out.extend(self.changes.iter().map(|(what, targets)| {
            format!("agent-hardening added {what} to {}", targets_text(targets))
        }));
        out.extend(self.notes.iter().cloned());
        out
    }
}

fn targets_text(targets: &[String]) -> String {
    let mut text = targets
        .iter()
        .take(MAX_TARGETS)
        .map(String::as_str)
        .collect::<Vec<_>>()
        .join(", ");
    if targets.len() > MAX_TARGETS {
        text.push_str(&format!(" and {} more", targets.len() - MAX_TARGETS));
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

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

    #[test]
    fn one_warning_per_kind_of_change() {
        let mut r = Report::default();
        for c in ["a", "b", "c", "d", "e", "f", "g"] {
            r.change("securityContext.readOnlyRootFilesystem: true".into(), c);
        }
        r.change("securityContext.runAsUser: 65534".into(), POD);
        r.change("securityContext.fsGroup: 65534".into(), POD);
        let w = r.warnings();
        assert_eq!(w.len(), 2);
        assert_eq!(
            w[0],
            "agent-hardening added to the pod spec: securityContext.runAsUser: 65534, securityContext.fsGroup: 65534"
        );
        assert_eq!(
            w[1],
            "agent-hardening added securityContext.readOnlyRootFilesystem: true to a, b, c, d, e and 2 more"
        );
    }
}
