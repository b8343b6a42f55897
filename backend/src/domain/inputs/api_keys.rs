//! An API key to create.

use chrono::{DateTime, Utc};
use tocsin_types::{NewApiKey, Scope};

use crate::domain::names::display_name;
use crate::domain::ValidationError;

#[derive(Debug, Clone)]
pub struct ApiKeyDraft {
    pub name: String,
    pub scopes: Vec<Scope>,
    pub expires_at: Option<DateTime<Utc>>,
}

impl ApiKeyDraft {
    /// `now` decides whether `expires_at` is in the future.
    pub fn parse(input: NewApiKey, now: DateTime<Utc>) -> Result<Self, ValidationError> {
        let name = display_name("name", &input.name)?;
        if input.scopes.is_empty() {
            return Err(ValidationError::new("scopes", "give at least one of read, send, admin"));
        }
        if input.expires_at.is_some_and(|e| e <= now) {
            return Err(ValidationError::new("expires_at", "must be in the future"));
        }
        Ok(ApiKeyDraft { name, scopes: input.scopes, expires_at: input.expires_at })
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use chrono::Duration;

    #[test]
    fn a_key_needs_a_scope_and_a_future_expiry() {
        let now = Utc::now();
        let input = |scopes: Vec<Scope>, expires_at| NewApiKey { name: "nagios".into(), scopes, expires_at };
        assert_eq!(ApiKeyDraft::parse(input(vec![], None), now).unwrap_err().field, "scopes");
        let past = Some(now - Duration::seconds(1));
        assert_eq!(ApiKeyDraft::parse(input(vec![Scope::Send], past), now).unwrap_err().field, "expires_at");
        let future = Some(now + Duration::days(1));
        assert_eq!(ApiKeyDraft::parse(input(vec![Scope::Send], future), now).unwrap().scopes, vec![Scope::Send]);
    }
}
