//! Stock limits (安全库存: 最低库存 and 最高库存): a product's minimum and optional maximum
//! on-hand, set at HQ for one warehouse or for an organization subtree, resolved to one limit
//! per warehouse and product (a warehouse's own limit wins over an organization's, the nearest
//! organization over a farther one), and an on-hand judged against it.

use crate::code::{org_in_subtree, validate_branch_code, validate_org_code, validate_record_code, CodeError};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StockLimitError {
    #[error(transparent)]
    Code(#[from] CodeError),
    #[error("give a warehouse or an organization, not both")]
    BothScopes,
    #[error("give a warehouse or an organization")]
    NoScope,
    #[error("negative {what} {value}")]
    Negative { what: &'static str, value: Decimal },
    #[error("{what} {value} is not a quantity: at most 12 integer digits and 4 decimal places")]
    NotAQuantity { what: &'static str, value: Decimal },
    #[error("max {max} is less than min {min}")]
    MaxBelowMin { min: Decimal, max: Decimal },
}

/// Where a limit set at HQ applies.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum LimitScope {
    /// One warehouse (code).
    Warehouse(String),
    /// Every warehouse of the branches in an organization's subtree (code).
    Org(String),
}

/// One limit as HQ's master data holds it (`admin import stock-limits`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockLimitRule {
    pub product: String,
    pub scope: LimitScope,
    pub min: Decimal,
    pub max: Option<Decimal>,
}

/// The limit of one product in one warehouse, as a template carries it to the branch that
/// owns the warehouse (`branch` empty: a warehouse of no branch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct WarehouseLimit {
    pub warehouse: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub branch: String,
    pub product: String,
    pub min: Decimal,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max: Option<Decimal>,
}

/// A warehouse HQ knows, with its owning branch and that branch's organization (both empty
/// for a warehouse of no branch).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OwnedWarehouse {
    pub code: String,
    pub branch: String,
    pub org: String,
}

/// Refuses a negative minimum or maximum, one that is not a quantity, and a maximum below
/// the minimum.
pub fn check_min_max(min: Decimal, max: Option<Decimal>) -> Result<(), StockLimitError> {
    check_quantity("min", min)?;
    if let Some(max) = max {
        check_quantity("max", max)?;
        if max < min {
            return Err(StockLimitError::MaxBelowMin { min, max });
        }
    }
    Ok(())
}

fn check_quantity(what: &'static str, value: Decimal) -> Result<(), StockLimitError> {
    if value.is_sign_negative() && !value.is_zero() {
        return Err(StockLimitError::Negative { what, value });
    }
    if value.normalize().scale() > 4 || value >= Decimal::from(1_000_000_000_000_i64) {
        return Err(StockLimitError::NotAQuantity { what, value });
    }
    Ok(())
}

impl StockLimitRule {
    /// The scope of a warehouse code or an organization code, exactly one of them non-empty.
    pub fn scope_of(warehouse: &str, org: &str) -> Result<LimitScope, StockLimitError> {
        match (warehouse.is_empty(), org.is_empty()) {
            (false, false) => Err(StockLimitError::BothScopes),
            (true, true) => Err(StockLimitError::NoScope),
            (false, true) => {
                validate_record_code("warehouse", warehouse)?;
                Ok(LimitScope::Warehouse(warehouse.to_owned()))
            }
            (true, false) => {
                validate_org_code(org)?;
                Ok(LimitScope::Org(org.to_owned()))
            }
        }
    }

    pub fn validate(&self) -> Result<(), StockLimitError> {
        validate_record_code("product", &self.product)?;
        match &self.scope {
            LimitScope::Warehouse(code) => validate_record_code("warehouse", code)?,
            LimitScope::Org(code) => validate_org_code(code)?,
        }
        check_min_max(self.min, self.max)
    }
}

impl WarehouseLimit {
    pub fn validate(&self) -> Result<(), StockLimitError> {
        validate_record_code("warehouse", &self.warehouse)?;
        validate_record_code("product", &self.product)?;
        if !self.branch.is_empty() {
            validate_branch_code(&self.branch)?;
        }
        check_min_max(self.min, self.max)
    }
}

/// Resolves `rules` to one limit per warehouse of `warehouses` and product: the warehouse's
/// own rule, else the rule of the nearest organization at or above its branch's organization.
/// A warehouse of no branch takes only its own rules. Ordered by warehouse, then product.
pub fn resolve_limits(rules: &[StockLimitRule], warehouses: &[OwnedWarehouse]) -> Vec<WarehouseLimit> {
    let mut by_product: BTreeMap<&str, Vec<&StockLimitRule>> = BTreeMap::new();
    for rule in rules {
        by_product.entry(rule.product.as_str()).or_default().push(rule);
    }
    let mut warehouses: Vec<&OwnedWarehouse> = warehouses.iter().collect();
    warehouses.sort_by(|a, b| a.code.cmp(&b.code));
    let mut limits = Vec::new();
    for warehouse in warehouses {
        for (product, product_rules) in &by_product {
            if let Some(rule) = nearest_rule(product_rules, warehouse) {
                limits.push(WarehouseLimit {
                    warehouse: warehouse.code.clone(),
                    branch: warehouse.branch.clone(),
                    product: (*product).to_owned(),
                    min: rule.min,
                    max: rule.max,
                });
            }
        }
    }
    limits
}

/// The rule of one product that applies to `warehouse`, if any.
fn nearest_rule<'a>(rules: &[&'a StockLimitRule], warehouse: &OwnedWarehouse) -> Option<&'a StockLimitRule> {
    let own = rules
        .iter()
        .find(|rule| rule.scope == LimitScope::Warehouse(warehouse.code.clone()));
    if let Some(own) = own {
        return Some(*own);
    }
    if warehouse.org.is_empty() {
        return None;
    }
    rules
        .iter()
        .filter_map(|rule| match &rule.scope {
            LimitScope::Org(org) if org_in_subtree(&warehouse.org, org) => Some((org.len(), *rule)),
            _ => None,
        })
        .max_by_key(|(depth, _)| *depth)
        .map(|(_, rule)| rule)
}

/// An on-hand judged against its limit: under the minimum or over the maximum.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LimitCheck {
    /// `min − on hand`, when under the minimum.
    pub shortfall: Option<Decimal>,
    /// `max − on hand`, when under the minimum and a maximum is set: what to order.
    pub suggested_order: Option<Decimal>,
    /// `on hand − max`, when over the maximum.
    pub excess: Option<Decimal>,
}

/// How `on_hand` stands against `min` and `max`.
pub fn check_on_hand(on_hand: Decimal, min: Decimal, max: Option<Decimal>) -> LimitCheck {
    let below = on_hand < min;
    LimitCheck {
        shortfall: below.then(|| (min - on_hand).normalize()),
        suggested_order: max.filter(|_| below).map(|max| (max - on_hand).normalize()),
        excess: max
            .filter(|max| on_hand > *max)
            .map(|max| (on_hand - max).normalize()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rule(product: &str, scope: LimitScope, min: i64, max: Option<i64>) -> StockLimitRule {
        StockLimitRule {
            product: product.to_owned(),
            scope,
            min: Decimal::from(min),
            max: max.map(Decimal::from),
        }
    }

    fn warehouse(code: &str, branch: &str, org: &str) -> OwnedWarehouse {
        OwnedWarehouse {
            code: code.to_owned(),
            branch: branch.to_owned(),
            org: org.to_owned(),
        }
    }

    fn min_of(limits: &[WarehouseLimit], warehouse: &str, product: &str) -> Option<i64> {
        limits
            .iter()
            .find(|limit| limit.warehouse == warehouse && limit.product == product)
            .map(|limit| i64::try_from(limit.min).unwrap())
    }

    #[test]
    fn a_warehouse_limit_wins_and_the_nearest_organization_next() {
        let org = |code: &str| LimitScope::Org(code.to_owned());
        let rules = [
            rule("P1", org("001"), 5, None),
            rule("P1", org("001.002"), 8, Some(20)),
            rule("P1", LimitScope::Warehouse("W2".to_owned()), 3, None),
            rule("P2", org("001.003"), 1, None),
            rule("P3", LimitScope::Warehouse("W9".to_owned()), 2, None),
        ];
        let warehouses = [
            warehouse("W1", "B1", "001.002.001"),
            warehouse("W2", "B1", "001.002.001"),
            warehouse("W3", "B2", "001.004"),
            warehouse("W9", "", ""),
        ];
        let limits = resolve_limits(&rules, &warehouses);
        assert_eq!(min_of(&limits, "W1", "P1"), Some(8));
        assert_eq!(limits[0].max, Some(Decimal::from(20)));
        assert_eq!(min_of(&limits, "W2", "P1"), Some(3));
        assert_eq!(min_of(&limits, "W3", "P1"), Some(5));
        assert_eq!(min_of(&limits, "W1", "P2"), None);
        assert_eq!(
            min_of(&limits, "W9", "P1"),
            None,
            "a warehouse of no branch has no organization"
        );
        assert_eq!(min_of(&limits, "W9", "P3"), Some(2));
        assert_eq!(limits.len(), 4);
        // "001.0020" is not under "001.002".
        let limits = resolve_limits(&rules, &[warehouse("W5", "B5", "001.0020")]);
        assert_eq!(min_of(&limits, "W5", "P1"), Some(5));
    }

    #[test]
    fn scopes_and_bounds_are_checked() {
        assert_eq!(
            StockLimitRule::scope_of("W1", "001"),
            Err(StockLimitError::BothScopes)
        );
        assert_eq!(StockLimitRule::scope_of("", ""), Err(StockLimitError::NoScope));
        assert!(StockLimitRule::scope_of("", "x").is_err());
        let ten = Decimal::from(10);
        assert_eq!(
            check_min_max(ten, Some(Decimal::from(5)))
                .unwrap_err()
                .to_string(),
            "max 5 is less than min 10"
        );
        assert!(check_min_max(Decimal::from(-1), None).is_err());
        assert!(check_min_max(ten, Some(ten)).is_ok());
    }

    #[test]
    fn on_hand_under_min_gives_shortfall_and_order_up_to_max() {
        let check = check_on_hand(Decimal::new(25, 1), Decimal::from(10), Some(Decimal::from(30)));
        assert_eq!(check.shortfall, Some(Decimal::new(75, 1)));
        assert_eq!(check.suggested_order, Some(Decimal::new(275, 1)));
        assert_eq!(check.excess, None);
        let check = check_on_hand(Decimal::from(10), Decimal::from(10), None);
        assert_eq!(check.shortfall, None);
        let check = check_on_hand(Decimal::from(40), Decimal::from(10), Some(Decimal::from(30)));
        assert_eq!((check.shortfall, check.excess), (None, Some(Decimal::from(10))));
    }
}
