//! Provider callbacks: delivery receipts and inbound SMS. They come without our
//! credentials, from anyone who can reach the server, so each is checked
//! before it may touch anything:
//!
//! - where the provider signs (Twilio always; Vonage when
//!   `sms.vonage.signature_secret` is set), the signature must verify, on
//!   every route that takes that provider's receipts (`/ack/` included);
//! - our reference (`tocsin-<id>-<tag>`) must carry a valid tag;
//! - the delivery must be an SMS sent through the provider the receipt comes
//!   from (`store/receipts.rs`).
//!
//! Whatever fails is kept raw, marked, and changes nothing; and what fails (or
//! matches nothing) is rate-limited per source (`callback_limit.rs`), beyond
//! which it is not even kept. Bodies over 8 KiB are refused with 413.
//! `/ack/` and `/inbound/` otherwise answer as RedFlash did: `200 OK`, also
//! for a receipt that matches nothing or cannot be read.

use std::collections::BTreeMap;
use std::net::IpAddr;

use actix_web::http::header::CONTENT_TYPE;
use actix_web::web::{Bytes, Data};
use actix_web::{get, post, HttpRequest, HttpResponse};
use tocsin_types::ErrorBody;

use crate::domain::lifecycle::{CallbackKind, CallbackOutcome};
use secrecy::ExposeSecret;

use crate::delivery::channels::sms::{self, twilio, vonage};
use crate::domain::receipts::{self, Receipt, ReceiptMatch, ReceiptTarget};
use crate::store::receipts::{self as stored, Applied};

use super::client_addr::client_ip;
use super::error::{ApiError, ErrorKind};
use super::state::AppState;

/// Largest callback body: a receipt is a few hundred bytes, an inbound SMS a
/// few kilobytes at most; no gateway sends more.
pub const MAX_CALLBACK_BODY: usize = 8 * 1024;

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

/// Where a callback came from, for the rate limit.
fn source(state: &AppState, req: &HttpRequest) -> IpAddr {
    client_ip(req, state).unwrap_or(IpAddr::from([0, 0, 0, 0]))
}

/// What checking a callback found, before anything is written.
enum Checked {
    /// Authenticated by a signature or a verified reference: applied, never limited.
    Verified(Receipt, ReceiptTarget),
    /// Only the provider's message id says which delivery: applied if it
    /// matches one, limited if it does not.
    ByProviderId(Receipt, ReceiptTarget),
    /// Fails a check, or cannot be read: kept (within the limit) as it came.
    Rejected(CallbackOutcome, Option<Receipt>),
}

/// Checks a parsed receipt: `signed` is `Some(valid)` where the provider signs.
fn check(state: &AppState, receipt: Option<Receipt>, signed: Option<bool>) -> Checked {
    let Some(receipt) = receipt else { return Checked::Rejected(CallbackOutcome::Unmatched, None) };
    if signed == Some(false) {
        return Checked::Rejected(CallbackOutcome::Unverified, Some(receipt));
    }
    match receipt.target(&state.keyring) {
        None => Checked::Rejected(CallbackOutcome::Unverified, Some(receipt)),
        Some(target) => {
            let by_reference = matches!(receipt.matches, ReceiptMatch::Reference(_));
            if signed == Some(true) || by_reference {
                Checked::Verified(receipt, target)
            } else {
                Checked::ByProviderId(receipt, target)
            }
        }
    }
}

/// What became of a callback, for the answer.
#[derive(Debug, PartialEq, Eq)]
enum Handled {
    /// Kept (and applied where it could be).
    Kept,
    /// Over the source's limit: not kept.
    Limited,
}

/// Applies or keeps a checked receipt.
async fn handle(
    state: &AppState,
    req: &HttpRequest,
    checked: Checked,
    provider: &'static str,
    raw: String,
) -> Result<Handled, ApiError> {
    let (verified, receipt, target) = match checked {
        Checked::Verified(receipt, target) => (true, receipt, target),
        Checked::ByProviderId(receipt, target) => (false, receipt, target),
        Checked::Rejected(outcome, receipt) => {
            return keep_limited(state, req, CallbackKind::Receipt, provider, raw, outcome, receipt).await;
        }
    };
    // The receipt and its raw text come back from the write: a broadcast's
    // thousands of receipts are not copied on the way.
    let (applied, receipt, raw) =
        state.store.write(move |c| Ok((stored::apply(c, &receipt, &target, &raw)?, receipt, raw))).await?;
    let outcome = match applied {
        Applied::Matched(_) | Applied::Waiting(_) => return Ok(Handled::Kept),
        // A provider id nobody recorded yet may be the answer of a send still
        // being recorded: kept to be applied once it is.
        Applied::Unknown if matches!(receipt.matches, ReceiptMatch::ProviderId(_)) => CallbackOutcome::Waiting,
        Applied::Unknown | Applied::Unmatched => CallbackOutcome::Unmatched,
    };
    if verified {
        state
            .store
            .write(move |c| stored::keep(c, CallbackKind::Receipt, provider, &raw, outcome, Some(&receipt)))
            .await?;
        return Ok(Handled::Kept);
    }
    keep_limited(state, req, CallbackKind::Receipt, provider, raw, outcome, Some(receipt)).await
}

/// Keeps an unverified or unmatched callback, if its source has not spent its
/// allowance; it never changes anything either way.
async fn keep_limited(
    state: &AppState,
    req: &HttpRequest,
    kind: CallbackKind,
    provider: &'static str,
    raw: String,
    outcome: CallbackOutcome,
    receipt: Option<Receipt>,
) -> Result<Handled, ApiError> {
    if !state.callback_limiter.allow(source(state, req)) {
        tracing::debug!(provider, %outcome, "callback over its source's limit; not kept");
        return Ok(Handled::Limited);
    }
    tracing::info!(provider, %outcome, "provider callback kept without effect");
    state.store.write(move |c| stored::keep(c, kind, provider, &raw, outcome, receipt.as_ref())).await?;
    Ok(Handled::Kept)
}

fn too_large(body: &[u8]) -> bool {
    body.len() > MAX_CALLBACK_BODY
}

/// What `/ack/` and `/inbound/` answer.
fn legacy_answer(outcome: Result<Handled, ApiError>) -> HttpResponse {
    match outcome {
        Ok(_) => HttpResponse::Ok().content_type("text/plain").body("OK"),
        // Storage is down: make the gateway try again rather than lose the receipt.
        Err(_) => HttpResponse::ServiceUnavailable().content_type("text/plain").body("RETRY"),
    }
}

fn payload_too_large() -> HttpResponse {
    HttpResponse::PayloadTooLarge().content_type("text/plain").body("callback body over 8 KiB")
}

/// Whether a Vonage receipt's signature verifies, when a secret is configured.
fn vonage_signed(state: &AppState, fields: &BTreeMap<String, String>) -> Option<bool> {
    let secret = state
        .settings
        .sms
        .vonage
        .signature_secret
        .as_ref()
        .map(ExposeSecret::expose_secret)
        .filter(|s| !s.is_empty())?;
    Some(vonage::signature_valid(secret, fields))
}

/// RedFlash's `/ack/`: Vonage (Nexmo) and Clickatell receipts, any method.
pub async fn legacy_ack(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    if too_large(&body) {
        return payload_too_large();
    }
    let fields = fields(&req, &body);
    let receipt = sms::parse_ack(&fields);
    let provider = receipt.as_ref().map_or("unknown", |r| r.provider);
    let signed = if provider == "vonage" { vonage_signed(&state, &fields) } else { None };
    let checked = check(&state, receipt, signed);
    legacy_answer(handle(&state, &req, checked, provider, raw(&fields)).await)
}

/// RedFlash's `/inbound/`: an SMS sent to us; kept (within the source's
/// limit: nothing authenticates it yet), and answered `OK`.
pub async fn legacy_inbound(state: Data<AppState>, req: HttpRequest, body: Bytes) -> HttpResponse {
    if too_large(&body) {
        return payload_too_large();
    }
    let raw = raw(&fields(&req, &body));
    let outcome = keep_limited(&state, &req, CallbackKind::Inbound, "sms", raw, CallbackOutcome::Kept, None).await;
    legacy_answer(outcome)
}

/// The answer of `/api/v1/receipts/*` for a callback that was handled.
fn api_answer(handled: Handled, refusal: Option<ApiError>) -> Result<HttpResponse, ApiError> {
    match (handled, refusal) {
        (Handled::Limited, _) => {
            let mut err = ApiError::new(ErrorKind::RateLimited, "too many unverified callbacks from this address");
            err.retry_after = Some(60);
            Err(err)
        }
        (Handled::Kept, Some(refusal)) => Err(refusal),
        (Handled::Kept, None) => Ok(HttpResponse::Ok().finish()),
    }
}

fn api_too_large() -> ApiError {
    ApiError::new(ErrorKind::PayloadTooLarge, format!("callback bodies are limited to {MAX_CALLBACK_BODY} bytes"))
}

/// Twilio status callback.
///
/// Twilio posts here (the `StatusCallback` of each message, with Tocsin's
/// reference in `ref`) as the message moves on. Authenticated by
/// `X-Twilio-Signature` with the account's auth token; a wrong signature
/// changes nothing.
#[utoipa::path(
    tag = "receipts", operation_id = "twilio_receipt",
    params(("ref" = Option<String>, Query, description = "Tocsin's reference of the delivery, as put in the callback URL")),
    request_body(
        content = inline(BTreeMap<String, String>), content_type = "application/x-www-form-urlencoded",
        description = "Twilio's status callback fields (MessageSid, MessageStatus, ErrorCode, …)",
        example = json!({"MessageSid": "SM0123456789abcdef0123456789abcdef", "MessageStatus": "delivered", "To": "+447700900123"})
    ),
    security(()),
    responses(
        (status = 200, description = "Kept"),
        (status = 403, description = "Missing or wrong signature, or Twilio is not configured", body = ErrorBody),
        (status = 413, description = "Body over 8 KiB", body = ErrorBody),
        (status = 429, description = "Too many unverified callbacks from this address", body = ErrorBody),
    )
)]
#[post("/receipts/twilio")]
pub async fn twilio_receipt(state: Data<AppState>, req: HttpRequest, body: Bytes) -> Result<HttpResponse, ApiError> {
    if too_large(&body) {
        return Err(api_too_large());
    }
    let params: BTreeMap<String, String> = url::form_urlencoded::parse(&body).into_owned().collect();
    let token = state.settings.sms.twilio.auth_token.expose_secret();
    let (signed, refusal) = if token.is_empty() {
        (false, ApiError::forbidden("Twilio is not configured on this server"))
    } else {
        let signature = req.headers().get("X-Twilio-Signature").and_then(|v| v.to_str().ok()).unwrap_or_default();
        let valid = twilio::signature_valid(token, &request_url(&state, &req), &params, signature);
        (valid, ApiError::forbidden("invalid X-Twilio-Signature"))
    };
    let query: BTreeMap<String, String> =
        url::form_urlencoded::parse(req.query_string().as_bytes()).into_owned().collect();
    let receipt = twilio::parse_receipt(&params, query.get("ref").map(String::as_str));
    let checked = check(&state, receipt, Some(signed));
    let handled = handle(&state, &req, checked, "twilio", raw(&params)).await?;
    api_answer(handled, (!signed).then_some(refusal))
}

/// The URL Twilio requested, as Twilio signed it: the public URL when set
/// (a proxy may rewrite the host), else what the request says.
fn request_url(state: &AppState, req: &HttpRequest) -> String {
    let query = if req.query_string().is_empty() { String::new() } else { format!("?{}", req.query_string()) };
    let base = state.settings.public_url().unwrap_or_else(|| {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    });
    format!("{base}{}{query}", req.path())
}

/// Vonage delivery receipt.
///
/// Vonage's DLR webhook as a POST (form or JSON). When a signature secret is
/// configured, the `sig` parameter must be valid; otherwise the receipt
/// changes nothing.
#[utoipa::path(
    tag = "receipts", operation_id = "vonage_receipt",
    request_body(
        content = inline(BTreeMap<String, String>), content_type = "application/x-www-form-urlencoded",
        description = "Vonage's delivery receipt fields (messageId, client-ref, status, err-code, …)",
        example = json!({"messageId": "0A0000000123ABCD1", "client-ref": "tocsin-42-b5kq2x7m3n4pa", "status": "delivered", "err-code": "0"})
    ),
    security(()),
    responses(
        (status = 200, description = "Kept"),
        (status = 403, description = "Missing or wrong signature", body = ErrorBody),
        (status = 413, description = "Body over 8 KiB", body = ErrorBody),
        (status = 429, description = "Too many unverified callbacks from this address", body = ErrorBody),
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
        (status = 429, description = "Too many unverified callbacks from this address", body = ErrorBody),
    )
)]
#[get("/receipts/vonage")]
pub async fn vonage_receipt_by_get(state: Data<AppState>, req: HttpRequest) -> Result<HttpResponse, ApiError> {
    vonage(&state, &req, &[]).await
}

async fn vonage(state: &AppState, req: &HttpRequest, body: &[u8]) -> Result<HttpResponse, ApiError> {
    if too_large(body) {
        return Err(api_too_large());
    }
    let fields = fields(req, body);
    let signed = vonage_signed(state, &fields);
    let checked = check(state, vonage::parse_receipt(&fields), signed);
    let handled = handle(state, req, checked, "vonage", raw(&fields)).await?;
    api_answer(handled, (signed == Some(false)).then(|| ApiError::forbidden("invalid Vonage signature")))
}
