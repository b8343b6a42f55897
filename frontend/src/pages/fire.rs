//! Fire: an event with its arguments, or a direct message to a contact or a
//! group; previewed (who would be reached, the rendered message, SMS
//! segments) before it is sent.

use std::collections::BTreeMap;

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_query_map};
use tocsin_client::types::{DryRunResponse, FireRequest, FireResponse, ListQuery, NotifyRequest};
use tocsin_client::Error;

use crate::components::alert::{ErrorAlert, FieldError};
use crate::components::loaded::Loaded;
use crate::pages::notification::Skipped;
use crate::pages::Page;
use crate::session::use_auth;

/// What is fired: an event with its arguments, or a message straight to a
/// contact or a group.
#[derive(Debug, Clone)]
enum Target {
    Event(String, FireRequest),
    Contact(String, NotifyRequest),
    Group(String, NotifyRequest),
}

/// Fire an event (pick it, fill the variables its templates use) or page a
/// contact or a group directly; see who it would reach and what they would
/// read, then send.
#[component]
pub fn Fire() -> impl IntoView {
    let auth = use_auth();
    let query = use_query_map();
    let kind = RwSignal::new("event");
    let event = RwSignal::new(query.read_untracked().get("event").unwrap_or_default());
    let recipient = RwSignal::new(String::new());
    let args = RwSignal::new(BTreeMap::<String, String>::new());
    let dedup_key = RwSignal::new(String::new());
    let subject = RwSignal::new(String::new());
    let message = RwSignal::new(String::new());

    let events = LocalResource::new(move || async move {
        let query = ListQuery { limit: Some(500), enabled: Some(true), ..ListQuery::default() };
        auth.call(|c| async move { c.list_events(&query).await }).await
    });
    // Contacts or groups, as (slug, name), for a direct page.
    let recipients = LocalResource::new(move || {
        let kind = kind.get();
        async move {
            let query = ListQuery { limit: Some(500), enabled: Some(true), ..ListQuery::default() };
            match kind {
                "contact" => auth
                    .call(|c| async move { c.list_contacts(&query).await })
                    .await
                    .map(|p| p.items.into_iter().map(|c| (c.slug, c.name)).collect::<Vec<_>>()),
                "group" => auth
                    .call(|c| async move { c.list_groups(&query).await })
                    .await
                    .map(|p| p.items.into_iter().map(|g| (g.slug, g.name)).collect()),
                _ => Ok(Vec::new()),
            }
        }
    });
    let variables = LocalResource::new(move || {
        let slug = event.get();
        async move {
            if slug.is_empty() {
                return Ok(Vec::new());
            }
            auth.call(|c| async move { c.get_event_variables(&slug).await.map(|v| v.variables) }).await
        }
    });
    let target = move || {
        let notify = || NotifyRequest {
            message: message.get_untracked(),
            subject: Some(subject.get_untracked()).filter(|s| !s.trim().is_empty()),
        };
        match kind.get_untracked() {
            "contact" => Target::Contact(recipient.get_untracked(), notify()),
            "group" => Target::Group(recipient.get_untracked(), notify()),
            _ => Target::Event(
                event.get_untracked(),
                FireRequest {
                    args: args.get_untracked().into_iter().map(|(name, text)| (name, argument(&text))).collect(),
                    dedup_key: Some(dedup_key.get_untracked()).filter(|k| !k.trim().is_empty()),
                },
            ),
        }
    };
    let preview = Action::new_local(move |target: &Target| {
        let target = target.clone();
        async move {
            auth.call(|c| async move {
                match target {
                    Target::Event(slug, request) => c.fire_event_dry_run(&slug, &request).await,
                    Target::Contact(slug, request) => c.notify_contact_dry_run(&slug, &request).await,
                    Target::Group(slug, request) => c.notify_group_dry_run(&slug, &request).await,
                }
            })
            .await
        }
    });
    let navigate = use_navigate();
    let send = Action::new_local(move |(target, key): &(Target, String)| {
        let (target, key) = (target.clone(), key.clone());
        async move {
            auth.call(|c| async move {
                match target {
                    Target::Event(slug, request) => c.fire_event(&slug, &request, Some(&key)).await,
                    Target::Contact(slug, request) => c.notify_contact(&slug, &request, Some(&key)).await,
                    Target::Group(slug, request) => c.notify_group(&slug, &request, Some(&key)).await,
                }
            })
            .await
        }
    });
    Effect::new(move |_| {
        if let Some(Ok(fired)) = send.value().get() {
            let fired: FireResponse = fired;
            navigate(&Page::Notification(fired.notification_id).path(), Default::default());
        }
    });
    // A new choice starts from empty fields and no preview.
    let reset = move || {
        args.set(BTreeMap::new());
        preview.value().set(None);
        send.value().set(None);
    };
    let choose = move |slug: String| {
        reset();
        event.set(slug);
    };
    let chosen = move || if kind.get() == "event" { !event.get().is_empty() } else { !recipient.get().is_empty() };
    let error = Signal::derive(move || {
        send.value().get().and_then(Result::err).or_else(|| preview.value().get().and_then(Result::err))
    });
    let on_preview = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        preview.dispatch_local(target());
    };
    let on_send = move |_| {
        send.dispatch_local((target(), idempotency_key()));
    };

    view! {
        <section aria-labelledby="fire-title">
            <h1 id="fire-title">"Fire an event"</h1>
            <Show when=move || auth.can_send() fallback=|| view! {
                <p class="notice" role="status">"Your role can read notifications but not fire events."</p>
            }>
                <form class="fire" on:submit=on_preview>
                    <div class="field">
                        <label for="fire-kind">"Send to"</label>
                        <select id="fire-kind" on:change=move |ev| {
                            reset();
                            recipient.set(String::new());
                            kind.set(match event_target_value(&ev).as_str() { "contact" => "contact", "group" => "group", _ => "event" });
                        }>
                            <option value="event" selected=move || kind.get() == "event">"The targets of an event"</option>
                            <option value="contact" selected=move || kind.get() == "contact">"A contact, directly"</option>
                            <option value="group" selected=move || kind.get() == "group">"A group, directly"</option>
                        </select>
                    </div>
                    <Show when=move || kind.get() == "event" fallback=move || view! {
                        <div class="field">
                            <label for="fire-recipient">{move || if kind.get() == "group" { "Group" } else { "Contact" }}</label>
                            <select id="fire-recipient" required on:change=move |ev| { reset(); recipient.set(event_target_value(&ev)); }>
                                <option value="" selected=move || recipient.get().is_empty()>"Choose…"</option>
                                {move || recipients.get().and_then(Result::ok).map(|list| list.into_iter().map(|(slug, name)| {
                                    view! { <option value=slug.clone()>{format!("{name} ({slug})")}</option> }
                                }).collect_view())}
                            </select>
                        </div>
                        <div class="field">
                            <label for="fire-subject">"Subject (optional)"</label>
                            <input id="fire-subject" bind:value=subject/>
                            <FieldError error=error field="subject"/>
                        </div>
                        <div class="field">
                            <label for="fire-message">"Message"</label>
                            <textarea id="fire-message" required prop:value=move || message.get()
                                on:input=move |ev| message.set(event_target_value(&ev))></textarea>
                            <FieldError error=error field="message"/>
                        </div>
                    }>
                        <div class="field">
                            <label for="fire-event">"Event"</label>
                            <select id="fire-event" required on:change=move |ev| choose(event_target_value(&ev))>
                                <option value="" selected=move || event.get().is_empty()>"Choose an event…"</option>
                                {move || events.get().and_then(Result::ok).map(|page| page.items.into_iter().map(|e| {
                                    let slug = e.slug.clone();
                                    let selected = move || event.get().eq_ignore_ascii_case(&slug);
                                    view! { <option value=e.slug.clone() selected=selected>{format!("{} ({})", e.name, e.slug)}</option> }
                                }).collect_view())}
                            </select>
                        </div>
                        <Loaded render=move || async move {
                            variables.await.map(|names| view! { <Arguments names=names args=args error=error/> })
                        }/>
                        <div class="field">
                            <label for="fire-dedup">"Dedup key (optional)"</label>
                            <input id="fire-dedup" bind:value=dedup_key
                                aria-describedby="fire-dedup-help"/>
                            <small id="fire-dedup-help">"While a notification of this event with the same key is open, firing again attaches to it."</small>
                            <FieldError error=error field="dedup_key"/>
                        </div>
                    </Show>
                    <div class="actions">
                        <button type="submit" class="secondary" disabled=move || !chosen() || preview.pending().get()>
                            {move || if preview.pending().get() { "Previewing…" } else { "Preview" }}
                        </button>
                        <button type="button" on:click=on_send disabled=move || !chosen() || send.pending().get()>
                            {move || if send.pending().get() { "Sending…" } else { "Send" }}
                        </button>
                    </div>
                    <ErrorAlert error=error/>
                </form>
                {move || preview.value().get().and_then(Result::ok).map(|plan| view! { <Preview plan=plan/> })}
            </Show>
        </section>
    }
}

/// One field per template variable.
#[component]
fn Arguments(
    names: Vec<String>,
    args: RwSignal<BTreeMap<String, String>>,
    error: Signal<Option<Error>>,
) -> impl IntoView {
    if names.is_empty() {
        return view! { <p class="muted">"This event's templates use no variables."</p> }.into_any();
    }
    view! {
        <fieldset class="arguments">
            <legend>"Variables"</legend>
            {names.into_iter().map(|name| {
                let id = format!("arg-{name}");
                let (read, write) = (name.clone(), name.clone());
                view! {
                    <div class="field">
                        <label for=id.clone()>{name.clone()}</label>
                        <input id=id name=name.clone()
                            prop:value=move || args.with(|a| a.get(&read).cloned().unwrap_or_default())
                            on:input=move |ev| { let v = event_target_value(&ev); args.update(|a| { a.insert(write.clone(), v); }); }/>
                        <FieldError error=error field=format!("args.{name}")/>
                    </div>
                }
            }).collect_view()}
        </fieldset>
    }
    .into_any()
}

/// What a fire would do.
#[component]
fn Preview(plan: DryRunResponse) -> impl IntoView {
    let sms = plan.rendered.sms.clone();
    let segments = format!(
        "{} segment{} · {}",
        sms.segments,
        if sms.segments == 1 { "" } else { "s" },
        sms.encoding.to_uppercase()
    );
    let recipients = if plan.recipients.is_empty() {
        view! { <p class="empty">"Nobody would be reached."</p> }.into_any()
    } else {
        view! {
            <table>
                <caption>"Recipients"</caption>
                <thead><tr><th scope="col">"Contact"</th><th scope="col">"Channel"</th><th scope="col">"Address"</th><th scope="col">"Why"</th></tr></thead>
                <tbody>
                    {plan.recipients.iter().map(|r| view! {
                        <tr>
                            <td>{r.contact.clone()}</td>
                            <td>{r.medium.clone()}</td>
                            <td>{r.address.clone()}</td>
                            <td class="path">{r.path.clone()}</td>
                        </tr>
                    }).collect_view()}
                </tbody>
            </table>
        }
        .into_any()
    };
    view! {
        <section class="preview" aria-labelledby="preview-title">
            <h2 id="preview-title">"Preview"</h2>
            {plan.would_attach_to.clone().map(|id| view! {
                <p class="notice">"An open notification has this dedup key: sending attaches to it and pages nobody again. "
                    <a href=Page::Notification(id.clone()).path()>"Open it"</a></p>
            })}
            <div class="rendered">
                <h3>"Email"</h3>
                <p><strong>"Subject: "</strong>{plan.rendered.subject.clone()}</p>
                <pre class="message">{plan.rendered.body.clone()}</pre>
                <h3>"SMS"</h3>
                <pre class="message">{sms.text.clone()}</pre>
                <p class="muted">{segments}</p>
            </div>
            {recipients}
            <Skipped items=plan.skipped.clone()/>
        </section>
    }
}

/// A typed argument: numbers and booleans as such, anything else as text.
pub fn argument(text: &str) -> serde_json::Value {
    match serde_json::from_str::<serde_json::Value>(text.trim()) {
        Ok(v @ (serde_json::Value::Number(_) | serde_json::Value::Bool(_))) => v,
        _ => serde_json::Value::String(text.to_owned()),
    }
}

/// A fresh key per click of Send, so that a retried request after a lost
/// answer never pages twice, while a second click is a second fire.
fn idempotency_key() -> String {
    let random = (js_sys::Math::random() * 1e15) as u64;
    format!("web-{:x}-{random:x}", js_sys::Date::now() as u64)
}
