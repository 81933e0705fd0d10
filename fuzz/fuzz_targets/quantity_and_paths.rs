//! The quantity parser and the path cleaner against a reference reading of each.
#![no_main]

use agent_hardening_policy::paths::{clean, is_at_or_under};
use agent_hardening_policy::quantity::Quantity;
use libfuzzer_sys::fuzz_target;

/// The path as the runtime's lexical cleaning reads it, written independently: a stack of
/// components, `..` popping (never above the root).
fn reference_clean(path: &str) -> String {
    let mut stack: Vec<&str> = Vec::new();
    for part in path.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                stack.pop();
            }
            p => stack.push(p),
        }
    }
    format!("/{}", stack.join("/"))
}

fuzz_target!(|data: (&str, &str)| {
    let (a, b) = data;
    // Paths.
    let cleaned = clean(a);
    assert_eq!(cleaned, reference_clean(a), "{a:?}");
    assert_eq!(clean(&cleaned), cleaned, "clean is idempotent");
    let cb = clean(b);
    // At-or-under is by whole components.
    let expected = cb == "/" || cleaned == cb || cleaned.starts_with(&format!("{cb}/"));
    assert_eq!(is_at_or_under(&cleaned, &cb), expected, "{cleaned:?} under {cb:?}");
    // Quantities: a parsed quantity reads back as itself, and the order is total and
    // consistent with reading the canonical text again.
    if let Ok(q) = Quantity::parse(a) {
        let again = Quantity::parse(&q.to_string()).expect("a quantity reads back");
        assert_eq!(q.cmp(&again), std::cmp::Ordering::Equal, "{a:?}");
        if let Ok(r) = Quantity::parse(b) {
            assert_eq!(q.cmp(&r), r.cmp(&q).reverse());
            if q.is_zero() && r.is_zero() {
                assert!(q.cmp(&r).is_eq(), "{a:?} {b:?}");
            }
        }
    }
});
