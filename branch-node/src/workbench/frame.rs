//! The frame of every workbench page: the head (the embedded style sheet only), the navigation,
//! the language switch and, behind the password, the sign-out button, in the HQ console's look.

use super::state::Workbench;
use super::words::Lang;
use maud::{html, Markup, DOCTYPE};

/// The workbench's pages, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Nav {
    Documents,
    Entry,
    RoutedDrafts,
    Stock,
    BaseData,
    Sync,
}

impl Nav {
    const ALL: [Nav; 6] = [
        Nav::Documents,
        Nav::Entry,
        Nav::RoutedDrafts,
        Nav::Stock,
        Nav::BaseData,
        Nav::Sync,
    ];

    fn path(self) -> &'static str {
        match self {
            Nav::Documents => "/documents",
            Nav::Entry => "/documents/new",
            Nav::RoutedDrafts => "/drafts",
            Nav::Stock => "/stock",
            Nav::BaseData => "/base",
            Nav::Sync => "/sync",
        }
    }

    pub(super) fn title(self, lang: Lang) -> &'static str {
        match self {
            Nav::Documents => lang.t("单据", "Documents"),
            Nav::Entry => lang.t("录入单据", "Enter a document"),
            Nav::RoutedDrafts => lang.t("单据转换", "Routed drafts"),
            Nav::Stock => lang.t("库存", "Stock"),
            Nav::BaseData => lang.t("基础资料", "Base data"),
            Nav::Sync => lang.t("同步", "Sync"),
        }
    }
}

/// A whole page of branch `branch`, `nav` the page shown.
pub(super) fn page(
    state: &Workbench,
    lang: Lang,
    branch: &str,
    nav: Nav,
    title: &str,
    body: Markup,
) -> Markup {
    let product = lang.t("Branchline 分支机构工作台", "Branchline branch workbench");
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (product) }
                link rel="stylesheet" href="/assets/workbench.css";
            }
            body {
                header.topbar {
                    a.brand href="/" { (product) }
                    nav.menu {
                        @for item in Nav::ALL {
                            a href=(item.path()) class=[(nav == item).then_some("active")] { (item.title(lang)) }
                        }
                    }
                    div.account {
                        span.who id="branch" { (lang.t("分支机构 ", "Branch ")) (branch) }
                        a.lang href={ "?lang=" (lang.other().code()) } id="lang-switch" {
                            (lang.t("English", "中文"))
                        }
                        @if let Some(csrf) = state.signed_in_csrf() {
                            form.inline method="post" action="/logout" {
                                input type="hidden" name="csrf" value=(csrf);
                                button type="submit" id="logout" { (lang.t("退出", "Log out")) }
                            }
                        }
                    }
                }
                main {
                    h1 { (title) }
                    (body)
                }
            }
        }
    }
}
