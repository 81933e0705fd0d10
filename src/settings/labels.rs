//! Kubernetes label keys and values, as the settings that name them must be.

/// Why `value` is not a valid Kubernetes label value (≤ 63 characters, alphanumeric at both
/// ends, `-`, `_`, `.` inside), if it is not one.
pub fn label_value_problem(value: &str) -> Option<&'static str> {
    if value.len() > 63 {
        return Some("longer than 63 characters");
    }
    let bytes = value.as_bytes();
    let edge_ok = |b: Option<&u8>| b.is_none_or(u8::is_ascii_alphanumeric);
    if !edge_ok(bytes.first()) || !edge_ok(bytes.last()) {
        return Some("must start and end with a letter or digit");
    }
    if !bytes
        .iter()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
    {
        return Some("only letters, digits, '-', '_' and '.' are allowed");
    }
    None
}

/// Why `key` is not a valid label key (`[prefix/]name`), if it is not one.
pub fn label_key_problem(key: &str) -> Option<&'static str> {
    let (prefix, name) = match key.rsplit_once('/') {
        Some((prefix, name)) => (Some(prefix), name),
        None => (None, key),
    };
    if name.is_empty() {
        return Some("the name part is empty");
    }
    if let Some(why) = label_value_problem(name) {
        return Some(why);
    }
    if let Some(prefix) = prefix {
        let dns_ok = !prefix.is_empty()
            && prefix.len() <= 253
            && prefix.split('.').all(|part| {
                !part.is_empty()
                    && part.len() <= 63
                    && part
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                    && !part.starts_with('-')
                    && !part.ends_with('-')
            });
        if !dns_ok {
            return Some("the prefix must be a DNS subdomain (lower case, e.g. example.com)");
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_keys() {
        for ok in [
            "agent.framework",
            "example.com/agent-runtime",
            "a",
            "app.kubernetes.io/name",
        ] {
            assert_eq!(label_key_problem(ok), None, "{ok}");
        }
        for bad in [
            "",
            "/x",
            "Example.com/x",
            "a/b/c",
            "-x",
            "x y",
            "example.com/",
        ] {
            assert!(label_key_problem(bad).is_some(), "{bad}");
        }
    }

    #[test]
    fn label_values() {
        // 63 characters is the longest allowed (found by mutation testing).
        let longest = "a".repeat(63);
        for ok in [
            "",
            "python",
            "python-openllmetry",
            "v1.2_3",
            longest.as_str(),
        ] {
            assert_eq!(label_value_problem(ok), None, "{ok}");
        }
        let long = "a".repeat(64);
        for bad in ["-python", "python-", "py thon", "py/thon", long.as_str()] {
            assert!(label_value_problem(bad).is_some(), "{bad}");
        }
    }
}
