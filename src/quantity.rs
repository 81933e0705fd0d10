//! Kubernetes resource quantities (`1Gi`, `500M`, `1.5e9`), parsed as the API server parses
//! them and compared exactly, in whole nano-units, without floating point.
//!
//! Grammar (from `k8s.io/apimachinery/pkg/api/resource`):
//! `<sign>? (<digits> | <digits>. | <digits>.<digits> | .<digits>) <suffix>`, where the
//! suffix is a binary SI suffix (`Ki` … `Ei`), a decimal SI suffix (`n u m "" k M G T P E`)
//! or a decimal exponent (`e3`, `E-2`, `e+9`).

use std::cmp::Ordering;
use std::fmt;

/// A non-negative quantity, kept with the text it was written as.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quantity {
    /// The value in nano-units, rounded up; saturates at `u128::MAX` for absurd inputs,
    /// which then compares above any configured maximum.
    nanos: u128,
    text: String,
}

impl Quantity {
    pub fn parse(text: &str) -> Result<Quantity, String> {
        parse_nanos(text).map(|nanos| Quantity {
            nanos,
            text: text.to_string(),
        })
    }

    /// A quantity in JSON, which the API server accepts as a string or a number; `shown` is
    /// the JSON value as messages show it.
    pub fn from_json(
        string: Option<&str>,
        number: Option<&serde_json::Number>,
        shown: impl fmt::Display,
    ) -> Result<Quantity, String> {
        match (string, number) {
            (Some(s), _) => Quantity::parse(s),
            (None, Some(n)) => Quantity::parse(&n.to_string()),
            (None, None) => Err(format!(
                "found {shown}, expected a quantity string such as \"1Gi\""
            )),
        }
    }

    /// `n` gibibytes, written as `<n>Gi`.
    pub fn gib(n: u64) -> Quantity {
        Quantity {
            nanos: (u128::from(n) << 30) * 1_000_000_000,
            // Not `format!`: the defaults are built for every request of a fresh instance.
            text: {
                let mut text = String::with_capacity(24);
                crate::decimal::push_str(&mut text, n);
                text.push_str("Gi");
                text
            },
        }
    }

    /// Whether the quantity is zero (kubelet ignores a zero emptyDir sizeLimit: no limit).
    pub fn is_zero(&self) -> bool {
        self.nanos == 0
    }

    /// The text the quantity was written as.
    pub fn as_str(&self) -> &str {
        &self.text
    }
}

impl fmt::Display for Quantity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

impl PartialOrd for Quantity {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Quantity {
    fn cmp(&self, other: &Self) -> Ordering {
        self.nanos.cmp(&other.nanos)
    }
}

/// The scale a suffix applies: a power of two or a (possibly negative) power of ten.
enum Scale {
    Pow2(u32),
    Pow10(i64),
}

fn suffix_scale(suffix: &str) -> Option<Scale> {
    let scale = match suffix {
        "" => Scale::Pow10(0),
        "n" => Scale::Pow10(-9),
        "u" => Scale::Pow10(-6),
        "m" => Scale::Pow10(-3),
        "k" => Scale::Pow10(3),
        "M" => Scale::Pow10(6),
        "G" => Scale::Pow10(9),
        "T" => Scale::Pow10(12),
        "P" => Scale::Pow10(15),
        "E" => Scale::Pow10(18),
        "Ki" => Scale::Pow2(10),
        "Mi" => Scale::Pow2(20),
        "Gi" => Scale::Pow2(30),
        "Ti" => Scale::Pow2(40),
        "Pi" => Scale::Pow2(50),
        "Ei" => Scale::Pow2(60),
        _ => return exponent_scale(suffix),
    };
    Some(scale)
}

/// `e3`, `E-2`, `e+9`: a decimal exponent (an integer with an optional sign).
fn exponent_scale(suffix: &str) -> Option<Scale> {
    let rest = suffix.strip_prefix(['e', 'E'])?;
    let (negative, digits) = match rest.as_bytes().first() {
        Some(b'-') => (true, rest.get(1..)?),
        Some(b'+') => (false, rest.get(1..)?),
        _ => (false, rest),
    };
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    // Anything beyond a few hundred is saturated or rounded away below; cap to stay in i64.
    let magnitude: i64 = digits.parse::<i64>().unwrap_or(i64::MAX / 2).min(10_000);
    Some(Scale::Pow10(if negative { -magnitude } else { magnitude }))
}

const EXPLAIN: &str = "expected a Kubernetes quantity such as 512Mi, 1Gi, 1.5G or 2e9";

fn parse_nanos(text: &str) -> Result<u128, String> {
    let bytes = text.as_bytes();
    let mut i = 0;
    let mut negative = false;
    if let Some(&sign) = bytes.first()
        && (sign == b'+' || sign == b'-')
    {
        negative = sign == b'-';
        i = 1;
    }
    let int_start = i;
    while bytes.get(i).is_some_and(u8::is_ascii_digit) {
        i += 1;
    }
    let int_digits = text.get(int_start..i).unwrap_or("");
    let mut frac_digits = "";
    if bytes.get(i) == Some(&b'.') {
        let frac_start = i + 1;
        i = frac_start;
        while bytes.get(i).is_some_and(u8::is_ascii_digit) {
            i += 1;
        }
        frac_digits = text.get(frac_start..i).unwrap_or("");
    }
    if int_digits.is_empty() && frac_digits.is_empty() {
        return Err(format!("{text:?} is not a quantity: {EXPLAIN}"));
    }
    let suffix = text.get(i..).unwrap_or("");
    let scale = suffix_scale(suffix)
        .ok_or_else(|| format!("{text:?} has an unknown suffix {suffix:?}: {EXPLAIN}"))?;

    // Drop leading zeros of the integer part and trailing zeros of the fraction: they change
    // nothing and would only overflow the arithmetic below.
    let int_digits = int_digits.trim_start_matches('0');
    let frac_digits = frac_digits.trim_end_matches('0');
    let all_zero = int_digits.is_empty() && frac_digits.is_empty();
    if all_zero {
        return Ok(0);
    }
    if negative {
        return Err(format!("{text:?} is negative: a size must be zero or more"));
    }
    Ok(scaled_nanos(int_digits, frac_digits, scale))
}

/// `int.frac × scale × 10^9`, rounded up, saturating at `u128::MAX`.
fn scaled_nanos(int_digits: &str, frac_digits: &str, scale: Scale) -> u128 {
    // The number as an integer `mantissa` over `10^frac_len`.
    let mut mantissa: u128 = 0;
    for b in int_digits.bytes().chain(frac_digits.bytes()) {
        let digit = u128::from(b - b'0');
        mantissa = match mantissa.checked_mul(10).and_then(|m| m.checked_add(digit)) {
            Some(m) => m,
            None => return u128::MAX,
        };
    }
    let frac_len = i64::try_from(frac_digits.len()).unwrap_or(i64::MAX);
    let (mut numerator, mut pow10) = (mantissa, 9i64.saturating_sub(frac_len));
    match scale {
        Scale::Pow2(bits) => match numerator.checked_mul(1u128 << bits) {
            Some(n) => numerator = n,
            None => return u128::MAX,
        },
        Scale::Pow10(exp) => pow10 = pow10.saturating_add(exp),
    }
    if pow10 >= 0 {
        let factor = match u32::try_from(pow10)
            .ok()
            .and_then(|p| 10u128.checked_pow(p))
        {
            Some(f) => f,
            None => return u128::MAX,
        };
        numerator.saturating_mul(factor)
    } else {
        match u32::try_from(-pow10)
            .ok()
            .and_then(|p| 10u128.checked_pow(p))
        {
            Some(divisor) => numerator.div_ceil(divisor),
            // A divisor beyond u128 leaves less than one nano-unit of a non-zero value.
            None => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nanos(text: &str) -> u128 {
        Quantity::parse(text).unwrap().nanos
    }

    const GIB: u128 = 1 << 30;
    const NANO: u128 = 1_000_000_000;

    #[test]
    fn binary_suffixes() {
        assert_eq!(nanos("1Ki"), 1024 * NANO);
        assert_eq!(nanos("2048Ki"), 2 * 1024 * 1024 * NANO);
        assert_eq!(nanos("1Gi"), GIB * NANO);
        assert_eq!(nanos("1.5Gi"), 3 * GIB / 2 * NANO);
        assert_eq!(nanos("1Ei"), (1u128 << 60) * NANO);
    }

    #[test]
    fn decimal_suffixes_and_exponents() {
        assert_eq!(nanos("500M"), 500_000_000 * NANO);
        assert_eq!(nanos("1e9"), 1_000_000_000 * NANO);
        assert_eq!(nanos("1E9"), 1_000_000_000 * NANO);
        assert_eq!(nanos("1E"), 1_000_000_000_000_000_000 * NANO);
        assert_eq!(nanos("1e+3"), 1000 * NANO);
        assert_eq!(nanos("15e-1"), 3 * NANO / 2);
        assert_eq!(nanos("100m"), NANO / 10);
        assert_eq!(nanos("1n"), 1);
        assert_eq!(nanos("1u"), 1000);
        assert_eq!(nanos("1k"), 1000 * NANO);
        assert_eq!(nanos("0.5"), NANO / 2);
        assert_eq!(nanos(".5"), NANO / 2);
        assert_eq!(nanos("5."), 5 * NANO);
        assert_eq!(nanos("+5"), 5 * NANO);
        assert_eq!(nanos("0"), 0);
        assert_eq!(nanos("-0"), 0);
        assert_eq!(
            nanos("000000000000000000000000000000000000000001Ki"),
            1024 * NANO
        );
    }

    #[test]
    fn exact_comparison_without_floats() {
        let q = |t: &str| Quantity::parse(t).unwrap();
        assert!(q("1Gi") > q("1G"));
        assert_eq!(q("1Gi").cmp(&q("1073741824")), Ordering::Equal);
        assert_eq!(q("1024Mi").cmp(&q("1Gi")), Ordering::Equal);
        assert!(q("1073741825") > q("1Gi"));
        assert!(q("10Gi") < q("10737418241"));
        assert_eq!(q("10Gi").cmp(&q("10737418240")), Ordering::Equal);
        assert!(q("0.000000001") > q("0"));
        // Rounded up to whole nano-units, as the API server does.
        assert_eq!(nanos("0.0000000001"), 1);
    }

    #[test]
    fn absurd_values_saturate_above_any_maximum() {
        assert_eq!(nanos("1e400"), u128::MAX);
        assert_eq!(
            nanos("99999999999999999999999999999999999999999Ei"),
            u128::MAX
        );
        assert!(Quantity::parse("1e99").unwrap() > Quantity::parse("10Gi").unwrap());
        assert_eq!(nanos("1e-400"), 1);
    }

    #[test]
    fn invalid_quantities_are_explained() {
        for bad in [
            "", "Gi", "1GB", "1gi", "1 Gi", " 1Gi", "1Gi ", "1e", "1e+", "1.2.3", "--1", ".", "1i",
            "abc", "1Ki2", "0x10", "1E1.5", "-1Gi", "-1",
        ] {
            let err = Quantity::parse(bad).unwrap_err();
            assert!(err.contains(&format!("{bad:?}")), "{bad:?}: {err}");
        }
        assert!(Quantity::parse("-1Gi").unwrap_err().contains("negative"));
    }

    #[test]
    fn keeps_the_original_text() {
        assert_eq!(Quantity::parse("1.5Gi").unwrap().to_string(), "1.5Gi");
        assert_eq!(Quantity::parse("2e9").unwrap().as_str(), "2e9");
    }
}
