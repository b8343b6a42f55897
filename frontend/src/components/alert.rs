//! How a refused call is shown: next to its field, or as an alert.

use leptos::prelude::*;
use tocsin_client::Error;

use crate::session::{describe, field_of};

/// The server's message for a failed call, announced to screen readers.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<Error>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="error" role="alert">{describe(&e)}</p> })
}

/// The server's message when it is about `field`, next to that field.
#[component]
pub fn FieldError(error: Signal<Option<Error>>, #[prop(into)] field: String) -> impl IntoView {
    move || {
        error
            .get()
            .filter(|e| field_of(e).as_deref() == Some(field.as_str()))
            .map(|e| view! { <p class="field-error" role="alert">{describe(&e)}</p> })
    }
}
