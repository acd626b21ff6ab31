//! Commission on target completion (佣金方案, README "Commission"): bands of completion, each
//! with a rate, applied marginally (each band's rate on the part of sales inside it) or whole
//! (the reached band's rate on all sales), and a parent organization's override on its
//! subtree (下级合作伙伴奖金). Every band amount and override is rounded to the cent, half away
//! from zero; a commission is the sum of its rounded band amounts.

use crate::arith::round2;
use crate::decimal::{parse_decimal, DecimalKind};
use rust_decimal::Decimal;

/// The most bands one plan may have.
pub const BANDS_MAX: usize = 20;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CommissionError {
    #[error("band {text:?}: expected FROM:RATE in percent, e.g. 80:3 (3% from 80% of the target)")]
    BadBand { text: String },
    #[error("band {text:?}: {what} {value} is outside 0 to {max}")]
    BandOutOfRange {
        text: String,
        what: &'static str,
        value: Decimal,
        max: u32,
    },
    #[error("bands must start at increasing completions: {from}% follows {previous}%")]
    BandsNotIncreasing { from: Decimal, previous: Decimal },
    #[error("a plan needs 1 to {BANDS_MAX} bands, not {count}")]
    BandCount { count: usize },
    #[error("unknown commission mode {text:?}: expected marginal or whole")]
    BadMode { text: String },
    #[error("unknown override base {text:?}: expected sales or commission")]
    BadOverrideBase { text: String },
    #[error("override rate {text:?}: expected a percent from 0 to 100, e.g. 1.5")]
    BadOverrideRate { text: String },
}

/// How the bands apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BandMode {
    /// Each band's rate on the part of sales inside the band.
    Marginal,
    /// The rate of the highest band reached on all sales.
    Whole,
}

impl BandMode {
    pub fn as_str(self) -> &'static str {
        match self {
            BandMode::Marginal => "marginal",
            BandMode::Whole => "whole",
        }
    }

    pub fn parse(text: &str) -> Result<BandMode, CommissionError> {
        match text.trim() {
            "marginal" => Ok(BandMode::Marginal),
            "whole" => Ok(BandMode::Whole),
            _ => Err(CommissionError::BadMode {
                text: crate::echo::echo_prefix(text),
            }),
        }
    }
}

/// What a parent's override is a rate on: its descendants' sales or their commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OverrideBase {
    Sales,
    Commission,
}

impl OverrideBase {
    pub fn as_str(self) -> &'static str {
        match self {
            OverrideBase::Sales => "sales",
            OverrideBase::Commission => "commission",
        }
    }

    pub fn parse(text: &str) -> Result<OverrideBase, CommissionError> {
        match text.trim() {
            "sales" => Ok(OverrideBase::Sales),
            "commission" => Ok(OverrideBase::Commission),
            _ => Err(CommissionError::BadOverrideBase {
                text: crate::echo::echo_prefix(text),
            }),
        }
    }
}

/// From `from_pct` percent of the target on, `rate_pct` percent.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Band {
    pub from_pct: Decimal,
    pub rate_pct: Decimal,
}

/// A plan's bands, by increasing completion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bands(Vec<Band>);

/// A percent as typed (`3`, `3%`, `1.5`) within `0..=max`.
fn percent(text: &str, what: &'static str, max: u32, whole: &str) -> Result<Decimal, CommissionError> {
    let digits = text.trim().trim_end_matches('%');
    // Four places at most, as a quantity is (a percent of 1.2345%).
    let value = parse_decimal(digits, DecimalKind::Quantity).map_err(|_| CommissionError::BadBand {
        text: crate::echo::echo_prefix(whole),
    })?;
    if value.is_sign_negative() || value > Decimal::from(max) {
        return Err(CommissionError::BandOutOfRange {
            text: crate::echo::echo_prefix(whole),
            what,
            value,
            max,
        });
    }
    Ok(value.normalize())
}

/// An override rate as typed (`1.5`, `1.5%`): a percent from 0 to 100.
pub fn parse_override_rate(text: &str) -> Result<Decimal, CommissionError> {
    percent(text, "override rate", 100, text).map_err(|_| CommissionError::BadOverrideRate {
        text: crate::echo::echo_prefix(text),
    })
}

impl Bands {
    /// Bands from `FROM:RATE` texts (both in percent; completion up to 1000%, rate up to 100%),
    /// by strictly increasing completion; e.g. `["80:3", "100:5"]`.
    pub fn parse<S: AsRef<str>>(texts: &[S]) -> Result<Bands, CommissionError> {
        if texts.is_empty() || texts.len() > BANDS_MAX {
            return Err(CommissionError::BandCount { count: texts.len() });
        }
        let mut bands: Vec<Band> = Vec::with_capacity(texts.len());
        for text in texts {
            let text = text.as_ref();
            let (from, rate) = text.split_once(':').ok_or_else(|| CommissionError::BadBand {
                text: crate::echo::echo_prefix(text),
            })?;
            let band = Band {
                from_pct: percent(from, "completion", 1000, text)?,
                rate_pct: percent(rate, "rate", 100, text)?,
            };
            if let Some(previous) = bands.last() {
                if band.from_pct <= previous.from_pct {
                    return Err(CommissionError::BandsNotIncreasing {
                        from: band.from_pct,
                        previous: previous.from_pct,
                    });
                }
            }
            bands.push(band);
        }
        Ok(Bands(bands))
    }

    /// The canonical text `parse` reads back: `80:3,100:5`.
    pub fn canonical(&self) -> String {
        let parts: Vec<String> = self
            .0
            .iter()
            .map(|band| format!("{}:{}", band.from_pct, band.rate_pct))
            .collect();
        parts.join(",")
    }

    pub fn bands(&self) -> &[Band] {
        &self.0
    }
}

/// One band's part of a commission.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandAmount {
    pub band: Band,
    /// The sales the band's rate applies to.
    pub base: Decimal,
    /// `base × rate`, to the cent.
    pub amount: Decimal,
}

/// A commission: completion, each band's part, and their sum.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Commission {
    /// `sales / target × 100` to two places; `None` without a (non-zero) target.
    pub completion_pct: Option<Decimal>,
    pub bands: Vec<BandAmount>,
    pub commission: Decimal,
}

/// The commission on `sales` against `target` under `bands` applied as `mode`. Without a
/// positive target, or with sales at or below zero, there is none.
pub fn commission(sales: Decimal, target: Decimal, bands: &Bands, mode: BandMode) -> Commission {
    let completion_pct = (target > Decimal::ZERO).then(|| round2(sales * Decimal::ONE_HUNDRED / target));
    let paid = target > Decimal::ZERO && sales > Decimal::ZERO;
    let hundred = Decimal::ONE_HUNDRED;
    // The highest band reached, by exact completion (not the rounded one shown).
    let reached = bands
        .0
        .iter()
        .rposition(|band| paid && sales * hundred >= target * band.from_pct);
    let parts: Vec<BandAmount> = bands
        .0
        .iter()
        .enumerate()
        .map(|(index, band)| {
            let base = if !paid {
                Decimal::ZERO
            } else {
                match mode {
                    BandMode::Whole if reached == Some(index) => sales,
                    BandMode::Whole => Decimal::ZERO,
                    BandMode::Marginal => {
                        let lower = target * band.from_pct / hundred;
                        let upper = bands
                            .0
                            .get(index + 1)
                            .map(|next| target * next.from_pct / hundred);
                        let top = upper.map_or(sales, |upper| sales.min(upper));
                        (top - lower).max(Decimal::ZERO)
                    }
                }
            };
            BandAmount {
                band: *band,
                base,
                amount: round2(base * band.rate_pct / hundred),
            }
        })
        .collect();
    Commission {
        completion_pct,
        commission: parts.iter().map(|part| part.amount).sum(),
        bands: parts,
    }
}

/// A parent's override: `rate_pct` percent of `base` (its descendants' sales or commission), to
/// the cent.
pub fn override_amount(base: Decimal, rate_pct: Decimal) -> Decimal {
    round2(base.max(Decimal::ZERO) * rate_pct / Decimal::ONE_HUNDRED)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn dec(text: &str) -> Decimal {
        text.parse().unwrap()
    }

    fn seeds_plan() -> Bands {
        Bands::parse(&["80:3", "100:5"]).unwrap()
    }

    #[test]
    fn the_seeds_example_pays_above_eighty_percent_of_a_yearly_target() {
        // A 1.2M yearly target, 1.1M sold: 3% on 960,000..1,100,000.
        let sold = commission(dec("1100000"), dec("1200000"), &seeds_plan(), BandMode::Marginal);
        assert_eq!(sold.completion_pct, Some(dec("91.67")));
        assert_eq!(sold.bands[0].base, dec("140000"));
        assert_eq!(sold.commission, dec("4200.00"));
        // 1.5M sold: 3% on 960,000..1,200,000 and 5% on the 300,000 above.
        let more = commission(dec("1500000"), dec("1200000"), &seeds_plan(), BandMode::Marginal);
        assert_eq!(more.commission, dec("22200.00"));
        let whole = commission(dec("1500000"), dec("1200000"), &seeds_plan(), BandMode::Whole);
        assert_eq!(whole.commission, dec("75000.00"));
        let below = commission(dec("900000"), dec("1200000"), &seeds_plan(), BandMode::Whole);
        assert_eq!(below.commission, Decimal::ZERO);
    }

    #[test]
    fn band_amounts_round_each_to_the_cent_half_away_from_zero() {
        let bands = Bands::parse(&["0:0.5"]).unwrap();
        let paid = commission(dec("1"), dec("1"), &bands, BandMode::Marginal);
        assert_eq!(paid.commission, dec("0.01"), "0.005 rounds up");
        let paid = commission(dec("0.9"), dec("1"), &bands, BandMode::Marginal);
        assert_eq!(paid.commission, dec("0.00"), "0.0045 rounds down");
        assert_eq!(override_amount(dec("333.33"), dec("1.5")), dec("5.00"));
    }

    #[test]
    fn bad_bands_are_refused_by_name() {
        let refused = |texts: &[&str]| Bands::parse(texts).unwrap_err().to_string();
        assert!(refused(&["80"]).contains("expected FROM:RATE"));
        assert!(refused(&["80:300"]).contains("rate 300 is outside 0 to 100"));
        assert!(refused(&["100:5", "80:3"]).contains("80% follows 100%"));
        assert!(refused(&[]).contains("1 to 20 bands"));
        assert_eq!(
            Bands::parse(&["80%:3%", "100:5.0"]).unwrap().canonical(),
            "80:3,100:5"
        );
    }

    proptest! {
        #[test]
        fn marginal_bases_cover_the_sales_above_the_first_band(
            sales in 0i64..1_000_000_000, target in 1i64..1_000_000_000,
        ) {
            let (sales, target) = (Decimal::new(sales, 2), Decimal::new(target, 2));
            let paid = commission(sales, target, &seeds_plan(), BandMode::Marginal);
            let covered: Decimal = paid.bands.iter().map(|part| part.base).sum();
            let first = target * dec("0.8");
            prop_assert_eq!(covered, (sales - first).max(Decimal::ZERO));
            let sum: Decimal = paid.bands.iter().map(|part| part.amount).sum();
            prop_assert_eq!(paid.commission, sum);
        }

        #[test]
        fn more_sales_never_pay_less(
            sales in 0i64..1_000_000_000, more in 0i64..100_000_000, target in 1i64..1_000_000_000,
            whole in any::<bool>(),
        ) {
            let mode = if whole { BandMode::Whole } else { BandMode::Marginal };
            let target = Decimal::new(target, 2);
            let less = commission(Decimal::new(sales, 2), target, &seeds_plan(), mode);
            let most = commission(Decimal::new(sales + more, 2), target, &seeds_plan(), mode);
            prop_assert!(most.commission >= less.commission);
            // Whole pays at least what marginal does for the same figures.
            let marginal = commission(Decimal::new(sales, 2), target, &seeds_plan(), BandMode::Marginal);
            let whole = commission(Decimal::new(sales, 2), target, &seeds_plan(), BandMode::Whole);
            prop_assert!(whole.commission + dec("0.01") >= marginal.commission);
        }
    }
}
