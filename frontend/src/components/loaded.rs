//! What every page shows while its data loads and when loading fails, so the
//! pages only say what to draw once it is there.

use std::future::Future;

use leptos::prelude::*;
use tocsin_client::Error;

/// Draws what `render` resolves to. Before the first answer it shows
/// "Loading…"; while a later load runs (a refresh, a change) the previous view
/// stays on screen instead of flashing; an error shows the server's message.
///
/// `render` awaits the page's resources and builds the view from them, e.g.
/// `render=move || async move { groups.await.map(|page| view! { … }) }`.
#[component]
pub fn Loaded<F, Fut, V>(render: F) -> impl IntoView
where
    F: Fn() -> Fut + Send + Sync + 'static,
    Fut: Future<Output = Result<V, Error>> + Send + 'static,
    V: IntoView + 'static,
{
    view! {
        <Transition fallback=loading>
            <ErrorBoundary fallback=error_list>
                {move || Suspend::new(render())}
            </ErrorBoundary>
        </Transition>
    }
}

/// What a `<ErrorBoundary>` shows: every error it caught.
fn error_list(errors: ArcRwSignal<leptos::error::Errors>) -> impl IntoView {
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
fn loading() -> impl IntoView {
    view! { <p class="loading" role="status">"Loading…"</p> }
}
