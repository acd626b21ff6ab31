//! Test harness for people at HQ: accounts added through the Account service with the bootstrap
//! token, logins, Account/Admin/Report clients carrying a person's token, one call of any
//! Admin, Report or Account method (`Probe`), and a snapshot of what HQ's store shows (gRPC
//! listings and the registry tables) to prove that a refused call changed nothing.

use crate::hq::{admin_client, TEST_ADMIN_TOKEN};
use crate::hq_db::HqDb;
use anyhow::Context;
use branchline_proto::v1::account_client::AccountClient;
use branchline_proto::v1::commission_client::CommissionClient;
use branchline_proto::v1::report_client::ReportClient;
use branchline_proto::v1::{
    AddBranchRequest, AddCommissionPlanRequest, AddOrgRequest, AddUserRequest, AssignCommissionPlanRequest,
    AuditEvent, AuditRequest, BranchStatus, BundleUpload, CommissionFiguresRequest, CreateTemplateRequest,
    DisableUserRequest, EnableUserRequest, ExportTemplateRequest, ImportBaseDataRequest,
    ImportStockLimitsRequest, IssueTokenRequest, ListCommissionPlansRequest, ListDayClosesRequest,
    ListOrgsRequest, ListTemplatesRequest, ListUsersRequest, LoginRequest, LoginResponse, LogoutRequest,
    PublishTemplateRequest, QuarantineListRequest, QuarantineRetryRequest, QuarantinedEntry, ReportRequest,
    RevokeBranchRequest, RevokeTokensRequest, RotateBranchTokenRequest, RoutedListRequest, RoutedTrade,
    SetPasswordRequest, SetTargetRequest, StatusRequest, User, WhoAmIRequest,
};
use hq_server::cli::client::Authorization;
use tonic::service::interceptor::InterceptedService;
use tonic::transport::Channel;
use tonic::Status;

pub type HqAccountClient = AccountClient<InterceptedService<Channel, Authorization>>;
pub type HqReportClient = ReportClient<InterceptedService<Channel, Authorization>>;

/// The audit action of every permission refusal.
pub const REFUSED_PERMISSION: &str = "refused: permission denied";

/// A person at HQ and a token of theirs.
#[derive(Debug, Clone)]
pub struct Person {
    pub name: String,
    pub password: String,
    pub token: String,
}

async fn channel(url: &str) -> Channel {
    Channel::from_shared(url.to_owned())
        .expect("HQ url")
        .connect()
        .await
        .expect("connecting to HQ")
}

pub async fn account_client(url: &str, token: &str) -> HqAccountClient {
    AccountClient::with_interceptor(channel(url).await, Authorization::bearer(token).expect("token"))
}

pub async fn report_client(url: &str, token: &str) -> HqReportClient {
    ReportClient::with_interceptor(channel(url).await, Authorization::bearer(token).expect("token"))
        .max_decoding_message_size(256 << 20)
}

/// Login, which needs no token: the password is the credential.
pub async fn login(url: &str, name: &str, password: &str) -> Result<LoginResponse, Status> {
    let mut client = AccountClient::new(channel(url).await);
    let request = LoginRequest {
        name: name.to_owned(),
        password: password.to_owned(),
    };
    Ok(client.login(request).await?.into_inner())
}

/// Adds account `name` (role admin|operator|viewer, scope `org`) with the bootstrap token.
pub async fn add_account(url: &str, name: &str, role: &str, org: &str) -> anyhow::Result<()> {
    let request = AddUserRequest {
        name: name.to_owned(),
        role: role.to_owned(),
        org: org.to_owned(),
    };
    account_client(url, TEST_ADMIN_TOKEN)
        .await
        .add_user(request)
        .await
        .with_context(|| format!("adding account {name}"))?;
    Ok(())
}

/// Sets `name`'s password with the bootstrap token.
pub async fn set_password(url: &str, name: &str, password: &str) -> anyhow::Result<()> {
    let request = SetPasswordRequest {
        name: name.to_owned(),
        password: password.to_owned(),
    };
    account_client(url, TEST_ADMIN_TOKEN)
        .await
        .set_password(request)
        .await
        .with_context(|| format!("setting {name}'s password"))?;
    Ok(())
}

/// The password every test account gets: its name, padded past the 8-character minimum.
pub fn password_of(name: &str) -> String {
    format!("pw-{name}-Secret-42")
}

/// Adds the account, gives it [`password_of`] its name and logs it in.
pub async fn add_person(url: &str, name: &str, role: &str, org: &str) -> anyhow::Result<Person> {
    add_account(url, name, role, org).await?;
    let password = password_of(name);
    set_password(url, name, &password).await?;
    let token = login(url, name, &password)
        .await
        .with_context(|| format!("logging {name} in"))?
        .token;
    Ok(Person {
        name: name.to_owned(),
        password,
        token,
    })
}

/// Every audit event the bootstrap token sees, oldest first.
pub async fn all_audit_events(url: &str) -> anyhow::Result<Vec<AuditEvent>> {
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    Ok(admin.audit(AuditRequest::default()).await?.into_inner().events)
}

/// The permission refusals the audit log holds with `actor` as actor, oldest first.
pub async fn refusals_of(url: &str, actor: &str) -> anyhow::Result<Vec<AuditEvent>> {
    let mut events = all_audit_events(url).await?;
    events.retain(|event| event.actor == actor && event.action == REFUSED_PERMISSION);
    Ok(events)
}

/// What HQ's store shows, as seen with the bootstrap token and in its registry tables.
#[derive(Debug, Clone, PartialEq)]
pub struct StoreSnapshot {
    pub status: Vec<BranchStatus>,
    pub users: Vec<User>,
    /// Every audit event that is not a refusal.
    pub audit: Vec<AuditEvent>,
    pub quarantine: Vec<QuarantinedEntry>,
    pub routed: Vec<RoutedTrade>,
    /// (query, rows) over the org, branch, target, template, person and master data tables.
    pub tables: Vec<(&'static str, Vec<String>)>,
}

/// One text column per row, so the same statement reads both backends.
const SNAPSHOT_QUERIES: &[&str] = &[
    "SELECT code || ' ' || name FROM org ORDER BY code",
    "SELECT code || ' ' || org || ' ' || token_sha256 FROM branch ORDER BY code",
    "SELECT org || ' ' || month || ' ' || CAST(amount AS TEXT) FROM sales_target ORDER BY 1",
    "SELECT name || ' ' || CAST(version AS TEXT) FROM template ORDER BY 1",
    "SELECT CAST(branch_id AS TEXT) || ' ' || name || ' ' || CAST(version AS TEXT) \
     FROM template_delivery ORDER BY 1",
    "SELECT kind || ' ' || code || ' ' || name FROM master_record ORDER BY 1",
    "SELECT product || ' ' || warehouse || ' ' || org || ' ' || min_qty FROM stock_limit ORDER BY 1",
    "SELECT name || ' ' || role || ' ' || org || ' ' || COALESCE(password_hash, '') || ' ' \
     || COALESCE(disabled_at, '') FROM person ORDER BY 1",
    "SELECT person || ' ' || token_sha256 || ' ' || COALESCE(revoked_at, '') \
     FROM person_token ORDER BY 1",
    "SELECT CAST(COUNT(*) AS TEXT) FROM document",
    "SELECT CAST(COUNT(*) AS TEXT) FROM inbox",
];

/// The rows of a one-text-column statement.
pub async fn text_rows(db: &mut HqDb, sql: &str) -> anyhow::Result<Vec<String>> {
    match db {
        HqDb::Sqlite(db) => {
            let mut statement = db.prepare(sql).with_context(|| sql.to_owned())?;
            let rows = statement.query_map([], |row| row.get::<_, String>(0))?;
            Ok(rows.collect::<Result<_, _>>()?)
        }
        HqDb::Postgres(db) => Ok(sqlx::query_scalar::<_, String>(sql)
            .fetch_all(&mut *db)
            .await
            .with_context(|| sql.to_owned())?),
    }
}

pub async fn store_snapshot(url: &str, db_url: &str) -> anyhow::Result<StoreSnapshot> {
    let mut admin = admin_client(url, TEST_ADMIN_TOKEN).await;
    let mut accounts = account_client(url, TEST_ADMIN_TOKEN).await;
    let status = admin
        .status(StatusRequest::default())
        .await?
        .into_inner()
        .branches;
    let users = accounts.list_users(ListUsersRequest {}).await?.into_inner().users;
    let mut audit = admin.audit(AuditRequest::default()).await?.into_inner().events;
    audit.retain(|event| !event.action.starts_with("refused"));
    let quarantine = admin
        .quarantine_list(QuarantineListRequest::default())
        .await?
        .into_inner()
        .entries;
    let routed = admin
        .routed_list(RoutedListRequest::default())
        .await?
        .into_inner()
        .trades;
    let mut db = HqDb::connect(db_url).await?;
    let mut tables = Vec::with_capacity(SNAPSHOT_QUERIES.len());
    for sql in SNAPSHOT_QUERIES {
        tables.push((*sql, text_rows(&mut db, sql).await?));
    }
    db.close().await?;
    Ok(StoreSnapshot {
        status,
        users,
        audit,
        quarantine,
        routed,
        tables,
    })
}

/// One call of one Admin, Report or Account method, with its request.
#[derive(Debug, Clone)]
pub enum Probe {
    AddOrg(AddOrgRequest),
    AddBranch(AddBranchRequest),
    ListOrgs(ListOrgsRequest),
    ImportBaseData(ImportBaseDataRequest),
    ImportStockLimits(ImportStockLimitsRequest),
    Status(StatusRequest),
    QuarantineList(QuarantineListRequest),
    QuarantineRetry(QuarantineRetryRequest),
    ImportBundle(BundleUpload),
    CreateTemplate(CreateTemplateRequest),
    PublishTemplate(PublishTemplateRequest),
    ExportTemplate(ExportTemplateRequest),
    ListTemplates(ListTemplatesRequest),
    SetTarget(SetTargetRequest),
    Audit(AuditRequest),
    RoutedList(RoutedListRequest),
    ListDayCloses(ListDayClosesRequest),
    RotateBranchToken(RotateBranchTokenRequest),
    RevokeBranch(RevokeBranchRequest),
    Sales(ReportRequest),
    Inventory(ReportRequest),
    Ranking(ReportRequest),
    CountDifferences(ReportRequest),
    AddPlan(AddCommissionPlanRequest),
    AssignPlan(AssignCommissionPlanRequest),
    ListPlans,
    Figures(CommissionFiguresRequest),
    Settle(CommissionFiguresRequest),
    Login(LoginRequest),
    Logout,
    WhoAmI,
    AddUser(AddUserRequest),
    ListUsers,
    DisableUser(DisableUserRequest),
    EnableUser(EnableUserRequest),
    SetPassword(SetPasswordRequest),
    IssueToken(IssueTokenRequest),
    RevokeTokens(RevokeTokensRequest),
}

impl Probe {
    /// "Service/Method", as the descriptor names them (e.g. "Admin/AddOrg").
    pub fn method(&self) -> &'static str {
        match self {
            Probe::AddOrg(_) => "Admin/AddOrg",
            Probe::AddBranch(_) => "Admin/AddBranch",
            Probe::ListOrgs(_) => "Admin/ListOrgs",
            Probe::ImportBaseData(_) => "Admin/ImportBaseData",
            Probe::ImportStockLimits(_) => "Admin/ImportStockLimits",
            Probe::Status(_) => "Admin/Status",
            Probe::QuarantineList(_) => "Admin/QuarantineList",
            Probe::QuarantineRetry(_) => "Admin/QuarantineRetry",
            Probe::ImportBundle(_) => "Admin/ImportBundle",
            Probe::CreateTemplate(_) => "Admin/CreateTemplate",
            Probe::PublishTemplate(_) => "Admin/PublishTemplate",
            Probe::ExportTemplate(_) => "Admin/ExportTemplate",
            Probe::ListTemplates(_) => "Admin/ListTemplates",
            Probe::SetTarget(_) => "Admin/SetTarget",
            Probe::Audit(_) => "Admin/Audit",
            Probe::RoutedList(_) => "Admin/RoutedList",
            Probe::ListDayCloses(_) => "Admin/ListDayCloses",
            Probe::RotateBranchToken(_) => "Admin/RotateBranchToken",
            Probe::RevokeBranch(_) => "Admin/RevokeBranch",
            Probe::Sales(_) => "Report/Sales",
            Probe::Inventory(_) => "Report/Inventory",
            Probe::Ranking(_) => "Report/Ranking",
            Probe::CountDifferences(_) => "Report/CountDifferences",
            Probe::AddPlan(_) => "Commission/AddPlan",
            Probe::AssignPlan(_) => "Commission/AssignPlan",
            Probe::ListPlans => "Commission/ListPlans",
            Probe::Figures(_) => "Commission/Figures",
            Probe::Settle(_) => "Commission/Settle",
            Probe::Login(_) => "Account/Login",
            Probe::Logout => "Account/Logout",
            Probe::WhoAmI => "Account/WhoAmI",
            Probe::AddUser(_) => "Account/AddUser",
            Probe::ListUsers => "Account/ListUsers",
            Probe::DisableUser(_) => "Account/DisableUser",
            Probe::EnableUser(_) => "Account/EnableUser",
            Probe::SetPassword(_) => "Account/SetPassword",
            Probe::IssueToken(_) => "Account/IssueToken",
            Probe::RevokeTokens(_) => "Account/RevokeTokens",
        }
    }

    /// Sends the call with `token` (Login: with no token at all); answers the response as debug
    /// text, or the refusal.
    pub async fn send(&self, url: &str, token: &str) -> Result<String, Status> {
        match self {
            Probe::Login(request) => {
                let answer = login(url, &request.name, &request.password).await?;
                Ok(format!("{answer:?}"))
            }
            Probe::Sales(_) | Probe::Inventory(_) | Probe::Ranking(_) | Probe::CountDifferences(_) => {
                self.send_report(&mut report_client(url, token).await).await
            }
            Probe::AddPlan(_)
            | Probe::AssignPlan(_)
            | Probe::ListPlans
            | Probe::Figures(_)
            | Probe::Settle(_) => self.send_commission(url, token).await,
            Probe::Logout
            | Probe::WhoAmI
            | Probe::AddUser(_)
            | Probe::ListUsers
            | Probe::DisableUser(_)
            | Probe::EnableUser(_)
            | Probe::SetPassword(_)
            | Probe::IssueToken(_)
            | Probe::RevokeTokens(_) => self.send_account(&mut account_client(url, token).await).await,
            _ => self.send_admin(url, token).await,
        }
    }

    async fn send_admin(&self, url: &str, token: &str) -> Result<String, Status> {
        let mut admin = admin_client(url, token).await;
        let answer = match self.clone() {
            Probe::AddOrg(request) => format!("{:?}", admin.add_org(request).await?),
            Probe::AddBranch(request) => format!("{:?}", admin.add_branch(request).await?),
            Probe::ListOrgs(request) => format!("{:?}", admin.list_orgs(request).await?),
            Probe::ImportBaseData(request) => format!("{:?}", admin.import_base_data(request).await?),
            Probe::ImportStockLimits(request) => format!("{:?}", admin.import_stock_limits(request).await?),
            Probe::Status(request) => format!("{:?}", admin.status(request).await?),
            Probe::QuarantineList(request) => format!("{:?}", admin.quarantine_list(request).await?),
            Probe::QuarantineRetry(request) => format!("{:?}", admin.quarantine_retry(request).await?),
            Probe::ImportBundle(request) => format!("{:?}", admin.import_bundle(request).await?),
            Probe::CreateTemplate(request) => format!("{:?}", admin.create_template(request).await?),
            Probe::PublishTemplate(request) => format!("{:?}", admin.publish_template(request).await?),
            Probe::ExportTemplate(request) => format!("{:?}", admin.export_template(request).await?),
            Probe::ListTemplates(request) => format!("{:?}", admin.list_templates(request).await?),
            Probe::SetTarget(request) => format!("{:?}", admin.set_target(request).await?),
            Probe::Audit(request) => format!("{:?}", admin.audit(request).await?),
            Probe::RoutedList(request) => format!("{:?}", admin.routed_list(request).await?),
            Probe::ListDayCloses(request) => format!("{:?}", admin.list_day_closes(request).await?),
            Probe::RotateBranchToken(request) => {
                format!("{:?}", admin.rotate_branch_token(request).await?)
            }
            Probe::RevokeBranch(request) => format!("{:?}", admin.revoke_branch(request).await?),
            other => unreachable!("{} is not an Admin method", other.method()),
        };
        Ok(answer)
    }

    async fn send_report(&self, report: &mut HqReportClient) -> Result<String, Status> {
        let answer = match self.clone() {
            Probe::Sales(request) => report.sales(request).await?,
            Probe::Inventory(request) => report.inventory(request).await?,
            Probe::Ranking(request) => report.ranking(request).await?,
            Probe::CountDifferences(request) => report.count_differences(request).await?,
            other => unreachable!("{} is not a Report method", other.method()),
        };
        Ok(format!("{answer:?}"))
    }

    async fn send_commission(&self, url: &str, token: &str) -> Result<String, Status> {
        let mut commission = CommissionClient::with_interceptor(
            channel(url).await,
            Authorization::bearer(token).expect("token"),
        );
        let answer = match self.clone() {
            Probe::AddPlan(request) => format!("{:?}", commission.add_plan(request).await?),
            Probe::AssignPlan(request) => format!("{:?}", commission.assign_plan(request).await?),
            Probe::ListPlans => format!(
                "{:?}",
                commission.list_plans(ListCommissionPlansRequest {}).await?
            ),
            Probe::Figures(request) => format!("{:?}", commission.figures(request).await?),
            Probe::Settle(request) => format!("{:?}", commission.settle(request).await?),
            other => unreachable!("{} is not a Commission method", other.method()),
        };
        Ok(answer)
    }

    async fn send_account(&self, account: &mut HqAccountClient) -> Result<String, Status> {
        let answer = match self.clone() {
            Probe::Logout => format!("{:?}", account.logout(LogoutRequest {}).await?),
            Probe::WhoAmI => format!("{:?}", account.who_am_i(WhoAmIRequest {}).await?),
            Probe::AddUser(request) => format!("{:?}", account.add_user(request).await?),
            Probe::ListUsers => format!("{:?}", account.list_users(ListUsersRequest {}).await?),
            Probe::DisableUser(request) => format!("{:?}", account.disable_user(request).await?),
            Probe::EnableUser(request) => format!("{:?}", account.enable_user(request).await?),
            Probe::SetPassword(request) => format!("{:?}", account.set_password(request).await?),
            Probe::IssueToken(request) => format!("{:?}", account.issue_token(request).await?),
            Probe::RevokeTokens(request) => format!("{:?}", account.revoke_tokens(request).await?),
            other => unreachable!("{} is not an Account method", other.method()),
        };
        Ok(answer)
    }
}
