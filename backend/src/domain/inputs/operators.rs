//! An operator account to create or change. Passwords are checked against
//! the policy here and hashed by the service (hashing is slow on purpose).

use tocsin_types::{NewOperator, OperatorUpdate, Role};

use crate::domain::credentials::check_password_policy;
use crate::domain::names::username;
use crate::domain::ValidationError;

#[derive(Clone)]
pub struct OperatorDraft {
    pub username: String,
    pub password: String,
    pub role: Role,
    pub enabled: bool,
}

impl OperatorDraft {
    pub fn parse(input: NewOperator) -> Result<Self, ValidationError> {
        let username = username("username", &input.username)?;
        check_password_policy("password", &input.password)?;
        Ok(OperatorDraft {
            username,
            password: input.password,
            role: input.role,
            enabled: input.enabled.unwrap_or(true),
        })
    }
}

#[derive(Clone, Default)]
pub struct OperatorPatch {
    pub role: Option<Role>,
    pub enabled: Option<bool>,
    pub password: Option<String>,
}

impl OperatorPatch {
    pub fn parse(input: OperatorUpdate) -> Result<Self, ValidationError> {
        if let Some(password) = &input.password {
            check_password_policy("password", password)?;
        }
        Ok(OperatorPatch { role: input.role, enabled: input.enabled, password: input.password })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    #[test]
    fn a_short_password_is_refused_before_anything_is_hashed() {
        let input = NewOperator { username: "ana".into(), password: "short".into(), role: Role::Viewer, enabled: None };
        assert_eq!(OperatorDraft::parse(input).err().map(|e| e.field), Some("password".into()));
        let patch = OperatorPatch::parse(OperatorUpdate { password: Some("x".into()), ..OperatorUpdate::default() });
        assert_eq!(patch.err().map(|e| e.field), Some("password".into()));
    }

    #[test]
    fn usernames_are_checked() {
        let input = NewOperator {
            username: "a b".into(),
            password: "a long passphrase".into(),
            role: Role::Admin,
            enabled: None,
        };
        assert_eq!(OperatorDraft::parse(input).err().map(|e| e.field), Some("username".into()));
    }
}
