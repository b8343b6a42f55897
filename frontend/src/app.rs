//! The frame of the app: the session, the navigation and the routes.

use leptos::prelude::*;
use leptos_router::components::{Route, Router, Routes, A};

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
                        <Route path=Page::FEED view=Feed/>
                        <Route path=Page::NOTIFICATION view=NotificationPage/>
                        <Route path=Page::FIRE view=Fire/>
                        <Route path=Page::CONTACTS view=Contacts/>
                        <Route path=Page::CONTACT view=ContactPage/>
                        <Route path=Page::GROUPS view=Groups/>
                        <Route path=Page::GROUP view=GroupPage/>
                        <Route path=Page::EVENTS view=Events/>
                        <Route path=Page::NEW_EVENT view=NewEventPage/>
                        <Route path=Page::EVENT view=EventPage/>
                        <Route path=Page::API_KEYS view=ApiKeys/>
                        <Route path=Page::OPERATORS view=Operators/>
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
