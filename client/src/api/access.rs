//! API keys, operator accounts and the audit log.

use tocsin_types::{
    ApiKey, AuditEntry, AuditQuery, CreatedApiKey, NewApiKey, NewOperator, Operator, OperatorUpdate, Page,
};

use crate::operations::{
    CREATE_API_KEY, CREATE_OPERATOR, DELETE_OPERATOR, GET_OPERATOR, LIST_API_KEYS, LIST_AUDIT_ENTRIES, LIST_OPERATORS,
    REVOKE_API_KEY, UPDATE_OPERATOR,
};
use crate::{Client, Error};

impl Client {
    /// Every API key (never their secrets).
    pub async fn list_api_keys(&self) -> Result<Vec<ApiKey>, Error> {
        self.call(&LIST_API_KEYS, &[]).decode().await
    }

    /// Creates an API key; the answer holds its secret, shown this once.
    ///
    /// ```no_run
    /// # async fn demo(admin: tocsin_client::Client) -> Result<(), tocsin_client::Error> {
    /// use tocsin_client::types::{NewApiKey, Scope};
    ///
    /// let key = admin.create_api_key(&NewApiKey { name: "nagios".into(), scopes: vec![Scope::Send], expires_at: None }).await?;
    /// let nagios = tocsin_client::Client::new("http://127.0.0.1:8080")?.with_token(key.secret);
    /// # let _ = nagios;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_api_key(&self, key: &NewApiKey) -> Result<CreatedApiKey, Error> {
        self.call(&CREATE_API_KEY, &[]).json(key).decode().await
    }

    /// Revokes an API key: it stops working at once.
    pub async fn revoke_api_key(&self, id: i64) -> Result<ApiKey, Error> {
        self.call(&REVOKE_API_KEY, &[&id.to_string()]).decode().await
    }

    /// Every operator account.
    pub async fn list_operators(&self) -> Result<Vec<Operator>, Error> {
        self.call(&LIST_OPERATORS, &[]).decode().await
    }

    /// Creates an operator account.
    pub async fn create_operator(&self, operator: &NewOperator) -> Result<Operator, Error> {
        self.call(&CREATE_OPERATOR, &[]).json(operator).decode().await
    }

    /// One operator account.
    pub async fn get_operator(&self, username: &str) -> Result<Operator, Error> {
        self.call(&GET_OPERATOR, &[username]).decode().await
    }

    /// Changes the fields of an operator account that `update` holds.
    pub async fn update_operator(&self, username: &str, update: &OperatorUpdate) -> Result<Operator, Error> {
        self.call(&UPDATE_OPERATOR, &[username]).json(update).decode().await
    }

    /// Deletes an operator account.
    pub async fn delete_operator(&self, username: &str) -> Result<(), Error> {
        self.call(&DELETE_OPERATOR, &[username]).no_content().await
    }

    /// One page of the audit log, newest first, filtered by `query`.
    pub async fn list_audit_entries(&self, query: &AuditQuery) -> Result<Page<AuditEntry>, Error> {
        self.call(&LIST_AUDIT_ENTRIES, &[]).query(query).decode().await
    }
}
