//! Linux capability names: `cap_net_raw`, `NET_RAW` and `CAP_NET_RAW` are the same capability.

/// Upper case, without the `CAP_` prefix.
pub fn normalise(name: &str) -> String {
    let upper = name.trim().to_ascii_uppercase();
    match upper.strip_prefix("CAP_") {
        Some(rest) => rest.to_string(),
        None => upper,
    }
}

#[cfg(test)]
mod tests {
    use super::normalise;

    #[test]
    fn spellings_of_one_capability() {
        for name in [
            "NET_RAW",
            "net_raw",
            "CAP_NET_RAW",
            "cap_net_raw",
            "Cap_Net_Raw",
        ] {
            assert_eq!(normalise(name), "NET_RAW");
        }
        assert_eq!(normalise("all"), "ALL");
    }
}
