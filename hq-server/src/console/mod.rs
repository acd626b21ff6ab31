//! The HQ console: web pages served by `hq-server` beside its gRPC port, for the accounts of
//! README's "People and scopes". Every figure and every change goes through the gRPC services
//! in process (`api`), behind the same credential gate, so a page sees and may do exactly what
//! its account may over gRPC.
//!
//! `state` is the console's shared state, `app` its routes and server; `listen` accepts
//! connections (TLS when HQ has it); `frame` wraps every response (language, error pages,
//! security headers); `login` opens and ends sessions (`session`); `ctx` is what a
//! page handler gets; `layout` the frame of a page, in the README's words (`words`, `i18n`);
//! `assets` the embedded style sheet, script and ECharts; `charts` a chart on a page; `pages`
//! the pages themselves.

pub mod api;
pub mod app;
pub mod assets;
pub mod charts;
pub mod ctx;
pub mod error;
mod frame;
pub mod i18n;
pub mod layout;
pub mod listen;
mod login;
pub mod pages;
pub mod session;
pub mod state;
pub mod words;
