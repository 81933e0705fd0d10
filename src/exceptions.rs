//! Exceptions for trusted containers (service-mesh sidecars and their init containers), by image
//! reference only — a container's name is chosen by whoever writes the pod and never grants
//! one. An exception relaxes only the controls it names; every use is reported.

use crate::fields::Ctx;
use crate::report::Target;
use crate::settings::{Exception, IdRange, Settings};

/// An image reference written out in full, as exception globs are: `busybox` is
/// `docker.io/library/busybox:latest`, `istio/proxyv2:1.22` is `docker.io/istio/proxyv2:1.22`.
pub fn full_reference(image: &str) -> String {
    let (first, rest) = image.split_once('/').unwrap_or(("", image));
    let is_registry =
        !first.is_empty() && (first.contains('.') || first.contains(':') || first == "localhost");
    let mut out = if is_registry {
        let registry = if first == "index.docker.io" {
            "docker.io"
        } else {
            first
        };
        if registry == "docker.io" && !rest.contains('/') {
            format!("docker.io/library/{rest}")
        } else {
            format!("{registry}/{rest}")
        }
    } else if first.is_empty() {
        format!("docker.io/library/{image}")
    } else {
        format!("docker.io/{image}")
    };
    let last = out.rsplit('/').next().unwrap_or("");
    if !out.contains('@') && !last.contains(':') {
        out.push_str(":latest");
    }
    out
}

/// Whether `glob` matches `text`: `*` is any run of characters but `/` and `@`, `?` one such
/// character, everything else itself — so a tag glob never reaches into a digest
/// (`proxyv2:1.22.*` does not match `proxyv2:1.22.0@sha256:…` of any image). Linear in
/// practice (one backtrack point).
pub fn glob_matches(glob: &str, text: &str) -> bool {
    let (g, t) = (glob.as_bytes(), text.as_bytes());
    let (mut gi, mut ti) = (0, 0);
    let mut star: Option<(usize, usize)> = None;
    while ti < t.len() {
        match (g.get(gi), t.get(ti)) {
            (Some(b'*'), _) => {
                star = Some((gi, ti));
                gi += 1;
            }
            (Some(b'?'), Some(c)) if *c != b'/' && *c != b'@' => {
                gi += 1;
                ti += 1;
            }
            (Some(a), Some(c)) if a == c && *a != b'?' => {
                gi += 1;
                ti += 1;
            }
            _ => match star {
                // Let the last `*` take one more character, unless that is a `/` or `@`.
                Some((sg, st)) if !matches!(t.get(st), Some(b'/' | b'@')) => {
                    star = Some((sg, st + 1));
                    gi = sg + 1;
                    ti = st + 1;
                }
                _ => return false,
            },
        }
    }
    g.get(gi..)
        .is_some_and(|rest| rest.iter().all(|c| *c == b'*'))
}

/// Why `glob` can't name trusted images, if it can't: a full reference whose registry and
/// namespaces are written out — only the last component (the repository's own name, tag or
/// digest) may hold wildcards — so that no glob matches every image of a public registry
/// (`docker.io/*/*` would trust anything anyone pushes).
pub fn glob_problem(glob: &str) -> Option<&'static str> {
    if glob.is_empty() || glob.chars().any(char::is_whitespace) {
        return Some("must be a non-empty image reference without spaces");
    }
    let Some((registry, _)) = glob.split_once('/') else {
        return Some("must be a full reference, registry first (e.g. docker.io/istio/proxyv2:*)");
    };
    let looks_like_host =
        registry.contains('.') || registry.contains(':') || registry == "localhost";
    let (parents, _last) = glob.rsplit_once('/').unwrap_or(("", glob));
    if !looks_like_host || parents.contains(['*', '?']) {
        return Some(
            "must write out the registry and every path component but the last (e.g. docker.io/istio/proxyv2:*): a glob may not match the images anyone can push",
        );
    }
    None
}

/// The exceptions that apply to one container, found from its image.
pub struct Granted<'s> {
    /// Index, exception, and the glob of it that matched.
    matches: Vec<(usize, &'s Exception, &'s str)>,
    init: bool,
    /// The image, written out in full.
    image: String,
}

/// The exceptions whose globs match `image`, if any. `init`: an init container that runs to
/// completion (not a native sidecar, which runs beside the agent for the pod's whole life).
pub fn granted<'s>(settings: &'s Settings, image: Option<&str>, init: bool) -> Option<Granted<'s>> {
    if settings.exceptions.is_empty() {
        return None;
    }
    let image = full_reference(image?);
    let matches: Vec<(usize, &Exception, &str)> = settings
        .exceptions
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            let glob = e.images.iter().find(|g| glob_matches(g, &image))?;
            Some((i, e, glob.as_str()))
        })
        .collect();
    (!matches.is_empty()).then_some(Granted {
        matches,
        init,
        image,
    })
}

fn in_ranges(ranges: &[IdRange], id: i64) -> bool {
    ranges.iter().any(|r| r.min <= id && id <= r.max)
}

impl Granted<'_> {
    fn find(&self, allows: impl Fn(&Exception) -> bool) -> Option<usize> {
        self.matches
            .iter()
            .find(|(_, e, _)| allows(e))
            .map(|(i, _, _)| *i)
    }

    /// Whether an exception names the container's identity (runAsUser): the operator vouches
    /// for who it runs as, so its image's USER is not looked up.
    pub fn names_identity(&self) -> bool {
        self.matches
            .iter()
            .any(|(_, e, _)| !e.allow.run_as_user.is_empty())
    }

    fn glob(&self, index: usize) -> &str {
        self.matches
            .iter()
            .find(|(i, _, _)| *i == index)
            .map_or("", |(_, _, g)| g)
    }

    pub fn user(&self, uid: i64) -> Option<usize> {
        self.find(|e| in_ranges(&e.allow.run_as_user, uid))
    }

    pub fn group(&self, gid: i64) -> Option<usize> {
        self.find(|e| in_ranges(&e.allow.run_as_group, gid))
    }

    /// `name` normalised (upper case, no `CAP_`).
    pub fn capability(&self, name: &str) -> Option<usize> {
        self.find(|e| e.allow.capabilities.iter().any(|c| c == name))
    }

    pub fn writable_root(&self) -> Option<usize> {
        self.find(|e| e.allow.writable_root)
    }

    /// `runAsNonRoot: false`, for init containers only.
    pub fn root(&self) -> Option<usize> {
        if self.init {
            self.find(|e| e.allow.root_init)
        } else {
            None
        }
    }
}

/// Whether the container being checked may have `control`, granted by an exception; records
/// the use for the warning and the audit annotation.
pub fn allows(
    ctx: &mut Ctx<'_>,
    target: &Target,
    control: impl FnOnce() -> String,
    grant: impl FnOnce(&Granted<'_>) -> Option<usize>,
) -> bool {
    let Some(granted) = ctx.granted.as_ref() else {
        return false;
    };
    let Some(index) = grant(granted) else {
        return false;
    };
    let text = format!(
        "{target} ({}): {} (exceptions[{index}], {})",
        granted.image,
        control(),
        granted.glob(index)
    );
    ctx.report.exception_used(text);
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_written_out_in_full() {
        let cases = [
            ("busybox", "docker.io/library/busybox:latest"),
            ("busybox:1.36", "docker.io/library/busybox:1.36"),
            ("istio/proxyv2:1.22.0", "docker.io/istio/proxyv2:1.22.0"),
            (
                "docker.io/istio/proxyv2:1.22.0",
                "docker.io/istio/proxyv2:1.22.0",
            ),
            ("index.docker.io/nginx", "docker.io/library/nginx:latest"),
            (
                "gcr.io/istio-release/proxyv2@sha256:abc",
                "gcr.io/istio-release/proxyv2@sha256:abc",
            ),
            ("localhost:5000/agent", "localhost:5000/agent:latest"),
            ("localhost/agent:1", "localhost/agent:1"),
            (
                "cr.l5d.io/linkerd/proxy-init:v2.4.0",
                "cr.l5d.io/linkerd/proxy-init:v2.4.0",
            ),
        ];
        for (image, full) in cases {
            assert_eq!(full_reference(image), full, "{image}");
        }
    }

    #[test]
    fn globs_stop_at_slashes() {
        let g = "docker.io/istio/proxyv2:*";
        assert!(glob_matches(g, "docker.io/istio/proxyv2:1.22.0"));
        assert!(!glob_matches(g, "docker.io/istio/proxyv2-evil:1"));
        assert!(!glob_matches(g, "docker.io/istio/proxyv2"));
        // A tag glob never reaches into a digest.
        assert!(!glob_matches(
            g,
            "docker.io/istio/proxyv2:1.22.0@sha256:abc"
        ));
        let evil = "docker.io/istio/proxyv2:1.22.0@sha256:evil";
        assert!(!glob_matches("docker.io/istio/proxyv2:1.22.*", evil));
        assert!(glob_matches("docker.io/istio/proxyv2:*@sha256:*", evil));
        assert!(!glob_matches(
            "docker.io/istio/*",
            "docker.io/istio/p@sha256:a"
        ));
        assert!(glob_matches(
            "docker.io/istio/*:1.?2.0",
            "docker.io/istio/pilot:1.22.0"
        ));
        assert!(!glob_matches("docker.io/istio/*", "docker.io/istio/a/b:1"));
        assert!(!glob_matches("docker.io/istio/*", "docker.io/evil/x:1"));
        assert!(glob_matches(
            "docker.io/istio/proxyv2@sha256:*",
            "docker.io/istio/proxyv2@sha256:abc"
        ));
        assert!(glob_matches("a/*b*c", "a/xxbyyc"));
        assert!(!glob_matches("a/*b*c", "a/xxbyy"));
        assert!(glob_matches("a/b", "a/b") && !glob_matches("a/b", "a/bc"));
    }

    /// The glob as a plain recursive reading, to compare the linear matcher with.
    fn reference(g: &[u8], t: &[u8]) -> bool {
        let free = |c: &u8| *c != b'/' && *c != b'@';
        match g.split_first() {
            None => t.is_empty(),
            Some((b'*', rest)) => (0..=t.len())
                .take_while(|&k| k == 0 || t.get(..k).is_some_and(|p| p.iter().all(free)))
                .any(|k| reference(rest, &t[k..])),
            Some((b'?', rest)) => t.first().is_some_and(free) && reference(rest, &t[1..]),
            Some((c, rest)) => t.first() == Some(c) && reference(rest, &t[1..]),
        }
    }

    /// Every string over `alphabet` up to `max` long.
    fn strings(alphabet: &[u8], max: usize) -> Vec<Vec<u8>> {
        let mut all = vec![Vec::new()];
        let mut last = vec![Vec::new()];
        for _ in 0..max {
            last = last
                .iter()
                .flat_map(|s| {
                    alphabet.iter().map(move |c| {
                        let mut s = s.clone();
                        s.push(*c);
                        s
                    })
                })
                .collect();
            all.extend(last.iter().cloned());
        }
        all
    }

    #[test]
    fn the_matcher_agrees_with_a_plain_reading_on_every_short_case() {
        let texts = strings(b"ab/@", 4);
        for glob in strings(b"ab/@*?", 4) {
            let g = std::str::from_utf8(&glob).unwrap();
            for text in &texts {
                let t = std::str::from_utf8(text).unwrap();
                assert_eq!(glob_matches(g, t), reference(&glob, text), "{g:?} {t:?}");
            }
        }
    }

    #[test]
    fn no_glob_matches_every_image() {
        for glob in [
            "*",
            "*/*",
            "*/*:*",
            "**",
            "istio/proxyv2:*",
            "*.io/istio/proxyv2:*",
            "",
            "docker.io /x",
            "docker.io/*/*",
            "ghcr.io/*/agent:*",
            "quay.io/?/x",
        ] {
            assert!(glob_problem(glob).is_some(), "{glob:?}");
        }
        for glob in [
            "docker.io/istio/proxyv2:*",
            "gcr.io/istio-release/*",
            "localhost:5000/mesh/proxy@sha256:*",
        ] {
            assert_eq!(glob_problem(glob), None, "{glob}");
        }
    }
}
