//! The accounts page's markup: one row per account with its state and its buttons (disable or
//! enable, set the password, issue a token, revoke its tokens), and the form that adds one.

use super::super::super::ctx::Ctx;
use super::super::super::i18n::Lang;
use super::super::super::layout::role_label;
use super::super::super::words;
use crate::people::role::Role;
use branchline_proto::v1::User;
use maud::{html, Markup};

fn role_text(lang: Lang, role: &str) -> &str {
    Role::parse(role).map_or(role, |role| role_label(lang, role))
}

pub(super) fn users_table(ctx: &Ctx, users: &[User]) -> Markup {
    let lang = ctx.lang;
    html! {
        @if users.is_empty() {
            p.muted { (lang.t("范围内还没有账号。", "No account in scope yet.")) }
        } @else {
            table.grid id="users-table" {
                thead {
                    tr {
                        th { (lang.t("账号", "Account")) }
                        th { (lang.t("角色", "Role")) }
                        th { (lang.t(words::ORG.0, "Organization")) }
                        th { (lang.t("状态", "State")) }
                        th { (lang.t("密码", "Password")) }
                        th.num { (lang.t("有效令牌", "Live tokens")) }
                        th { (lang.t("锁定至", "Locked until")) }
                        th { (lang.t("创建于", "Created")) }
                        th { (lang.t("操作", "Actions")) }
                    }
                }
                tbody {
                    @for user in users {
                        (user_row(ctx, user))
                    }
                }
            }
        }
    }
}

fn user_row(ctx: &Ctx, user: &User) -> Markup {
    let lang = ctx.lang;
    let (state_class, state) = if user.disabled {
        ("badge red state", lang.t("已停用", "disabled"))
    } else {
        ("badge green state", lang.t("可用", "active"))
    };
    html! {
        tr data-user=(user.name) {
            td.user-name { (user.name) }
            td.role { (role_text(lang, &user.role)) }
            td.org { (user.org) }
            td { span class=(state_class) { (state) } }
            td.password {
                @if user.has_password { (lang.t("已设置", "set")) } @else { span.muted { (lang.t("未设置", "none")) } }
            }
            td.num.tokens { (user.live_tokens) }
            td.locked {
                @if user.locked_until.is_empty() { span.muted { "—" } } @else { (user.locked_until) }
            }
            td.muted { (user.created_at) }
            td.user-actions { (actions(ctx, user)) }
        }
    }
}

/// A one-button form posting `name` to `action`.
fn one_button_form(
    ctx: &Ctx,
    action: &str,
    name: &str,
    class: &str,
    label: &str,
    confirm: Option<String>,
) -> Markup {
    html! {
        form.inline method="post" action=(action) data-confirm=[confirm] {
            (ctx.csrf_field())
            input type="hidden" name="name" value=(name);
            button type="submit" class=(class) { (label) }
        }
    }
}

fn actions(ctx: &Ctx, user: &User) -> Markup {
    let lang = ctx.lang;
    let name = &user.name;
    let revoke_question = match lang {
        Lang::Zh => format!("吊销账号 {name} 的全部令牌（包括它的登录会话）？"),
        Lang::En => format!("Revoke every token of account {name} (its login sessions too)?"),
    };
    let disable_question = match lang {
        Lang::Zh => format!("停用账号 {name}？它的登录和令牌立即被拒绝。"),
        Lang::En => format!("Disable account {name}? Its logins and tokens are refused at once."),
    };
    html! {
        @if user.disabled {
            (one_button_form(ctx, "/accounts/enable", name, "secondary enable", lang.t("启用", "Enable"), None))
        } @else {
            (one_button_form(ctx, "/accounts/disable", name, "danger disable", lang.t("停用", "Disable"), Some(disable_question)))
        }
        (one_button_form(ctx, "/accounts/token", name, "secondary issue-token", lang.t("签发令牌", "Issue token"), None))
        (one_button_form(ctx, "/accounts/revoke-tokens", name, "secondary revoke-tokens", lang.t("吊销令牌", "Revoke tokens"), Some(revoke_question)))
        form.inline.password-form method="post" action="/accounts/password" {
            (ctx.csrf_field())
            input type="hidden" name="name" value=(name);
            input.new-password type="password" name="password" required autocomplete="new-password"
                placeholder=(lang.t("新密码", "new password"));
            button.secondary.set-password type="submit" { (lang.t("设置密码", "Set password")) }
        }
    }
}

pub(super) fn add_form(ctx: &Ctx) -> Markup {
    let lang = ctx.lang;
    html! {
        section.panel id="add-user" {
            h2 { (lang.t("添加账号", "Add an account")) }
            p.muted {
                (lang.t(
                    "账号的组织机构子树就是它的范围。添加后为它设置密码即可登录。",
                    "The account's organization subtree is its scope. Set its password and it can log in.",
                ))
            }
            form.stacked method="post" action="/accounts/add" {
                (ctx.csrf_field())
                label { (lang.t("账号", "Account")) input id="user-name" name="name" required autocomplete="off"; }
                label {
                    (lang.t("角色", "Role"))
                    select id="user-role" name="role" {
                        @for role in [Role::Viewer, Role::Operator, Role::Admin] {
                            option value=(role.as_str()) { (role_label(lang, role)) }
                        }
                    }
                }
                label { (lang.t(words::ORG.0, "Organization")) input id="user-org" name="org" required list="org-codes"; }
                button id="add-user-submit" type="submit" { (lang.t("添加", "Add")) }
            }
        }
    }
}
