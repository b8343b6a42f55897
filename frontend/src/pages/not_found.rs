//! What an address that is no page of the app shows.

use leptos::prelude::*;

use super::Page;

/// Any path the app does not know.
#[component]
pub fn NotFound() -> impl IntoView {
    view! {
        <section>
            <h1>"Nothing here"</h1>
            <p>"This address is not a page of Tocsin. " <a href=Page::Feed.path()>"Go to the live feed"</a> "."</p>
        </section>
    }
}
