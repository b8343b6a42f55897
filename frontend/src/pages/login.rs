//! The login form: an operator's username and password for a session.

use leptos::prelude::*;
use tocsin_client::types::LoginRequest;
use tocsin_client::Error;

use crate::components::alert::ErrorAlert;
use crate::session::{anonymous_client, use_auth};

/// The login form, shown in place of any page while nobody is logged in; the
/// page asked for opens once they are.
#[component]
pub fn Login() -> impl IntoView {
    let auth = use_auth();
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let log_in = Action::new_local(move |login: &LoginRequest| {
        let login = login.clone();
        async move {
            let session = anonymous_client()?.create_session(&login).await?;
            auth.log_in(session);
            Ok::<(), Error>(())
        }
    });
    let error = move || log_in.value().get().and_then(Result::err);
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        log_in.dispatch_local(LoginRequest { username: username.get_untracked(), password: password.get_untracked() });
    };

    view! {
        <main id="main" class="login">
            <h1>"Tocsin"</h1>
            <form on:submit=submit aria-labelledby="login-title">
                <h2 id="login-title">"Log in"</h2>
                {move || auth.notice().map(|n| view! { <p class="notice" role="status">{n}</p> })}
                <label for="username">"Username"</label>
                <input id="username" name="username" autocomplete="username" required bind:value=username/>
                <label for="password">"Password"</label>
                <input id="password" name="password" type="password" autocomplete="current-password" required bind:value=password/>
                <ErrorAlert error=Signal::derive(error)/>
                <button type="submit" disabled=move || log_in.pending().get()>
                    {move || if log_in.pending().get() { "Logging in…" } else { "Log in" }}
                </button>
            </form>
        </main>
    }
}
