//! Commission plans (佣金方案, README "Commission"): bands on target completion, which
//! organization each pays, a period's figures (`figures`) and its settlement (`statement`), all
//! from the store's own sales and targets; the band arithmetic is `branchline_shared::commission`'s.

pub mod figures;
pub mod period;
pub mod statement;

use crate::store::db::error::DbError;
use crate::store::db::query::query;
use crate::store::db::value::now_text;
use crate::store::registry::audit::{audit, Actor};
use crate::store::{Store, StoreError};
use branchline_shared::{BandMode, Bands, CommissionError, OverrideBase};
use period::PeriodKind;
use rust_decimal::Decimal;
use std::collections::BTreeMap;

#[derive(Debug, thiserror::Error)]
pub enum PlanError {
    #[error("commission plan name {name:?}: expected 1 to 64 letters, digits, '-', '_' or '.'")]
    BadName { name: String },
    #[error(transparent)]
    Commission(#[from] CommissionError),
    #[error("unknown commission period {text:?}: expected month, quarter or year")]
    BadPeriodKind { text: String },
    #[error("an override needs both its rate and what it is on (sales or commission)")]
    HalfAnOverride,
    #[error("commission plan {name} already exists with other bands, mode, period or override")]
    Conflict { name: String },
    #[error("commission plan {name} does not exist")]
    UnknownPlan { name: String },
    #[error("organization {org} is not registered")]
    UnknownOrg { org: String },
    #[error("invalid commission period {text:?}: expected YYYY-MM, YYYY-Qn or YYYY")]
    BadPeriod { text: String },
    #[error("commission for {period} is already settled for every organization paid in {org}'s subtree")]
    AlreadySettled { period: String, org: String },
    #[error(transparent)]
    Report(#[from] crate::store::report::error::ReportError),
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for PlanError {
    fn from(error: DbError) -> PlanError {
        PlanError::Store(error.into())
    }
}

/// A plan: how its bands apply, over which periods, and a parent's override on its subtree.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    pub name: String,
    pub mode: BandMode,
    pub period: PeriodKind,
    pub bands: Bands,
    /// The override's rate in percent and what it is on.
    pub overrides: Option<(Decimal, OverrideBase)>,
}

impl Plan {
    /// A plan from its typed parts; each bad one refused by name.
    pub fn parse(
        name: &str,
        mode: &str,
        period: &str,
        bands: &[String],
        override_rate: &str,
        override_on: &str,
    ) -> Result<Plan, PlanError> {
        let name_ok = !name.is_empty()
            && name.len() <= 64
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
        if !name_ok {
            return Err(PlanError::BadName {
                name: branchline_shared::echo_prefix(name),
            });
        }
        let overrides = match (override_rate.trim(), override_on.trim()) {
            ("", "") => None,
            ("", _) | (_, "") => return Err(PlanError::HalfAnOverride),
            (rate, on) => Some((
                branchline_shared::parse_override_rate(rate)?,
                OverrideBase::parse(on)?,
            )),
        };
        Ok(Plan {
            name: name.to_owned(),
            mode: BandMode::parse(if mode.trim().is_empty() { "marginal" } else { mode })?,
            period: PeriodKind::parse(period).ok_or_else(|| PlanError::BadPeriodKind {
                text: branchline_shared::echo_prefix(period),
            })?,
            bands: Bands::parse(bands)?,
            overrides,
        })
    }

    fn stored(&self) -> [Option<String>; 5] {
        [
            Some(self.mode.as_str().to_owned()),
            Some(self.period.as_str().to_owned()),
            Some(self.bands.canonical()),
            self.overrides.map(|(rate, _)| rate.to_string()),
            self.overrides.map(|(_, on)| on.as_str().to_owned()),
        ]
    }
}

/// Adds `plan`; `false` when an identical plan of that name is already there (a different one
/// is refused). Audited.
pub async fn add_plan(store: &Store, by: &str, plan: &Plan) -> Result<bool, PlanError> {
    let mut tx = store.begin_write().await?;
    let existing =
        query("SELECT mode, period, bands, override_rate, override_on FROM commission_plan WHERE name = $1")
            .bind(&plan.name)
            .fetch_optional(&mut *tx)
            .await?;
    let stored = plan.stored();
    if let Some(row) = existing {
        let found: [Option<String>; 5] = [
            row.try_get(0)?,
            row.try_get(1)?,
            row.try_get(2)?,
            row.try_get(3)?,
            row.try_get(4)?,
        ];
        return if found == stored {
            Ok(false)
        } else {
            Err(PlanError::Conflict {
                name: plan.name.clone(),
            })
        };
    }
    let [mode, period, bands, rate, on] = stored;
    query(
        "INSERT INTO commission_plan (name, mode, period, bands, override_rate, override_on, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(&plan.name)
    .bind(mode)
    .bind(period)
    .bind(bands.clone())
    .bind(rate)
    .bind(on)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "{} {} {} {}",
        plan.name,
        plan.mode.as_str(),
        plan.period.as_str(),
        bands.unwrap_or_default()
    );
    audit(&mut tx, Actor::new(by, None), "commission plan add", &detail).await?;
    tx.commit().await?;
    Ok(true)
}

/// Makes `plan` the one that pays `org` (replacing its earlier plan). Audited.
pub async fn assign_plan(store: &Store, by: &str, org: &str, plan: &str) -> Result<(), PlanError> {
    let mut tx = store.begin_write().await?;
    let org_known = query("SELECT 1 FROM org WHERE code = $1")
        .bind(org)
        .fetch_optional(&mut *tx)
        .await?;
    if org_known.is_none() {
        return Err(PlanError::UnknownOrg { org: org.to_owned() });
    }
    let plan_known = query("SELECT 1 FROM commission_plan WHERE name = $1")
        .bind(plan)
        .fetch_optional(&mut *tx)
        .await?;
    if plan_known.is_none() {
        return Err(PlanError::UnknownPlan {
            name: branchline_shared::echo_prefix(plan),
        });
    }
    query(
        "INSERT INTO commission_assignment (org, plan, assigned_at) VALUES ($1, $2, $3) \
         ON CONFLICT (org) DO UPDATE SET plan = excluded.plan, assigned_at = excluded.assigned_at",
    )
    .bind(org)
    .bind(plan)
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    audit(
        &mut tx,
        Actor::new(by, Some(org)),
        "commission plan assign",
        &format!("{org}: {plan}"),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Every plan by name, with the organizations it pays (by code).
pub async fn plans(store: &Store) -> Result<Vec<(Plan, Vec<String>)>, PlanError> {
    let rows = query(
        "SELECT name, mode, period, bands, override_rate, override_on FROM commission_plan ORDER BY name",
    )
    .fetch_all(store.pool())
    .await?;
    let mut assigned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for pair in query("SELECT org, plan FROM commission_assignment ORDER BY org")
        .fetch_all(store.pool())
        .await?
    {
        assigned
            .entry(pair.try_get(1)?)
            .or_default()
            .push(pair.try_get(0)?);
    }
    let mut plans = Vec::with_capacity(rows.len());
    for row in rows {
        let name: String = row.try_get(0)?;
        let bands: String = row.try_get(3)?;
        let bands: Vec<String> = bands.split(',').map(str::to_owned).collect();
        let (rate, on): (Option<String>, Option<String>) = (row.try_get(4)?, row.try_get(5)?);
        let plan = Plan::parse(
            &name,
            &row.try_get::<String, _>(1)?,
            &row.try_get::<String, _>(2)?,
            &bands,
            rate.as_deref().unwrap_or(""),
            on.as_deref().unwrap_or(""),
        )?;
        plans.push((plan, assigned.remove(&name).unwrap_or_default()));
    }
    Ok(plans)
}
