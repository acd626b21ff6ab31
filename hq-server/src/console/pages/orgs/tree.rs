//! The organization tree as the orgs page draws it: nested organizations (code and name), each
//! with its branch, the branch's counterparts, accounting mode and token state, and — for an
//! admin — the branch's rotate and revoke buttons.

use super::super::super::ctx::Ctx;
use super::super::super::i18n::Lang;
use super::super::super::words;
use crate::people::role::Role;
use branchline_proto::v1::{Branch, ListOrgsResponse, Org};
use branchline_shared::org_parent;
use maud::{html, Markup};
use std::collections::{BTreeMap, HashMap, HashSet};

/// The organization no code names: the parent of the tree's roots.
const ROOTS: &str = "";

/// The tree's organizations by parent: the roots (whose parent is not listed) under [`ROOTS`].
struct Nodes<'a> {
    children: BTreeMap<&'a str, Vec<&'a Org>>,
    branches: HashMap<&'a str, &'a Branch>,
}

impl<'a> Nodes<'a> {
    fn new(tree: &'a ListOrgsResponse) -> Nodes<'a> {
        let listed: HashSet<&str> = tree.orgs.iter().map(|org| org.code.as_str()).collect();
        let mut children: BTreeMap<&str, Vec<&Org>> = BTreeMap::new();
        // HQ lists them in tree order, so every list of children stays in order.
        for org in &tree.orgs {
            let parent = org_parent(&org.code)
                .filter(|parent| listed.contains(parent))
                .unwrap_or(ROOTS);
            children.entry(parent).or_default().push(org);
        }
        let branches = tree
            .branches
            .iter()
            .map(|branch| (branch.org.as_str(), branch))
            .collect();
        Nodes { children, branches }
    }

    fn children_of(&self, parent: &str) -> &[&'a Org] {
        self.children.get(parent).map_or(&[], Vec::as_slice)
    }
}

/// The whole tree, or a line saying there is nothing in scope.
pub(super) fn tree(ctx: &Ctx, tree: &ListOrgsResponse) -> Markup {
    let nodes = Nodes::new(tree);
    let lang = ctx.lang;
    html! {
        @if tree.orgs.is_empty() {
            p.muted id="no-orgs" {
                (lang.t("范围内还没有组织机构。", "No organization in scope yet."))
            }
        } @else {
            ul.org-tree id="org-tree" {
                @for org in nodes.children_of(ROOTS) {
                    (node(ctx, &nodes, org))
                }
            }
        }
    }
}

fn node(ctx: &Ctx, nodes: &Nodes<'_>, org: &Org) -> Markup {
    let children = nodes.children_of(&org.code);
    html! {
        li.org-node data-org=(org.code) {
            div.org-row {
                span.org-code { (org.code) }
                span.org-name { (org.name) }
                @if let Some(branch) = nodes.branches.get(org.code.as_str()) {
                    (branch_line(ctx, branch))
                }
            }
            @if !children.is_empty() {
                ul {
                    @for child in children {
                        (node(ctx, nodes, child))
                    }
                }
            }
        }
    }
}

/// A branch under its organization: code, name, counterparts, mode, token state and actions.
fn branch_line(ctx: &Ctx, branch: &Branch) -> Markup {
    let lang = ctx.lang;
    let (state_class, state) = if branch.revoked {
        ("badge red state", lang.t("令牌已吊销", "token revoked"))
    } else {
        ("badge green state", lang.t("令牌有效", "token active"))
    };
    html! {
        div.branch-line data-branch=(branch.code) {
            span.branch-label { (lang.w(words::BRANCH)) }
            span.branch-code { (branch.code) }
            span.branch-name { (branch.name) }
            span class=(state_class) { (state) }
            span.counterparts.muted {
                (lang.t("往来客户 ", "customer ")) span.customer { (branch.customer) }
                (lang.t(" · 往来供应商 ", " · supplier ")) span.supplier { (branch.supplier) }
                (lang.t(" · 仓库 ", " · warehouse ")) span.warehouse { (branch.warehouse) }
                " · " span.mode { (branch.mode) }
            }
            @if ctx.user.role == Role::Admin {
                (credential_buttons(ctx, branch))
            }
        }
    }
}

fn credential_buttons(ctx: &Ctx, branch: &Branch) -> Markup {
    let lang = ctx.lang;
    let code = &branch.code;
    let revoke_question = match lang {
        Lang::Zh => format!("吊销分支机构 {code} 的令牌？在轮换令牌之前，它的每次传输都会被拒绝。"),
        Lang::En => format!(
            "Revoke branch {code}'s token? Every transfer of it is refused until its token is rotated."
        ),
    };
    html! {
        span.branch-actions {
            form.inline method="post" action="/orgs/rotate" {
                (ctx.csrf_field())
                input type="hidden" name="code" value=(branch.code);
                button.secondary.rotate type="submit" {
                    (lang.t("轮换令牌", "Rotate token"))
                }
            }
            @if !branch.revoked {
                form.inline method="post" action="/orgs/revoke" data-confirm=(revoke_question) {
                    (ctx.csrf_field())
                    input type="hidden" name="code" value=(branch.code);
                    button.danger.revoke type="submit" {
                        (lang.t("吊销", "Revoke"))
                    }
                }
            }
        }
    }
}
