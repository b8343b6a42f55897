//! Message templates (minijinja). Rendering comes with firing; here a template is
//! checked when it is saved, so that a broken one is refused then and not at 3 a.m.

use serde_json::Map;
use tocsin_types::{RenderedMessage, SmsPreview, TemplatePreview, TemplateProblem};

use super::render::{self, Escaping};
use super::{sms, ValidationError};

/// Longest template source accepted.
pub const MAX_TEMPLATE_LEN: usize = 16 * 1024;

/// Checks that `source` is a template the engine can compile.
pub fn check_syntax(field: &str, source: &str) -> Result<(), ValidationError> {
    if source.len() > MAX_TEMPLATE_LEN {
        return Err(ValidationError::new(field, format!("must be at most {MAX_TEMPLATE_LEN} bytes")));
    }
    // The sandbox's own checks, which refuse hostile constructs before the
    // engine compiles (and so evaluates constant parts of) anything.
    super::render::variables(source).map(drop).map_err(|e| ValidationError::new(field, e.message))
}

/// Renders templates that are not saved yet, as a fire would render them
/// (the SMS falls back to the body when empty): the message when all three
/// render, the variables of those that compile, and what is wrong with each
/// of the others.
pub fn preview(
    subject: &str,
    body: &str,
    sms_source: &str,
    args: &Map<String, serde_json::Value>,
    escaping: Escaping,
) -> TemplatePreview {
    let mut variables = Vec::new();
    let mut errors = Vec::new();
    let mut render_one = |field: &str, source: &str| {
        match render::variables(source) {
            Ok(names) => variables.extend(names),
            Err(e) => {
                errors.push(TemplateProblem { field: field.to_owned(), message: e.message });
                return None;
            }
        }
        match render::render(field, source, args, escaping) {
            Ok(text) => Some(text),
            Err(e) => {
                errors.push(TemplateProblem { field: field.to_owned(), message: e.message });
                None
            }
        }
    };
    let subject = render_one("templates.subject", subject);
    let body_text = render_one("templates.body", body);
    let sms_text = if sms_source.is_empty() { body_text.clone() } else { render_one("templates.sms", sms_source) };
    variables.sort();
    variables.dedup();
    let rendered = match (subject, body_text, sms_text) {
        (Some(subject), Some(body), Some(text)) => {
            let info = sms::analyse(&text);
            Some(RenderedMessage {
                subject,
                body,
                sms: SmsPreview {
                    encoding: info.encoding.as_str().into(),
                    segments: i64::try_from(info.segments).unwrap_or(i64::MAX),
                    text,
                },
            })
        }
        _ => None,
    };
    TemplatePreview { rendered, variables, errors }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    #[test]
    fn a_preview_renders_all_three_and_lists_their_variables() {
        let mut args = Map::new();
        args.insert("host".into(), "db1".into());
        let p = preview("Down: {{ host }}", "{{ host }} is down since {{ since }}", "", &args, Escaping::None);
        assert!(p.errors.is_empty(), "{:?}", p.errors);
        assert_eq!(p.variables, ["host", "since"]);
        let r = p.rendered.unwrap();
        assert_eq!((r.subject.as_str(), r.body.as_str()), ("Down: db1", "db1 is down since "));
        assert_eq!((r.sms.text.as_str(), r.sms.segments), ("db1 is down since ", 1));
    }

    #[test]
    fn a_preview_names_each_broken_template_and_renders_nothing() {
        let p = preview("{{ host ", "fine {{ x }}", "{% if a %}open", &Map::new(), Escaping::None);
        let fields: Vec<&str> = p.errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["templates.subject", "templates.sms"]);
        assert!(p.errors.iter().all(|e| !e.message.is_empty()));
        assert_eq!(p.variables, ["x"]);
        assert!(p.rendered.is_none());
    }

    #[test]
    fn well_formed_templates_pass() {
        assert!(check_syntax("templates.body", "Disk {{ host|upper }} {% if x %}!{% endif %}").is_ok());
        assert!(check_syntax("templates.body", "").is_ok());
    }

    #[test]
    fn a_broken_template_is_refused_with_where_and_why() {
        let err = check_syntax("templates.body", "line one\n{% if x %}unclosed").unwrap_err();
        assert_eq!(err.field, "templates.body");
        assert!(err.message.contains("line"), "{}", err.message);
        let err = check_syntax("templates.subject", "{{ host ").unwrap_err();
        assert!(err.message.starts_with("template error"), "{}", err.message);
    }

    #[test]
    fn oversized_templates_are_refused() {
        assert!(check_syntax("templates.body", &"x".repeat(MAX_TEMPLATE_LEN + 1)).is_err());
    }
}
