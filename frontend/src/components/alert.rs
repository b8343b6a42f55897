use leptos::prelude::*;
use tocsin_client::Error;

use crate::session::{describe, field_of};

/// The server's message for a failed call, announced to screen readers.
#[component]
pub fn ErrorAlert(#[prop(into)] error: Signal<Option<Error>>) -> impl IntoView {
    move || error.get().map(|e| view! { <p class="error" role="alert">{describe(&e)}</p> })
}

/// What a `<ErrorBoundary>` shows: every error it caught.
pub fn error_list(errors: ArcRwSignal<leptos::error::Errors>) -> impl IntoView {
    view! {
        <div class="error" role="alert">
            <p>"Could not load this:"</p>
            <ul>
                {move || errors.get().into_iter().map(|(_, e)| view! { <li>{e.to_string()}</li> }).collect_view()}
            </ul>
        </div>
    }
}

/// What a `<Transition>` shows before the first answer.
pub fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
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
