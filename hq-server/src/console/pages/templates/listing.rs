//! The templates page's tables, as `Admin/ListTemplates` answers them: every template's newest
//! version with how many branches of the scope applied what was queued for them, and per
//! template its rollout, one row per branch (the version queued, applied or queued, the newest
//! version applied).

use super::super::super::ctx::Ctx;
use super::super::super::i18n::Lang;
use super::super::super::words;
use crate::people::role::Role;
use branchline_proto::v1::{TemplateRollout, TemplateSummary};
use maud::{html, Markup};

/// A base-data kind as the page names it.
fn kind_label(lang: Lang, kind: &str) -> String {
    match kind {
        "product" => lang.t("商品", "products"),
        "customer" => lang.t("客户", "customers"),
        "supplier" => lang.t("供应商", "suppliers"),
        "warehouse" => lang.t("仓库", "warehouses"),
        "stock-limit" => lang.t("安全库存", "stock limits"),
        other => return other.to_owned(),
    }
    .to_owned()
}

/// `items` joined, or a dash when there are none.
pub(super) fn or_none(lang: Lang, items: &[String]) -> String {
    if items.is_empty() {
        lang.t("无", "none").to_owned()
    } else {
        items.join(", ")
    }
}

pub(super) fn templates_table(ctx: &Ctx, templates: &[TemplateSummary]) -> Markup {
    let lang = ctx.lang;
    let may_export = ctx.user.role >= Role::Operator;
    html! {
        section.panel id="templates" {
            @if templates.is_empty() {
                p.muted id="no-templates" {
                    (lang.t(
                        "还没有模板：用下面的表单从总部基础资料创建一个。",
                        "No template yet: create one from HQ base data with the form below.",
                    ))
                }
            } @else {
                table.grid {
                    thead {
                        tr {
                            th { (lang.t(words::TEMPLATE.0, "Template")) }
                            th.num { (lang.t("最新版本", "Newest version")) }
                            th { (lang.t("种类", "Kinds")) }
                            th.num { (lang.t("记录数", "Records")) }
                            th { (lang.t("创建时间", "Created")) }
                            th.num { (lang.t("已发放的分支机构", "Branches queued")) }
                            th.num { (lang.t("已应用", "Applied")) }
                            th.num { (lang.t("排队中", "Queued")) }
                            @if may_export {
                                th { (lang.t("模板文件", "Template file")) }
                            }
                        }
                    }
                    tbody {
                        @for template in templates {
                            (template_row(lang, template, may_export))
                        }
                    }
                }
            }
        }
    }
}

fn template_row(lang: Lang, template: &TemplateSummary, may_export: bool) -> Markup {
    let applied = template.rollout.iter().filter(|row| row.applied).count();
    let kinds: Vec<String> = template.kinds.iter().map(|kind| kind_label(lang, kind)).collect();
    html! {
        tr id={ "template-" (template.name) } {
            td.template-name { a href={ "#rollout-" (template.name) } { (template.name) } }
            td.num.version { (template.version) }
            td { (kinds.join(lang.t("、", ", "))) }
            td.num { (template.records) }
            td { (template.created_at) }
            td.num { (template.rollout.len()) }
            td.num.applied-count { (applied) }
            td.num.queued-count { (template.rollout.len() - applied) }
            @if may_export {
                td {
                    a.export id={ "export-" (template.name) }
                        href={ "/templates/export?name=" (template.name) } {
                        (lang.t("下载", "Download"))
                    }
                }
            }
        }
    }
}

/// One template's rollout: a row per branch of the scope that was queued a version of it.
pub(super) fn rollout_table(lang: Lang, template: &TemplateSummary) -> Markup {
    html! {
        section.panel.rollout id={ "rollout-" (template.name) } {
            h2 {
                (template.name) " · " (lang.t("发放进度", "rollout"))
            }
            @if template.rollout.is_empty() {
                p.muted {
                    (lang.t(
                        "还没有发放到范围内的分支机构。",
                        "Not yet published to a branch of this scope.",
                    ))
                }
            } @else {
                table.grid {
                    thead {
                        tr {
                            th { (lang.t(words::BRANCH.0, "Branch")) }
                            th { (lang.t(words::ORG.0, "Organization")) }
                            th.num { (lang.t("已发放版本", "Version queued")) }
                            th { (lang.t("状态", "State")) }
                            th.num { (lang.t("已应用版本", "Version applied")) }
                            th { (lang.t("排队时间", "Queued at")) }
                            th.num { (lang.t("inbox 位置（模板/分支机构）", "Inbox seq (template/branch)")) }
                        }
                    }
                    tbody {
                        @for row in &template.rollout {
                            (rollout_row(lang, &template.name, row))
                        }
                    }
                }
            }
        }
    }
}

fn rollout_row(lang: Lang, name: &str, row: &TemplateRollout) -> Markup {
    html! {
        tr id={ "rollout-" (name) "-" (row.branch) } {
            td.branch { (row.branch) }
            td { (row.org) }
            td.num.version { (row.version) }
            td.state {
                @if row.applied {
                    span.badge.green { (lang.t("已应用", "applied")) }
                } @else {
                    span.badge.amber { (lang.t("排队中", "queued")) }
                }
            }
            td.num.applied-version {
                @if row.applied_version == 0 { "-" } @else { (row.applied_version) }
            }
            td { (row.queued_at) }
            td.num { (row.inbox_seq) " / " (row.branch_inbox_seq) }
        }
    }
}
