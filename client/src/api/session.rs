//! Logging in and the caller's own account.

use tocsin_types::{LoginRequest, Me, PasswordChange, Session};

use crate::operations::{CHANGE_MY_PASSWORD, CREATE_SESSION, GET_ME};
use crate::{Client, Error};

impl Client {
    /// Logs an operator in. Use the token with [`Client::with_token`].
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), tocsin_client::Error> {
    /// use tocsin_client::{types::LoginRequest, Client};
    ///
    /// let anonymous = Client::new("http://127.0.0.1:8080")?;
    /// let login = LoginRequest { username: "admin".into(), password: "correct horse battery staple".into() };
    /// let session = anonymous.create_session(&login).await?;
    /// let admin = anonymous.with_token(session.token);
    /// assert_eq!(admin.get_me().await?.name, "admin");
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_session(&self, login: &LoginRequest) -> Result<Session, Error> {
        self.call(&CREATE_SESSION, &[]).json(login).decode().await
    }

    /// Who the token belongs to: an operator or an API key.
    pub async fn get_me(&self) -> Result<Me, Error> {
        self.call(&GET_ME, &[]).decode().await
    }

    /// Changes the calling operator's password.
    pub async fn change_my_password(&self, change: &PasswordChange) -> Result<(), Error> {
        self.call(&CHANGE_MY_PASSWORD, &[]).json(change).no_content().await
    }
}
