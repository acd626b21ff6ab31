//! The templates page (基础数据模板, 模板发放, `/templates`): every template's newest version and
//! its rollout to the branches of the account's scope (`Admin/ListTemplates`: which branch was
//! queued which version, and whether its ledger has applied it); create a template
//! (`Admin/CreateTemplate`), publish it to organization subtrees (`Admin/PublishTemplate`), and
//! download it as a template file (`Admin/ExportTemplate`, the bytes of `hq-server admin
//! template export`). The bundle upload (`/bundles`, `bundles`) lives beside it. Every form
//! carries the session's CSRF field; HQ decides what the account may do.

mod bundles;
mod forms;
mod listing;

use super::super::ctx::{CsrfForm, Ctx};
use super::super::error::ConsoleError;
use super::super::i18n::Lang;
use super::super::layout::Nav;
use crate::console::state::Console;
use crate::people::role::Role;
use axum::extract::Query;
use axum::http::header;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::get;
use axum::Router;
use branchline_proto::v1::{
    CreateTemplateRequest, ExportTemplateRequest, ListTemplatesRequest, PublishTemplateRequest,
};
use maud::{html, Markup};
use serde::Deserialize;
use std::collections::HashMap;

pub(super) fn routes() -> Router<Console> {
    // A form's address read with GET (the language switch on an answer page) is the page again.
    let back = || get(|| async { Redirect::to(Nav::Templates.path()) });
    Router::new()
        .route(Nav::Templates.path(), get(show))
        .route("/templates/create", back().post(create))
        .route("/templates/publish", back().post(publish))
        .route("/templates/export", get(export))
        .merge(bundles::routes())
}

#[derive(Deserialize)]
struct Subtree {
    #[serde(default)]
    org: String,
}

async fn show(ctx: Ctx, Query(subtree): Query<Subtree>) -> Result<Markup, ConsoleError> {
    page(&ctx, &subtree.org, None).await
}

/// The page: `notice` (what a form just did) above the templates and their rollout to the
/// branches of `org` (empty: the account's whole scope), then the forms the role may use.
async fn page(ctx: &Ctx, org: &str, notice: Option<Markup>) -> Result<Markup, ConsoleError> {
    let request = ListTemplatesRequest {
        name: String::new(),
        org: org.to_owned(),
    };
    let templates = ctx
        .admin()
        .list_templates(ctx.request(request))
        .await?
        .into_inner()
        .templates;
    let may_change = ctx.user.role >= Role::Operator;
    let orgs = if may_change { ctx.orgs().await? } else { Vec::new() };
    let lang = ctx.lang;
    let body = html! {
        @if let Some(notice) = notice {
            (notice)
        }
        form.filters method="get" action=(Nav::Templates.path()) {
            label {
                (lang.t("发放进度：组织机构子树", "Rollout of the organization subtree"))
                input id="subtree" name="org" value=(org) placeholder=(lang.t("全部范围", "whole scope"));
            }
            button.secondary type="submit" id="subtree-submit" { (lang.t("显示", "Show")) }
        }
        (listing::templates_table(ctx, &templates))
        @for template in &templates {
            (listing::rollout_table(lang, template))
        }
        @if may_change {
            div.template-forms {
                (forms::create(ctx))
                (forms::publish(ctx, &templates, &orgs))
                (bundles::link(lang))
            }
        }
    };
    Ok(ctx.page(Nav::Templates, lang.w(Nav::Templates.word()), body))
}

fn done(lines: Markup) -> Markup {
    html! { div.notice id="notice" { (lines) } }
}

#[derive(Deserialize)]
struct CreateForm {
    name: String,
    /// The kinds' checkboxes: present when ticked.
    #[serde(default)]
    product: Option<String>,
    #[serde(default)]
    customer: Option<String>,
    #[serde(default)]
    supplier: Option<String>,
    #[serde(default)]
    warehouse: Option<String>,
    /// Only these codes (commas or spaces between them); empty for every record of the kinds.
    #[serde(default)]
    codes: String,
}

async fn create(ctx: Ctx, CsrfForm(form): CsrfForm<CreateForm>) -> Result<Markup, ConsoleError> {
    let ticked = [
        ("product", &form.product),
        ("customer", &form.customer),
        ("supplier", &form.supplier),
        ("warehouse", &form.warehouse),
    ];
    let request = CreateTemplateRequest {
        name: form.name.trim().to_owned(),
        kinds: ticked
            .iter()
            .filter(|(_, box_value)| box_value.is_some())
            .map(|(kind, _)| (*kind).to_owned())
            .collect(),
        codes: split_list(&form.codes),
    };
    let name = request.name.clone();
    let created = ctx
        .admin()
        .create_template(ctx.request(request))
        .await?
        .into_inner();
    let text = match ctx.lang {
        Lang::Zh => format!(
            "模板 {name} 第 {} 版已创建：{} 条记录。",
            created.version, created.records
        ),
        Lang::En => format!(
            "Template {name} version {}: {} records.",
            created.version, created.records
        ),
    };
    page(&ctx, "", Some(done(html! { (text) }))).await
}

/// The codes of a text field, split at commas and white space.
fn split_list(text: &str) -> Vec<String> {
    text.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|code| !code.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn publish(
    ctx: Ctx,
    CsrfForm(form): CsrfForm<HashMap<String, String>>,
) -> Result<Markup, ConsoleError> {
    let name = form.get("name").map(|name| name.trim()).unwrap_or_default();
    let mut orgs: Vec<String> = form
        .keys()
        .filter_map(|key| key.strip_prefix(forms::TO_FIELD_PREFIX))
        .map(str::to_owned)
        .collect();
    orgs.extend(split_list(form.get("to").map(String::as_str).unwrap_or_default()));
    orgs.sort();
    orgs.dedup();
    if orgs.is_empty() {
        return Err(ConsoleError::bad_input(ctx.lang.t(
            "没有选择组织机构：至少选一个。",
            "No organization chosen: choose at least one.",
        )));
    }
    let request = PublishTemplateRequest {
        name: name.to_owned(),
        orgs: orgs.clone(),
    };
    let published = ctx
        .admin()
        .publish_template(ctx.request(request))
        .await?
        .into_inner();
    let lang = ctx.lang;
    let lines = html! {
        p {
            (match lang {
                Lang::Zh => format!("模板 {name} 第 {} 版已发放到 {}。", published.version, orgs.join(", ")),
                Lang::En => format!("Template {name} version {} published to {}.", published.version, orgs.join(", ")),
            })
        }
        p {
            (lang.t("已排队：", "Queued for: "))
            span id="published-queued" { (listing::or_none(lang, &published.branches)) }
        }
        p {
            (lang.t("此前已排队（只排一次）：", "Already queued (queued once): "))
            span id="published-already" { (listing::or_none(lang, &published.already_queued)) }
        }
    };
    page(&ctx, "", Some(done(lines))).await
}

#[derive(Deserialize)]
struct ExportQuery {
    name: String,
}

/// The newest version of a template as a template file, for `branch-node template import` or a
/// branch agent's `inbox_dir`.
async fn export(ctx: Ctx, Query(query): Query<ExportQuery>) -> Result<Response, ConsoleError> {
    let request = ExportTemplateRequest {
        name: query.name.clone(),
    };
    let exported = ctx
        .admin()
        .export_template(ctx.request(request))
        .await?
        .into_inner();
    let file_name = format!("{}.v{}.template", query.name, exported.version);
    // Template names are letters, digits and . _ - (HQ checked it found one), safe in a header.
    let disposition = format!("attachment; filename=\"{file_name}\"");
    let headers = [
        (header::CONTENT_TYPE, "application/octet-stream".to_owned()),
        (header::CONTENT_DISPOSITION, disposition),
    ];
    Ok((headers, exported.file).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_split_at_commas_and_spaces() {
        assert_eq!(split_list(" P001, P002\nP003 ,,"), ["P001", "P002", "P003"]);
        assert!(split_list("  ").is_empty());
    }
}
