//! Provider callbacks: delivery receipts and inbound SMS. They come without our
//! credentials; every one is kept, and a receipt that matches a delivery moves it
//! forward. `/ack/` and `/inbound/` answer as RedFlash did (200 `OK`, also for a
//! receipt that matches nothing or cannot be read).

use std::collections::BTreeMap;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, Data};
use actix_web::{get, post, HttpRequest, HttpResponse};
use tocsin_types::ErrorBody;

use crate::delivery::receipts::{self, Receipt};
use crate::store::receipts as stored;

use super::error::ApiError;
use super::state::AppState;

/// The request's fields: the query string, then the body (a form, or JSON when
/// it says so); a body field wins over a query field of the same name.
fn fields(req: &HttpRequest, body: &[u8]) -> BTreeMap<String, String> {
    let mut fields: BTreeMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let is_json = req.headers().get(CONTENT_TYPE).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("json"));
    if is_json {
        fields.extend(receipts::fields_from_json(body).unwrap_or_default());
    } else {
        fields.extend(url::form_urlencoded::parse(body).into_owned());
    }
    fields
}

fn raw(fields: &BTreeMap<String, String>) -> String {
    serde_json::to_string(fields).unwrap_or_default()
}

async fn apply(
    state: &AppState,
    receipt: Option<Receipt>,
    provider: &'static str,
    raw: String,
) -> Result<(), ApiError> {
    let outcome = match receipt {
        Some(receipt) => state.store.write(move |c| stored::apply(c, &receipt, &raw).map(drop)).await,
        None => {
            tracing::warn!(provider, "unreadable receipt kept");
            state.store.write(move |c| stored::keep_raw(c, "receipt", provider, &raw)).await
        }
    };
    Ok(outcome?)
}

/// RedFlash's `/ack/`: Vonage (Nexmo) and Clickatell receipts, any method.
pub async fn legacy_ack(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let fields = fields(&req, &body);
    let receipt = receipts::parse_ack(&fields);
    let provider = receipt.as_ref().map_or("unknown", |r| r.provider);
    match apply(&state, receipt, provider, raw(&fields)).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("OK"),
        // Storage is down: make the gateway try again rather than lose the receipt.
        Err(_) => HttpResponse::ServiceUnavailable().content_type("text/plain").body("RETRY"),
    }
}

/// RedFlash's `/inbound/`: an SMS sent to us; kept, and answered `OK`.
pub async fn legacy_inbound(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    let raw = raw(&fields(&req, &body));
    match state.store.write(move |c| stored::keep_raw(c, "inbound", "sms", &raw)).await {
        Ok(()) => HttpResponse::Ok().content_type("text/plain").body("OK"),
        Err(_) => HttpResponse::ServiceUnavailable().content_type("text/plain").body("RETRY"),
    }
}

/// Twilio status callback.
///
/// Twilio posts here (the `StatusCallback` of each message) as the message moves
/// on. Authenticated by `X-Twilio-Signature` with the account's auth token.
#[utoipa::path(
    tag = "receipts", operation_id = "twilio_receipt",
    request_body(
        content = inline(BTreeMap<String, String>), content_type = "application/x-www-form-urlencoded",
        description = "Twilio's status callback fields (MessageSid, MessageStatus, ErrorCode, …)",
        example = json!({"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "delivered", "To": "+447700900123"})
    ),
    security(()),
    responses(
        (status = 200, description = "Kept"),
        (status = 403, description = "Missing or wrong signature, or Twilio is not configured", body = ErrorBody),
    )
)]
#[post("/receipts/twilio")]
pub async fn twilio_receipt(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    let token = &state.settings.sms.twilio.auth_token;
    if token.is_empty() {
        return Err(ApiError::forbidden("Twilio is not configured on this server"));
    }
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let signature = req.headers().get("X-Twilio-Signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
    let query = if req.query_string().is_empty() { String::new() } else { format!("?{}", req.query_string()) };
    let url = format!("{}{}{query}", state.settings.public_url(), req.path());
    if !receipts::twilio_signature_valid(token, &url, &params, signature) {
        return Err(ApiError::forbidden("invalid X-Twilio-Signature"));
    }
    apply(&state, receipts::parse_twilio(&params), "twilio", raw(&params)).await?;
    Ok(HttpResponse::Ok().finish())
}

/// Vonage delivery receipt.
///
/// Vonage's DLR webhook as a POST (form or JSON). When a signature secret is
/// configured, the `sig` parameter must be valid.
#[utoipa::path(
    tag = "receipts", operation_id = "vonage_receipt",
    request_body(
        content = inline(BTreeMap<String, String>), content_type = "application/x-www-form-urlencoded",
        description = "Vonage's delivery receipt fields (messageId, client-ref, status, err-code, …)",
        example = json!({"messageId": "0A0000000123ABCD1", "client-ref": "tocsin-42", "status": "delivered", "err-code": "0"})
    ),
    security(()),
    responses(
        (status = 200, description = "Kept"),
        (status = 403, description = "Missing or wrong signature", body = ErrorBody),
    )
)]
#[post("/receipts/vonage")]
pub async fn vonage_receipt(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    vonage(&state, &req, &body).await
}

/// Vonage delivery receipt (GET).
///
/// The same receipt when the Vonage account is set to call back with GET and the
/// fields in the query string.
#[utoipa::path(
    tag = "receipts", operation_id = "vonage_receipt_by_get",
    params(("messageId" = Option<String>, Query, description = "Vonage's message id; the other DLR fields likewise")),
    security(()),
    responses(
        (status = 200, description = "Kept"),
        (status = 403, description = "Missing or wrong signature", body = ErrorBody),
    )
)]
#[get("/receipts/vonage")]
pub async fn vonage_receipt_by_get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    vonage(&state, &req, &[]).await
}

async fn vonage(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, ApiError> {
    let fields = fields(req, body);
    if let Some(secret) = state.settings.sms.vonage.signature_secret.as_deref().filter(|s| !s.is_empty()) {
        if !receipts::vonage_signature_valid(secret, &fields) {
            return Err(ApiError::forbidden("invalid Vonage signature"));
        }
    }
    apply(state, receipts::parse_vonage(&fields), "vonage", raw(&fields)).await?;
    Ok(HttpResponse::Ok().finish())
}
