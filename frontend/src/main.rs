//! Tocsin's web app for operators: Leptos, rendered in the browser.
//!
//! It talks to the server only through `tocsin-client` and only with the
//! shapes of `tocsin-types`. [`route::Page`] owns the addresses; `pages/` holds
//! one module per page and `components/` the pieces they share. Reads go
//! through `LocalResource` inside `<Transition>`/`<ErrorBoundary>`, writes
//! through `Action`.
//!
//! The app only exists on `wasm32`: built natively (as the workspace's lints
//! and tests do) this is an empty program. `scripts/build-web` builds it.

#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod components;
#[cfg(target_arch = "wasm32")]
mod pages;
// Plain Rust: built on the host too, for its tests.
#[cfg_attr(not(target_arch = "wasm32"), allow(dead_code))]
mod route;
#[cfg(target_arch = "wasm32")]
mod session;

#[cfg(target_arch = "wasm32")]
fn main() {
    console_error_panic_hook::set_once();
    leptos::mount::mount_to_body(app::App);
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("tocsin-web runs in a browser: build it with ./scripts/build-web, and tocsin serve serves it");
}
