//! RedFlash's HTTP API, byte for byte (see REDFLASH.md): `contact/<slug>/`,
//! `group/<slug>/`, `event/<slug>/`. Existing callers only change the URL.
//! These routes keep RedFlash's own bodies and status codes and stay out of the
//! OpenAPI document.

use std::sync::OnceLock;

use actix_web::http::{Method, StatusCode};
use actix_web::web::{Bytes, Data};
use actix_web::{HttpRequest, HttpResponse};
use regex::Regex;
use serde::Serialize;

use crate::delivery::intake::{self, Accepted, FireError};
use crate::domain::access::{Caller, Permission};
use crate::ingest::redflash::{self, field, Fields, Refusal};
pub use crate::ingest::redflash::{form_fields, LegacyRoute};
use crate::store::{contacts, groups, now};

use super::auth::find_api_key;
use super::state::AppState;

/// Recognises `…/contact/<slug>/` and the like: with or without the trailing
/// slash, behind any path prefix and with doubled slashes (sentry-redflash
/// sends `//group/x/`). A prefix is only honoured when `lenient` (a POST or a
/// request carrying `api_key`), so that other paths are never captured.
pub fn recognise(path: &str, lenient: bool) -> Option<LegacyRoute> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN
        .get_or_init(|| {
            Regex::new(r"^(?P<prefix>/.*?)?/+(?P<kind>contact|group|event)/+(?P<slug>[A-Za-z0-9_-]*)/*$").ok()
        })
        .as_ref()?;
    let captures = pattern.captures(path)?;
    if captures.name("prefix").is_some_and(|p| !p.as_str().is_empty()) && !lenient {
        return None;
    }
    let slug = captures.name("slug").map(|s| s.as_str().to_owned()).unwrap_or_default();
    match captures.name("kind").map(|k| k.as_str()) {
        Some("contact") => Some(LegacyRoute::Contact(slug)),
        Some("group") => Some(LegacyRoute::Group(slug)),
        Some("event") => Some(LegacyRoute::Event(slug)),
        _ => None,
    }
}

/// A provider callback route of RedFlash's.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Callback {
    Ack,
    Inbound,
}

/// Recognises `…/ack/` and `…/inbound/`, with or without the slash or a prefix.
pub fn recognise_callback(path: &str) -> Option<Callback> {
    static PATTERN: OnceLock<Option<Regex>> = OnceLock::new();
    let pattern = PATTERN.get_or_init(|| Regex::new(r"^(?:/.*?)?/+(?P<kind>ack|inbound)/*$").ok()).as_ref()?;
    match pattern.captures(path)?.name("kind").map(|k| k.as_str()) {
        Some("ack") => Some(Callback::Ack),
        Some("inbound") => Some(Callback::Inbound),
        _ => None,
    }
}

#[derive(Serialize)]
struct Message<'a> {
    message: &'a str,
}

#[derive(Serialize)]
struct AcceptedBody<'a> {
    message: &'a str,
    notification_id: &'a str,
}

#[derive(Serialize)]
struct ContactBody {
    name: String,
    slug: String,
}

#[derive(Serialize)]
struct GroupBody {
    short_contacts: Vec<String>,
    name: String,
    slug: String,
}

/// A JSON answer with a Content-Length (never chunked: HTTP/1.0 clients).
fn answer(status: StatusCode, body: &impl Serialize) -> HttpResponse {
    let json = serde_json::to_string(body).unwrap_or_else(|_| r#"{"message": "internal error"}"#.into());
    HttpResponse::build(status).content_type("application/json").body(json)
}

fn message(status: StatusCode, text: &str) -> HttpResponse {
    answer(status, &Message { message: text })
}

/// The fields of a request body as RedFlash read them.
pub async fn body_fields(req: &HttpRequest, body: &Bytes) -> Fields {
    let content_type = req.headers().get(actix_web::http::header::CONTENT_TYPE).and_then(|v| v.to_str().ok());
    redflash::body_fields(content_type, body).await
}

/// Serves one legacy request, checking in RedFlash's order.
pub async fn serve(state: Data<AppState>, req: HttpRequest, route: LegacyRoute, form: Fields) -> HttpResponse {
    let query = form_fields(req.query_string().as_bytes());
    // 1. The key: from the body first, then the query string.
    let key = field(&form, "api_key")
        .filter(|k| !k.is_empty())
        .or_else(|| field(&query, "api_key").filter(|k| !k.is_empty()));
    let Some(key) = key else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "You must specify your API key");
    };
    // 2. Unknown or disabled key.
    let found = match find_api_key(&state, key).await {
        Ok(found) => found,
        Err(_) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Storage unavailable"),
    };
    let Some(row) = found.filter(|k| k.is_usable(now())) else {
        return message(StatusCode::FORBIDDEN, "Invalid API key for operation");
    };
    let caller =
        Caller::ApiKey { id: row.id, scopes: row.scopes(), name: row.name.clone(), prefix: row.prefix.clone() };
    // 3. Method.
    let is_get = req.method() == Method::GET;
    let get_allowed = matches!(route, LegacyRoute::Contact(_) | LegacyRoute::Group(_));
    if req.method() != Method::POST && !(is_get && get_allowed) {
        return message(StatusCode::FORBIDDEN, "Invalid request method");
    }
    // 4. Privileges.
    let needed = if is_get { Permission::Read } else { Permission::Send };
    if !caller.allows(needed) {
        return message(StatusCode::FORBIDDEN, "Insufficient privileges");
    }
    if is_get {
        return describe(&state, route).await;
    }
    // 5. A contact or group message must be there before the lookup.
    let cmd = match redflash::command(route, &form, caller.actor()) {
        Ok(cmd) => cmd,
        Err(Refusal::EmptyMessage) => return message(StatusCode::INTERNAL_SERVER_ERROR, "Empty message"),
    };
    match intake::fire(&state.fires, cmd).await {
        Ok(Accepted::Created(r) | Accepted::Attached(r)) => {
            answer(StatusCode::CREATED, &AcceptedBody { message: "OK", notification_id: &r.notification_id })
        }
        Ok(Accepted::Replayed { .. }) => message(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected replay"),
        Err(e) => {
            let (status, text) = redflash::refusal(&e);
            if status >= 500 && !matches!(e, FireError::Render(_)) {
                tracing::error!(error = %e, "legacy fire failed");
            }
            message(StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR), &text)
        }
    }
}

async fn describe(state: &AppState, route: LegacyRoute) -> HttpResponse {
    match route {
        LegacyRoute::Contact(slug) => {
            let lookup = slug.clone();
            match state.store.read(move |c| contacts::find(c, &lookup)).await {
                Ok(Some(c)) if c.enabled => answer(StatusCode::OK, &ContactBody { name: c.name, slug: c.slug }),
                Ok(Some(_)) => message(StatusCode::NOT_FOUND, "Disabled user"),
                Ok(None) => message(StatusCode::NOT_FOUND, &format!("Invalid contact: {slug}")),
                Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Storage unavailable"),
            }
        }
        LegacyRoute::Group(slug) => {
            let lookup = slug.clone();
            let found = state
                .store
                .read(move |c| match groups::find(c, &lookup)? {
                    Some(g) => {
                        let members = groups::members(c, g.id)?;
                        Ok(Some((g, members)))
                    }
                    None => Ok(None),
                })
                .await;
            match found {
                Ok(Some((g, members))) if g.enabled => answer(
                    StatusCode::OK,
                    &GroupBody {
                        short_contacts: members.into_iter().map(|m| m.slug).collect(),
                        name: g.name,
                        slug: g.slug,
                    },
                ),
                Ok(Some(_)) => message(StatusCode::NOT_FOUND, "Disabled group"),
                Ok(None) => message(StatusCode::NOT_FOUND, &format!("Invalid group: {slug}")),
                Err(_) => message(StatusCode::INTERNAL_SERVER_ERROR, "Storage unavailable"),
            }
        }
        LegacyRoute::Event(_) => message(StatusCode::FORBIDDEN, "Invalid request method"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn legacy_paths_are_recognised_with_or_without_slash_prefix_and_doubled_slashes() {
        assert_eq!(recognise("/contact/ana/", false), Some(LegacyRoute::Contact("ana".into())));
        assert_eq!(recognise("/contact/ana", false), Some(LegacyRoute::Contact("ana".into())));
        assert_eq!(recognise("//group/ops/", true), Some(LegacyRoute::Group("ops".into())));
        assert_eq!(recognise("/some/prefix/event/disk-full/", true), Some(LegacyRoute::Event("disk-full".into())));
        assert_eq!(recognise("/some/prefix/event/disk-full/", false), None);
        assert_eq!(recognise("/contact//", false), Some(LegacyRoute::Contact(String::new())));
        assert_eq!(recognise("/contacts/ana", true), None);
        assert_eq!(recognise("/contact/a.b/", true), None);
        assert_eq!(recognise("/api/v1/contacts", true), None);
    }

    #[test]
    fn callback_paths_are_recognised() {
        assert_eq!(recognise_callback("/ack/"), Some(Callback::Ack));
        assert_eq!(recognise_callback("/ack"), Some(Callback::Ack));
        assert_eq!(recognise_callback("/prefix/inbound/"), Some(Callback::Inbound));
        assert_eq!(recognise_callback("/acknowledge"), None);
        assert_eq!(recognise_callback("/api/v1/notifications/x/acknowledge"), None);
    }
}
