//! A destination's settings form, drawn from its medium's JSON Schema
//! (`GET /api/v1/media`): one field per property, with the schema's title as
//! label, its description as help, `enum` as a choice, `writeOnly` as a
//! password field.

use std::collections::BTreeMap;

use leptos::prelude::*;
use serde_json::Value;
use tocsin_client::Error;

use crate::components::alert::FieldError;

/// One property of a settings schema, as a form field.
#[derive(Debug, Clone, PartialEq)]
pub struct SchemaField {
    pub name: String,
    pub title: String,
    pub description: String,
    pub required: bool,
    pub choices: Vec<String>,
    pub default: Option<String>,
    pub input_type: &'static str,
}

/// The fields of a settings schema, in the schema's order.
pub fn fields(schema: &Value) -> Vec<SchemaField> {
    let required: Vec<&str> =
        schema["required"].as_array().map(|r| r.iter().filter_map(Value::as_str).collect()).unwrap_or_default();
    let Some(properties) = schema["properties"].as_object() else { return Vec::new() };
    properties
        .iter()
        .map(|(name, p)| SchemaField {
            name: name.clone(),
            title: p["title"].as_str().unwrap_or(name).to_owned(),
            description: p["description"].as_str().unwrap_or_default().to_owned(),
            required: required.contains(&name.as_str()),
            choices: p["enum"]
                .as_array()
                .map(|e| e.iter().filter_map(Value::as_str).map(str::to_owned).collect())
                .unwrap_or_default(),
            default: p["default"].as_str().map(str::to_owned),
            input_type: if p["writeOnly"].as_bool() == Some(true) {
                "password"
            } else {
                match p["format"].as_str() {
                    Some("email") => "email",
                    Some("uri") => "url",
                    _ => "text",
                }
            },
        })
        .collect()
}

/// The settings object the form holds: filled fields only.
pub fn settings(values: &BTreeMap<String, String>) -> Value {
    Value::Object(
        values
            .iter()
            .filter(|(_, v)| !v.trim().is_empty())
            .map(|(k, v)| (k.clone(), Value::String(v.trim().to_owned())))
            .collect(),
    )
}

/// The fields of one schema; values go to `values`, the server's complaint
/// about `settings.<name>` shows under that field.
#[component]
pub fn SchemaFields(
    fields: Vec<SchemaField>,
    values: RwSignal<BTreeMap<String, String>>,
    error: Signal<Option<Error>>,
    /// Prefixes the ids, so that two forms on a page do not clash.
    prefix: &'static str,
) -> impl IntoView {
    fields
        .into_iter()
        .map(|f| {
            let id = format!("{prefix}-{}", f.name);
            let help = format!("{id}-help");
            let (read, write) = (f.name.clone(), f.name.clone());
            let value = move || values.with(|v| v.get(&read).cloned().unwrap_or_default());
            let on_input = move |ev| {
                let text = event_target_value(&ev);
                values.update(|v| {
                    v.insert(write.clone(), text);
                });
            };
            if let Some(default) = f.default.clone() {
                values.update(|v| {
                    v.entry(f.name.clone()).or_insert(default);
                });
            }
            let control = if f.choices.is_empty() {
                view! {
                    <input id=id.clone() type=f.input_type required=f.required aria-describedby=help.clone()
                        prop:value=value on:input=on_input/>
                }
                .into_any()
            } else {
                let choices = f.choices.clone();
                let name = f.name.clone();
                view! {
                    <select id=id.clone() aria-describedby=help.clone() on:change=on_input>
                        {choices.into_iter().map(|c| {
                            let selected = {
                                let (c, name) = (c.clone(), name.clone());
                                move || values.with(|v| v.get(&name) == Some(&c))
                            };
                            view! { <option value=c.clone() selected=selected>{c.clone()}</option> }
                        }).collect_view()}
                    </select>
                }
                .into_any()
            };
            view! {
                <div class="field">
                    <label for=id>{f.title.clone()}{(!f.required).then_some(" (optional)")}</label>
                    {control}
                    <small id=help>{f.description.clone()}</small>
                    <FieldError error=error field=format!("settings.{}", f.name)/>
                </div>
            }
        })
        .collect_view()
}
