//! The page of a navigation entry that is not built yet.

use crate::console::ctx::Ctx;
use crate::console::layout::Nav;
use maud::{html, Markup};

/// A page that is not built yet (replaced by its module's owner).
pub(super) fn pending(ctx: &Ctx, nav: Nav) -> Markup {
    let title = ctx.lang.w(nav.word());
    ctx.page(
        nav,
        title,
        html! { p.muted { (ctx.lang.t("此页尚在建设中。", "This page is being built.")) } },
    )
}
