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

use crate::delivery::intake::{self, Accepted, FireCommand, FireError, FireTarget};
use crate::domain::access::{Caller, Permission};
use crate::store::{contacts, groups, now};

use super::auth::find_api_key;
use super::state::AppState;

/// A legacy route recognised in a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyRoute {
    Contact(String),
    Group(String),
    Event(String),
}

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

/// The form fields of the body (whatever its declared content type), then
/// those of the query string; a repeated field keeps its last value.
pub fn form_fields(body: &[u8]) -> serde_json::Map<String, serde_json::Value> {
    let mut fields = serde_json::Map::new();
    for (k, v) in url::form_urlencoded::parse(body) {
        fields.insert(k.into_owned(), serde_json::Value::String(v.into_owned()));
    }
    fields
}

/// The fields of a request body as Django's `request.POST` saw them: a
/// `multipart/form-data` body's text parts (file parts are not form fields),
/// anything else parsed as URL-encoded whatever it claims to be. A malformed
/// multipart body yields the fields read before the fault, so the caller
/// answers as RedFlash would for the fields that are missing.
pub async fn body_fields(req: &HttpRequest, body: &Bytes) -> serde_json::Map<String, serde_json::Value> {
    let boundary = req
        .headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .filter(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|ct| multer::parse_boundary(ct).ok());
    match boundary {
        Some(boundary) => multipart_fields(body.clone(), boundary).await,
        None => form_fields(body),
    }
}

async fn multipart_fields(body: Bytes, boundary: String) -> serde_json::Map<String, serde_json::Value> {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut fields = serde_json::Map::new();
    while let Ok(Some(part)) = parts.next_field().await {
        if part.file_name().is_some() {
            continue;
        }
        let Some(name) = part.name().map(str::to_owned) else { continue };
        match part.text().await {
            Ok(text) => {
                fields.insert(name, serde_json::Value::String(text));
            }
            Err(_) => break,
        }
    }
    fields
}

fn field(fields: &serde_json::Map<String, serde_json::Value>, name: &str) -> Option<String> {
    fields.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Serves one legacy request, checking in RedFlash's order.
pub async fn serve(
    state: Data<AppState>,
    req: HttpRequest,
    route: LegacyRoute,
    form: serde_json::Map<String, serde_json::Value>,
) -> HttpResponse {
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
    let text = field(&form, "message").unwrap_or_default();
    if !matches!(route, LegacyRoute::Event(_)) && text.is_empty() {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Empty message");
    }
    let (target, args) = match route {
        LegacyRoute::Contact(slug) => (FireTarget::Contact(slug), serde_json::Map::new()),
        LegacyRoute::Group(slug) => (FireTarget::Group(slug), serde_json::Map::new()),
        LegacyRoute::Event(slug) => {
            // The key is not part of the template context: it would leak into messages.
            let mut args = form.clone();
            args.remove("api_key");
            (FireTarget::Event(slug), args)
        }
    };
    let cmd = FireCommand {
        target,
        args,
        dedup_key: None,
        message: text,
        subject: String::new(),
        raised_by: caller.actor(),
        idempotency: None,
    };
    match intake::fire(&state.fires, cmd).await {
        Ok(Accepted::Created(r) | Accepted::Attached(r)) => {
            answer(StatusCode::CREATED, &AcceptedBody { message: "OK", notification_id: &r.notification_id })
        }
        Ok(Accepted::Replayed { .. }) => message(StatusCode::INTERNAL_SERVER_ERROR, "Unexpected replay"),
        Err(e) => refusal(e),
    }
}

fn refusal(e: FireError) -> HttpResponse {
    match e {
        FireError::NotFound { slug, .. } => message(StatusCode::NOT_FOUND, &format!("{slug} not found")),
        FireError::Disabled { kind: "contact", slug, name } => {
            message(StatusCode::NOT_FOUND, &format!("Contact '{name}' ({slug}) is disabled"))
        }
        FireError::Disabled { kind: "group", slug, .. } => {
            message(StatusCode::NOT_FOUND, &format!("Group {slug} is disabled"))
        }
        FireError::Disabled { slug, .. } => message(StatusCode::NOT_FOUND, &format!("Event {slug} is disabled")),
        FireError::Render(r) => message(StatusCode::INTERNAL_SERVER_ERROR, &r.message),
        other => {
            tracing::error!(error = %other, "legacy fire failed");
            message(StatusCode::INTERNAL_SERVER_ERROR, "The notification could not be stored")
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

    #[test]
    fn form_fields_keep_the_last_value_of_a_repeated_field() {
        let f = form_fields(b"x=1&y=two+words&x=3&empty=");
        assert_eq!(f["x"], "3");
        assert_eq!(f["y"], "two words");
        assert_eq!(f["empty"], "");
    }
}
