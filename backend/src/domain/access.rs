//! Who may do what: DESIGN.md's table, in one function.

use tocsin_types::{Role, Scope};

use super::audit::Actor;

/// A kind of action, as the access table groups them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permission {
    /// Read the directory, events, notifications, deliveries, media.
    Read,
    /// Fire, notify, dry-run, acknowledge, resolve.
    Send,
    /// Directory writes and replays.
    DirectoryWrite,
    /// API keys, operators, settings, the audit log.
    Admin,
    /// One's own profile and password: operators of every role, never keys.
    OwnProfile,
    /// Anything authenticated (e.g. asking who one is).
    Authenticated,
}

/// An authenticated caller.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Caller {
    Operator { id: i64, username: String, role: Role },
    ApiKey { id: i64, name: String, prefix: String, scopes: Vec<Scope> },
}

impl Caller {
    /// Whether this caller may do `permission`.
    pub fn allows(&self, permission: Permission) -> bool {
        match self {
            Caller::Operator { role, .. } => match permission {
                Permission::Read | Permission::OwnProfile | Permission::Authenticated => true,
                Permission::Send | Permission::DirectoryWrite => *role >= Role::Operator,
                Permission::Admin => *role == Role::Admin,
            },
            Caller::ApiKey { scopes, .. } => {
                let has = |s: Scope| scopes.contains(&Scope::Admin) || scopes.contains(&s);
                match permission {
                    Permission::Read => has(Scope::Read),
                    Permission::Send => has(Scope::Send),
                    Permission::DirectoryWrite | Permission::Admin => has(Scope::Admin),
                    Permission::OwnProfile => false,
                    Permission::Authenticated => true,
                }
            }
        }
    }

    /// Whether this caller sees secret addresses (Slack/Teams webhook URLs,
    /// URLs with credentials or a query, see [`super::redact`]) in full: those
    /// who may edit destinations do; viewers and `read`/`send`-only keys get
    /// them redacted.
    pub fn sees_secrets(&self) -> bool {
        self.allows(Permission::DirectoryWrite)
    }

    /// How the audit log names this caller: `operator:<username>` or `key:<prefix>`.
    pub fn actor(&self) -> Actor {
        match self {
            Caller::Operator { username, .. } => Actor::operator(username),
            Caller::ApiKey { prefix, .. } => Actor::api_key(prefix),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn operator(role: Role) -> Caller {
        Caller::Operator { id: 1, username: "ana".into(), role }
    }

    fn key(scopes: &[Scope]) -> Caller {
        Caller::ApiKey { id: 1, name: "k".into(), prefix: "tsk_x".into(), scopes: scopes.to_vec() }
    }

    #[test]
    fn roles_follow_the_access_table() {
        use Permission::*;
        let expect = [
            (Role::Viewer, [true, false, false, false, true]),
            (Role::Operator, [true, true, true, false, true]),
            (Role::Admin, [true, true, true, true, true]),
        ];
        for (role, allowed) in expect {
            let got = [Read, Send, DirectoryWrite, Admin, OwnProfile].map(|p| operator(role).allows(p));
            assert_eq!(got, allowed, "{role:?}");
        }
    }

    #[test]
    fn scopes_are_independent_and_admin_implies_the_others() {
        use Permission::*;
        let all = [Read, Send, DirectoryWrite, Admin, OwnProfile];
        assert_eq!(all.map(|p| key(&[Scope::Read]).allows(p)), [true, false, false, false, false]);
        assert_eq!(all.map(|p| key(&[Scope::Send]).allows(p)), [false, true, false, false, false]);
        assert_eq!(all.map(|p| key(&[Scope::Admin]).allows(p)), [true, true, true, true, false]);
        assert_eq!(all.map(|p| key(&[Scope::Read, Scope::Send]).allows(p)), [true, true, false, false, false]);
    }

    #[test]
    fn only_those_who_may_edit_destinations_see_secrets() {
        assert!(!operator(Role::Viewer).sees_secrets());
        assert!(operator(Role::Operator).sees_secrets());
        assert!(operator(Role::Admin).sees_secrets());
        assert!(!key(&[Scope::Read]).sees_secrets());
        assert!(!key(&[Scope::Read, Scope::Send]).sees_secrets());
        assert!(key(&[Scope::Admin]).sees_secrets());
    }

    #[test]
    fn actors_are_named_for_the_audit_log() {
        assert_eq!(operator(Role::Admin).actor().as_str(), "operator:ana");
        assert_eq!(key(&[]).actor().as_str(), "key:tsk_x");
    }
}
