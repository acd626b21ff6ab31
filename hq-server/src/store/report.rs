//! Consolidated reports (SPEC 6 多组织报表, issue 6): the multi-organization sales summary, the
//! inventory query and rankings for an organization subtree, read from the roll-ups
//! (`rollup.rs`) — the coarsest level that answers the grouping, with a date range split into
//! whole years, whole months and edge days — plus each ledger's freshness.
//!
//! `sales_direct` and `inventory_direct` answer the same questions by scanning the stored lines;
//! they are the oracle of the tests and the baseline of `bench reports`.

use super::calendar::{split_range, Level, Segment};
use super::dialect::{AMOUNT_SCALE, QTY_SCALE};
use super::rollup::SalesSums;
use super::{get_u64, Dialect, Store};
use branchline_shared::{org_in_subtree, round2};
use rust_decimal::Decimal;
use sqlx::any::AnyRow;
use sqlx::Row;
use std::collections::{BTreeMap, HashMap};

pub use super::report_query::*;

/// The ledgers inside the asked subtree, by store id.
struct Subtree {
    branches: HashMap<i64, (String, String)>,
    freshness: Vec<Freshness>,
}

async fn subtree(store: &Store, org: &str) -> Result<Subtree, ReportError> {
    let known = sqlx::query("SELECT 1 FROM org WHERE code = $1")
        .bind(org)
        .fetch_optional(store.pool())
        .await?;
    if known.is_none() {
        return Err(ReportError::UnknownOrg { org: org.to_owned() });
    }
    let rows =
        sqlx::query("SELECT id, code, org, epoch, last_seq, received_at, backlog FROM branch ORDER BY org")
            .fetch_all(store.pool())
            .await?;
    let mut subtree = Subtree {
        branches: HashMap::new(),
        freshness: Vec::new(),
    };
    for row in rows {
        let branch_org: String = row.try_get(2)?;
        if !org_in_subtree(&branch_org, org) {
            continue;
        }
        let code: String = row.try_get(1)?;
        subtree
            .branches
            .insert(row.try_get(0)?, (branch_org.clone(), code.clone()));
        subtree.freshness.push(Freshness {
            org: branch_org,
            branch: code,
            epoch: get_u64(&row, 3)?,
            last_seq: get_u64(&row, 4)?,
            received_at: row.try_get(5)?,
            backlog: get_u64(&row, 6)?,
        });
    }
    Ok(subtree)
}

/// Where grouped sums are read from: a roll-up table or the stored lines.
struct Source {
    from: &'static str,
    branch: &'static str,
    product: Option<&'static str>,
    customer: Option<&'static str>,
    warehouse: Option<&'static str>,
    day: Option<&'static str>,
    month: Option<&'static str>,
    /// The column compared with the segment's bounds.
    date: &'static str,
    /// Prefix of the summed columns.
    sums: &'static str,
    filter: &'static str,
}

const DAY: Source = Source {
    from: "sales_day",
    branch: "branch_id",
    product: None,
    customer: None,
    warehouse: None,
    day: Some("day"),
    month: Some("substr(day, 1, 7)"),
    date: "day",
    sums: "",
    filter: "",
};

const MONTH_PRODUCT: Source = Source {
    from: "sales_month_product",
    product: Some("product"),
    day: None,
    month: Some("month"),
    date: "month",
    ..DAY
};

const YEAR_PRODUCT: Source = Source {
    from: "sales_year_product",
    month: None,
    date: "year",
    ..MONTH_PRODUCT
};

const LINES: Source = Source {
    from: "document_line l JOIN document d ON d.branch_id = l.branch_id AND d.number = l.number",
    branch: "l.branch_id",
    product: Some("l.product"),
    customer: Some("d.partner"),
    warehouse: Some("d.warehouse"),
    day: Some("d.doc_date"),
    month: Some("substr(d.doc_date, 1, 7)"),
    date: "d.doc_date",
    sums: "l.",
    filter: "d.doc_type IN ('sales-out', 'retail-sale')",
};

impl Source {
    fn column(&self, grouping: GroupBy) -> Option<&'static str> {
        match grouping {
            GroupBy::Org => Some(self.branch),
            GroupBy::Product => self.product,
            GroupBy::Customer => self.customer,
            GroupBy::Warehouse => self.warehouse,
            GroupBy::Day => self.day,
            GroupBy::Month => self.month,
        }
    }
}

/// Sales rows are always per ledger-owning organization: `org` leads the grouping.
fn with_org(query: &ReportQuery) -> ReportQuery {
    let mut query = query.clone();
    if !query.groups_by(GroupBy::Org) {
        query.by.insert(0, GroupBy::Org);
    }
    query
}

/// The sales summary from the roll-ups, grouped by org and the asked columns.
pub async fn sales(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    sales_grouped(store, &with_org(query)).await
}

async fn sales_grouped(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    let subtree = subtree(store, &query.org).await?;
    let mut groups = HashMap::new();
    for segment in plan_segments(query) {
        let source = match segment.level {
            Level::Year => &YEAR_PRODUCT,
            Level::Month => &MONTH_PRODUCT,
            // The fine level is not maintained (see `rollup`): day ranges that need more
            // than branch × day read the stored lines.
            Level::Day if needs_fine(query) || query.groups_by(GroupBy::Product) => &LINES,
            Level::Day => &DAY,
        };
        read_sums(store, source, query, &subtree, &segment, &mut groups).await?;
    }
    finish_sales(store, query, subtree, groups).await
}

/// The sales summary by scanning the stored lines (oracle and baseline).
pub async fn sales_direct(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    let query = &with_org(query);
    let subtree = subtree(store, &query.org).await?;
    let mut groups = HashMap::new();
    let segment = Segment::days(query.from, query.to);
    read_sums(store, &LINES, query, &subtree, &segment, &mut groups).await?;
    finish_sales(store, query, subtree, groups).await
}

/// Whether the grouping needs the fine level (customer, warehouse or day with product).
fn needs_fine(query: &ReportQuery) -> bool {
    query.groups_by(GroupBy::Customer)
        || query.groups_by(GroupBy::Warehouse)
        || query.groups_by(GroupBy::Product) && query.groups_by(GroupBy::Day)
}

/// The date segments to read: one day range unless the product-level roll-ups can serve whole
/// months (and, without a month grouping, whole years).
fn plan_segments(query: &ReportQuery) -> Vec<Segment> {
    let coarse = query.groups_by(GroupBy::Product) && !needs_fine(query);
    if !coarse {
        return vec![Segment::days(query.from, query.to)];
    }
    let finest_whole = if query.groups_by(GroupBy::Month) {
        Level::Month
    } else {
        Level::Year
    };
    split_range(query.from, query.to, finest_whole)
}

async fn read_sums(
    store: &Store,
    source: &Source,
    query: &ReportQuery,
    subtree: &Subtree,
    segment: &Segment,
    groups: &mut HashMap<GroupKey, SalesSums>,
) -> Result<(), ReportError> {
    if subtree.branches.is_empty() {
        return Ok(());
    }
    let dialect = store.dialect();
    let columns: Vec<&str> = query
        .by
        .iter()
        .map(|grouping| {
            source
                .column(*grouping)
                .expect("the planner picks a source holding every grouping")
        })
        .collect();
    let n_keys = columns.len();
    let sums = ["qty", "amount", "tax", "total"]
        .map(|column| dialect.decimal_column(&format!("SUM({}{column})", source.sums)));
    let parts = (source.from, source.branch, source.date, source.filter);
    let sql = grouped_sql(dialect, parts, &columns, &sums, subtree.branches.len());
    let rows = bind_params(sqlx::query(&sql), subtree, Some(segment))
        .fetch_all(store.pool())
        .await?;
    for row in rows {
        let key = group_key(&row, query, subtree)?;
        let sum = |offset: usize, scale: u32| -> Result<Decimal, sqlx::Error> {
            Ok(dialect
                .read_decimal(&row, n_keys + offset, scale)?
                .unwrap_or_default())
        };
        let sums = SalesSums {
            qty: sum(0, QTY_SCALE)?,
            amount: sum(1, AMOUNT_SCALE)?,
            tax: sum(2, AMOUNT_SCALE)?,
            total: sum(3, AMOUNT_SCALE)?,
        };
        groups.entry(key).or_default().add(sums);
    }
    Ok(())
}

/// `SELECT keys, sums FROM source WHERE branch IN (...) [AND low <= date <= high] GROUP BY keys`;
/// bind the branch ids, then the bounds (`bind_params`).
fn grouped_sql(
    dialect: Dialect,
    source: (&str, &str, &str, &str),
    columns: &[&str],
    sums: &[String],
    n_branches: usize,
) -> String {
    let (from, branch, date, filter) = source;
    let select: Vec<String> = columns
        .iter()
        .map(|column| column.to_string())
        .chain(sums.iter().cloned())
        .collect();
    let branch_list = super::rows::placeholders(dialect, 1, n_branches);
    let mut sql = format!(
        "SELECT {} FROM {from} WHERE {branch} IN ({branch_list})",
        select.join(", ")
    );
    if !date.is_empty() {
        let (low, high) = (
            dialect.placeholder(n_branches + 1),
            dialect.placeholder(n_branches + 2),
        );
        sql.push_str(&format!(" AND {date} >= {low} AND {date} <= {high}"));
    }
    if !filter.is_empty() {
        sql.push_str(" AND ");
        sql.push_str(filter);
    }
    if !columns.is_empty() {
        let ordinals: Vec<String> = (1..=columns.len()).map(|n| n.to_string()).collect();
        sql.push_str(" GROUP BY ");
        sql.push_str(&ordinals.join(", "));
    }
    sql
}

fn bind_params<'q>(
    mut query: sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>>,
    subtree: &Subtree,
    segment: Option<&'q Segment>,
) -> sqlx::query::Query<'q, sqlx::Any, sqlx::any::AnyArguments<'q>> {
    for id in subtree.branches.keys() {
        query = query.bind(*id);
    }
    if let Some(segment) = segment {
        query = query.bind(segment.low.as_str()).bind(segment.high.as_str());
    }
    query
}

/// Reads the leading grouping columns of a row, in `query.by` order.
fn group_key(row: &AnyRow, query: &ReportQuery, subtree: &Subtree) -> Result<GroupKey, sqlx::Error> {
    let mut key = GroupKey {
        org: query.org.clone(),
        ..GroupKey::default()
    };
    for (index, grouping) in query.by.iter().enumerate() {
        let slot = match grouping {
            GroupBy::Org => {
                let id: i64 = row.try_get(index)?;
                if let Some((org, branch)) = subtree.branches.get(&id) {
                    key.org = org.clone();
                    key.branch = branch.clone();
                }
                continue;
            }
            GroupBy::Product => &mut key.product,
            GroupBy::Customer => &mut key.customer,
            GroupBy::Warehouse => &mut key.warehouse,
            GroupBy::Day => &mut key.day,
            GroupBy::Month => &mut key.month,
        };
        *slot = Some(row.try_get(index)?);
    }
    Ok(key)
}

/// Sorts the groups and attaches monthly targets when rows are by org and month.
async fn finish_sales(
    store: &Store,
    query: &ReportQuery,
    subtree: Subtree,
    groups: HashMap<GroupKey, SalesSums>,
) -> Result<Report<SalesRow>, ReportError> {
    let targets = if query.groups_by(GroupBy::Org) && query.groups_by(GroupBy::Month) {
        super::target::targets(store).await?
    } else {
        BTreeMap::new()
    };
    let sorted: BTreeMap<GroupKey, SalesSums> = groups.into_iter().collect();
    let rows = sorted
        .into_iter()
        .map(|(key, sums)| {
            let target = key
                .month
                .as_ref()
                .and_then(|month| targets.get(&(key.org.clone(), month.clone())))
                .copied();
            let completion = target
                .filter(|target| !target.is_zero())
                .map(|target| round2(sums.amount * Decimal::ONE_HUNDRED / target));
            SalesRow {
                key,
                sums,
                target,
                completion,
                rank: 0,
            }
        })
        .collect();
    Ok(Report {
        by: query.by.clone(),
        rows,
        freshness: subtree.freshness,
    })
}

/// The top `top` groups by amount (then by key) over one of product, customer or org.
pub async fn ranking(store: &Store, query: &ReportQuery, top: u32) -> Result<Report<SalesRow>, ReportError> {
    match query.by.as_slice() {
        [GroupBy::Product | GroupBy::Customer | GroupBy::Org] => {}
        _ => return Err(ReportError::BadRankingKey),
    }
    let mut report = sales_grouped(store, query).await?;
    report
        .rows
        .sort_by(|a, b| b.sums.amount.cmp(&a.sums.amount).then_with(|| a.key.cmp(&b.key)));
    report.rows.truncate(top as usize);
    for (index, row) in report.rows.iter_mut().enumerate() {
        row.rank = index as u32 + 1;
    }
    Ok(report)
}

/// Checks an inventory grouping: org, warehouse and product only; all three when none is asked.
fn inventory_query(query: &ReportQuery) -> Result<ReportQuery, ReportError> {
    let mut query = query.clone();
    if let Some(grouping) = query
        .by
        .iter()
        .find(|grouping| !matches!(grouping, GroupBy::Org | GroupBy::Warehouse | GroupBy::Product))
    {
        return Err(ReportError::GroupingNotAllowed {
            report: "inventory",
            name: grouping.as_str(),
        });
    }
    if query.by.is_empty() {
        query.by = vec![GroupBy::Org, GroupBy::Warehouse, GroupBy::Product];
    }
    Ok(query)
}

/// On-hand by organization, warehouse and product from the stock roll-up (dates are ignored:
/// on-hand is as of the last applied entry, see freshness).
pub async fn inventory(store: &Store, query: &ReportQuery) -> Result<Report<StockRow>, ReportError> {
    let columns = |grouping: GroupBy| match grouping {
        GroupBy::Org => "branch_id",
        GroupBy::Warehouse => "warehouse",
        _ => "product",
    };
    read_stock(store, query, "stock_on_hand", columns, "", "on_hand").await
}

/// On-hand by scanning the stored lines (oracle and baseline).
pub async fn inventory_direct(store: &Store, query: &ReportQuery) -> Result<Report<StockRow>, ReportError> {
    let columns = |grouping: GroupBy| match grouping {
        GroupBy::Org => "l.branch_id",
        GroupBy::Warehouse => "d.warehouse",
        _ => "l.product",
    };
    read_stock(
        store,
        query,
        LINES.from,
        columns,
        "d.doc_type IN ('opening', 'purchase-in', 'sales-out', 'retail-sale')",
        "CASE WHEN d.doc_type IN ('opening', 'purchase-in') THEN l.qty ELSE -l.qty END",
    )
    .await
}

async fn read_stock(
    store: &Store,
    query: &ReportQuery,
    from: &str,
    columns: impl Fn(GroupBy) -> &'static str,
    filter: &str,
    on_hand: &str,
) -> Result<Report<StockRow>, ReportError> {
    let query = inventory_query(query)?;
    let subtree = subtree(store, &query.org).await?;
    let mut groups: BTreeMap<GroupKey, Decimal> = BTreeMap::new();
    if !subtree.branches.is_empty() {
        let dialect: Dialect = store.dialect();
        let keys: Vec<&str> = query.by.iter().map(|grouping| columns(*grouping)).collect();
        let branch = columns(GroupBy::Org);
        let sums = [dialect.decimal_column(&format!("SUM({on_hand})"))];
        let sql = grouped_sql(
            dialect,
            (from, branch, "", filter),
            &keys,
            &sums,
            subtree.branches.len(),
        );
        let rows = bind_params(sqlx::query(&sql), &subtree, None)
            .fetch_all(store.pool())
            .await?;
        for row in rows {
            let key = group_key(&row, &query, &subtree)?;
            let value = dialect
                .read_decimal(&row, keys.len(), QTY_SCALE)?
                .unwrap_or_default();
            *groups.entry(key).or_default() += value;
        }
    }
    Ok(Report {
        by: query.by.clone(),
        rows: groups
            .into_iter()
            .map(|(key, on_hand)| StockRow { key, on_hand })
            .collect(),
        freshness: subtree.freshness,
    })
}
