//! Inter-branch trade (单据转换, docs/documents.md), inside the ingestion transaction: a confirmed
//! sales-out whose customer is another branch's counterpart customer reaches that branch's
//! inbox as a draft purchase-in (and the mirror: a purchase-in from a counterpart supplier
//! becomes a draft sales-out), red documents included. Each source document is routed at most
//! once; a document already linked to the other end is not routed back; what HQ cannot place
//! goes to quarantine (kind `routing`) with its reason. Rejections from the receiver are recorded.

use super::counterpart::{load_counterparts, mirror_type, Counterpart, RouteResult};
use super::inbox_queue::append_inbox;
use super::register::{quarantine_routing, record_rejection, record_second_end, upsert_routed};
use crate::store::bulk::rows::placeholders;
use crate::store::db::dialect::Dialect;
use crate::store::db::error::DbError;
use crate::store::db::pool::Conn;
use crate::store::db::query::query;
use crate::store::ingest::plan::Plan;
use crate::store::registry::branches::BranchRef;
use branchline_shared::{BaseKind, DocLink, DocRejection, DocType, Document, InboxBody};
use std::collections::HashSet;

/// What routing needs from a batch's plan: the documents applied (with their outbox seq) and
/// the rejections received, borrowed from the plan.
#[derive(Debug, Default)]
pub(crate) struct Routable<'a> {
    documents: Vec<(u64, &'a Document)>,
    rejections: Vec<&'a DocRejection>,
}

impl<'a> Routable<'a> {
    pub(crate) fn from_plan(plan: &'a Plan<'_>) -> Routable<'a> {
        Routable {
            documents: plan
                .documents
                .iter()
                .filter(|planned| is_trade_type(planned.document.doc_type))
                .map(|planned| (planned.seq, planned.document))
                .collect(),
            rejections: plan.rejections.iter().map(|(_, rejection)| rejection).collect(),
        }
    }

    fn is_empty(&self) -> bool {
        self.documents.is_empty() && self.rejections.is_empty()
    }
}

fn is_trade_type(doc_type: DocType) -> bool {
    matches!(doc_type, DocType::SalesOut | DocType::PurchaseIn)
}

/// Routes the trade documents of a batch applied for `sender` and records the rejections it
/// carried. Runs inside the ingestion (or quarantine retry) transaction.
pub(crate) async fn route(
    connection: &mut Conn,
    dialect: Dialect,
    sender: &BranchRef,
    epoch: u64,
    routable: Routable<'_>,
    now: &str,
) -> Result<(), DbError> {
    if routable.is_empty() {
        return Ok(());
    }
    let counterparts = load_counterparts(connection).await?;
    for &(seq, document) in &routable.documents {
        let result = route_document(
            connection,
            dialect,
            &counterparts,
            sender,
            epoch,
            seq,
            document,
            &routable,
            now,
        )
        .await?;
        if let RouteResult::Quarantined { reason } = &result {
            tracing::warn!(branch = %sender.code, number = %document.number, %reason, "routing quarantined");
        }
    }
    for rejection in &routable.rejections {
        record_rejection(connection, &counterparts, sender, rejection, now).await?;
    }
    Ok(())
}

#[allow(clippy::too_many_arguments)]
pub(crate) async fn route_document(
    connection: &mut Conn,
    dialect: Dialect,
    counterparts: &[Counterpart],
    sender: &BranchRef,
    epoch: u64,
    seq: u64,
    document: &Document,
    batch: &Routable<'_>,
    now: &str,
) -> Result<RouteResult, DbError> {
    if !is_trade_type(document.doc_type) {
        return Ok(RouteResult::NotTrade);
    }
    if let Some(link) = &document.link {
        return record_second_end(connection, counterparts, sender, epoch, seq, document, link, now).await;
    }
    let receiver = counterparts.iter().find(|counterpart| match document.doc_type {
        DocType::SalesOut => counterpart.customer == document.partner,
        _ => counterpart.supplier == document.partner,
    });
    let Some(receiver) = receiver else {
        return Ok(RouteResult::NotTrade);
    };
    if routed_before(connection, sender, document).await? {
        return Ok(RouteResult::AlreadyRouted);
    }
    let routed_type = mirror_type(document.doc_type);
    let Some(sender_counterpart) = counterparts
        .iter()
        .find(|counterpart| counterpart.id == sender.id)
    else {
        return Ok(RouteResult::NotTrade);
    };
    if receiver.id == sender.id {
        let reason = format!(
            "document {}: partner {} is branch {}'s own counterpart; a branch cannot trade with itself",
            document.number, document.partner, sender.code
        );
        return quarantine_routing(
            connection,
            sender,
            epoch,
            seq,
            document,
            None,
            routed_type,
            reason,
            now,
        )
        .await;
    }
    if linked_at_receiver(connection, sender, receiver, document, routed_type, now).await? {
        return Ok(RouteResult::AlreadyAtReceiver);
    }
    let routed = routed_document(connection, sender_counterpart, receiver, document, batch).await?;
    if let Some(reason) = placement_problem(connection, dialect, receiver, &routed).await? {
        let reason = format!(
            "cannot route document {} to {}: {reason}",
            document.number, receiver.code
        );
        return quarantine_routing(
            connection,
            sender,
            epoch,
            seq,
            document,
            Some(receiver),
            routed_type,
            reason,
            now,
        )
        .await;
    }
    let inbox_seq = append_inbox(connection, receiver.id, &InboxBody::RoutedDocument(routed), now).await?;
    upsert_routed(
        connection,
        sender,
        document,
        Some(receiver.id),
        routed_type,
        "queued",
        Some(inbox_seq),
        None,
        "",
        now,
    )
    .await?;
    Ok(RouteResult::Queued { inbox_seq })
}

/// Whether `document` of `sender` was routed before (and not left in quarantine).
async fn routed_before(
    connection: &mut Conn,
    sender: &BranchRef,
    document: &Document,
) -> Result<bool, DbError> {
    let existing = query("SELECT state FROM routed WHERE source_branch_id = $1 AND source_number = $2")
        .bind(sender.id)
        .bind(&document.number)
        .fetch_optional(&mut *connection)
        .await?;
    match existing {
        Some(row) => Ok(row.try_get::<String, _>(0)? != "quarantined"),
        None => Ok(false),
    }
}

/// Whether `receiver` already holds a document linked to `document` (the trade was entered at
/// both ends); if so, the routing is registered as linked to it.
async fn linked_at_receiver(
    connection: &mut Conn,
    sender: &BranchRef,
    receiver: &Counterpart,
    document: &Document,
    routed_type: DocType,
    now: &str,
) -> Result<bool, DbError> {
    let at_receiver = query(
        "SELECT number FROM document WHERE branch_id = $1 AND link_branch = $2 AND link_number = $3 LIMIT 1",
    )
    .bind(receiver.id)
    .bind(&sender.code)
    .bind(&document.number)
    .fetch_optional(&mut *connection)
    .await?;
    let Some(row) = at_receiver else {
        return Ok(false);
    };
    let target_number: String = row.try_get(0)?;
    let reason = format!("already entered at {} as {target_number}", receiver.code);
    upsert_routed(
        connection,
        sender,
        document,
        Some(receiver.id),
        routed_type,
        "linked",
        None,
        Some(&target_number),
        &reason,
        now,
    )
    .await?;
    Ok(true)
}

/// The draft the receiver gets: the mirror type, the sender's counterpart as partner, the
/// receiver's counterpart warehouse, the same lines, linked to the source. A red document
/// points at the receiver's own number when the source was itself the second end of a trade
/// with the receiver; otherwise at the sender's number, which the receiving ledger resolves
/// through the link of the draft it got for it.
async fn routed_document(
    connection: &mut Conn,
    sender: &Counterpart,
    receiver: &Counterpart,
    document: &Document,
    batch: &Routable<'_>,
) -> Result<Document, DbError> {
    let partner = match document.doc_type {
        DocType::SalesOut => sender.supplier.clone(),
        _ => sender.customer.clone(),
    };
    let mut red_of = document.red_of.clone();
    if let Some(source_number) = &document.red_of {
        let source_link = match batch
            .documents
            .iter()
            .find(|(_, source)| source.number == *source_number)
        {
            Some((_, source)) => source.link.clone(),
            None => {
                query("SELECT link_branch, link_number FROM document WHERE branch_id = $1 AND number = $2")
                    .bind(sender.id)
                    .bind(source_number)
                    .fetch_optional(&mut *connection)
                    .await?
                    .map(|row| -> Result<Option<DocLink>, DbError> {
                        let branch: Option<String> = row.try_get(0)?;
                        let number: Option<String> = row.try_get(1)?;
                        Ok(branch
                            .zip(number)
                            .map(|(branch, number)| DocLink { branch, number }))
                    })
                    .transpose()?
                    .flatten()
            }
        };
        if let Some(link) = source_link.filter(|link| link.branch == receiver.code) {
            red_of = Some(link.number);
        }
    }
    Ok(Document {
        number: document.number.clone(),
        doc_type: mirror_type(document.doc_type),
        date: document.date,
        partner,
        warehouse: receiver.warehouse.clone(),
        to_warehouse: String::new(),
        red_of,
        lines: document.lines.clone(),
        link: Some(DocLink {
            branch: sender.code.clone(),
            number: document.number.clone(),
        }),
    })
}

/// Why the receiver could not take `routed`, if anything: every code must be HQ master data
/// or one of the receiver's own records.
async fn placement_problem(
    connection: &mut Conn,
    dialect: Dialect,
    receiver: &Counterpart,
    routed: &Document,
) -> Result<Option<String>, DbError> {
    if let Err(error) = routed.validate() {
        return Ok(Some(error.to_string()));
    }
    let partner_kind = if routed.doc_type.partner_is_supplier() {
        BaseKind::Supplier
    } else {
        BaseKind::Customer
    };
    if !known_at(
        connection,
        dialect,
        receiver.id,
        BaseKind::Warehouse,
        &[routed.warehouse.as_str()],
    )
    .await?
    .contains(&routed.warehouse)
    {
        return Ok(Some(format!(
            "counterpart warehouse {} is unknown at {}",
            routed.warehouse, receiver.code
        )));
    }
    if !known_at(
        connection,
        dialect,
        receiver.id,
        partner_kind,
        &[routed.partner.as_str()],
    )
    .await?
    .contains(&routed.partner)
    {
        return Ok(Some(format!(
            "counterpart {partner_kind} {} is unknown at {}",
            routed.partner, receiver.code
        )));
    }
    let products: Vec<&str> = routed.lines.iter().map(|line| line.product.as_str()).collect();
    let known = known_at(connection, dialect, receiver.id, BaseKind::Product, &products).await?;
    if let Some(product) = products.iter().find(|product| !known.contains(**product)) {
        return Ok(Some(format!("product {product} is unknown at {}", receiver.code)));
    }
    Ok(None)
}

/// Which of `codes` HQ master data or branch `branch_id`'s own records hold.
async fn known_at(
    connection: &mut Conn,
    dialect: Dialect,
    branch_id: i64,
    kind: BaseKind,
    codes: &[&str],
) -> Result<HashSet<String>, DbError> {
    let mut known = HashSet::new();
    for chunk in codes.chunks(1000) {
        let n = chunk.len();
        let sql = format!(
            "SELECT code FROM master_record WHERE kind = {} AND code IN ({}) \
             UNION SELECT code FROM branch_record WHERE branch_id = {} AND kind = {} AND code IN ({})",
            dialect.placeholder(1),
            placeholders(dialect, 2, n),
            dialect.placeholder(n + 2),
            dialect.placeholder(n + 3),
            placeholders(dialect, n + 4, n),
        );
        let mut statement = query(&sql).bind(kind.as_str());
        for code in chunk {
            statement = statement.bind(*code);
        }
        statement = statement.bind(branch_id).bind(kind.as_str());
        for code in chunk {
            statement = statement.bind(*code);
        }
        for row in statement.fetch_all(&mut *connection).await? {
            known.insert(row.try_get(0)?);
        }
    }
    Ok(known)
}
