//! The quarantine page's rows: the entries table (each entry's content folded under it), one
//! entry's facts, and the retry form.

use super::super::super::ctx::Ctx;
use super::super::super::words;
use super::content::content;
use branchline_proto::v1::QuarantinedEntry;
use maud::{html, Markup};

/// The page of entry `id`.
pub(super) fn entry_path(id: u64) -> String {
    format!("/quarantine/{id}")
}

pub(super) fn entries_table(ctx: &Ctx, entries: &[QuarantinedEntry]) -> Markup {
    let lang = ctx.lang;
    if entries.is_empty() {
        return html! { p.muted id="no-entries" { (lang.t("隔离区是空的。", "Quarantine is empty.")) } };
    }
    html! {
        table.grid id="quarantine" {
            thead {
                tr {
                    th.num { (lang.t("编号", "ID")) }
                    th { (lang.w(words::BRANCH)) }
                    th { "epoch · seq" }
                    th { (lang.t("条目", "Entry")) }
                    th { (lang.t("原因", "Reason")) }
                    th { (lang.t("隔离时间", "Quarantined at")) }
                    th {}
                }
            }
            tbody {
                @for entry in entries {
                    tr id={ "entry-" (entry.id) } {
                        td.num { a href=(entry_path(entry.id)) { (entry.id) } }
                        td.branch { (entry.branch) }
                        td { (entry.epoch) " · " (entry.seq) }
                        td.summary {
                            (entry.summary)
                            details.content {
                                summary { (lang.t("内容", "Content")) }
                                (content(lang, &entry.content))
                            }
                        }
                        td.reason { (entry.reason) }
                        td { (entry.created_at) }
                        td { (retry_form(ctx, entry.id)) }
                    }
                }
            }
        }
    }
}

/// One entry's branch, position, summary, reason and time.
pub(super) fn entry_facts(ctx: &Ctx, entry: &QuarantinedEntry) -> Markup {
    let lang = ctx.lang;
    html! {
        dl.facts {
            dt { (lang.w(words::BRANCH)) } dd id="entry-branch" { (entry.branch) }
            dt { "epoch · seq" } dd { (entry.epoch) " · " (entry.seq) }
            dt { (lang.t("条目", "Entry")) } dd id="entry-summary" { (entry.summary) }
            dt { (lang.t("原因", "Reason")) } dd.reason id="entry-reason" { (entry.reason) }
            dt { (lang.t("隔离时间", "Quarantined at")) } dd { (entry.created_at) }
        }
    }
}

/// The retry of entry `id`: HQ validates it again and applies it if it now can.
pub(super) fn retry_form(ctx: &Ctx, id: u64) -> Markup {
    let lang = ctx.lang;
    html! {
        form.inline method="post" action={ (entry_path(id)) "/retry" } {
            (ctx.csrf_field())
            button type="submit" id={ "retry-" (id) } class="retry" { (lang.t("重试", "Retry")) }
        }
    }
}
