//! Groups: the list, a new group, and one group's members in order.

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use tocsin_client::types::{AddMember, Group, GroupUpdate, ListQuery, MoveMember, NewGroup};
use tocsin_client::Error;

use crate::components::alert::{ErrorAlert, FieldError};
use crate::components::list::{ItemList, ListPage};
use crate::components::loaded::Loaded;
use crate::components::status::{Badge, EnabledBadge};
use crate::pages::Page;
use crate::session::use_auth;

/// Groups with their members in order; a form to add one.
#[component]
pub fn Groups() -> impl IntoView {
    let auth = use_auth();
    let create = Action::new_local(move |g: &NewGroup| {
        let g = g.clone();
        async move { auth.call(|c| async move { c.create_group(&g).await }).await }
    });
    let groups = LocalResource::new(move || {
        create.version().track();
        let query = ListQuery { limit: Some(500), ..ListQuery::default() };
        async move { auth.call(|c| async move { c.list_groups(&query).await }).await }
    });
    view! {
        <ListPage page=Page::Groups>
            <Loaded render=move || async move {
                groups.await.map(|page| view! {
                    <ItemList items=page.items label="Groups" empty="No groups yet." item=|g: Group| {
                        let members = g.members.iter().map(|m| m.slug.clone()).collect::<Vec<_>>().join(" → ");
                        view! {
                            <li class="card">
                                <div class="card-head">
                                    <a class="subject" href=Page::Group(g.slug.clone()).path()>{format!("{} ({})", g.name, g.slug)}</a>
                                    <EnabledBadge enabled=g.enabled/>
                                </div>
                                <p class="meta">{if members.is_empty() { "no members".to_owned() } else { members }}</p>
                            </li>
                        }
                    }/>
                })
            }/>
            <Show when=move || auth.can_send()>
                <NewGroupForm create=create/>
            </Show>
        </ListPage>
    }
}

#[component]
fn NewGroupForm(create: Action<NewGroup, Result<Group, Error>>) -> impl IntoView {
    let slug = RwSignal::new(String::new());
    let name = RwSignal::new(String::new());
    let error = Signal::derive(move || create.value().get().and_then(Result::err));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(g)) = create.value().get() {
            navigate(&Page::Group(g.slug).path(), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        create.dispatch_local(NewGroup {
            slug: slug.get_untracked().trim().to_owned(),
            name: name.get_untracked().trim().to_owned(),
            description: None,
            enabled: None,
            schedule: None,
            members: Vec::new(),
        });
    };
    view! {
        <form class="card" on:submit=submit aria-labelledby="new-group-title">
            <h2 id="new-group-title">"New group"</h2>
            <div class="field">
                <label for="group-name">"Name"</label>
                <input id="group-name" required bind:value=name/>
                <FieldError error=error field="name"/>
            </div>
            <div class="field">
                <label for="group-slug">"Slug"</label>
                <input id="group-slug" required pattern="[A-Za-z0-9_\\-]+" bind:value=slug/>
                <FieldError error=error field="slug"/>
            </div>
            <ErrorAlert error=error/>
            <button type="submit" disabled=move || create.pending().get()>"Create group"</button>
        </form>
    }
}

/// What can be done to a group's member list.
#[derive(Debug, Clone)]
enum Change {
    Add(String),
    Remove(String),
    Move(String, i64),
    Enable(bool),
}

/// One group: its members in order, to add, remove and reorder.
#[component]
pub fn GroupPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let slug = move || params.read().get("slug").unwrap_or_default();
    let change = Action::new_local(move |change: &Change| {
        let (change, slug) = (change.clone(), slug());
        async move {
            auth.call(|c| async move {
                match change {
                    Change::Add(contact) => c.add_group_member(&slug, &AddMember { contact, position: None }).await,
                    Change::Remove(contact) => c.remove_group_member(&slug, &contact).await,
                    Change::Move(contact, position) => {
                        c.move_group_member(&slug, &contact, &MoveMember { position }).await
                    }
                    Change::Enable(on) => {
                        c.update_group(&slug, &GroupUpdate { enabled: Some(on), ..GroupUpdate::default() }).await
                    }
                }
            })
            .await
        }
    });
    let group = LocalResource::new(move || {
        change.version().track();
        let slug = slug();
        async move { auth.call(|c| async move { c.get_group(&slug).await }).await }
    });
    let contacts = LocalResource::new(move || async move {
        let query = ListQuery { limit: Some(500), ..ListQuery::default() };
        auth.call(|c| async move { c.list_contacts(&query).await }).await
    });
    let candidate = RwSignal::new(String::new());
    let error = Signal::derive(move || change.value().get().and_then(Result::err));

    view! {
        <Loaded render=move || async move {
                    let g = group.await?;
                    let all = contacts.await?;
                    let last = g.members.len().saturating_sub(1) as i64;
                    let enabled = g.enabled;
                    let others: Vec<_> = all.items.into_iter().filter(|c| !g.members.iter().any(|m| m.slug == c.slug)).collect();
                    Ok::<_, Error>(view! {
                        <div class="title-row">
                            <h1>{format!("{} ({})", g.name, g.slug)}</h1>
                            <EnabledBadge enabled=enabled/>
                        </div>
                        <Show when=move || auth.can_send()>
                            <div class="actions">
                                <button type="button" class="secondary" on:click=move |_| { change.dispatch_local(Change::Enable(!enabled)); }>
                                    {if enabled { "Disable group" } else { "Enable group" }}
                                </button>
                            </div>
                        </Show>
                        <h2>"Members, in order"</h2>
                        {if g.members.is_empty() {
                            view! { <p class="empty">"No members yet."</p> }.into_any()
                        } else {
                            view! {
                                <ol class="members" aria-label="Members">
                                    {g.members.into_iter().enumerate().map(|(i, m)| {
                                        let i = i as i64;
                                        let (up, down, remove) = (m.slug.clone(), m.slug.clone(), m.slug.clone());
                                        view! {
                                            <li>
                                                <span>{format!("{} ({})", m.name, m.slug)}</span>
                                                {(!m.enabled).then(|| view! { <Badge state="disabled".to_owned()/> })}
                                                <Show when=move || auth.can_send()>
                                                    <span class="row-actions">
                                                        <button type="button" class="secondary small" aria-label=format!("Move {} up", up)
                                                            disabled=i == 0 on:click={let up = up.clone(); move |_| { change.dispatch_local(Change::Move(up.clone(), i - 1)); }}>"↑"</button>
                                                        <button type="button" class="secondary small" aria-label=format!("Move {} down", down)
                                                            disabled=i == last on:click={let down = down.clone(); move |_| { change.dispatch_local(Change::Move(down.clone(), i + 1)); }}>"↓"</button>
                                                        <button type="button" class="secondary small" aria-label=format!("Remove {}", remove)
                                                            on:click={let remove = remove.clone(); move |_| { change.dispatch_local(Change::Remove(remove.clone())); }}>"Remove"</button>
                                                    </span>
                                                </Show>
                                            </li>
                                        }
                                    }).collect_view()}
                                </ol>
                            }.into_any()
                        }}
                        <Show when=move || auth.can_send()>
                            <form class="inline" on:submit=move |ev: leptos::ev::SubmitEvent| {
                                ev.prevent_default();
                                let c = candidate.get_untracked();
                                if !c.is_empty() { change.dispatch_local(Change::Add(c)); }
                            }>
                                <div class="field">
                                    <label for="group-add">"Add a member"</label>
                                    <select id="group-add" on:change=move |ev| candidate.set(event_target_value(&ev))>
                                        <option value="">"Choose a contact…"</option>
                                        {others.iter().map(|c| view! { <option value=c.slug.clone()>{format!("{} ({})", c.name, c.slug)}</option> }).collect_view()}
                                    </select>
                                </div>
                                <button type="submit">"Add member"</button>
                            </form>
                        </Show>
                    })
        }/>
        <ErrorAlert error=error/>
        <p><a href=Page::Groups.path()>"All groups"</a></p>
    }
}
