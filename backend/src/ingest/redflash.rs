//! RedFlash's form posts (REDFLASH.md): `event/<slug>/` with template
//! arguments as form fields, `contact/<slug>/` and `group/<slug>/` with a
//! `message`. Bodies are read as Django's `request.POST` read them, and
//! refusals keep RedFlash's status codes and messages.

use crate::delivery::intake::{FireCommand, FireError, FireTarget};
use crate::domain::audit::Actor;

/// What a RedFlash path names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LegacyRoute {
    Contact(String),
    Group(String),
    Event(String),
}

/// Form fields, by name; a repeated field keeps its last value.
pub type Fields = serde_json::Map<String, serde_json::Value>;

/// The form fields of a URL-encoded body or query string.
pub fn form_fields(body: &[u8]) -> Fields {
    let mut fields = Fields::new();
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
pub async fn body_fields(content_type: Option<&str>, body: &[u8]) -> Fields {
    let boundary = content_type
        .filter(|ct| ct.trim_start().to_ascii_lowercase().starts_with("multipart/form-data"))
        .and_then(|ct| multer::parse_boundary(ct).ok());
    match boundary {
        Some(boundary) => multipart_fields(body.to_vec(), boundary).await,
        None => form_fields(body),
    }
}

async fn multipart_fields(body: Vec<u8>, boundary: String) -> Fields {
    let stream = futures_util::stream::once(async move { Ok::<_, std::convert::Infallible>(body) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut fields = Fields::new();
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

/// A field's text, if it is there.
pub fn field(fields: &Fields, name: &str) -> Option<String> {
    fields.get(name).and_then(|v| v.as_str()).map(str::to_owned)
}

/// Why a post was refused before the fire path, as RedFlash answers it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Refusal {
    /// A contact or group post without a `message` (500 "Empty message").
    EmptyMessage,
}

/// The fire a post asks for. An event's arguments are its form fields, less
/// the key, which must not leak into messages; a contact or group gets the
/// `message` field, which must be there before the target is looked up.
pub fn command(route: LegacyRoute, form: &Fields, raised_by: Actor) -> Result<FireCommand, Refusal> {
    let text = field(form, "message").unwrap_or_default();
    let direct = |to| {
        if text.is_empty() {
            Err(Refusal::EmptyMessage)
        } else {
            Ok(FireCommand::direct(to, String::new(), text.clone(), raised_by.clone()))
        }
    };
    match route {
        LegacyRoute::Contact(slug) => direct(FireTarget::Contact(slug)),
        LegacyRoute::Group(slug) => direct(FireTarget::Group(slug)),
        LegacyRoute::Event(slug) => {
            let mut args = form.clone();
            args.remove("api_key");
            Ok(FireCommand::event(slug, args, None, raised_by.clone()))
        }
    }
}

/// RedFlash's status and message for a fire that was not accepted.
pub fn refusal(e: &FireError) -> (u16, String) {
    match e {
        FireError::NotFound { slug, .. } => (404, format!("{slug} not found")),
        FireError::Disabled { kind: "contact", slug, name } => (404, format!("Contact '{name}' ({slug}) is disabled")),
        FireError::Disabled { kind: "group", slug, .. } => (404, format!("Group {slug} is disabled")),
        FireError::Disabled { slug, .. } => (404, format!("Event {slug} is disabled")),
        FireError::Render(r) => (500, r.message.clone()),
        _ => (500, "The notification could not be stored".into()),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;
    use crate::delivery::intake::FireContent;

    #[test]
    fn form_fields_keep_the_last_value_of_a_repeated_field() {
        let f = form_fields(b"x=1&y=two+words&x=3&empty=");
        assert_eq!(f["x"], "3");
        assert_eq!(f["y"], "two words");
        assert_eq!(f["empty"], "");
    }

    #[tokio::test]
    async fn a_multipart_body_gives_its_text_parts_and_not_its_files() {
        let body = "--b\r\nContent-Disposition: form-data; name=\"message\"\r\n\r\ndb1 down\r\n\
                    --b\r\nContent-Disposition: form-data; name=\"f\"; filename=\"a.txt\"\r\n\r\nfile\r\n--b--\r\n";
        let fields = body_fields(Some("multipart/form-data; boundary=b"), body.as_bytes()).await;
        assert_eq!(field(&fields, "message").as_deref(), Some("db1 down"));
        assert!(!fields.contains_key("f"));
        let claimed = body_fields(Some("application/json"), b"message=hi").await;
        assert_eq!(field(&claimed, "message").as_deref(), Some("hi"), "read as a form whatever it claims");
    }

    #[test]
    fn an_event_post_passes_its_fields_but_never_the_key() {
        let form = form_fields(b"api_key=secret&host=db1");
        let cmd = command(LegacyRoute::Event("disk".into()), &form, Actor::api_key("ab")).unwrap();
        assert_eq!(cmd.args_json(), r#"{"host":"db1"}"#);
    }

    #[test]
    fn a_contact_or_group_post_needs_a_message() {
        let empty = form_fields(b"api_key=k");
        for route in [LegacyRoute::Contact("ana".into()), LegacyRoute::Group("ops".into())] {
            assert_eq!(command(route, &empty, Actor::api_key("ab")).unwrap_err(), Refusal::EmptyMessage);
        }
        let cmd = command(LegacyRoute::Group("ops".into()), &form_fields(b"message=hi"), Actor::api_key("ab")).unwrap();
        assert!(matches!(cmd.content, FireContent::Direct { ref message, .. } if message == "hi"));
    }

    #[test]
    fn refusals_keep_redflash_wording() {
        let disabled = FireError::Disabled { kind: "contact", slug: "ana".into(), name: "Ana Lima".into() };
        assert_eq!(refusal(&disabled), (404, "Contact 'Ana Lima' (ana) is disabled".into()));
        assert_eq!(refusal(&FireError::NotFound { kind: "event", slug: "x".into() }), (404, "x not found".into()));
    }
}
