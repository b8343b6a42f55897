//! One notification: its deliveries with their timelines up to the gateway's
//! receipt, who was skipped and why, and what an operator can do to it.

use leptos::prelude::*;
use leptos_router::hooks::use_params_map;
use tocsin_client::types::{Delivery, Notification, SkippedContact, TimelineEntry};
use tocsin_client::Error;

use crate::components::alert::ErrorAlert;
use crate::components::loaded::Loaded;
use crate::components::status::{reason_text, Badge, Counts};
use crate::components::time::{clock, when};
use crate::pages::feed::{ticker, REFRESH};
use crate::session::use_auth;

/// What an operator can do to a notification or one of its deliveries.
#[derive(Debug, Clone)]
enum Command {
    Acknowledge,
    Resolve,
    Replay(i64),
}

/// One notification: who was reached, how, what happened to each message,
/// who was skipped and why; acknowledge, resolve, replay a failed delivery.
#[component]
pub fn NotificationPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let id = move || params.read().get("id").unwrap_or_default();
    let tick = ticker(REFRESH);
    let command = Action::new_local(move |command: &Command| {
        let (command, id) = (command.clone(), id());
        async move {
            auth.call(|c| async move {
                match command {
                    Command::Acknowledge => c.acknowledge_notification(&id).await.map(|_| "Acknowledged.".to_owned()),
                    Command::Resolve => c.resolve_notification(&id).await.map(|_| "Resolved.".to_owned()),
                    Command::Replay(delivery) => c
                        .replay_delivery(delivery)
                        .await
                        .map(|_| format!("Delivery {delivery} is being sent again as a new delivery.")),
                }
            })
            .await
        }
    });
    let notification = LocalResource::new(move || {
        tick.track();
        command.version().track();
        let id = id();
        async move { auth.call(|c| async move { c.get_notification(&id).await }).await }
    });
    let done = move || command.value().get().and_then(Result::ok);
    let failed = Signal::derive(move || command.value().get().and_then(Result::<String, Error>::err));

    view! {
        <Loaded render=move || async move {
                    notification.await.map(|n| {
                    let (can_ack, can_resolve) = (n.state == "open", n.state != "resolved");
                    view! {
                        <Summary n=n.clone()/>
                        <div class="actions" role="group" aria-label="Actions">
                            <Show when=move || auth.can_send()>
                                <button type="button"
                                    disabled=move || !can_ack || command.pending().get()
                                    on:click=move |_| { command.dispatch_local(Command::Acknowledge); }>
                                    "Acknowledge"
                                </button>
                                <button type="button" class="secondary"
                                    disabled=move || !can_resolve || command.pending().get()
                                    on:click=move |_| { command.dispatch_local(Command::Resolve); }>
                                    "Resolve"
                                </button>
                            </Show>
                        </div>
                        <Deliveries items=n.deliveries.clone() replay=move |d| { command.dispatch_local(Command::Replay(d)); }/>
                        <Skipped items=n.skipped.clone()/>
                        <Timeline title="Notification timeline" entries=n.timeline.clone()/>
                    }
                    })
        }/>
        {move || done().map(|m| view! { <p class="notice" role="status">{m}</p> })}
        <ErrorAlert error=failed/>
    }
}

#[component]
fn Summary(n: Notification) -> impl IntoView {
    let subject = if n.subject.is_empty() { "(no subject)".to_owned() } else { n.subject.clone() };
    let target = match &n.event {
        Some(event) => format!("event {event}"),
        None => format!("{} {}", n.target_kind, n.target),
    };
    let ack = n
        .acknowledged_at
        .map(|at| format!("Acknowledged {} by {}", when(&at), n.acknowledged_by.clone().unwrap_or_default()));
    let resolved =
        n.resolved_at.map(|at| format!("Resolved {} by {}", when(&at), n.resolved_by.clone().unwrap_or_default()));
    view! {
        <div class="title-row">
            <h1>{subject}</h1>
            <Badge state=n.state.clone()/>
        </div>
        <dl class="facts">
            <dt>"Target"</dt><dd>{target}</dd>
            <dt>"Severity"</dt><dd>{n.severity.clone()}</dd>
            <dt>"Raised"</dt><dd>{format!("{} by {}", when(&n.created_at), n.raised_by)}</dd>
            <dt>"Id"</dt><dd><code>{n.id.clone()}</code></dd>
            {ack.map(|a| view! { <dt>"Acknowledged"</dt><dd>{a}</dd> })}
            {resolved.map(|r| view! { <dt>"Resolved"</dt><dd>{r}</dd> })}
        </dl>
        <pre class="message">{n.body.clone()}</pre>
        <Counts counts=n.counts/>
    }
}

#[component]
fn Deliveries(items: Vec<Delivery>, replay: impl Fn(i64) + Copy + Send + Sync + 'static) -> impl IntoView {
    let auth = use_auth();
    let body = if items.is_empty() {
        view! { <p class="empty">"No deliveries: nobody was reachable (see who was skipped)."</p> }.into_any()
    } else {
        view! {
            <ul class="deliveries">
                {items.into_iter().map(|d| {
                    let id = d.id;
                    let replayable = matches!(d.status.as_str(), "failed" | "expired");
                    let label = format!("Delivery {} to {}", d.id, d.contact.clone().unwrap_or_default());
                    view! {
                        <li class="card" aria-label=label>
                            <div class="card-head">
                                <span class="subject">{format!("{} · {} {}", d.contact.clone().unwrap_or_else(|| "—".into()), d.medium, d.address)}</span>
                                <Badge state=d.status.clone()/>
                            </div>
                            <p class="path">{d.path.clone()}</p>
                            <p class="meta">
                                <span>{format!("attempt {}", d.attempts)}</span>
                                {d.replay_of.map(|r| view! { <span>{format!("replays delivery {r}")}</span> })}
                                {d.provider_message_id.clone().map(|p| view! { <span>{format!("provider id {p}")}</span> })}
                            </p>
                            {d.last_error.clone().map(|e| view! { <p class="error">{e}</p> })}
                            <Timeline title="Timeline" entries=d.timeline.clone()/>
                            <Show when=move || replayable && auth.can_send()>
                                <button type="button" class="secondary" on:click=move |_| replay(id)>
                                    {format!("Replay delivery {id}")}
                                </button>
                            </Show>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
        .into_any()
    };
    view! {
        <section aria-labelledby="deliveries-title">
            <h2 id="deliveries-title">"Deliveries"</h2>
            {body}
        </section>
    }
}

#[component]
pub fn Skipped(items: Vec<SkippedContact>) -> impl IntoView {
    if items.is_empty() {
        return ().into_any();
    }
    view! {
        <section aria-labelledby="skipped-title">
            <h2 id="skipped-title">"Skipped"</h2>
            <ul class="skipped">
                {items.into_iter().map(|s| view! {
                    <li>
                        <strong>{s.contact.clone()}</strong>
                        {format!(": {} ", reason_text(&s.reason))}
                        <code>{s.reason.clone()}</code>
                        <p class="path">{s.path.clone()}</p>
                    </li>
                }).collect_view()}
            </ul>
        </section>
    }
    .into_any()
}

#[component]
fn Timeline(title: &'static str, entries: Vec<TimelineEntry>) -> impl IntoView {
    if entries.is_empty() {
        return ().into_any();
    }
    view! {
        <details class="timeline" open=true>
            <summary>{title}</summary>
            <ol>
                {entries.into_iter().map(|e| view! {
                    <li>
                        <time datetime=e.at.to_rfc3339()>{clock(&e.at)}</time>
                        " "<span class=format!("kind state-{}", e.kind)>{e.kind.clone()}</span>
                        {(!e.detail.is_empty()).then(|| view! { <span class="detail">{format!(" {}", e.detail)}</span> })}
                    </li>
                }).collect_view()}
            </ol>
        </details>
    }
    .into_any()
}
