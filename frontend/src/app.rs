//! The frame of the app: the session, the navigation and the routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};
use leptos_router::path;

use crate::pages::admin::{ApiKeys, Operators};
use crate::pages::contacts::{ContactPage, Contacts};
use crate::pages::events::{EventPage, Events, NewEventPage};
use crate::pages::feed::Feed;
use crate::pages::fire::Fire;
use crate::pages::groups::{GroupPage, Groups};
use crate::pages::login::Login;
use crate::pages::not_found::NotFound;
use crate::pages::notification::NotificationPage;
use crate::pages::Page;
use crate::session::{role_name, Auth};

#[component]
pub fn App() -> impl IntoView {
    let auth = Auth::restore();
    provide_context(auth);
    // Keep the role in step with the server: it may have changed since login,
    // and a session that is no longer valid ends here rather than on the
    // first click.
    Effect::new(move |_| {
        if auth.operator().is_some() {
            leptos::task::spawn_local(async move {
                if let Ok(me) = auth.call(|c| async move { c.get_me().await }).await {
                    if let Some(role) = me.role {
                        auth.set_role(role);
                    }
                }
            });
        }
    });

    view! {
        <Router>
            <Show when=move || auth.operator().is_some() fallback=Login>
                <Header/>
                <main id="main">
                    <Routes fallback=NotFound>
                        <Route path=path!("/") view=Feed/>
                        <Route path=path!("/notifications/:id") view=NotificationPage/>
                        <Route path=path!("/fire") view=Fire/>
                        <Route path=path!("/directory/contacts") view=Contacts/>
                        <Route path=path!("/directory/contacts/:slug") view=ContactPage/>
                        <Route path=path!("/directory/groups") view=Groups/>
                        <Route path=path!("/directory/groups/:slug") view=GroupPage/>
                        <Route path=path!("/directory/events") view=Events/>
                        <Route path=path!("/directory/new-event") view=NewEventPage/>
                        <Route path=path!("/directory/events/:slug") view=EventPage/>
                        <Route path=path!("/admin/api-keys") view=ApiKeys/>
                        <Route path=path!("/admin/operators") view=Operators/>
                    </Routes>
                </main>
            </Show>
        </Router>
    }
}

#[component]
fn Header() -> impl IntoView {
    let auth = crate::session::use_auth();
    let who = move || auth.operator().map(|o| format!("{} ({})", o.username, role_name(o.role)));
    view! {
        <a class="skip" href="#main">"Skip to content"</a>
        <header class="top">
            <span class="brand">"Tocsin"</span>
            <nav aria-label="Main">
                <A href=Page::Feed.path() exact=true>{Page::Feed.title()}</A>
                <Show when=move || auth.can_send()>
                    <A href=Page::Fire(None).path()>{Page::Fire(None).title()}</A>
                </Show>
                <A href=Page::Contacts.path()>{Page::Contacts.title()}</A>
                <A href=Page::Groups.path()>{Page::Groups.title()}</A>
                <A href=Page::Events.path()>{Page::Events.title()}</A>
                <Show when=move || auth.is_admin()>
                    <A href=Page::ApiKeys.path()>{Page::ApiKeys.title()}</A>
                    <A href=Page::Operators.path()>{Page::Operators.title()}</A>
                </Show>
            </nav>
            <span class="who">{who}</span>
            <button type="button" class="secondary" on:click=move |_| auth.log_out(None)>"Log out"</button>
        </header>
    }
}
