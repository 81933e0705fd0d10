//! Integers as decimal text without `core::fmt`, which in wasm costs several hundred
//! instructions a number (its formatter is an interpreter of format pieces). The defaults,
//! the written numbers and the warnings' counts are made for every request of a fresh instance.

/// The decimal digits of `n`, most significant first, at the end of `buffer`; where they start.
fn digits(buffer: &mut [u8; 20], mut n: u64) -> usize {
    let mut at = buffer.len();
    loop {
        at -= 1;
        if let Some(digit) = buffer.get_mut(at) {
            *digit = b'0' + (n % 10) as u8;
        }
        n /= 10;
        if n == 0 {
            return at;
        }
    }
}

/// Appends `n` in decimal.
pub fn push(out: &mut Vec<u8>, n: u64) {
    let mut buffer = [0u8; 20];
    let start = digits(&mut buffer, n);
    out.extend_from_slice(buffer.get(start..).unwrap_or_default());
}

/// Appends `n` in decimal.
pub fn push_str(text: &mut String, n: u64) {
    let mut buffer = [0u8; 20];
    let start = digits(&mut buffer, n);
    // Digits are ASCII.
    text.push_str(std::str::from_utf8(buffer.get(start..).unwrap_or_default()).unwrap_or_default());
}

/// Appends `n` in decimal, with a `-` when negative.
pub fn push_signed(out: &mut Vec<u8>, n: i64) {
    if n < 0 {
        out.push(b'-');
    }
    push(out, n.unsigned_abs());
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn as_core_fmt_writes_them() {
        let mut samples: Vec<u64> = (0..=1100).collect();
        for p in 1..20 {
            let ten = 10u64.pow(p);
            samples.extend([ten - 1, ten, ten + 1]);
        }
        samples.extend([u64::MAX, u64::MAX - 1, 65534, 1 << 30]);
        for n in samples {
            let mut out = Vec::new();
            push(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes(), "{n}");
            let mut text = String::from("x");
            push_str(&mut text, n);
            assert_eq!(text, format!("x{n}"));
        }
        for n in [
            0i64,
            1,
            -1,
            9,
            -9,
            10,
            -10,
            65534,
            -65534,
            i64::MAX,
            i64::MIN,
            i64::MIN + 1,
        ] {
            let mut out = Vec::new();
            push_signed(&mut out, n);
            assert_eq!(out, n.to_string().into_bytes(), "{n}");
        }
    }
}
