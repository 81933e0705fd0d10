//! Mount paths compared by whole components, so `/var/logs` is not under `/var/log`.

/// Why `path` is not a clean absolute path, if it is not one.
pub fn clean_absolute_problem(path: &str) -> Option<&'static str> {
    if !path.starts_with('/') {
        return Some("must be absolute (start with /)");
    }
    if path.len() > 1 && path.ends_with('/') {
        return Some("must not end with /");
    }
    if path.contains("//") {
        return Some("must not contain //");
    }
    if path.split('/').any(|c| c == "." || c == "..") {
        return Some("must not contain . or .. components");
    }
    None
}

/// Whether `path` is `ancestor` itself or lies below it, component by component.
/// Trailing slashes are ignored on both sides (`/data/` mounts the same place as `/data`).
pub fn is_at_or_under(path: &str, ancestor: &str) -> bool {
    let path = trim(path);
    let ancestor = trim(ancestor);
    if ancestor == "/" {
        return path.starts_with('/');
    }
    match path.strip_prefix(ancestor) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

/// A mount path with trailing slashes removed (but `/` kept).
pub fn trim(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() && path.starts_with('/') {
        "/"
    } else {
        trimmed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn component_prefixes() {
        assert!(is_at_or_under("/var/log", "/var/log"));
        assert!(is_at_or_under("/var/log/app", "/var/log"));
        assert!(is_at_or_under("/var/log/", "/var/log"));
        assert!(!is_at_or_under("/var/logs", "/var/log"));
        assert!(!is_at_or_under("/var", "/var/log"));
        assert!(is_at_or_under("/data/node_modules", "/data"));
        assert!(is_at_or_under("/anything", "/"));
        assert!(!is_at_or_under("/database", "/data"));
    }

    #[test]
    fn clean_paths() {
        assert_eq!(clean_absolute_problem("/tmp"), None);
        assert_eq!(clean_absolute_problem("/"), None);
        assert!(clean_absolute_problem("tmp").is_some());
        assert!(clean_absolute_problem("/tmp/").is_some());
        assert!(clean_absolute_problem("/a/../b").is_some());
        assert!(clean_absolute_problem("/a/./b").is_some());
        assert!(clean_absolute_problem("/a//b").is_some());
        assert!(clean_absolute_problem("").is_some());
    }
}
