//! Consolidated reports (多组织报表, docs/formats.md): the multi-organization sales summary (by
//! month with 环比 and 同比, `growth`), the inventory query and rankings for an organization
//! subtree, read from the roll-ups (`rollup`) — the coarsest level that answers the grouping,
//! with a date range split into whole years, whole months and edge days — plus each ledger's
//! freshness. Groupings without
//! product read `sales_day`; with product, whole years and months come from the packed blocks
//! (`packed_read`) and edge days from the stored lines.
//!
//! `sales_direct` and `inventory_direct` answer the same questions by scanning the stored lines;
//! they are the oracle of the tests and the baseline of `bench reports`. Asked for, subtotal and
//! total rows are added to the groups by `subtotals`, the same way on both paths.

use super::calendar::{split_range, Level, Segment};
use super::error::ReportError;
use super::groups::Groups;
use super::growth::with_growth;
use super::packed_read::{read_packed, MONTH_BLOCKS, YEAR_BLOCKS};
use super::query::{Freshness, GroupBy, Growth, Report, ReportQuery, RowLevel, SalesRow, StockRow};
use super::read::{read_groups, Param};
use super::source::{Source, DAY, LINES, MONTH, STOCK_MOVES};
use super::stock_read::{read_stock_blocks, StockFilter};
use super::subtotals::with_subtotals;
use crate::store::db::dialect::{Dialect, AMOUNT_SCALE, QTY_SCALE};
use crate::store::db::query::query;
use crate::store::db::value::get_u64;
use crate::store::rollup::delta::SalesSums;
use crate::store::Store;
use branchline_shared::{org_in_subtree, round2};
use rust_decimal::Decimal;
use std::collections::{BTreeMap, HashMap};

/// The ledgers inside the asked subtree, by store id.
pub(super) struct Subtree {
    pub(super) branches: HashMap<i64, (String, String)>,
    pub(super) freshness: Vec<Freshness>,
}

pub(super) async fn subtree(store: &Store, org: &str) -> Result<Subtree, ReportError> {
    let known = query("SELECT 1 FROM org WHERE code = $1")
        .bind(org)
        .fetch_optional(store.pool())
        .await?;
    if known.is_none() {
        return Err(ReportError::UnknownOrg { org: org.to_owned() });
    }
    let rows = query("SELECT id, code, org, epoch, last_seq, received_at, backlog FROM branch ORDER BY org")
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

/// Sales rows are always per ledger-owning organization: `org` leads the grouping.
pub(super) fn with_org(query: &ReportQuery) -> ReportQuery {
    let mut query = query.clone();
    if !query.groups_by(GroupBy::Org) {
        query.by.insert(0, GroupBy::Org);
    }
    query
}

/// Refuses what `report` does not take: inventory filters outside the inventory, subtotals in
/// a ranking.
pub(super) fn refuse_extras(report: &'static str, query: &ReportQuery) -> Result<(), ReportError> {
    let refused = |what| Err(ReportError::NotForReport { report, what });
    if report != "inventory" && query.product.is_some() {
        return refused("product filter");
    }
    if report != "inventory" && query.warehouse.is_some() {
        return refused("warehouse filter");
    }
    if report == "ranking" && query.subtotals {
        return refused("subtotals");
    }
    Ok(())
}

/// The sales summary from the roll-ups, grouped by org and the asked columns; by month, with
/// each row's change against earlier months (`growth`), read from the roll-ups too.
pub async fn sales(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    refuse_extras("sales", query)?;
    let grouped = with_org(query);
    let report = sales_grouped(store, &grouped).await?;
    let report = with_growth(&grouped, report, |earlier| async move {
        sales_grouped(store, &earlier).await
    })
    .await?;
    Ok(subtotalled(query, report))
}

/// The report with subtotal and total rows when the query asks for them.
pub(super) fn subtotalled<R: super::subtotals::Summable>(
    query: &ReportQuery,
    mut report: Report<R>,
) -> Report<R> {
    if query.subtotals {
        report.rows = with_subtotals(&query.org, report.rows);
    }
    report
}

async fn sales_grouped(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    let subtree = subtree(store, &query.org).await?;
    let mut groups = sales_groups(query, &subtree);
    let product_level = query.groups_by(GroupBy::Product);
    for segment in plan_segments(query) {
        let source = match segment.level {
            // Branch × month: what a report without products reads for whole months.
            Level::Month if !product_level => &MONTH,
            Level::Year | Level::Month => {
                let level = match segment.level {
                    Level::Year => &YEAR_BLOCKS,
                    _ => &MONTH_BLOCKS,
                };
                if !subtree.branches.is_empty() {
                    let branches = subtree.branches.keys().copied().collect();
                    let bounds = (segment.low.as_str(), segment.high.as_str());
                    groups = read_packed(store, level, branches, bounds, groups).await?;
                }
                continue;
            }
            // The fine level is not maintained (see `rollup`): day ranges that need more
            // than branch × day read the stored lines.
            Level::Day if needs_fine(query) || product_level => &LINES,
            Level::Day => &DAY,
        };
        groups = read_sums(store, source, query, &subtree, &segment, groups).await?;
    }
    finish_sales(store, query, subtree, groups).await
}

/// The sales summary by scanning the stored lines (oracle and baseline), earlier months too.
pub async fn sales_direct(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    refuse_extras("sales", query)?;
    let grouped = with_org(query);
    let report = sales_scanned(store, &grouped).await?;
    let report = with_growth(&grouped, report, |earlier| async move {
        sales_scanned(store, &earlier).await
    })
    .await?;
    Ok(subtotalled(query, report))
}

/// The groups of `query` (`org` in its grouping) from one scan of the stored lines.
async fn sales_scanned(store: &Store, query: &ReportQuery) -> Result<Report<SalesRow>, ReportError> {
    let subtree = subtree(store, &query.org).await?;
    let segment = Segment::days(query.from, query.to);
    let groups = sales_groups(query, &subtree);
    let groups = read_sums(store, &LINES, query, &subtree, &segment, groups).await?;
    finish_sales(store, query, subtree, groups).await
}

/// Whether the grouping needs the fine level (customer, warehouse or day with product).
fn needs_fine(query: &ReportQuery) -> bool {
    query.groups_by(GroupBy::Customer)
        || query.groups_by(GroupBy::Warehouse)
        || query.groups_by(GroupBy::Product) && query.groups_by(GroupBy::Day)
}

/// The date segments to read: one day range when the grouping needs the lines or days; whole
/// months from branch × month otherwise; with products, the product-level roll-ups' whole
/// months (and, without a month grouping, whole years).
fn plan_segments(query: &ReportQuery) -> Vec<Segment> {
    if needs_fine(query) || query.groups_by(GroupBy::Day) {
        return vec![Segment::days(query.from, query.to)];
    }
    let coarsest = if query.groups_by(GroupBy::Product) && !query.groups_by(GroupBy::Month) {
        Level::Year
    } else {
        Level::Month
    };
    split_range(query.from, query.to, coarsest)
}

async fn read_sums(
    store: &Store,
    source: &Source,
    query: &ReportQuery,
    subtree: &Subtree,
    segment: &Segment,
    groups: Groups,
) -> Result<Groups, ReportError> {
    if subtree.branches.is_empty() {
        return Ok(groups);
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
    refuse_retired(store, source, segment).await?;
    // `total` is not read: it is `amount + tax` on every line (docs/documents.md), so on every sum too.
    let sums = ["qty", "amount", "tax"].map(|column| format!("{}{column}", source.sums));
    let (sql, params) = grouped_sql(dialect, source, &columns, &sums, subtree, Some(segment), &[]);
    Ok(read_groups(store, sql, params, groups).await?)
}

/// The sales groups of `query`, to be filled by `read_sums`.
fn sales_groups(query: &ReportQuery, subtree: &Subtree) -> Groups {
    let scales = [QTY_SCALE, AMOUNT_SCALE, AMOUNT_SCALE];
    Groups::new(&query.org, &query.by, &subtree.branches, &scales)
}

/// Refuses to read the stored lines of `source` over `segment` when it reaches before the date
/// HQ retired the lines before (`history`): the report would silently miss them.
pub(super) async fn refuse_retired(
    store: &Store,
    source: &Source,
    segment: &Segment,
) -> Result<(), ReportError> {
    if source.date_twin.is_empty() {
        return Ok(());
    }
    let mut connection = store.pool().acquire().await?;
    match crate::store::history::retired_before(&mut connection).await? {
        Some(before) if segment.low < before => Err(ReportError::Retired {
            from: segment.low.clone(),
            before,
        }),
        _ => Ok(()),
    }
}

/// `SELECT keys, SUM(sums) FROM source WHERE branch IN (...) [AND low <= date <= high]
/// [AND column = value ...] GROUP BY keys` and its parameters: the branch ids, then the bounds
/// (one when they are equal, so an index on (branch, date, key) delivers the rows in order),
/// then the `equal` values. When the keys (with a fixed date) include every column identifying
/// a source row, the rows are the groups: no GROUP BY, no sums.
pub(super) fn grouped_sql(
    dialect: Dialect,
    source: &Source,
    columns: &[&str],
    sums: &[String],
    subtree: &Subtree,
    segment: Option<&Segment>,
    equal: &[(&str, &str)],
) -> (String, Vec<Param>) {
    let (branch, date, filter) = (source.branch, source.date, source.filter);
    let segment = segment.filter(|_| !date.is_empty());
    let fixed_date = segment.is_some_and(|segment| segment.low == segment.high);
    let grouped = source.unique.is_empty()
        || !source
            .unique
            .iter()
            .all(|column| columns.contains(column) || fixed_date && *column == date);
    let select: Vec<String> = columns
        .iter()
        .map(|column| column.to_string())
        .chain(sums.iter().map(|sum| match grouped {
            true => dialect.decimal_column(&format!("SUM({sum})")),
            false => dialect.decimal_column(sum),
        }))
        .collect();
    let n_branches = subtree.branches.len();
    let mut params: Vec<Param> = subtree.branches.keys().map(|id| Param::Branch(*id)).collect();
    let branch_list = crate::store::bulk::rows::placeholders(dialect, 1, n_branches);
    let mut sql = format!(
        "SELECT {} FROM {} WHERE {branch} IN ({branch_list})",
        select.join(", "),
        source.from
    );
    if let Some(segment) = segment {
        for date in [date, source.date_twin]
            .into_iter()
            .filter(|date| !date.is_empty())
        {
            let low = dialect.placeholder(params.len() + 1);
            if fixed_date {
                sql.push_str(&format!(" AND {date} = {low}"));
                params.push(Param::Text(segment.low.clone()));
            } else {
                let high = dialect.placeholder(params.len() + 2);
                sql.push_str(&format!(" AND {date} >= {low} AND {date} <= {high}"));
                params.extend([
                    Param::Text(segment.low.clone()),
                    Param::Text(segment.high.clone()),
                ]);
            }
        }
    }
    if !filter.is_empty() {
        sql.push_str(" AND ");
        sql.push_str(filter);
    }
    for (column, value) in equal {
        params.push(Param::Text((*value).to_owned()));
        sql.push_str(&format!(" AND {column} = {}", dialect.placeholder(params.len())));
    }
    if grouped && !columns.is_empty() {
        let ordinals: Vec<String> = (1..=columns.len()).map(|n| n.to_string()).collect();
        sql.push_str(" GROUP BY ");
        sql.push_str(&ordinals.join(", "));
    }
    (sql, params)
}

/// Sorts the groups and attaches monthly targets when rows are by org and month.
async fn finish_sales(
    store: &Store,
    query: &ReportQuery,
    subtree: Subtree,
    groups: Groups,
) -> Result<Report<SalesRow>, ReportError> {
    let targets = if query.groups_by(GroupBy::Org) && query.groups_by(GroupBy::Month) {
        crate::store::registry::target::targets(store).await?
    } else {
        BTreeMap::new()
    };
    let rows = groups.into_sorted(|key, sums| {
        let sums = SalesSums {
            qty: sums[0],
            amount: sums[1],
            tax: sums[2],
            total: sums[1] + sums[2],
        };
        let target = key
            .month
            .as_ref()
            .and_then(|month| targets.get(&(key.org.to_string(), month.to_string())))
            .copied();
        let completion = target
            .filter(|target| !target.is_zero())
            .map(|target| round2(sums.amount * Decimal::ONE_HUNDRED / target));
        SalesRow {
            key,
            level: RowLevel::Group,
            sums,
            target,
            completion,
            growth: Growth::default(),
            rank: 0,
        }
    });
    Ok(Report {
        by: query.by.clone(),
        rows,
        freshness: subtree.freshness,
        growth: false,
    })
}

/// The top `top` groups by amount (then by key) over one of product, customer, org or month
/// (the subtree's best months; the console's monthly trend puts them back in month order).
pub async fn ranking(store: &Store, query: &ReportQuery, top: u32) -> Result<Report<SalesRow>, ReportError> {
    match query.by.as_slice() {
        [GroupBy::Product | GroupBy::Customer | GroupBy::Org | GroupBy::Month] => {}
        _ => return Err(ReportError::BadRankingKey),
    }
    refuse_extras("ranking", query)?;
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

/// On-hand by organization, warehouse and product from the packed stock roll-up (dates are
/// ignored: on-hand is as of the last applied entry, see freshness), of one product and/or
/// warehouse when the query names them.
pub async fn inventory(store: &Store, query: &ReportQuery) -> Result<Report<StockRow>, ReportError> {
    let query = inventory_query(query)?;
    let subtree = subtree(store, &query.org).await?;
    let groups = Groups::new(&query.org, &query.by, &subtree.branches, &[QTY_SCALE]);
    let branches: Vec<i64> = subtree.branches.keys().copied().collect();
    let filter = StockFilter {
        product: query.product.as_deref(),
        warehouse: query.warehouse.as_deref(),
    };
    let groups = read_stock_blocks(store, &branches, filter, groups).await?;
    Ok(stock_report(&query, subtree, groups))
}

/// On-hand by scanning the stored lines (oracle and baseline).
pub async fn inventory_direct(store: &Store, query: &ReportQuery) -> Result<Report<StockRow>, ReportError> {
    let on_hand =
        "CASE WHEN m.doc_type IN ('opening', 'purchase-in', 'stock-count', 'transfer-in') THEN m.qty \
                   ELSE -m.qty END";
    read_stock(store, query, &STOCK_MOVES, on_hand).await
}

async fn read_stock(
    store: &Store,
    query: &ReportQuery,
    source: &Source,
    on_hand: &str,
) -> Result<Report<StockRow>, ReportError> {
    let query = inventory_query(query)?;
    let subtree = subtree(store, &query.org).await?;
    let mut groups = Groups::new(&query.org, &query.by, &subtree.branches, &[QTY_SCALE]);
    if !subtree.branches.is_empty() {
        let dialect: Dialect = store.dialect();
        let keys: Vec<&str> = query
            .by
            .iter()
            .map(|grouping| source.column(*grouping).expect("inventory groupings are checked"))
            .collect();
        let equal: Vec<(&str, &str)> = [
            (source.product, &query.product),
            (source.warehouse, &query.warehouse),
        ]
        .into_iter()
        .filter_map(|(column, value)| Some((column?, value.as_deref()?)))
        .collect();
        let on_hand = [on_hand.to_owned()];
        let (sql, params) = grouped_sql(dialect, source, &keys, &on_hand, &subtree, None, &equal);
        groups = read_groups(store, sql, params, groups).await?;
    }
    Ok(stock_report(&query, subtree, groups))
}

fn stock_report(query: &ReportQuery, subtree: Subtree, groups: Groups) -> Report<StockRow> {
    let report = Report {
        by: query.by.clone(),
        rows: groups.into_sorted(|key, sums| StockRow {
            key,
            level: RowLevel::Group,
            on_hand: sums[0],
        }),
        freshness: subtree.freshness,
        growth: false,
    };
    subtotalled(query, report)
}
