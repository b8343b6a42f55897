//! `/api/v1/media`: the supported media and the schema of their settings.

use actix_web::get;
use actix_web::web::Json;

use crate::delivery::channels::registry;

use super::auth::{Authorized, Read};

/// List the supported media.
///
/// Each with a JSON Schema of its destination settings, from which a form can be drawn.
#[utoipa::path(
    tag = "media", operation_id = "list_media",
    security(("bearer" = ["read"])),
    responses((status = 200, description = "Every medium", body = Vec<tocsin_types::Medium>))
)]
#[get("/media")]
pub async fn list_media(_auth: Authorized<Read>) -> Json<Vec<tocsin_types::Medium>> {
    Json(
        registry::media()
            .map(|m| tocsin_types::Medium {
                name: m.as_str().into(),
                label: m.label().into(),
                description: m.description().into(),
                settings_schema: m.settings_schema(),
            })
            .collect(),
    )
}
