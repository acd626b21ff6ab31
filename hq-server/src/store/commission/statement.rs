//! Settlement (佣金结算): a period's figures frozen into statements (佣金结算单), one per
//! organization, never rewritten; and a period's figures as reported — a settled organization's
//! statement, or the fresh figures plus the adjustment that carries, once, what earlier settled
//! periods' figures changed by since they were settled (a red document confirmed later).

use super::figures::{fresh, CommissionRow};
use super::period::Period;
use super::PlanError;
use crate::store::db::query::query;
use crate::store::db::value::now_text;
use crate::store::registry::audit::{audit, Actor};
use crate::store::Store;
use branchline_shared::{format_amount, org_in_subtree, Band, BandAmount};
use rust_decimal::Decimal;
use std::collections::BTreeMap;

/// A stored statement: the period it settled and its frozen row.
struct Statement {
    period: Period,
    row: CommissionRow,
}

fn parse_period(text: &str) -> Result<Period, PlanError> {
    Period::parse(text).ok_or_else(|| PlanError::BadPeriod {
        text: branchline_shared::echo_prefix(text),
    })
}

fn decimal(text: &str) -> Decimal {
    text.parse().unwrap_or_default()
}

fn bands_text(bands: &[BandAmount]) -> String {
    let parts: Vec<String> = bands
        .iter()
        .map(|part| {
            format!(
                "{}:{}:{}:{}",
                part.band.from_pct, part.band.rate_pct, part.base, part.amount
            )
        })
        .collect();
    parts.join(";")
}

fn bands_of(text: &str) -> Vec<BandAmount> {
    text.split(';')
        .filter(|part| !part.is_empty())
        .map(|part| {
            let fields: Vec<Decimal> = part.split(':').map(decimal).collect();
            let field = |index: usize| fields.get(index).copied().unwrap_or_default();
            BandAmount {
                band: Band {
                    from_pct: field(0),
                    rate_pct: field(1),
                },
                base: field(2),
                amount: field(3),
            }
        })
        .collect()
}

/// Every statement of an organization in `org`'s subtree.
async fn statements(store: &Store, org: &str) -> Result<Vec<Statement>, PlanError> {
    let rows = query(
        "SELECT period, org, plan, sales, target, completion, bands, commission, override_base, \
         override_amount, payable, adjustment, settled_at FROM commission_statement ORDER BY first_day, org",
    )
    .fetch_all(store.pool())
    .await?;
    let mut found = Vec::new();
    for row in rows {
        let paid: String = row.try_get(1)?;
        if !org_in_subtree(&paid, org) {
            continue;
        }
        let text = |index: usize| -> Result<Option<String>, PlanError> { Ok(row.try_get(index)?) };
        let (base, amount) = (text(8)?, text(9)?);
        let (payable, adjustment) = (
            decimal(&row.try_get::<String, _>(10)?),
            decimal(&row.try_get::<String, _>(11)?),
        );
        found.push(Statement {
            period: parse_period(&row.try_get::<String, _>(0)?)?,
            row: CommissionRow {
                org: paid,
                plan: row.try_get(2)?,
                sales: decimal(&row.try_get::<String, _>(3)?),
                target: text(4)?.as_deref().map(decimal),
                completion_pct: text(5)?.as_deref().map(decimal),
                bands: bands_of(&row.try_get::<String, _>(6)?),
                commission: decimal(&row.try_get::<String, _>(7)?),
                overrides: base
                    .zip(amount)
                    .map(|(base, amount)| (decimal(&base), decimal(&amount))),
                payable,
                adjustment,
                total: payable + adjustment,
                settled_at: text(12)?,
            },
        });
    }
    Ok(found)
}

/// The figures of `org`'s subtree for `period` (`YYYY-MM`, `YYYY-Qn` or `YYYY`) as reported: a
/// settled organization's statement; for the others the fresh figures with their adjustment.
pub async fn figures(
    store: &Store,
    org: &str,
    period: &str,
) -> Result<(Period, Vec<CommissionRow>), PlanError> {
    let period = parse_period(period)?;
    let settled = statements(store, org).await?;
    let mut rows = fresh(store, org, &period).await?;
    // Each earlier settled period of this length, recomputed now, by organization.
    let mut drift: BTreeMap<String, Decimal> = BTreeMap::new();
    let mut recomputed: BTreeMap<String, Vec<CommissionRow>> = BTreeMap::new();
    for statement in settled
        .iter()
        .filter(|s| s.period.kind == period.kind && s.period.last < period.first)
    {
        let label = statement.period.label();
        if !recomputed.contains_key(&label) {
            recomputed.insert(label.clone(), fresh(store, org, &statement.period).await?);
        }
        let now = recomputed[&label]
            .iter()
            .find(|row| row.org == statement.row.org)
            .map_or(Decimal::ZERO, |row| row.payable);
        *drift.entry(statement.row.org.clone()).or_default() +=
            now - statement.row.payable - statement.row.adjustment;
    }
    for row in &mut rows {
        let frozen = settled
            .iter()
            .find(|s| s.period == period && s.row.org == row.org);
        match frozen {
            Some(statement) => *row = statement.row.clone(),
            None => {
                row.adjustment = drift.get(&row.org).copied().unwrap_or_default();
                row.total = row.payable + row.adjustment;
            }
        }
    }
    Ok((period, rows))
}

/// Settles `period` for `org`'s subtree: every organization there not yet settled for it gets
/// its statement; refused when there is none left to settle. Audited.
pub async fn settle(
    store: &Store,
    by: &str,
    org: &str,
    period: &str,
) -> Result<(Period, Vec<CommissionRow>), PlanError> {
    let (period, rows) = figures(store, org, period).await?;
    let open: Vec<&CommissionRow> = rows.iter().filter(|row| row.settled_at.is_none()).collect();
    if open.is_empty() {
        return Err(PlanError::AlreadySettled {
            period: period.label(),
            org: org.to_owned(),
        });
    }
    let settled_at = now_text();
    let mut tx = store.begin_write().await?;
    for row in &open {
        let amount = |value: Option<Decimal>| value.map(|value| value.to_string());
        query(
            "INSERT INTO commission_statement (period, org, plan, kind, first_day, sales, target, completion, \
             bands, commission, override_base, override_amount, payable, adjustment, settled_at, settled_by) \
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
        )
        .bind(period.label())
        .bind(&row.org)
        .bind(&row.plan)
        .bind(period.kind.as_str())
        .bind(period.first.to_string())
        .bind(row.sales.to_string())
        .bind(amount(row.target))
        .bind(amount(row.completion_pct))
        .bind(bands_text(&row.bands))
        .bind(row.commission.to_string())
        .bind(amount(row.overrides.map(|(base, _)| base)))
        .bind(amount(row.overrides.map(|(_, value)| value)))
        .bind(row.payable.to_string())
        .bind(row.adjustment.to_string())
        .bind(settled_at.clone())
        .bind(by)
        .execute(&mut *tx)
        .await?;
    }
    let total: Decimal = open.iter().map(|row| row.total).sum();
    let detail = format!(
        "{} {org}: {} organizations, {}",
        period.label(),
        open.len(),
        format_amount(total)
    );
    audit(&mut tx, Actor::new(by, Some(org)), "commission settle", &detail).await?;
    tx.commit().await?;
    figures(store, org, &period.label()).await
}
