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

/// Whether `clean` would return `path` unchanged: absolute, and no component after a `/` is
/// empty, `.` or `..` (mount paths are checked per mount of every container). Most paths
/// have no `/` followed by `/` or `.`, which eight bytes at a time tells; the others are
/// looked at component by component.
fn is_clean(path: &str) -> bool {
    let mut rest = match path.as_bytes() {
        b"/" => return true,
        bytes @ [b'/', .., last] if *last != b'/' && !slash_then_slash_or_dot(bytes) => {
            return true;
        }
        [b'/', rest @ ..] => rest,
        _ => return false,
    };
    // `rest` starts a component: the bytes after a `/`.
    loop {
        match rest {
            [] | [b'/', ..] | [b'.'] | [b'.', b'/', ..] | [b'.', b'.'] | [b'.', b'.', b'/', ..] => {
                return false;
            }
            _ => {}
        }
        match rest.iter().position(|&b| b == b'/') {
            Some(slash) => rest = rest.get(slash + 1..).unwrap_or_default(),
            None => return true,
        }
    }
}

/// Whether a `/` in `bytes` may be followed by `/` or `.`: never `false` when one is (`true`
/// can also come from a byte above a match, whose borrow the test carries upwards).
fn slash_then_slash_or_dot(bytes: &[u8]) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let zero_byte = |v: u64| v.wrapping_sub(ONES) & !v & HIGH;
    let word = |at: usize| {
        bytes
            .get(at..)
            .and_then(<[u8]>::first_chunk::<8>)
            .map(|w| u64::from_le_bytes(*w))
    };
    let mut at = 0;
    // Byte k of `slashes` flags a `/` at `at + k`; byte k of `after` a `/` or `.` right after it.
    while let (Some(this), Some(next)) = (word(at), word(at + 1)) {
        let slashes = zero_byte(this ^ (ONES * u64::from(b'/')));
        let after =
            zero_byte(next ^ (ONES * u64::from(b'/'))) | zero_byte(next ^ (ONES * u64::from(b'.')));
        if slashes & after != 0 {
            return true;
        }
        at += 8;
    }
    bytes
        .get(at..)
        .unwrap_or_default()
        .windows(2)
        .any(|pair| matches!(pair, [b'/', b'/' | b'.']))
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

    /// `is_clean` as its definition reads: absolute, no empty, `.` or `..` component.
    fn clean_by_definition(path: &str) -> bool {
        path == "/"
            || (path.starts_with('/')
                && path
                    .split('/')
                    .skip(1)
                    .all(|c| !matches!(c, "" | "." | "..")))
    }

    #[test]
    fn clean_paths_are_recognised_in_every_spelling_up_to_seven_bytes() {
        let alphabet = ["/", ".", "a", "é", "\0"];
        let mut paths = vec![String::new()];
        let mut checked = 0;
        for _ in 0..7 {
            let mut longer = Vec::new();
            for p in &paths {
                for c in alphabet {
                    let q = format!("{p}{c}");
                    assert_eq!(is_clean(&q), clean_by_definition(&q), "{q:?}");
                    // A clean path is what cleaning gives, and cleaning gives a clean path.
                    assert_eq!(is_clean(&q), clean(&q) == q, "{q:?}");
                    assert!(is_clean(&clean(&q)), "{q:?}");
                    checked += 1;
                    longer.push(q);
                }
            }
            paths = longer;
        }
        assert!(checked > 90_000);
    }

    #[test]
    fn long_paths_are_recognised_with_the_eight_byte_test_at_every_offset() {
        let base = "/var/run/secrets/kubernetes.io/serviceaccount/token/x";
        assert!(is_clean(base));
        // Every place a `/` can be followed by `/` or `.`, with the pair at every offset of
        // the eight-byte words and in the byte-by-byte tail.
        for at in 1..base.len() {
            for insert in ["/", ".", "/.", "./", "/..", "./.", "//"] {
                let (head, tail) = base.split_at(at);
                let path = format!("{head}{insert}{tail}");
                assert_eq!(is_clean(&path), clean_by_definition(&path), "{path:?}");
                let ends = format!("{head}{insert}");
                assert_eq!(is_clean(&ends), clean_by_definition(&ends), "{ends:?}");
            }
        }
        // Bytes near a match that the test's borrows could disturb.
        for path in [
            "/a\0/.b",
            "/\x01/b",
            "/ab/\0.",
            "/..a/b/c/d/e/f/g/h",
            "/a/b/c/d/e/f/..",
        ] {
            assert_eq!(is_clean(path), clean_by_definition(path), "{path:?}");
        }
    }

    #[test]
    fn settings_paths_must_be_absolute() {
        assert_eq!(absolute_problem("/tmp/"), None);
        assert!(absolute_problem("tmp").is_some());
        assert!(absolute_problem("").is_some());
    }
}
