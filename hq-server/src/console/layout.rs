//! The frame of every console page: the head (embedded assets only), the navigation in the
//! README's words, the language switch and the account with its logout.

use super::i18n::Lang;
use super::session::SessionUser;
use super::words::{self, Word};
use crate::people::role::Role;
use maud::{html, Markup, DOCTYPE};

/// The console's pages, in the navigation's order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Nav {
    Board,
    Sales,
    Inventory,
    Commission,
    Quarantine,
    Trades,
    Templates,
    Orgs,
    Accounts,
    Audit,
}

impl Nav {
    pub const ALL: [Nav; 10] = [
        Nav::Board,
        Nav::Sales,
        Nav::Inventory,
        Nav::Commission,
        Nav::Quarantine,
        Nav::Trades,
        Nav::Templates,
        Nav::Orgs,
        Nav::Accounts,
        Nav::Audit,
    ];

    pub fn path(self) -> &'static str {
        match self {
            Nav::Board => "/board",
            Nav::Sales => "/sales",
            Nav::Inventory => "/inventory",
            Nav::Commission => "/commission",
            Nav::Quarantine => "/quarantine",
            Nav::Trades => "/trades",
            Nav::Templates => "/templates",
            Nav::Orgs => "/orgs",
            Nav::Accounts => "/accounts",
            Nav::Audit => "/audit",
        }
    }

    /// The navigation's label and the page's default title: the README's word for what the
    /// page shows (in English capitalized, as a heading).
    pub fn word(self) -> Word {
        let (zh, _) = match self {
            Nav::Board => words::BOARD,
            Nav::Sales => words::SALES_REPORT,
            Nav::Inventory => words::INVENTORY_REPORT,
            Nav::Commission => words::COMMISSION,
            Nav::Quarantine => words::QUARANTINE,
            Nav::Trades => words::TRADE,
            Nav::Templates => words::TEMPLATE,
            Nav::Orgs => (words::ORG.0, ""),
            Nav::Accounts => words::ACCOUNT,
            Nav::Audit => words::AUDIT,
        };
        let en = match self {
            Nav::Board => "Branch health",
            Nav::Sales => "Sales summary",
            Nav::Inventory => "Inventory query",
            Nav::Commission => "Commission",
            Nav::Quarantine => "Quarantine",
            Nav::Trades => "Inter-branch trade",
            Nav::Templates => "Templates",
            Nav::Orgs => "Organizations and branches",
            Nav::Accounts => "Accounts",
            Nav::Audit => "Audit log",
        };
        let zh = if self == Nav::Orgs {
            "组织机构与分支机构"
        } else {
            zh
        };
        (zh, en)
    }

    /// Whether the navigation offers the page to `role` (the page itself still asks HQ).
    fn offered_to(self, role: Role) -> bool {
        self != Nav::Accounts || role == Role::Admin
    }
}

/// The console's name in the title bar.
pub const PRODUCT: Word = ("Branchline 总部控制台", "Branchline HQ console");

/// A whole page: `user` with the session's CSRF token when logged in, `nav` the page shown.
pub fn page(
    lang: Lang,
    user: Option<(&SessionUser, &str)>,
    nav: Option<Nav>,
    title: &str,
    body: Markup,
) -> Markup {
    let product = lang.w(PRODUCT);
    html! {
        (DOCTYPE)
        html lang=(lang.html_lang()) {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (title) " · " (product) }
                link rel="stylesheet" href="/assets/console.css";
                script src="/assets/echarts.min.js" defer {}
                script src="/assets/console.js" defer {}
            }
            body {
                header.topbar {
                    a.brand href="/" { (product) }
                    @if let Some((user, _)) = user {
                        nav.menu {
                            @for item in Nav::ALL.into_iter().filter(|item| item.offered_to(user.role)) {
                                a href=(item.path()) class=[(nav == Some(item)).then_some("active")] {
                                    (lang.w(item.word()))
                                }
                            }
                        }
                    }
                    div.account {
                        a.lang href={ "?lang=" (lang.other().code()) } id="lang-switch" {
                            (lang.t("English", "中文"))
                        }
                        @if let Some((user, csrf)) = user {
                            span.who id="who" {
                                (user.name) " · " (role_label(lang, user.role))
                                " · " (user.root.as_deref().unwrap_or(lang.t("全集团", "whole group")))
                            }
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

/// A role as the page names it.
pub fn role_label(lang: Lang, role: Role) -> &'static str {
    match role {
        Role::Admin => lang.t("管理员", "admin"),
        Role::Operator => lang.t("操作员", "operator"),
        Role::Viewer => lang.t("查看者", "viewer"),
    }
}
