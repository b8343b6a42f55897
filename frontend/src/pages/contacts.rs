//! Contacts: the list with each contact's channels and a switch per channel,
//! a new contact, and one contact with a form to add a channel.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use tocsin_client::types::{Contact, ContactUpdate, Destination, FireResponse, ListQuery, NewContact, NewDestination};
use tocsin_client::Error;

use crate::components::alert::{ErrorAlert, FieldError};
use crate::components::list::{ItemList, ListPage};
use crate::components::loaded::Loaded;
use crate::components::schema_form::{fields, settings, SchemaFields};
use crate::components::status::{Badge, EnabledBadge};
use crate::pages::Page;
use crate::session::use_auth;

/// Contacts, each with its channels and a switch per channel; a form to add one.
#[component]
pub fn Contacts() -> impl IntoView {
    let auth = use_auth();
    let search = RwSignal::new(String::new());
    let create = Action::new_local(move |c: &NewContact| {
        let c = c.clone();
        async move { auth.call(|client| async move { client.create_contact(&c).await }).await }
    });
    let channels = ChannelActions::for_page();
    let contacts = LocalResource::new(move || {
        create.version().track();
        channels.toggle.version().track();
        let query =
            ListQuery { limit: Some(500), q: Some(search.get()).filter(|q| !q.is_empty()), ..ListQuery::default() };
        async move { auth.call(|c| async move { c.list_contacts(&query).await }).await }
    });

    view! {
        <ListPage page=Page::Contacts>
            <div class="field">
                <label for="contact-search">"Search contacts"</label>
                <input id="contact-search" type="search" on:input=move |ev| search.set(event_target_value(&ev))/>
            </div>
            <Loaded render=move || async move {
                contacts.await.map(|page| view! {
                    <ItemList items=page.items label="Contacts" empty="No contacts yet: add the first one below."
                        item=move |c: Contact| view! { <ContactCard contact=c channels=channels/> }/>
                })
            }/>
            <ErrorAlert error=Signal::derive(move || channels.error())/>
            <Show when=move || auth.can_send()>
                <NewContactForm create=create/>
            </Show>
        </ListPage>
    }
}

/// What can be done to a channel from a page: turn it on or off
/// (`(destination id, enabled)`), or send it a test message. Made once per page,
/// not per channel, so that a list reloading under a pending test does not drop
/// its answer.
#[derive(Clone, Copy)]
pub struct ChannelActions {
    pub toggle: Action<(i64, bool), Result<Destination, Error>>,
    pub test: Action<i64, Result<FireResponse, Error>>,
}

impl ChannelActions {
    /// The actions, and the move to a test's notification page once it is sent,
    /// where its delivery can be followed.
    pub fn for_page() -> Self {
        let auth = use_auth();
        let toggle = Action::new_local(move |(id, on): &(i64, bool)| {
            let (id, on) = (*id, *on);
            async move {
                auth.call(|c| async move {
                    if on {
                        c.enable_destination(id).await
                    } else {
                        c.disable_destination(id).await
                    }
                })
                .await
            }
        });
        let test = Action::new_local(move |id: &i64| {
            let id = *id;
            async move { auth.call(|c| async move { c.test_destination(id).await }).await }
        });
        let navigate = use_navigate();
        Effect::new(move |_| {
            if let Some(Ok(sent)) = test.value().get() {
                navigate(&Page::Notification(sent.notification_id).path(), Default::default());
            }
        });
        Self { toggle, test }
    }

    /// The last refusal of either.
    pub fn error(self) -> Option<Error> {
        self.toggle.value().get().and_then(Result::err).or_else(|| self.test.value().get().and_then(Result::err))
    }
}

#[component]
fn ContactCard(contact: Contact, channels: ChannelActions) -> impl IntoView {
    let href = Page::Contact(contact.slug.clone()).path();
    let state = if contact.enabled { "enabled" } else { "disabled" };
    view! {
        <li class="card" aria-label=format!("Contact {}", contact.slug)>
            <div class="card-head">
                <a href=href class="subject">{format!("{} ({})", contact.name, contact.slug)}</a>
                <Badge state=state.to_owned()/>
            </div>
            <Channels destinations=contact.destinations actions=channels/>
        </li>
    }
}

/// A contact's channels, each with a one-click switch and a test message.
#[component]
pub fn Channels(destinations: Vec<Destination>, actions: ChannelActions) -> impl IntoView {
    let auth = use_auth();
    if destinations.is_empty() {
        return view! { <p class="muted">"No channel: this contact cannot be reached."</p> }.into_any();
    }
    let ChannelActions { toggle, test } = actions;
    view! {
        <ul class="channels" aria-label="Channels">
            {destinations.into_iter().map(|d| {
                let (id, on) = (d.id, d.enabled);
                let what = format!("{} {}", d.medium, d.address);
                let label = if on { format!("Disable {what}") } else { format!("Enable {what}") };
                let test_label = format!("Send a test to {what}");
                view! {
                    <li class=if on { "channel on" } else { "channel off" }>
                        <span class="medium">{d.medium.clone()}</span>
                        <span class="address">{d.address.clone()}</span>
                        {(!d.label.is_empty()).then(|| view! { <span class="muted">{d.label.clone()}</span> })}
                        <EnabledBadge enabled=on/>
                        <Show when=move || auth.can_send()>
                            <button type="button" class="secondary small" aria-label=label.clone()
                                disabled=move || toggle.pending().get()
                                on:click=move |_| { toggle.dispatch_local((id, !on)); }>
                                {if on { "Disable" } else { "Enable" }}
                            </button>
                            <button type="button" class="secondary small" aria-label=test_label.clone()
                                disabled=move || test.pending().get()
                                on:click=move |_| { test.dispatch_local(id); }>
                                "Test"
                            </button>
                        </Show>
                    </li>
                }
            }).collect_view()}
        </ul>
    }
    .into_any()
}

#[component]
fn NewContactForm(create: Action<NewContact, Result<Contact, Error>>) -> impl IntoView {
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let timezone = RwSignal::new("UTC".to_owned());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(c)) = create.value().get() {
            navigate(&Page::Contact(c.slug).path(), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch_local(NewContact {
            slug: slug.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            enabled: None,
            timezone: Some(timezone.get_untracked().trim().to_owned()).filter(|t| !t.is_empty()),
            availability: None,
            operator: None,
            schedule: None,
        });
    };
    view! {
        <form class="card" on:submit=submit aria-labelledby="new-contact-title">
            <h2 id="new-contact-title">"New contact"</h2>
            <div class="field">
                <label for="contact-name">"Name"</label>
                <input id="contact-name" required bind:value=name/>
                <FieldError error=error field="name"/>
            </div>
            <div class="field">
                <label for="contact-slug">"Slug"</label>
                <input id="contact-slug" required pattern="[A-Za-z0-9_\\-]+" aria-describedby="contact-slug-help" bind:value=slug/>
                <small id="contact-slug-help">"Letters, digits, - and _; how scripts and RedFlash callers name the contact."</small>
                <FieldError error=error field="slug"/>
            </div>
            <div class="field">
                <label for="contact-timezone">"Time zone"</label>
                <input id="contact-timezone" bind:value=timezone/>
                <FieldError error=error field="timezone"/>
            </div>
            <ErrorAlert error=error/>
            <button type="submit" disabled=move || create.pending().get()>"Create contact"</button>
        </form>
    }
}

/// One contact: enable or disable it, its channels, add a channel.
#[component]
pub fn ContactPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let channels = ChannelActions::for_page();
    let update = Action::new_local(move |(slug, u): &(String, ContactUpdate)| {
        let (slug, u) = (slug.clone(), u.clone());
        async move { auth.call(|c| async move { c.update_contact(&slug, &u).await }).await }
    });
    let add = Action::new_local(move |(slug, d): &(String, NewDestination)| {
        let (slug, d) = (slug.clone(), d.clone());
        async move { auth.call(|c| async move { c.create_destination(&slug, &d).await }).await }
    });
    let contact = LocalResource::new(move || {
        channels.toggle.version().track();
        update.version().track();
        add.version().track();
        let slug = slug();
        async move { auth.call(|c| async move { c.get_contact(&slug).await }).await }
    });
    let errors = Signal::derive(move || channels.error().or_else(|| update.value().get().and_then(Result::err)));

    view! {
        <Loaded render=move || async move {
                    contact.await.map(|c| {
                        let (slug, enabled) = (c.slug.clone(), c.enabled);
                        view! {
                            <div class="title-row">
                                <h1>{format!("{} ({})", c.name, c.slug)}</h1>
                                <EnabledBadge enabled=enabled/>
                            </div>
                            <p class="meta">
                                <span>{format!("time zone {}", c.timezone)}</span>
                                {c.operator.clone().map(|o| view! { <span>{format!("operator {o}")}</span> })}
                            </p>
                            <Show when=move || auth.can_send()>
                                <div class="actions">
                                    <button type="button" class="secondary" on:click={
                                        let slug = slug.clone();
                                        move |_| { update.dispatch_local((slug.clone(), ContactUpdate { enabled: Some(!enabled), ..ContactUpdate::default() })); }
                                    }>{if enabled { "Disable contact" } else { "Enable contact" }}</button>
                                </div>
                            </Show>
                            <h2>"Channels"</h2>
                            <Channels destinations=c.destinations.clone() actions=channels/>
                        }
                    })
        }/>
        <ErrorAlert error=errors/>
        // Outside the contact's view, which reloads after every change: what
        // is typed here survives a refused submission.
        <Show when=move || auth.can_send()>
            <NewDestinationForm contact=Signal::derive(slug) add=add/>
        </Show>
        <p><a href=Page::Contacts.path()>"All contacts"</a></p>
    }
}

#[component]
fn NewDestinationForm(
    contact: Signal<String>,
    add: Action<(String, NewDestination), Result<Destination, Error>>,
) -> impl IntoView {
    let auth = use_auth();
    let media = LocalResource::new(move || async move { auth.call(|c| async move { c.list_media().await }).await });
    let medium = RwSignal::new(String::new());
    let label = RwSignal::new(String::new());
    let values = RwSignal::new(BTreeMap::<String, String>::new());
    let error = Signal::derive(move || add.value().get().and_then(Result::err));
    Effect::new(move |_| {
        if let Some(Ok(_)) = add.value().get() {
            values.set(BTreeMap::new());
            label.set(String::new());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        add.dispatch_local((
            contact.get_untracked(),
            NewDestination {
                medium: medium.get_untracked(),
                label: Some(label.get_untracked()).filter(|l| !l.trim().is_empty()),
                settings: settings(&values.get_untracked()),
                enabled: None,
            },
        ));
    };
    view! {
        <form class="card" on:submit=submit aria-labelledby="new-destination-title">
            <h2 id="new-destination-title">"Add a channel"</h2>
            <Loaded render=move || async move {
                        media.await.map(|media| {
                            let schemas: Vec<_> = media.iter().map(|m| (m.name.clone(), fields(&m.settings_schema))).collect();
                            view! {
                                <div class="field">
                                    <label for="destination-medium">"Medium"</label>
                                    <select id="destination-medium" required on:change=move |ev| {
                                        values.set(BTreeMap::new());
                                        medium.set(event_target_value(&ev));
                                    }>
                                        <option value="" selected=move || medium.get().is_empty()>"Choose a medium…"</option>
                                        {media.into_iter().map(|m| {
                                            let name = m.name.clone();
                                            view! { <option value=m.name.clone() title=m.description.clone() selected=move || medium.get() == name>{m.label.clone()}</option> }
                                        }).collect_view()}
                                    </select>
                                    <FieldError error=error field="medium"/>
                                </div>
                                {move || {
                                    let chosen = medium.get();
                                    schemas.iter().find(|(name, _)| *name == chosen).map(|(_, f)| view! {
                                        <SchemaFields fields=f.clone() values=values error=error prefix="destination"/>
                                    })
                                }}
                            }
                        })
            }/>
            <div class="field">
                <label for="destination-label">"Label (optional)"</label>
                <input id="destination-label" bind:value=label/>
            </div>
            <ErrorAlert error=error/>
            <button type="submit" disabled=move || medium.get().is_empty() || add.pending().get()>"Add channel"</button>
        </form>
    }
}
