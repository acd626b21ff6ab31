//! Templates (模板发放, docs/documents.md): versioned snapshots of HQ master data, published to every
//! registered branch of an organization subtree through its inbox, or exported as a file. A
//! template made with stock limits carries HQ's limits resolved per warehouse; each branch is
//! sent those of its own warehouses and of warehouses of no branch.

use crate::store::bulk::rows::placeholders;
use crate::store::db::dialect::{Dialect, PRICE_SCALE};
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::db::value::{get_u64, now_text, to_i64};
use crate::store::registry::audit::{audit, Actor};
use crate::store::registry::stock_limit::warehouse_limits;
use crate::store::trade::inbox_queue::append_inbox;
use crate::store::{Store, StoreError};
use branchline_shared::{
    encode_container, org_in_subtree, split_template, validate_org_code, validate_record_code, BaseKind,
    BaseRecord, CodeError, ContainerHeader, ContainerKind, InboxBody, Template, WarehouseLimit,
};
use std::collections::BTreeSet;

/// Most codes `template create --codes` accepts.
pub const TEMPLATE_CODES_MAX: usize = 10_000;

#[derive(Debug, thiserror::Error)]
pub enum TemplateError {
    #[error("template name: {0}")]
    BadName(CodeError),
    #[error(
        "template {name}: no kinds given: expected product, customer, supplier, warehouse or stock-limit"
    )]
    NoKinds { name: String },
    #[error("template {name}: {n_codes} codes given, more than the {TEMPLATE_CODES_MAX} allowed")]
    TooManyCodes { name: String, n_codes: usize },
    #[error("template {name}: code {code} is not an HQ {kinds} record")]
    UnknownCode {
        name: String,
        code: String,
        kinds: String,
    },
    #[error("template {name} would be empty: HQ holds no {kinds} records")]
    Empty { name: String, kinds: String },
    #[error("template {name} does not exist: create it first")]
    UnknownTemplate { name: String },
    #[error("organization {code} does not exist")]
    UnknownOrg { code: String },
    #[error(transparent)]
    OrgCode(#[from] CodeError),
    #[error("no organization given: publish needs --to ORGCODE[,ORGCODE...]")]
    NoOrgs,
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbError> for TemplateError {
    fn from(error: DbError) -> TemplateError {
        TemplateError::Store(error.into())
    }
}

/// What `template create` made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CreatedTemplate {
    pub version: u64,
    pub n_records: u64,
}

/// What `template publish` did, per branch of the subtrees (ordered by branch code).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Publication {
    pub version: u64,
    /// Branches whose inbox received this version now.
    pub queued: Vec<String>,
    /// Branches that already had this version queued (publishing twice queues once).
    pub already_queued: Vec<String>,
}

/// What a template is made of: master records of some kinds, and HQ's stock limits or not.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TemplateContents {
    pub kinds: Vec<BaseKind>,
    pub stock_limits: bool,
}

/// The kinds as listed (`product/warehouse/stock-limit`).
fn contents_text(kinds: &[BaseKind], stock_limits: bool) -> String {
    let mut names: Vec<&str> = kinds.iter().map(|kind| kind.as_str()).collect();
    if stock_limits {
        names.push("stock-limit");
    }
    names.join("/")
}

fn kinds_text(kinds: &[BaseKind]) -> String {
    contents_text(kinds, false)
}

/// Snapshots HQ master records of the contents' kinds (only `codes`, when given), and its
/// stock limits when asked, as the next version of template `name`.
pub async fn create(
    store: &Store,
    by: &str,
    name: &str,
    contents: &TemplateContents,
    codes: &[String],
) -> Result<CreatedTemplate, TemplateError> {
    validate_record_code("template name", name).map_err(TemplateError::BadName)?;
    let kinds: Vec<BaseKind> = contents
        .kinds
        .iter()
        .copied()
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if kinds.is_empty() && !contents.stock_limits {
        return Err(TemplateError::NoKinds {
            name: name.to_owned(),
        });
    }
    if codes.len() > TEMPLATE_CODES_MAX {
        return Err(TemplateError::TooManyCodes {
            name: name.to_owned(),
            n_codes: codes.len(),
        });
    }
    let mut tx = store.begin_write().await?;
    let (records, stock_limits) = snapshot(
        &mut tx,
        store.dialect(),
        name,
        &kinds,
        codes,
        contents.stock_limits,
    )
    .await?;
    let n_limits = stock_limits.as_ref().map_or(0, Vec::len);
    if records.is_empty() && n_limits == 0 {
        return Err(TemplateError::Empty {
            name: name.to_owned(),
            kinds: contents_text(&kinds, contents.stock_limits),
        });
    }
    let version = 1 + get_u64(
        &query("SELECT COALESCE(MAX(version), 0) FROM template WHERE name = $1")
            .bind(name)
            .fetch_one(&mut *tx)
            .await?,
        0,
    )?;
    let template = Template {
        name: name.to_owned(),
        version,
        records,
        stock_limits,
    };
    let n_records = (template.records.len() + n_limits) as u64;
    query(
        "INSERT INTO template (name, version, kinds, codes, n_records, body, created_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(name)
    .bind(to_i64(version)?)
    .bind(contents_text(&kinds, contents.stock_limits))
    .bind(codes.join(","))
    .bind(to_i64(n_records)?)
    .bind(serde_json::to_string(&template).expect("templates always serialize"))
    .bind(now_text())
    .execute(&mut *tx)
    .await?;
    let detail = format!(
        "{name} version {version}: {n_records} {} records",
        contents_text(&kinds, contents.stock_limits)
    );
    audit(&mut tx, Actor::new(by, None), "template create", &detail).await?;
    tx.commit().await?;
    Ok(CreatedTemplate { version, n_records })
}

/// The master records of `kinds` (only `codes`, when given) and, when asked, the stock limits
/// resolved per warehouse.
async fn snapshot(
    connection: &mut Conn,
    dialect: Dialect,
    name: &str,
    kinds: &[BaseKind],
    codes: &[String],
    with_stock_limits: bool,
) -> Result<(Vec<BaseRecord>, Option<Vec<WarehouseLimit>>), TemplateError> {
    let mut records = match kinds.is_empty() {
        true => Vec::new(),
        false => master_records(connection, dialect, kinds).await?,
    };
    if !codes.is_empty() {
        keep_codes(name, kinds, codes, &mut records)?;
    }
    let stock_limits = match with_stock_limits {
        true => Some(warehouse_limits(connection).await?),
        false => None,
    };
    Ok((records, stock_limits))
}

/// The HQ master records of `kinds`, in kind and code order.
async fn master_records(
    connection: &mut Conn,
    dialect: Dialect,
    kinds: &[BaseKind],
) -> Result<Vec<BaseRecord>, TemplateError> {
    let sql = format!(
        "SELECT kind, code, name, unit, {}, branch FROM master_record WHERE kind IN ({}) ORDER BY kind, code",
        dialect.decimal_column("price"),
        placeholders(dialect, 1, kinds.len())
    );
    let mut statement = query(&sql);
    for kind in kinds {
        statement = statement.bind(kind.as_str());
    }
    let mut records = Vec::new();
    for row in statement.fetch_all(&mut *connection).await? {
        let kind: String = row.try_get(0)?;
        let kind = BaseKind::parse(&kind).map_err(|error| StoreError::CorruptValue {
            what: "master record kind",
            reason: error.to_string(),
        })?;
        records.push(BaseRecord {
            kind,
            code: row.try_get(1)?,
            name: row.try_get(2)?,
            unit: row.try_get(3)?,
            price: dialect.read_decimal(&row, 4, PRICE_SCALE)?,
            branch: row.try_get(5)?,
        });
    }
    Ok(records)
}

/// Keeps the records of `codes` only; every code must be among them.
fn keep_codes(
    name: &str,
    kinds: &[BaseKind],
    codes: &[String],
    records: &mut Vec<BaseRecord>,
) -> Result<(), TemplateError> {
    let wanted: BTreeSet<&str> = codes.iter().map(String::as_str).collect();
    if let Some(missing) = wanted
        .iter()
        .find(|code| !records.iter().any(|record| record.code == **code))
    {
        return Err(TemplateError::UnknownCode {
            name: name.to_owned(),
            code: (*missing).to_owned(),
            kinds: kinds_text(kinds),
        });
    }
    records.retain(|record| wanted.contains(record.code.as_str()));
    Ok(())
}

/// The newest version of template `name`.
pub async fn latest(store: &Store, name: &str) -> Result<Template, TemplateError> {
    let row = query("SELECT body FROM template WHERE name = $1 ORDER BY version DESC LIMIT 1")
        .bind(name)
        .fetch_optional(store.pool())
        .await?
        .ok_or_else(|| TemplateError::UnknownTemplate {
            name: name.to_owned(),
        })?;
    let body: String = row.try_get(0)?;
    let template = serde_json::from_str(&body).map_err(|error| StoreError::CorruptValue {
        what: "template body",
        reason: error.to_string(),
    })?;
    Ok(template)
}

/// Queues the newest version of template `name` in the inbox of every registered branch whose
/// organization lies in the subtree of one of `orgs`; a branch that has it already is skipped.
/// A template whose records take more than `part_bytes_max` goes as several inbox entries, one
/// part each, in order.
pub async fn publish(
    store: &Store,
    by: &str,
    name: &str,
    orgs: &[String],
    part_bytes_max: usize,
) -> Result<Publication, TemplateError> {
    if orgs.is_empty() {
        return Err(TemplateError::NoOrgs);
    }
    for org in orgs {
        validate_org_code(org)?;
    }
    let template = latest(store, name).await?;
    let mut tx = store.begin_write().await?;
    for org in orgs {
        if query("SELECT 1 FROM org WHERE code = $1")
            .bind(org)
            .fetch_optional(&mut *tx)
            .await?
            .is_none()
        {
            return Err(TemplateError::UnknownOrg { code: org.clone() });
        }
    }
    let branches = query("SELECT id, code, org FROM branch ORDER BY code")
        .fetch_all(&mut *tx)
        .await?;
    let now = now_text();
    let mut publication = Publication {
        version: template.version,
        ..Publication::default()
    };
    for row in branches {
        let (branch_id, code, branch_org): (i64, String, String) =
            (row.try_get(0)?, row.try_get(1)?, row.try_get(2)?);
        if !orgs.iter().any(|org| org_in_subtree(&branch_org, org)) {
            continue;
        }
        let delivered =
            query("SELECT 1 FROM template_delivery WHERE branch_id = $1 AND name = $2 AND version = $3")
                .bind(branch_id)
                .bind(name)
                .bind(to_i64(template.version)?)
                .fetch_optional(&mut *tx)
                .await?
                .is_some();
        if delivered {
            publication.already_queued.push(code);
            continue;
        }
        let mut inbox_seq = 0;
        for body in &inbox_bodies(&template.for_branch(&code), part_bytes_max) {
            inbox_seq = append_inbox(&mut tx, branch_id, body, &now).await?;
        }
        query(
            "INSERT INTO template_delivery (branch_id, name, version, inbox_seq, created_at) VALUES ($1, $2, $3, $4, $5)",
        )
        .bind(branch_id)
        .bind(name)
        .bind(to_i64(template.version)?)
        .bind(to_i64(inbox_seq)?)
        .bind(&now)
        .execute(&mut *tx)
        .await?;
        publication.queued.push(code);
    }
    let detail = format!(
        "{name} version {} to {}: queued for [{}]",
        template.version,
        orgs.join(","),
        publication.queued.join(",")
    );
    // One event per organization, so that each subtree's audit shows what reached it.
    for org in orgs {
        audit(&mut tx, Actor::new(by, Some(org)), "template publish", &detail).await?;
    }
    tx.commit().await?;
    Ok(publication)
}

/// What publishing `template` puts in an inbox: the template whole when it fits in one part,
/// else its parts.
fn inbox_bodies(template: &Template, part_bytes_max: usize) -> Vec<InboxBody> {
    let parts = split_template(template, part_bytes_max);
    if parts.len() <= 1 {
        return vec![InboxBody::Template(template.clone())];
    }
    parts.into_iter().map(InboxBody::TemplatePart).collect()
}

/// The newest version of template `name` as a template file: a container of kind Template
/// whose one body line is the template's JSON (what `branch-node template import` reads).
pub async fn export(store: &Store, name: &str) -> Result<Vec<u8>, TemplateError> {
    let template = latest(store, name).await?;
    Ok(template_file(&template))
}

/// Encodes `template` as a template file.
pub fn template_file(template: &Template) -> Vec<u8> {
    let header = ContainerHeader {
        format: ContainerKind::Template,
        format_version: 0,
        source: "HQ".to_owned(),
        epoch: None,
        first_seq: None,
        last_seq: None,
        template_name: Some(template.name.clone()),
        template_version: Some(template.version),
        entries: 0,
        body_sha256: String::new(),
    };
    encode_container(
        header,
        &[serde_json::to_string(template).expect("templates always serialize")],
    )
}
