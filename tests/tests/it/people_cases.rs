//! What the people-and-scopes walk (`people_scope`) checks of one method: who may call it, a
//! request outside the account's scope and one inside.

use branchline_tests::people::Probe;

/// Who may call a method (README "People and scopes").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Need {
    /// Login: no token at all.
    NoToken,
    /// Logout, WhoAmI: any account.
    AnyAccount,
    Viewer,
    Operator,
    Admin,
    /// Group-wide data: an operator or admin whose org is top-level.
    GroupWide {
        admin: bool,
    },
    /// SetPassword, IssueToken, RevokeTokens: the account itself or an admin over its org.
    SelfOrAdmin,
}

/// One method: who may call it, a request naming something outside 001.002 (none where the
/// method has no scope), and a request in scope.
pub(crate) struct Case {
    pub need: Need,
    pub out_of_scope: Option<Probe>,
    pub in_scope: Probe,
}

pub(crate) fn case(need: Need, out_of_scope: Option<Probe>, in_scope: Probe) -> Case {
    Case {
        need,
        out_of_scope,
        in_scope,
    }
}
