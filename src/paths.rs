//! Mount paths as the container runtime sees them: cleaned lexically (`.`, `..`, repeated and
//! trailing slashes) before any rule compares them, and compared by whole components, so
//! `/var/logs` is not under `/var/log` while `/var/./log` and `//var/log` are `/var/log`.

use std::borrow::Cow;

/// The path the runtime mounts at: `path` made absolute (runtimes resolve a relative mount
/// destination from the container's root) and cleaned lexically, as Go's `path.Clean` does —
/// `.` and empty components dropped, `..` removing the component before it (and staying at `/`
/// at the root). Already-clean paths are borrowed, not copied.
pub fn clean(path: &str) -> Cow<'_, str> {
    if is_clean(path) {
        return Cow::Borrowed(path);
    }
    let mut parts: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            other => parts.push(other),
        }
    }
    let mut out = String::with_capacity(path.len() + 1);
    for part in &parts {
        out.push('/');
        out.push_str(part);
    }
    if out.is_empty() {
        out.push('/');
    }
    Cow::Owned(out)
}

/// Whether `clean` would return `path` unchanged: absolute, and every component after a `/`
/// neither empty, `.` nor `..` (one pass over the bytes; mount paths are checked per mount).
fn is_clean(path: &str) -> bool {
    if path == "/" {
        return true;
    }
    let bytes = path.as_bytes();
    if bytes.first() != Some(&b'/') {
        return false;
    }
    bytes
        .split(|&b| b == b'/')
        .skip(1)
        .all(|c| !matches!(c, b"" | b"." | b".."))
}

/// Why a path from the settings can't be used, if it can't: it must be absolute (it is then
/// used cleaned).
pub fn absolute_problem(path: &str) -> Option<&'static str> {
    if path.starts_with('/') {
        None
    } else {
        Some("must be absolute (start with /)")
    }
}

/// Whether the clean path `path` is the clean path `ancestor` itself or lies below it,
/// component by component. Both must already be clean (see [`clean`]).
pub fn is_at_or_under(path: &str, ancestor: &str) -> bool {
    if ancestor == "/" {
        return true;
    }
    match path.strip_prefix(ancestor) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// Whether one of two clean paths is at or under the other.
pub fn overlap(a: &str, b: &str) -> bool {
    is_at_or_under(a, b) || is_at_or_under(b, a)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_prefixes() {
        assert!(is_at_or_under("/var/log", "/var/log"));
        assert!(is_at_or_under("/var/log/app", "/var/log"));
        assert!(!is_at_or_under("/var/logs", "/var/log"));
        assert!(!is_at_or_under("/var", "/var/log"));
        assert!(is_at_or_under("/data/node_modules", "/data"));
        assert!(is_at_or_under("/anything", "/"));
        assert!(is_at_or_under("/", "/"));
        assert!(!is_at_or_under("/database", "/data"));
        assert!(overlap("/var", "/var/log") && overlap("/var/log/x", "/var/log"));
        assert!(!overlap("/var/logs", "/var/log"));
    }

    #[test]
    fn cleaning_as_the_runtime_does() {
        let cases = [
            ("/tmp", "/tmp"),
            ("/", "/"),
            ("", "/"),
            ("//", "/"),
            ("/tmp/", "/tmp"),
            ("/tmp/.", "/tmp"),
            ("/tmp/./", "/tmp"),
            ("//var/log", "/var/log"),
            ("/var//log//", "/var/log"),
            ("/var/./log", "/var/log"),
            ("/var/tmp/../log", "/var/log"),
            ("/../../var/log", "/var/log"),
            ("/..", "/"),
            ("/a/b/../../..", "/"),
            ("var/log", "/var/log"),
            ("./var/log", "/var/log"),
            ("/data/..data", "/data/..data"),
            ("/data/.hidden/", "/data/.hidden"),
        ];
        for (raw, want) in cases {
            assert_eq!(clean(raw), want, "{raw:?}");
            assert_eq!(clean(want), want, "{want:?} is clean");
        }
        assert!(matches!(clean("/home/nobody/.cache"), Cow::Borrowed(_)));
    }

    #[test]
    fn settings_paths_must_be_absolute() {
        assert_eq!(absolute_problem("/tmp/"), None);
        assert!(absolute_problem("tmp").is_some());
        assert!(absolute_problem("").is_some());
    }
}
