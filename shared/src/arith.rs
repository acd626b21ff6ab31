//! Line arithmetic (docs/documents.md): amount, tax and total of a document line, rounded 四舍五入.

use rust_decimal::{Decimal, RoundingStrategy};

/// Rounds half away from zero to 2 places.
pub fn round2(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero)
}

/// Money values of one line.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct LineValues {
    pub amount: Decimal,
    pub tax: Decimal,
    pub total: Decimal,
}

impl LineValues {
    /// `amount = round2(qty × price × (1 − discount))`, `tax = round2(amount × tax_rate)`,
    /// `total = amount + tax`. `None` when the amount exceeds the supported range.
    pub fn compute(qty: Decimal, price: Decimal, discount: Decimal, tax_rate: Decimal) -> Option<LineValues> {
        let gross = qty.checked_mul(price)?;
        let amount = round2(gross.checked_mul(Decimal::ONE - discount)?);
        if amount.abs() >= Decimal::new(1_000_000_000_000, 0) {
            return None;
        }
        let tax = round2(amount * tax_rate);
        Some(LineValues {
            amount,
            tax,
            total: amount + tax,
        })
    }
}

impl std::ops::Add for LineValues {
    type Output = LineValues;

    fn add(self, other: LineValues) -> LineValues {
        LineValues {
            amount: self.amount + other.amount,
            tax: self.tax + other.tax,
            total: self.total + other.total,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    #[test]
    fn spec_example() {
        // 17 × 21.50 × 0.96 = 350.88; tax 13% = 45.6144 → 45.61
        let values = LineValues::compute(d("17"), d("21.50"), d("0.04"), d("0.13")).unwrap();
        assert_eq!(values.amount, d("350.88"));
        assert_eq!(values.tax, d("45.61"));
        assert_eq!(values.total, d("396.49"));
    }

    #[test]
    fn rounds_half_away_from_zero() {
        assert_eq!(round2(d("0.125")), d("0.13"));
        assert_eq!(round2(d("-0.125")), d("-0.13"));
        assert_eq!(round2(d("0.124999")), d("0.12"));
    }

    #[test]
    fn refuses_huge_amounts() {
        assert!(LineValues::compute(d("999999999999"), d("999999999999"), d("0"), d("0")).is_none());
    }

    proptest! {
        #[test]
        fn red_line_mirrors_its_source(qty in 1i64..10_000_000, price in 0i64..100_000_000, discount in 0i64..10_000, tax in 0i64..10_000) {
            let (qty, price) = (Decimal::new(qty, 4), Decimal::new(price, 6));
            let (discount, tax) = (Decimal::new(discount, 4), Decimal::new(tax, 4));
            let blue = LineValues::compute(qty, price, discount, tax).unwrap();
            let red = LineValues::compute(-qty, price, discount, tax).unwrap();
            prop_assert_eq!(red.amount, -blue.amount);
            prop_assert_eq!(red.tax, -blue.tax);
            prop_assert_eq!(blue.total, blue.amount + blue.tax);
        }

        #[test]
        fn rounding_error_is_at_most_half_a_cent(qty in 1i64..10_000_000, price in 0i64..100_000_000, discount in 0i64..10_000) {
            let (qty, price, discount) = (Decimal::new(qty, 4), Decimal::new(price, 6), Decimal::new(discount, 4));
            let exact = qty * price * (Decimal::ONE - discount);
            let values = LineValues::compute(qty, price, discount, Decimal::ZERO).unwrap();
            prop_assert!((values.amount - exact).abs() <= Decimal::new(5, 3));
            prop_assert_eq!(values.amount.scale() <= 2, true);
        }
    }
}
