//! Logging in, and the caller's own profile.

use std::time::Instant;

use actix_web::web::{self, Data, Json};
use actix_web::{get, post, put, HttpRequest, HttpResponse};
use tocsin_types::{ErrorBody, LoginRequest, Me, PasswordChange, Session};

use crate::directory;
use crate::domain::access::Caller;
use crate::domain::audit::{Actor, AuditAction};
use crate::domain::credentials::{check_password_policy, dummy_password_hash, hash_password, verify_password};
use crate::domain::login_throttle::{LoginKeys, LoginThrottle, Refusal};
use crate::store::audit;
use crate::store::operators;

use super::auth::{Anyone, Authorized, OwnProfile};
use super::client_addr::client_ip;
use super::error::{ApiError, ErrorKind};
use super::state::AppState;

/// Log in.
///
/// Exchanges an operator's username and password for a session token. After too
/// many failures for one username from one address, or from one address, logins
/// from there are refused with 429 for a while; so are attempts beyond two at
/// once from one address (a burst is refused, not queued).
#[utoipa::path(
    tag = "session", operation_id = "create_session", request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Logged in", body = Session),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "Too many failed or concurrent logins; see Retry-After", body = ErrorBody),
    )
)]
#[post("/session")]
pub async fn create_session(
    state: Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<Json<Session>, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let address = client_ip(&req, &state);
    let keys = LoginKeys::new(&username, address);
    let attempt = Attempt::begin(state.clone(), keys)?;
    let lookup = username.clone();
    let operator = state.store.read(move |c| operators::find_by_username(c, &lookup)).await?;
    let hash = operator.as_ref().map_or_else(|| dummy_password_hash().to_owned(), |o| o.password_hash.clone());
    let enabled = operator.as_ref().is_some_and(|o| o.enabled);
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    // The attempt travels with the hash and is counted where it ends, so a
    // client going away neither frees its slot early nor escapes its failure.
    let succeeded = web::block(move || {
        let succeeded = verify_password(&password, &hash) && enabled;
        attempt.finish(succeeded);
        succeeded
    })
    .await
    .map_err(ApiError::internal)?;
    let address_text = address.map(|a| a.to_string()).unwrap_or_default();
    let operator = match operator {
        Some(op) if succeeded => op,
        _ => {
            tracing::info!(username = %username, address = %address_text, "failed login");
            let (who, detail) = (username.clone(), serde_json::json!({"address": address_text}));
            state
                .store
                .write(move |c| audit::record(c, &Actor::anonymous(), AuditAction::SessionLoginFailed, &who, detail))
                .await?;
            return Err(ApiError::unauthorized("wrong username or password"));
        }
    };
    let ttl = chrono::Duration::minutes(state.settings.auth.token_ttl_minutes.max(1));
    let (token, expires_at) = state
        .tokens
        .mint(operator.id, &operator.username, operator.role(), operator.session_epoch, chrono::Utc::now(), ttl)
        .map_err(ApiError::internal)?;
    let (who, detail) = (operator.username.clone(), serde_json::json!({"address": address_text}));
    state
        .store
        .write(move |c| audit::record(c, &Actor::operator(&who), AuditAction::SessionLogin, &who, detail))
        .await?;
    Ok(Json(Session { token, expires_at, role: operator.role(), username: operator.username }))
}

/// A password check in progress, counted by the throttle until it ends: also
/// when the request is dropped half-way (the client went away), so a burst of
/// abandoned logins cannot leave an address locked.
struct Attempt {
    state: Data<AppState>,
    keys: LoginKeys,
    outcome: Option<bool>,
}

impl Attempt {
    /// Refused (429 with Retry-After) before any hashing when the address or
    /// pair is locked out or already has its checks in flight.
    fn begin(state: Data<AppState>, keys: LoginKeys) -> Result<Self, ApiError> {
        let refusal = throttle(&state)?.begin(&keys, Instant::now());
        match refusal {
            Ok(()) => Ok(Self { state, keys, outcome: None }),
            Err(Refusal::LockedOut(wait)) => {
                let mut err = ApiError::new(ErrorKind::RateLimited, "too many failed logins; try again later");
                err.retry_after = Some(wait.as_secs().max(1));
                Err(err)
            }
            Err(Refusal::Busy) => {
                let mut err = ApiError::new(ErrorKind::RateLimited, "too many logins at once; try again in a moment");
                err.retry_after = Some(1);
                Err(err)
            }
        }
    }

    fn finish(mut self, succeeded: bool) {
        self.outcome = Some(succeeded);
    }
}

impl Drop for Attempt {
    fn drop(&mut self) {
        // An attempt that never learnt its outcome counts as neither: it only
        // stops being in flight.
        if let Ok(mut throttle) = self.state.login_throttle.lock() {
            match self.outcome {
                Some(succeeded) => throttle.finish(&self.keys, succeeded, Instant::now()),
                None => throttle.abandon(&self.keys),
            }
        }
    }
}

fn throttle(state: &AppState) -> Result<std::sync::MutexGuard<'_, LoginThrottle>, ApiError> {
    state.login_throttle.lock().map_err(|_| ApiError::internal("login throttle poisoned"))
}

/// Who am I.
///
/// The operator or API key behind the credential sent.
#[utoipa::path(
    tag = "session", operation_id = "get_me",
    security(("bearer" = [])),
    responses((status = 200, description = "The caller", body = Me))
)]
#[get("/me")]
pub async fn get_me(auth: Authorized<Anyone>) -> Json<Me> {
    Json(match auth.caller {
        Caller::Operator { username, role, .. } => {
            Me { kind: "operator".into(), name: username, role: Some(role), scopes: vec![] }
        }
        Caller::ApiKey { name, scopes, .. } => Me { kind: "api_key".into(), name, role: None, scopes },
    })
}

/// Change my password.
///
/// Needs the current password. Every session of the account, this one
/// included, ends: log in again with the new password.
#[utoipa::path(
    tag = "session", operation_id = "change_my_password", request_body = PasswordChange,
    security(("bearer" = [])),
    responses(
        (status = 204, description = "Changed"),
        (status = 403, description = "The current password is wrong, or the caller is an API key", body = ErrorBody),
    )
)]
#[put("/me/password")]
pub async fn change_my_password(
    auth: Authorized<OwnProfile>,
    state: Data<AppState>,
    body: Json<PasswordChange>,
) -> Result<HttpResponse, ApiError> {
    let PasswordChange { current_password, new_password } = body.into_inner();
    check_password_policy("new_password", &new_password)?;
    let Caller::Operator { id, .. } = auth.caller else {
        return Err(ApiError::forbidden("API keys have no password"));
    };
    let operator = state
        .store
        .read(move |c| operators::find_by_id(c, id))
        .await?
        .ok_or_else(|| ApiError::unauthorized("this account no longer exists"))?;
    let hash = operator.password_hash.clone();
    let (matches, new_hash) =
        web::block(move || (verify_password(&current_password, &hash), hash_password(&new_password)))
            .await
            .map_err(ApiError::internal)?;
    if !matches {
        return Err(ApiError::forbidden("the current password is wrong"));
    }
    let new_hash = new_hash.map_err(ApiError::internal)?;
    directory::operators::set_password(&state.store, auth.caller.actor(), id, new_hash).await?;
    Ok(HttpResponse::NoContent().finish())
}
