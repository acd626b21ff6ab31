//! Console sessions: a random id in the `bl_session` cookie names, on this server, the account
//! logged in, its login token (sent with every call the pages make) and the session's CSRF
//! token. A session idle for `limits.console_session_idle_seconds` is gone; its login token is
//! then revoked, as a logout would.

use crate::people::role::Role;
use rand::RngCore;
use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// The session cookie.
pub const SESSION_COOKIE: &str = "bl_session";

/// Most sessions at once; a login past it is refused until one ends or expires.
pub const SESSIONS_MAX: usize = 10_000;

/// Who is logged in.
#[derive(Debug, Clone)]
pub struct SessionUser {
    pub name: String,
    pub role: Role,
    /// The root of the account's scope; `None`: the whole group.
    pub root: Option<String>,
}

/// One logged-in browser.
#[derive(Debug, Clone)]
pub struct Session {
    pub user: SessionUser,
    /// The login token the pages call HQ with.
    pub token: String,
    /// What every form of this session must carry back.
    pub csrf: String,
    last_seen: Instant,
}

#[derive(Debug, thiserror::Error)]
#[error("too many console sessions at once ({SESSIONS_MAX}); try again when one has ended")]
pub struct TooManySessions;

/// The sessions of this server, by id.
pub struct Sessions {
    idle: Duration,
    by_id: Mutex<HashMap<String, Session>>,
}

/// A fresh random token: 32 bytes, hex.
pub fn random_token() -> String {
    let mut bytes = [0u8; 32];
    rand::rng().fill_bytes(&mut bytes);
    hex::encode(bytes)
}

impl Sessions {
    pub fn new(idle: Duration) -> Sessions {
        Sessions {
            idle,
            by_id: Mutex::new(HashMap::new()),
        }
    }

    /// Opens a session for `user` calling with `token`; returns its id.
    pub fn open(&self, user: SessionUser, token: String) -> Result<String, TooManySessions> {
        let mut by_id = self.lock();
        if by_id.len() >= SESSIONS_MAX {
            return Err(TooManySessions);
        }
        let id = random_token();
        let session = Session {
            user,
            token,
            csrf: random_token(),
            last_seen: Instant::now(),
        };
        by_id.insert(id.clone(), session);
        Ok(id)
    }

    /// The live session `id`, its idle time restarted; an expired one is not returned (the
    /// sweep revokes its token).
    pub fn touch(&self, id: &str) -> Option<Session> {
        let mut by_id = self.lock();
        let session = by_id.get_mut(id)?;
        let now = Instant::now();
        if now.duration_since(session.last_seen) >= self.idle {
            return None;
        }
        session.last_seen = now;
        Some(session.clone())
    }

    /// Ends session `id`, returning it (its token is for the caller to revoke).
    pub fn close(&self, id: &str) -> Option<Session> {
        self.lock().remove(id)
    }

    /// Removes the expired sessions, returning their tokens to revoke.
    pub fn sweep(&self) -> Vec<String> {
        let now = Instant::now();
        let mut expired = Vec::new();
        self.lock().retain(|_, session| {
            let live = now.duration_since(session.last_seen) < self.idle;
            if !live {
                expired.push(std::mem::take(&mut session.token));
            }
            live
        });
        expired
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        // A panic while holding the lock leaves the map whole: every change is one call.
        self.by_id
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> SessionUser {
        SessionUser {
            name: "sz-manager".into(),
            role: Role::Operator,
            root: Some("001.002".into()),
        }
    }

    #[test]
    fn a_session_lives_while_used_and_expires_when_idle() {
        let sessions = Sessions::new(Duration::from_millis(50));
        let id = sessions.open(user(), "token-1".into()).unwrap();
        let session = sessions.touch(&id).expect("live");
        assert_eq!(session.user.name, "sz-manager");
        assert_ne!(session.csrf, id);
        assert!(sessions.touch("not-a-session").is_none());
        std::thread::sleep(Duration::from_millis(60));
        assert!(sessions.touch(&id).is_none(), "expired");
        assert_eq!(sessions.sweep(), vec!["token-1".to_owned()]);
        assert!(sessions.close(&id).is_none());
    }

    #[test]
    fn a_closed_session_is_gone() {
        let sessions = Sessions::new(Duration::from_secs(60));
        let id = sessions.open(user(), "token-2".into()).unwrap();
        assert_eq!(sessions.close(&id).unwrap().token, "token-2");
        assert!(sessions.touch(&id).is_none());
        assert!(sessions.sweep().is_empty());
    }
}
