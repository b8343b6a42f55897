//! Who is logged in, and the client that calls the server as them.
//!
//! The session token lives in the tab's `sessionStorage`: it survives a
//! reload but not the tab, and other tabs do not share it. Any answer 401
//! (an expired or revoked session) ends the session and sends the operator
//! back to the login form with a message.

use chrono::{DateTime, Utc};
use leptos::prelude::*;
use tocsin_client::types::{Role, Session};
use tocsin_client::{Client, Error};

const TOKEN: &str = "tocsin.token";
const USERNAME: &str = "tocsin.username";
const ROLE: &str = "tocsin.role";
const EXPIRES: &str = "tocsin.expires_at";

/// The logged-in operator.
#[derive(Debug, Clone, PartialEq)]
pub struct Operator {
    pub username: String,
    pub role: Role,
    token: String,
    pub expires_at: DateTime<Utc>,
}

impl Operator {
    /// Whether the role may fire, acknowledge and edit the directory.
    pub fn can_send(&self) -> bool {
        self.role >= Role::Operator
    }
}

/// The session of this tab, shared through context; `Copy`, so closures and
/// async blocks take it freely.
#[derive(Debug, Clone, Copy)]
pub struct Auth {
    operator: RwSignal<Option<Operator>>,
    /// Why the operator was sent back to the login form, if they were.
    notice: RwSignal<Option<String>>,
}

impl Auth {
    /// The session stored in this tab, if it has not expired.
    pub fn restore() -> Self {
        let auth = Auth { operator: RwSignal::new(None), notice: RwSignal::new(None) };
        match stored() {
            Some(op) if op.expires_at > now() => auth.operator.set(Some(op)),
            Some(_) => {
                clear_storage();
                auth.notice.set(Some("Your session has expired. Log in again.".into()));
            }
            None => {}
        }
        auth
    }

    /// The logged-in operator (tracked).
    pub fn operator(&self) -> Option<Operator> {
        self.operator.get()
    }

    /// Whether the logged-in operator may fire, acknowledge, edit (tracked).
    pub fn can_send(&self) -> bool {
        self.operator.with(|o| o.as_ref().is_some_and(Operator::can_send))
    }

    /// Whether the logged-in operator manages API keys and operators (tracked).
    pub fn is_admin(&self) -> bool {
        self.operator.with(|o| o.as_ref().is_some_and(|o| o.role == Role::Admin))
    }

    pub fn notice(&self) -> Option<String> {
        self.notice.get()
    }

    pub fn log_in(&self, session: Session) {
        let op = Operator {
            username: session.username,
            role: session.role,
            token: session.token,
            expires_at: session.expires_at,
        };
        store(&op);
        self.notice.set(None);
        self.operator.set(Some(op));
    }

    pub fn log_out(&self, notice: Option<String>) {
        clear_storage();
        self.notice.set(notice);
        self.operator.set(None);
    }

    /// Keeps the role in step with the server (it may have changed since login).
    pub fn set_role(&self, role: Role) {
        self.operator.update(|o| {
            if let Some(o) = o.as_mut().filter(|o| o.role != role) {
                o.role = role;
                store(o);
            }
        });
    }

    /// A client of the server that served the app, with the session's token.
    pub fn client(&self) -> Result<Client, Error> {
        let token = self.operator.with_untracked(|o| o.as_ref().map(|o| o.token.clone()));
        let client = anonymous_client()?;
        Ok(match token {
            Some(token) => client.with_token(token),
            None => client,
        })
    }

    /// Calls the server as the logged-in operator; a 401 ends the session.
    pub async fn call<T, F, Fut>(self, call: F) -> Result<T, Error>
    where
        F: FnOnce(Client) -> Fut,
        Fut: std::future::Future<Output = Result<T, Error>>,
    {
        let answer = match self.client() {
            Ok(client) => call(client).await,
            Err(e) => Err(e),
        };
        self.check(answer)
    }

    /// Passes an answer through; a 401 ends the session first.
    pub fn check<T>(&self, answer: Result<T, Error>) -> Result<T, Error> {
        if let Err(e) = &answer {
            self.end_if_refused(e);
        }
        answer
    }

    // Out of line: `call` and `check` are copied for every answer type, this
    // need not be.
    #[inline(never)]
    fn end_if_refused(&self, e: &Error) {
        if e.status() == Some(401) {
            let why = e.api().map(|a| a.message().to_owned()).unwrap_or_default();
            self.log_out(Some(format!("Your session has ended ({why}). Log in again.")));
        }
    }
}

/// The `Auth` the app provides.
pub fn use_auth() -> Auth {
    use_context::<Auth>().unwrap_or_else(Auth::restore)
}

/// A client of this server without credentials (for logging in).
pub fn anonymous_client() -> Result<Client, Error> {
    Client::new(&window().location().origin().unwrap_or_default())
}

/// What a failed call says to people: the server's message when it sent one.
pub fn describe(error: &Error) -> String {
    match error.api() {
        Some(api) => api.message().to_owned(),
        None => error.to_string(),
    }
}

/// The field a validation error is about (`details.field`), if any.
pub fn field_of(error: &Error) -> Option<String> {
    error.api()?.details()?.get("field")?.as_str().map(str::to_owned)
}

/// The browser's clock (chrono's own needs a feature that only this would use).
fn now() -> DateTime<Utc> {
    DateTime::from_timestamp_millis(js_sys::Date::now() as i64).unwrap_or_default()
}

fn storage() -> Option<web_sys::Storage> {
    window().session_storage().ok().flatten()
}

fn stored() -> Option<Operator> {
    let s = storage()?;
    let get = |key: &str| s.get_item(key).ok().flatten();
    let role = match get(ROLE)?.as_str() {
        "admin" => Role::Admin,
        "operator" => Role::Operator,
        _ => Role::Viewer,
    };
    Some(Operator {
        username: get(USERNAME)?,
        role,
        token: get(TOKEN)?,
        expires_at: DateTime::parse_from_rfc3339(&get(EXPIRES)?).ok()?.with_timezone(&Utc),
    })
}

/// A role as the API spells it.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Admin => "admin",
        Role::Operator => "operator",
        Role::Viewer => "viewer",
    }
}

fn store(op: &Operator) {
    if let Some(s) = storage() {
        let role = role_name(op.role);
        // Storage can be full or refused (private mode): the session then
        // lasts until the page is reloaded, which is all that is lost.
        let _ = s.set_item(TOKEN, &op.token);
        let _ = s.set_item(USERNAME, &op.username);
        let _ = s.set_item(ROLE, role);
        let _ = s.set_item(EXPIRES, &op.expires_at.to_rfc3339());
    }
}

fn clear_storage() {
    if let Some(s) = storage() {
        for key in [TOKEN, USERNAME, ROLE, EXPIRES] {
            let _ = s.remove_item(key);
        }
    }
}
