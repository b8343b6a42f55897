//! The live feed: notifications as they happen, newest first, filtered by
//! state and event, refreshed every two seconds.

use std::collections::BTreeMap;
use std::time::Duration;

use leptos::prelude::*;
use tocsin_client::types::{ListQuery, Notification, NotificationQuery};

use crate::components::list::{ItemList, ListPage};
use crate::components::loaded::Loaded;
use crate::components::status::{Badge, Counts};
use crate::components::time::when;
use crate::pages::Page;
use crate::session::use_auth;

/// How often the feed asks for news.
pub const REFRESH: Duration = Duration::from_secs(2);

/// A signal that changes every `period` while the page is shown: resources
/// that read it refetch on each change.
pub fn ticker(period: Duration) -> ReadSignal<u64> {
    let (tick, set_tick) = signal(0u64);
    if let Ok(handle) = set_interval_with_handle(move || set_tick.update(|t| *t += 1), period) {
        on_cleanup(move || handle.clear());
    }
    tick
}

/// Notifications as they happen, newest first, refreshed every two seconds.
#[component]
pub fn Feed() -> impl IntoView {
    let auth = use_auth();
    let state = RwSignal::new(String::new());
    let event = RwSignal::new(String::new());
    let tick = ticker(REFRESH);
    let events = LocalResource::new(move || async move {
        let query = ListQuery { limit: Some(500), ..ListQuery::default() };
        auth.call(|c| async move { c.list_events(&query).await }).await
    });
    let notifications = LocalResource::new(move || {
        tick.track();
        let query = NotificationQuery {
            limit: Some(100),
            state: Some(state.get()).filter(|s| !s.is_empty()),
            event: Some(event.get()).filter(|s| !s.is_empty()),
            ..NotificationQuery::default()
        };
        async move { auth.call(|c| async move { c.list_notifications(&query).await }).await }
    });

    let fire = move || {
        view! {
            <Show when=move || auth.can_send()>
                <a class="button" href=Page::Fire(None).path()>"Fire an event"</a>
            </Show>
        }
    };
    view! {
        <ListPage page=Page::Feed action=fire>
            <form class="filters" on:submit=|ev| ev.prevent_default()>
                <div class="field">
                    <label for="filter-state">"State"</label>
                    <select id="filter-state" on:change=move |ev| state.set(event_target_value(&ev))>
                        <option value="">"All"</option>
                        <option value="open">"Open"</option>
                        <option value="acknowledged">"Acknowledged"</option>
                        <option value="resolved">"Resolved"</option>
                    </select>
                </div>
                <div class="field">
                    <label for="filter-event">"Event"</label>
                    <select id="filter-event" on:change=move |ev| event.set(event_target_value(&ev))>
                        <option value="">"All events"</option>
                        {move || events.get().and_then(Result::ok).map(|page| page.items.into_iter().map(|e| {
                            view! { <option value=e.slug.clone()>{format!("{} ({})", e.name, e.slug)}</option> }
                        }).collect_view())}
                    </select>
                </div>
            </form>
            <Loaded render=move || async move {
                notifications.await.map(|page| view! {
                    <Totals items=page.items.clone()/>
                    <ItemList items=page.items label="Notifications" class="feed"
                        empty="No notifications match. Fired events appear here within two seconds."
                        item=|n: Notification| view! { <NotificationCard n=n/> }/>
                })
            }/>
        </ListPage>
    }
}

/// Deliveries per status over the notifications shown.
#[component]
fn Totals(items: Vec<Notification>) -> impl IntoView {
    let mut totals = BTreeMap::new();
    for n in &items {
        for (state, count) in &n.counts {
            *totals.entry(state.clone()).or_insert(0) += count;
        }
    }
    let open = items.iter().filter(|n| n.state == "open").count();
    view! {
        <div class="totals" role="status" aria-live="polite">
            <span>{format!("{} notifications, {open} open", items.len())}</span>
            <Counts counts=totals/>
        </div>
    }
}

/// One notification in the feed: what, how bad, when, by whom, and its
/// deliveries per status.
#[component]
fn NotificationCard(n: Notification) -> impl IntoView {
    let href = Page::Notification(n.id.clone()).path();
    let what = n.event.clone().unwrap_or_else(|| format!("{} {}", n.target_kind, n.target));
    let subject = if n.subject.is_empty() { n.body.clone() } else { n.subject.clone() };
    view! {
        <li class=format!("card severity-{}", n.severity)>
            <div class="card-head">
                <a href=href class="subject">{subject}</a>
                <Badge state=n.state.clone()/>
            </div>
            <div class="meta">
                <span>{what}</span>
                <span>{n.severity.clone()}</span>
                <time datetime=n.created_at.to_rfc3339()>{when(&n.created_at)}</time>
                <span>{format!("by {}", n.raised_by)}</span>
            </div>
            <Counts counts=n.counts/>
        </li>
    }
}
