//! Logging in, and the caller's own profile.

use std::time::Instant;

use actix_web::web::{self, Data, Json};
use actix_web::{get, post, put, HttpRequest, HttpResponse};
use tocsin_types::{ErrorBody, LoginRequest, Me, PasswordChange, Session};

use crate::domain::access::Caller;
use crate::domain::credentials::{check_password_policy, dummy_password_hash, hash_password, verify_password};
use crate::store::audit;
use crate::store::operators::{self, OperatorChanges};

use super::auth::{Anyone, Authorized, OwnProfile};
use super::error::{ApiError, ErrorKind};
use super::state::AppState;

/// Log in.
///
/// Exchanges an operator's username and password for a session token. After too
/// many failures for one username or from one address, logins are refused with
/// 429 for a while.
#[utoipa::path(
    tag = "session", operation_id = "create_session", request_body = LoginRequest,
    security(()),
    responses(
        (status = 200, description = "Logged in", body = Session),
        (status = 401, description = "Wrong username or password", body = ErrorBody),
        (status = 429, description = "Too many failed logins; see Retry-After", body = ErrorBody),
    )
)]
#[post("/session")]
pub async fn create_session(
    state: Data<AppState>,
    req: HttpRequest,
    body: Json<LoginRequest>,
) -> Result<Json<Session>, ApiError> {
    let LoginRequest { username, password } = body.into_inner();
    let user_key = format!("user:{}", username.to_lowercase());
    // The peer address, not X-Forwarded-For: a client must not pick its own.
    let addr_key = format!("addr:{}", req.peer_addr().map(|a| a.ip().to_string()).unwrap_or_default());
    let keys = [user_key.clone(), addr_key];
    if let Some(wait) = throttle(&state)?.retry_after(&keys, Instant::now()) {
        let mut err = ApiError::new(ErrorKind::RateLimited, "too many failed logins; try again later");
        err.retry_after = Some(wait.as_secs().max(1));
        return Err(err);
    }
    let lookup = username.clone();
    let operator = state.store.read(move |c| operators::find_by_username(c, &lookup)).await?;
    let hash = operator.as_ref().map_or_else(|| dummy_password_hash().to_owned(), |o| o.password_hash.clone());
    // argon2 takes tens of milliseconds of CPU: keep it off the async workers.
    let matches = web::block(move || verify_password(&password, &hash)).await.map_err(ApiError::internal)?;
    let operator = match operator {
        Some(op) if matches && op.enabled => op,
        _ => {
            throttle(&state)?.record_failure(&keys, Instant::now());
            tracing::info!(username = %username, "failed login");
            return Err(ApiError::unauthorized("wrong username or password"));
        }
    };
    throttle(&state)?.record_success(&user_key);
    let ttl = chrono::Duration::minutes(state.settings.auth.token_ttl_minutes.max(1));
    let (token, expires_at) = state
        .tokens
        .mint(operator.id, &operator.username, operator.role(), chrono::Utc::now(), ttl)
        .map_err(ApiError::internal)?;
    Ok(Json(Session { token, expires_at, role: operator.role(), username: operator.username }))
}

fn throttle(
    state: &AppState,
) -> Result<std::sync::MutexGuard<'_, crate::domain::login_throttle::LoginThrottle>, ApiError> {
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
/// Needs the current password; existing sessions stay valid until they expire.
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
    let actor = auth.caller.actor();
    state
        .store
        .write(move |c| {
            operators::update(c, id, OperatorChanges { password_hash: Some(new_hash), ..Default::default() })?;
            audit::record(c, &actor, "operator.password", "operator", &operator.username, serde_json::json!({}))
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
