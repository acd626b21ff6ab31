//! The orgs page's forms, each one job of README's HQ administrator's guide: add an
//! organization, import base data (a CSV file, as `hq-server admin import`), add a branch, set
//! a monthly sales target. Each carries the session's CSRF field; HQ decides what the account
//! may do.

use super::super::super::ctx::Ctx;
use super::super::super::words;
use branchline_proto::v1::ListOrgsResponse;
use maud::{html, Markup};

/// The organization codes of the tree, for the forms' suggestions.
pub(super) fn org_choices(tree: &ListOrgsResponse) -> Markup {
    html! {
        datalist id="org-codes" {
            @for org in &tree.orgs {
                option value=(org.code) { (org.name) }
            }
        }
    }
}

pub(super) fn add_org(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        section.panel id="add-org" {
            h2 { (lang.t("添加组织机构", "Add an organization")) }
            p.muted {
                (lang.t(
                    "代码为点分数字段，如 001.002；上级组织机构须已存在。",
                    "A code of dotted digit segments, such as 001.002; its parent must exist.",
                ))
            }
            form.stacked method="post" action="/orgs/add-org" {
                (ctx.csrf_field())
                label { (lang.t("代码", "Code")) input id="org-code" name="code" required list="org-codes"; }
                label { (lang.t("名称", "Name")) input id="org-name" name="name" required; }
                button id="add-org-submit" type="submit" { (lang.t("添加", "Add")) }
            }
        }
    }
}

pub(super) fn import_base_data(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    let kinds = [
        (
            "product",
            lang.t("商品 (code,name,unit,price)", "products (code,name,unit,price)"),
        ),
        ("customer", lang.t("客户 (code,name)", "customers (code,name)")),
        ("supplier", lang.t("供应商 (code,name)", "suppliers (code,name)")),
        (
            "warehouse",
            lang.t("仓库 (code,name,branch)", "warehouses (code,name,branch)"),
        ),
    ];
    html! {
        section.panel id="import" {
            h2 { (lang.t("导入", "Import ")) (lang.w(words::BASE_DATA)) }
            p.muted {
                (lang.t(
                    "CSV 文件，与 hq-server admin import 相同：UTF-8，首行为列名。分支机构的往来客户、往来供应商和仓库须在添加分支机构之前导入。",
                    "A CSV file, as for hq-server admin import: UTF-8 with a header row. A branch's counterpart customer, supplier and warehouse are imported before the branch is added.",
                ))
            }
            form.stacked method="post" action="/orgs/import" enctype="multipart/form-data" {
                (ctx.csrf_field())
                label {
                    (lang.t("种类", "Kind"))
                    select id="import-kind" name="kind" {
                        @for (value, label) in kinds {
                            option value=(value) { (label) }
                        }
                    }
                }
                label { (lang.t("文件", "File")) input id="import-file" name="file" type="file" accept=".csv,text/csv" required; }
                button id="import-submit" type="submit" { (lang.t("导入", "Import")) }
            }
        }
    }
}

pub(super) fn add_branch(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        section.panel id="add-branch" {
            h2 { (lang.t("添加分支机构", "Add a branch")) }
            p.muted {
                (lang.t(
                    "往来客户、往来供应商和仓库须为总部基础资料，且不属于其他分支机构。传输令牌只显示一次。",
                    "The counterpart customer, supplier and warehouse must be HQ base data and no other branch's. The transfer token is shown once.",
                ))
            }
            form.stacked method="post" action="/orgs/add-branch" {
                (ctx.csrf_field())
                label { (lang.t("分支机构代码", "Branch code")) input id="branch-code" name="code" required; }
                label { (lang.t("名称", "Name")) input id="branch-name" name="name" required; }
                label { (lang.t(words::ORG.0, "Organization")) input id="branch-org" name="org" required list="org-codes"; }
                label { (lang.t("往来客户", "Counterpart customer")) input id="branch-customer" name="customer" required; }
                label { (lang.t("往来供应商", "Counterpart supplier")) input id="branch-supplier" name="supplier" required; }
                label { (lang.t("仓库", "Counterpart warehouse")) input id="branch-warehouse" name="warehouse" required; }
                label {
                    (lang.t("核算方式", "Accounting mode"))
                    select id="branch-mode" name="mode" {
                        option value="independent-sales" { "independent-sales" }
                    }
                }
                label.check {
                    input id="branch-adopt" name="adopt_existing" type="checkbox" value="on";
                    (lang.t(
                        "接收已有单据往来的客户或供应商作为往来单位（记入审计日志）",
                        "Adopt a customer or supplier HQ already has documents with (audited)",
                    ))
                }
                button id="add-branch-submit" type="submit" { (lang.t("添加", "Add")) }
            }
        }
    }
}

pub(super) fn set_target(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        section.panel id="target" {
            h2 { (lang.t("月度销售目标", "Monthly sales target")) }
            p.muted {
                (lang.t(
                    "多组织销售汇总表按月显示完成情况。",
                    "The sales summary shows each month's completion.",
                ))
            }
            form.stacked method="post" action="/orgs/target" {
                (ctx.csrf_field())
                label { (lang.t(words::ORG.0, "Organization")) input id="target-org" name="org" required list="org-codes"; }
                label { (lang.t("月份 (YYYY-MM)", "Month (YYYY-MM)")) input id="target-month" name="month" required placeholder="2026-11" pattern="[0-9]{4}-[0-9]{2}"; }
                label { (lang.t("金额", "Amount")) input id="target-amount" name="amount" required inputmode="decimal"; }
                button id="target-submit" type="submit" { (lang.t("设置", "Set")) }
            }
        }
    }
}
