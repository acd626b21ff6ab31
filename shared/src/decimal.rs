//! Exact decimal parsing and formatting: every quantity, price, rate and amount (docs/documents.md).
//!
//! Parsing is strict: an optional `-`, digits, an optional `.` and digits. Exponents, `+`,
//! grouping characters, spaces, NaN and more fractional digits than the kind allows are refused;
//! nothing is ever rounded silently.

use rust_decimal::Decimal;
use std::str::FromStr;

/// What a decimal stands for, which fixes its scale and range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalKind {
    /// A quantity: scale ≤ 4, at most 12 integer digits.
    Quantity,
    /// A unit price: scale ≤ 6, at most 12 integer digits.
    Price,
    /// A discount or tax rate: scale ≤ 4, in [0, 1).
    Rate,
    /// A money amount: scale ≤ 2, at most 15 integer digits.
    Amount,
}

impl DecimalKind {
    pub const fn max_scale(self) -> u32 {
        match self {
            DecimalKind::Quantity | DecimalKind::Rate => 4,
            DecimalKind::Price => 6,
            DecimalKind::Amount => 2,
        }
    }

    const fn max_integer_digits(self) -> usize {
        match self {
            DecimalKind::Quantity | DecimalKind::Price => 12,
            DecimalKind::Rate => 1,
            DecimalKind::Amount => 15,
        }
    }

    const fn name(self) -> &'static str {
        match self {
            DecimalKind::Quantity => "quantity",
            DecimalKind::Price => "price",
            DecimalKind::Rate => "rate",
            DecimalKind::Amount => "amount",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecimalError {
    #[error("empty {kind}")]
    Empty { kind: &'static str },
    #[error("malformed {kind} {text:?}: expected digits with an optional '-' and '.' (no exponent, grouping or spaces)")]
    Malformed { kind: &'static str, text: String },
    #[error("{kind} {text:?} has more than {max_scale} decimal places")]
    TooPrecise {
        kind: &'static str,
        text: String,
        max_scale: u32,
    },
    #[error("{kind} {text:?} is too large")]
    TooLarge { kind: &'static str, text: String },
    #[error("rate {text:?} must be at least 0 and below 1")]
    RateOutOfRange { text: String },
}

/// Parses `text` exactly as a decimal of `kind`.
pub fn parse_decimal(text: &str, kind: DecimalKind) -> Result<Decimal, DecimalError> {
    let name = kind.name();
    if text.is_empty() {
        return Err(DecimalError::Empty { kind: name });
    }
    let malformed = || DecimalError::Malformed {
        kind: name,
        text: crate::echo::echo_prefix(text),
    };
    let unsigned = text.strip_prefix('-').unwrap_or(text);
    let (integer_part, fraction_part) = match unsigned.split_once('.') {
        Some((integer_part, fraction_part)) => (integer_part, Some(fraction_part)),
        None => (unsigned, None),
    };
    let all_digits = |part: &str| !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit());
    if !all_digits(integer_part) || !fraction_part.is_none_or(all_digits) {
        return Err(malformed());
    }
    let scale = fraction_part.map_or(0, str::len);
    if scale > kind.max_scale() as usize {
        return Err(DecimalError::TooPrecise {
            kind: name,
            text: crate::echo::echo_prefix(text),
            max_scale: kind.max_scale(),
        });
    }
    let significant_integer_digits = integer_part.trim_start_matches('0').len();
    if significant_integer_digits > kind.max_integer_digits() {
        return Err(DecimalError::TooLarge {
            kind: name,
            text: crate::echo::echo_prefix(text),
        });
    }
    let value = Decimal::from_str(text).map_err(|_| malformed())?;
    if kind == DecimalKind::Rate && (value.is_sign_negative() && !value.is_zero() || value >= Decimal::ONE) {
        return Err(DecimalError::RateOutOfRange {
            text: crate::echo::echo_prefix(text),
        });
    }
    Ok(value)
}

/// Formats an amount, tax or total with exactly two places.
pub fn format_amount(value: Decimal) -> String {
    format!("{:.2}", value)
}

/// Formats a quantity or price without trailing zeros ("17", "21.5").
pub fn format_plain(value: Decimal) -> String {
    let normalized = value.normalize();
    if normalized.is_zero() {
        "0".to_owned()
    } else {
        normalized.to_string()
    }
}

/// `value × 10^scale` as an integer, for storage as a scaled integer.
/// The value must have at most `scale` places (guaranteed by `parse_decimal`).
pub fn to_scaled(value: Decimal, scale: u32) -> i64 {
    let mut scaled = value;
    scaled.rescale(scale);
    i64::try_from(scaled.mantissa()).expect("decimal within the parsed range fits a scaled i64")
}

/// The decimal a scaled integer stands for.
pub fn from_scaled(scaled: i64, scale: u32) -> Decimal {
    Decimal::new(scaled, scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_plain_decimals() {
        assert_eq!(
            parse_decimal("17", DecimalKind::Quantity).unwrap().to_string(),
            "17"
        );
        assert_eq!(
            parse_decimal("21.50", DecimalKind::Price).unwrap().to_string(),
            "21.50"
        );
        assert_eq!(
            parse_decimal("-3.5", DecimalKind::Quantity).unwrap().to_string(),
            "-3.5"
        );
        assert_eq!(
            parse_decimal("0.13", DecimalKind::Rate).unwrap().to_string(),
            "0.13"
        );
    }

    #[test]
    fn refuses_what_is_not_exact() {
        for text in [
            "", "1e5", "1E5", "+1", "1,000", "1 000", "NaN", "inf", ".5", "5.", "--1", "0x10", " 1", "1_000",
        ] {
            assert!(
                parse_decimal(text, DecimalKind::Quantity).is_err(),
                "{text:?} accepted"
            );
        }
        assert!(matches!(
            parse_decimal("1.00001", DecimalKind::Quantity),
            Err(DecimalError::TooPrecise { .. })
        ));
        assert!(matches!(
            parse_decimal("1", DecimalKind::Rate),
            Err(DecimalError::RateOutOfRange { .. })
        ));
        assert!(matches!(
            parse_decimal("-0.1", DecimalKind::Rate),
            Err(DecimalError::RateOutOfRange { .. })
        ));
        assert!(matches!(
            parse_decimal("1234567890123", DecimalKind::Quantity),
            Err(DecimalError::TooLarge { .. })
        ));
    }

    #[test]
    fn formats() {
        assert_eq!(format_amount(Decimal::new(35088, 2)), "350.88");
        assert_eq!(format_amount(Decimal::new(5, 0)), "5.00");
        assert_eq!(format_plain(Decimal::new(17000, 3)), "17");
        assert_eq!(format_plain(Decimal::new(2150, 2)), "21.5");
        assert_eq!(format_plain(Decimal::new(0, 3)), "0");
    }

    #[test]
    fn scaled_round_trip() {
        let value = parse_decimal("-12.3456", DecimalKind::Quantity).unwrap();
        assert_eq!(to_scaled(value, 4), -123456);
        assert_eq!(from_scaled(-123456, 4), value);
    }
}
