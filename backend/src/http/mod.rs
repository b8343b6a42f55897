//! HTTP: routes, authentication extractors, error mapping, OpenAPI.

pub mod api_keys;
pub mod audit;
pub mod auth;
pub mod callback_limit;
pub mod client_addr;
pub mod contacts;
pub mod deliveries;
pub mod destinations;
pub mod error;
pub mod events;
pub mod extract;
pub mod firing;
pub mod groups;
pub mod health;
pub mod idempotency;
pub mod legacy;
pub mod media;
pub mod metrics;
pub mod notifications;
pub mod openapi;
pub mod operators;
pub mod receipts;
pub mod redaction;
pub mod schedules;
pub mod security_headers;
pub mod server_metrics;
pub mod session;
pub mod state;
pub mod webapp;

use actix_web::{web, HttpRequest, HttpResponse};
use utoipa_actix_web::service_config::ServiceConfig;

use error::ApiError;

/// Every documented route. The OpenAPI document is collected from this very
/// list, so a route cannot exist without being documented.
pub fn routes(cfg: &mut ServiceConfig) {
    cfg.service(health::healthz).service(health::readyz).service(metrics::prometheus_metrics).service(
        utoipa_actix_web::scope("/api/v1")
            .service(session::create_session)
            .service(session::get_me)
            .service(session::change_my_password)
            .service(contacts::list_contacts)
            .service(contacts::create_contact)
            .service(contacts::get_contact)
            .service(contacts::update_contact)
            .service(contacts::delete_contact)
            .service(destinations::list_destinations)
            .service(destinations::create_destination)
            .service(destinations::get_destination)
            .service(destinations::update_destination)
            .service(destinations::delete_destination)
            .service(destinations::enable_destination)
            .service(destinations::disable_destination)
            .service(groups::list_groups)
            .service(groups::create_group)
            .service(groups::get_group)
            .service(groups::update_group)
            .service(groups::delete_group)
            .service(groups::set_group_members)
            .service(groups::add_group_member)
            .service(groups::remove_group_member)
            .service(groups::move_group_member)
            .service(schedules::list_schedules)
            .service(schedules::create_schedule)
            .service(schedules::get_schedule)
            .service(schedules::update_schedule)
            .service(schedules::delete_schedule)
            .service(schedules::get_schedule_duty)
            .service(events::list_events)
            .service(events::create_event)
            .service(events::get_event)
            .service(events::get_event_variables)
            .service(events::preview_templates)
            .service(events::update_event)
            .service(events::delete_event)
            .service(firing::fire_event)
            .service(firing::notify_contact)
            .service(firing::notify_group)
            .service(notifications::list_notifications)
            .service(notifications::get_notification)
            .service(notifications::acknowledge_notification)
            .service(notifications::resolve_notification)
            .service(deliveries::replay_delivery)
            .service(deliveries::test_destination)
            .service(receipts::twilio_receipt)
            .service(receipts::vonage_receipt)
            .service(receipts::vonage_receipt_by_get)
            .service(media::list_media)
            .service(api_keys::list_api_keys)
            .service(api_keys::create_api_key)
            .service(api_keys::revoke_api_key)
            .service(operators::list_operators)
            .service(operators::create_operator)
            .service(operators::get_operator)
            .service(operators::update_operator)
            .service(operators::delete_operator)
            .service(audit::list_audit_entries),
    );
}

/// Everything no other route took: RedFlash's routes (which tolerate path
/// prefixes, so they cannot be plain routes), then the web app (any other GET
/// outside `/api/`, so its deep links work), else a 404 in the API's shape.
pub async fn fallback(state: web::Data<state::AppState>, req: HttpRequest, body: web::Bytes) -> HttpResponse {
    let form = legacy::body_fields(&req, &body).await;
    let lenient = req.method() == actix_web::http::Method::POST
        || form.contains_key("api_key")
        || legacy::form_fields(req.query_string().as_bytes()).contains_key("api_key");
    match legacy::recognise_callback(req.path()) {
        Some(legacy::Callback::Ack) => return receipts::legacy_ack(state, req, body).await,
        Some(legacy::Callback::Inbound) => return receipts::legacy_inbound(state, req, body).await,
        None => {}
    }
    match legacy::recognise(req.path(), lenient) {
        Some(route) => legacy::serve(state, req, route, form).await,
        None => match webapp::respond(&req) {
            Some(app) => app,
            None => actix_web::ResponseError::error_response(&ApiError::not_found(format!(
                "no route for {} {}",
                req.method(),
                req.path()
            ))),
        },
    }
}

/// `/api/docs` without the slash goes to the docs UI.
pub async fn docs_redirect() -> HttpResponse {
    HttpResponse::MovedPermanently().insert_header(("Location", "/api/docs/")).finish()
}
