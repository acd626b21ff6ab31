//! One-time notices: what a posted form did (or why the ledger refused it), shown once on the
//! page the form returns to. The redirect carries only a random key, so a link cannot put
//! words of its own on a workbench page.

use axum::response::{IntoResponse, Redirect, Response};
use maud::{html, Markup};
use std::collections::VecDeque;
use std::sync::Mutex;

/// Notices not yet shown, oldest first (a notice never shown is dropped after this many more).
const PENDING_MAX: usize = 64;

/// What a form did, for the page it returns to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Notice {
    Done(String),
    Refused(String),
}

impl Notice {
    /// `p#done` for what was done, `p#error` for a refusal.
    pub(super) fn markup(notice: Option<&Notice>) -> Markup {
        html! {
            @match notice {
                Some(Notice::Done(text)) => p.notice id="done" { (text) },
                Some(Notice::Refused(text)) => p.error id="error" { (text) },
                None => {}
            }
        }
    }
}

#[derive(Debug, Default)]
pub(super) struct Notices {
    pending: Mutex<VecDeque<(String, Notice)>>,
}

impl Notices {
    /// A redirect to `path` (which may hold a query) that shows `notice` there, once.
    pub(super) fn redirect(&self, path: &str, notice: Notice) -> Response {
        let key = hex::encode(rand::random::<[u8; 8]>());
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        if pending.len() == PENDING_MAX {
            pending.pop_front();
        }
        pending.push_back((key.clone(), notice));
        let separator = if path.contains('?') { '&' } else { '?' };
        Redirect::to(&format!("{path}{separator}done={key}")).into_response()
    }

    /// The notice of `key`, taken (a reload shows nothing more); `None` for an unknown key.
    pub(super) fn take(&self, key: &str) -> Option<Notice> {
        let mut pending = self
            .pending
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let at = pending.iter().position(|(pending_key, _)| pending_key == key)?;
        pending.remove(at).map(|(_, notice)| notice)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_notice_is_shown_once_and_an_unknown_key_shows_nothing() {
        let notices = Notices::default();
        let response = notices.redirect("/base?kind=customer", Notice::Done("已新增 C1".into()));
        let location = response.headers()["location"].to_str().unwrap().to_owned();
        let key = location.strip_prefix("/base?kind=customer&done=").unwrap();
        assert_eq!(notices.take("forged text"), None);
        assert_eq!(notices.take(key), Some(Notice::Done("已新增 C1".into())));
        assert_eq!(notices.take(key), None);
    }
}
