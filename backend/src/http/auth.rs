//! Authentication and authorization as extractors: a handler names what it needs
//! (`Authorized<Read>`, `Authorized<Admin>`…) and never checks by hand. The
//! credential itself is checked once per request by a middleware.
//! `Authorization: Bearer <token>` carries an operator's session token (a JWT) or
//! an API key.

use std::future::{ready, Ready};
use std::marker::PhantomData;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header;
use actix_web::middleware::Next;
use actix_web::{web, FromRequest, HttpMessage, HttpRequest};

use crate::domain::access::{Caller, Permission};
use crate::domain::audit::Actor;
use crate::domain::credentials::{api_key_prefix, hash_api_key, hashes_equal};
use crate::domain::tokens::TokenError;
use crate::store::{self, api_keys, operators};

use super::error::ApiError;
use super::redaction::Redact;
use super::state::AppState;

/// A permission a route requires, as a type.
pub trait Requirement {
    const PERMISSION: Permission;
}

/// Read the directory, events, notifications (`read` scope; every role).
pub struct Read;
/// Fire, notify, acknowledge (`send` scope; operator and admin roles).
pub struct Send;
/// Write the directory (`admin` scope; operator and admin roles).
pub struct DirectoryWrite;
/// Keys, operators, audit log (`admin` scope; admin role).
pub struct Admin;
/// One's own profile (operators of every role).
pub struct OwnProfile;
/// Any valid credential.
pub struct Anyone;

impl Requirement for Read {
    const PERMISSION: Permission = Permission::Read;
}
impl Requirement for Send {
    const PERMISSION: Permission = Permission::Send;
}
impl Requirement for DirectoryWrite {
    const PERMISSION: Permission = Permission::DirectoryWrite;
}
impl Requirement for Admin {
    const PERMISSION: Permission = Permission::Admin;
}
impl Requirement for OwnProfile {
    const PERMISSION: Permission = Permission::OwnProfile;
}
impl Requirement for Anyone {
    const PERMISSION: Permission = Permission::Authenticated;
}

/// An authenticated caller allowed to do `P`.
pub struct Authorized<P> {
    pub caller: Caller,
    _requirement: PhantomData<P>,
}

impl<P> Authorized<P> {
    /// How the audit log names the caller.
    pub fn actor(&self) -> Actor {
        self.caller.actor()
    }

    /// `answer` as this caller may see it: secret addresses redacted unless
    /// the caller may edit destinations.
    pub fn shown<T: Redact>(&self, mut answer: T) -> T {
        if !self.caller.sees_secrets() {
            answer.redact();
        }
        answer
    }
}

impl<P: Requirement> FromRequest for Authorized<P> {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    /// Synchronous on purpose: the credential was checked by [`authenticate_request`]
    /// before any extractor ran, so a refused caller is answered 401/403 before the
    /// body is even read (no validation error can leak through first).
    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let outcome = match req.extensions().get::<Authentication>() {
            Some(Authentication(Ok(caller))) if caller.allows(P::PERMISSION) => {
                Ok(Authorized { caller: caller.clone(), _requirement: PhantomData })
            }
            Some(Authentication(Ok(caller))) => Err(ApiError::forbidden(refusal(caller, P::PERMISSION))),
            Some(Authentication(Err(e))) => Err(e.clone()),
            None => Err(ApiError::unauthorized(
                "missing Authorization header: send 'Authorization: Bearer <token or API key>'",
            )),
        };
        ready(outcome)
    }
}

/// The outcome of checking a request's credential, kept in its extensions.
#[derive(Clone)]
struct Authentication(Result<Caller, ApiError>);

/// Middleware: checks the `Authorization` header, if any, once per request.
pub async fn authenticate_request(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.headers().contains_key(header::AUTHORIZATION) {
        let outcome = match (bearer(req.request()), req.app_data::<web::Data<AppState>>()) {
            (Ok(credential), Some(state)) => authenticate(state, credential).await,
            (Err(e), _) => Err(e),
            (_, None) => Err(ApiError::internal("application state missing")),
        };
        req.extensions_mut().insert(Authentication(outcome));
    }
    next.call(req).await
}

fn bearer(req: &HttpRequest) -> Result<String, ApiError> {
    let value = req.headers().get(header::AUTHORIZATION).ok_or_else(|| {
        ApiError::unauthorized("missing Authorization header: send 'Authorization: Bearer <token or API key>'")
    })?;
    let value = value.to_str().map_err(|_| ApiError::unauthorized("the Authorization header is not readable"))?;
    let (scheme, token) = value.split_once(' ').unwrap_or((value, ""));
    let token = token.trim();
    if !scheme.eq_ignore_ascii_case("bearer") || token.is_empty() {
        return Err(ApiError::unauthorized("the Authorization header must be 'Bearer <token or API key>'"));
    }
    Ok(token.to_owned())
}

/// Session tokens are JWTs (three dot-separated parts); anything else is an API key.
pub async fn authenticate(state: &AppState, credential: String) -> Result<Caller, ApiError> {
    if credential.split('.').count() == 3 {
        authenticate_token(state, &credential).await
    } else {
        authenticate_key(state, credential).await
    }
}

async fn authenticate_token(state: &AppState, token: &str) -> Result<Caller, ApiError> {
    let claims = state.tokens.verify(token).map_err(|e| match e {
        TokenError::Expired => ApiError::unauthorized("the session has expired; log in again"),
        TokenError::Invalid => ApiError::unauthorized("invalid session token"),
    })?;
    let id: i64 = claims.sub.parse().map_err(|_| ApiError::unauthorized("invalid session token"))?;
    // The account is read again so that a disabled or deleted operator, or a
    // changed role, takes effect at once rather than when the token expires.
    let operator = state.store.read(move |c| operators::find_by_id(c, id)).await?;
    match operator {
        Some(op) if op.enabled && op.session_epoch == claims.epoch => {
            Ok(Caller::Operator { id: op.id, role: op.role(), username: op.username })
        }
        Some(op) if op.enabled => Err(ApiError::unauthorized(
            "this session was ended by a password change or by disabling the account; log in again",
        )),
        _ => Err(ApiError::unauthorized("this account no longer exists or is disabled")),
    }
}

async fn authenticate_key(state: &AppState, secret: String) -> Result<Caller, ApiError> {
    let key = find_api_key(state, secret).await?.ok_or_else(|| ApiError::unauthorized("invalid API key"))?;
    let now = store::now();
    if !key.is_usable(now) {
        return Err(ApiError::unauthorized("this API key is revoked or expired"));
    }
    if key.last_used_at.is_none_or(|t| now - t >= chrono::Duration::minutes(1)) {
        let id = key.id;
        if let Err(e) = state.store.read(move |c| api_keys::touch(c, id, now)).await {
            // Losing a "last used" stamp must not refuse the request.
            tracing::warn!(error = %e, "could not record API key use");
        }
    }
    Ok(Caller::ApiKey { id: key.id, scopes: key.scopes(), name: key.name, prefix: key.prefix })
}

/// The key whose hash matches `secret`, enabled or not.
pub async fn find_api_key(state: &AppState, secret: String) -> Result<Option<api_keys::ApiKeyRow>, ApiError> {
    if secret.len() > 256 {
        return Ok(None);
    }
    let prefix = api_key_prefix(&secret);
    let hash = hash_api_key(&secret);
    let candidates = state.store.read(move |c| api_keys::by_prefix(c, &prefix)).await?;
    Ok(candidates.into_iter().find(|k| hashes_equal(&k.secret_hash, &hash)))
}

fn refusal(caller: &Caller, permission: Permission) -> String {
    let (scope, roles) = match permission {
        Permission::Read => ("read", "any role"),
        Permission::Send => ("send", "the operator or admin role"),
        Permission::DirectoryWrite => ("admin", "the operator or admin role"),
        Permission::Admin => ("admin", "the admin role"),
        Permission::OwnProfile => ("", "an operator session"),
        Permission::Authenticated => ("", "a valid credential"),
    };
    match caller {
        Caller::ApiKey { .. } if scope.is_empty() => "API keys have no profile; log in as an operator".into(),
        Caller::ApiKey { .. } => format!("this API key lacks the '{scope}' scope"),
        Caller::Operator { .. } => format!("this needs {roles}"),
    }
}
