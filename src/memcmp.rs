//! Byte comparison for the wasm module. Every `==` between strings or byte slices of the same
//! length ends in `memcmp`, and the one wasi-libc links in compares a byte at a time: the
//! rules' key and path lookups spent about 2.8 K instructions per container there. This one
//! compares eight bytes at a time and is linked instead (wasm-ld takes a symbol from libc's
//! archive only when nothing else defines it). Native builds keep the system's.

/// `memcmp`'s contract: the sign of the first differing byte (as `u8`), or 0.
///
/// # Safety
/// `a` and `b` are valid for reads of `n` bytes.
#[cfg(all(target_arch = "wasm32", not(test)))]
#[unsafe(no_mangle)]
#[inline(never)]
pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY: forwarded from the caller.
    unsafe { compare(a, b, n) }
}

/// The comparison itself, apart from the symbol so that native tests can check it: eight
/// bytes at a time, the last eight (or four) read overlapping what was already found equal.
///
/// # Safety
/// `a` and `b` are valid for reads of `n` bytes.
#[inline(always)]
pub unsafe fn compare(a: *const u8, b: *const u8, n: usize) -> i32 {
    // SAFETY (every read below): it lies inside the first `n` bytes.
    // Words are read little-endian (as wasm always is), so the lowest byte is the first.
    let word = |at: usize| unsafe {
        (
            u64::from_le(a.add(at).cast::<u64>().read_unaligned()),
            u64::from_le(b.add(at).cast::<u64>().read_unaligned()),
        )
    };
    if n >= 8 {
        let mut at = 0;
        while at + 8 < n {
            let (x, y) = word(at);
            if x != y {
                return first_difference(x, y);
            }
            at += 8;
        }
        let (x, y) = word(n - 8);
        return first_difference(x, y);
    }
    if n >= 4 {
        let half = |at: usize| unsafe {
            (
                u64::from(u32::from_le(a.add(at).cast::<u32>().read_unaligned())),
                u64::from(u32::from_le(b.add(at).cast::<u32>().read_unaligned())),
            )
        };
        let (x, y) = half(0);
        if x != y {
            return first_difference(x, y);
        }
        let (x, y) = half(n - 4);
        return first_difference(x, y);
    }
    let mut at = 0;
    while at < n {
        // SAFETY: `at < n`.
        let (x, y) = unsafe { (*a.add(at), *b.add(at)) };
        if x != y {
            return i32::from(x) - i32::from(y);
        }
        at += 1;
    }
    0
}

/// The order of two little-endian words by their lowest differing byte (0 if equal).
#[inline(always)]
fn first_difference(x: u64, y: u64) -> i32 {
    if x == y {
        return 0;
    }
    let shift = (x ^ y).trailing_zeros() & !7;
    ((x >> shift) & 0xff) as i32 - ((y >> shift) & 0xff) as i32
}

#[cfg(test)]
mod tests {
    use super::compare;

    fn sign(a: &[u8], b: &[u8]) -> i32 {
        assert_eq!(a.len(), b.len());
        // SAFETY: both slices hold `a.len()` bytes.
        unsafe { compare(a.as_ptr(), b.as_ptr(), a.len()) }.signum()
    }

    #[test]
    fn agrees_with_slice_order_at_every_length_and_position() {
        for len in 0..40 {
            let base: Vec<u8> = (0..len).map(|i| (i * 7 + 3) as u8).collect();
            assert_eq!(sign(&base, &base), 0);
            for at in 0..len {
                for delta in [1u8, 0x7f, 0x80, 0xff] {
                    let mut other = base.clone();
                    other[at] = other[at].wrapping_add(delta);
                    let expected = base.cmp(&other) as i32;
                    assert_eq!(sign(&base, &other), expected, "len {len} at {at} +{delta}");
                    assert_eq!(sign(&other, &base), -expected, "len {len} at {at} +{delta}");
                }
            }
        }
    }

    #[test]
    fn the_first_difference_decides_not_a_later_one() {
        let a = b"abcdefghijklmnop";
        let mut b = *a;
        b[2] = b'z'; // a < b here
        b[12] = b'a'; // a > b here, later
        assert_eq!(sign(a, &b), -1);
        assert_eq!(sign(&b, a), 1);
    }
}
