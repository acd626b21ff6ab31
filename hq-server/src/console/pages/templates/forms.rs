//! The templates page's forms, the jobs of README's HQ administrator's guide: create a template
//! from HQ base data (`template create NAME --kinds ... [--codes ...]`) and publish its newest
//! version to organization subtrees (`template publish NAME --to ORG,...`). Each carries the
//! session's CSRF field; HQ decides what the account may do.

use super::super::super::ctx::Ctx;
use super::super::super::words;
use branchline_proto::v1::{Org, TemplateSummary};
use maud::{html, Markup};

/// The publish form's field naming one organization: `to:CODE`, a checkbox per organization.
pub(super) const TO_FIELD_PREFIX: &str = "to:";

/// The deepest indentation the organization checklist shows (deeper ones stay at it).
const DEPTH_SHOWN_MAX: usize = 5;

pub(super) fn create(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    let kinds = [
        ("product", lang.t("商品", "Products")),
        ("customer", lang.t("客户", "Customers")),
        ("supplier", lang.t("供应商", "Suppliers")),
        ("warehouse", lang.t("仓库", "Warehouses")),
    ];
    html! {
        section.panel id="create" {
            h2 { (lang.t("创建模板", "Create a template")) }
            p.muted {
                (lang.t(
                    "把总部基础资料的快照存为该模板的下一个版本（同名模板版本号加一）。发放之前分支机构收不到它。",
                    "Snapshots HQ base data as the template's next version (a template of the same name gets the next number). No branch gets it until it is published.",
                ))
            }
            form.stacked method="post" action="/templates/create" {
                (ctx.csrf_field())
                label {
                    (lang.t("模板名称", "Template name"))
                    input id="create-name" name="name" required placeholder="base";
                }
                fieldset.kinds {
                    legend { (lang.t("种类", "Kinds")) }
                    @for (kind, label) in kinds {
                        label.check {
                            input id={ "kind-" (kind) } name=(kind) type="checkbox" value="on" checked;
                            (label)
                        }
                    }
                }
                label {
                    (lang.t("只含这些代码（可选，逗号或空格分隔）", "Only these codes (optional, commas or spaces between)"))
                    textarea id="create-codes" name="codes" rows="2" placeholder="P001, P002" {}
                }
                button id="create-submit" type="submit" { (lang.t("创建", "Create")) }
            }
        }
    }
}

pub(super) fn publish(ctx: &Ctx, templates: &[TemplateSummary], orgs: &[Org]) -> Markup {
    let lang = ctx.lang;
    html! {
        section.panel id="publish" {
            h2 { (lang.w(words::PUBLISH)) }
            p.muted {
                (lang.t(
                    "把模板的最新版本放进所选组织机构子树中每个分支机构的 inbox；已排过这一版的分支机构不再重复排队。分支机构的传输代理下次拉取时应用它。",
                    "Queues the template's newest version in the inbox of every branch in the chosen organizations' subtrees; a branch that already has this version is not queued twice. Each branch's transfer agent applies it at its next pull.",
                ))
            }
            @if templates.is_empty() {
                p.muted { (lang.t("先创建一个模板。", "Create a template first.")) }
            } @else {
                form.stacked method="post" action="/templates/publish" {
                    (ctx.csrf_field())
                    label {
                        (lang.w(words::TEMPLATE))
                        select id="publish-name" name="name" {
                            @for template in templates {
                                option value=(template.name) {
                                    (template.name) " · v" (template.version)
                                }
                            }
                        }
                    }
                    fieldset.org-checklist id="publish-orgs" {
                        legend { (lang.t("发放到（各含其整个子树）", "Publish to (each with its whole subtree)")) }
                        @for org in orgs {
                            label.check class={ "depth-" (depth(&org.code)) } {
                                input name={ (TO_FIELD_PREFIX) (org.code) } type="checkbox" value="on";
                                span.org-code { (org.code) } " " (org.name)
                            }
                        }
                    }
                    label {
                        (lang.t("或输入组织机构代码（逗号分隔）", "Or type organization codes (commas between)"))
                        input id="publish-to" name="to" placeholder="001.002,001.003";
                    }
                    button id="publish-submit" type="submit" { (lang.t("发放", "Publish")) }
                }
            }
        }
    }
}

/// How deep `code` lies in the tree (0 for a top-level organization), as far as the page indents.
fn depth(code: &str) -> usize {
    code.matches('.').count().min(DEPTH_SHOWN_MAX)
}
