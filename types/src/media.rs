use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A supported way of delivering messages, with the JSON schema of its settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(example = json!({"name": "sms", "label": "SMS", "description": "Text message through the configured SMS gateway.", "settings_schema": {"type": "object", "properties": {"phone": {"type": "string"}}, "required": ["phone"]}}))]
pub struct Medium {
    /// The value of `medium` in destinations.
    pub name: String,
    pub label: String,
    pub description: String,
    /// JSON Schema of the destination settings for this medium.
    #[schema(value_type = Object)]
    pub settings_schema: serde_json::Value,
}
