//! Events: the list, and the editor that creates or changes one, with its
//! targets and templates previewed as they are typed.

use std::collections::{BTreeMap, BTreeSet};

use leptos::prelude::*;
use leptos_router::hooks::{use_navigate, use_params_map};
use tocsin_client::types::{
    Escaping, Event, EventTargets, EventTemplates, EventUpdate, ListQuery, NewEvent, Severity, TemplatePreview,
    TemplatePreviewRequest,
};
use tocsin_client::Error;

use crate::components::alert::{ErrorAlert, FieldError};
use crate::components::list::{ItemList, ListPage};
use crate::components::loaded::Loaded;
use crate::components::status::EnabledBadge;
use crate::pages::fire::argument;
use crate::pages::Page;
use crate::session::use_auth;

const SEVERITIES: [(Severity, &str); 5] = [
    (Severity::Info, "info"),
    (Severity::Warning, "warning"),
    (Severity::Minor, "minor"),
    (Severity::Major, "major"),
    (Severity::Critical, "critical"),
];

/// Events, with links to edit and to fire each.
#[component]
pub fn Events() -> impl IntoView {
    let auth = use_auth();
    let events = LocalResource::new(move || async move {
        let query = ListQuery { limit: Some(500), ..ListQuery::default() };
        auth.call(|c| async move { c.list_events(&query).await }).await
    });
    let new_event = move || {
        view! {
            <Show when=move || auth.can_send()>
                <a class="button" href=Page::NewEvent.path()>"New event"</a>
            </Show>
        }
    };
    view! {
        <ListPage page=Page::Events action=new_event>
            <Loaded render=move || async move {
                events.await.map(|page| view! {
                    <ItemList items=page.items label="Events" empty="No events yet." item=move |e: Event| {
                        let targets = e.targets.contacts.iter().map(|c| format!("contact {c}"))
                            .chain(e.targets.groups.iter().map(|g| format!("group {g}")))
                            .collect::<Vec<_>>().join(", ");
                        let fire = Page::Fire(Some(e.slug.clone())).path();
                        view! {
                            <li class=format!("card severity-{}", severity_name(e.severity))>
                                <div class="card-head">
                                    <a class="subject" href=Page::Event(e.slug.clone()).path()>{format!("{} ({})", e.name, e.slug)}</a>
                                    <EnabledBadge enabled=e.enabled/>
                                </div>
                                <p class="meta">
                                    <span>{severity_name(e.severity)}</span>
                                    <span>{if targets.is_empty() { "no targets".to_owned() } else { targets }}</span>
                                    <Show when=move || auth.can_send()>
                                        <a href=fire.clone()>{format!("Fire {}", e.slug)}</a>
                                    </Show>
                                </p>
                            </li>
                        }
                    }/>
                })
            }/>
        </ListPage>
    }
}

/// A new event.
#[component]
pub fn NewEventPage() -> impl IntoView {
    view! { <EventEditor event=None/> }
}

/// One event, to edit.
#[component]
pub fn EventPage() -> impl IntoView {
    let auth = use_auth();
    let params = use_params_map();
    let event = LocalResource::new(move || {
        let slug = params.read().get("slug").unwrap_or_default();
        async move { auth.call(|c| async move { c.get_event(&slug).await }).await }
    });
    view! {
        <Loaded render=move || async move { event.await.map(|e| view! { <EventEditor event=Some(e)/> }) }/>
    }
}

/// Creates or changes an event; the templates are previewed as they are
/// typed, with sample values for their variables, and their errors show
/// under each template.
#[component]
fn EventEditor(event: Option<Event>) -> impl IntoView {
    let auth = use_auth();
    let original = event.as_ref().map(|e| e.slug.clone());
    let e = event.unwrap_or_else(|| Event {
        id: 0,
        slug: String::new(),
        name: String::new(),
        description: String::new(),
        enabled: true,
        severity: Severity::Warning,
        targets: EventTargets::default(),
        templates: EventTemplates::default(),
        escape: Escaping::None,
        uei: None,
        created_at: Default::default(),
        updated_at: Default::default(),
    });
    let is_new = original.is_none();
    let name = RwSignal::new(e.name.clone());
    let slug = RwSignal::new(e.slug.clone());
    let severity = RwSignal::new(severity_name(e.severity).to_owned());
    let html = RwSignal::new(e.escape == Escaping::Html);
    let enabled = RwSignal::new(e.enabled);
    let subject = RwSignal::new(e.templates.subject.clone());
    let body = RwSignal::new(e.templates.body.clone());
    let sms = RwSignal::new(e.templates.sms.clone());
    let contacts = RwSignal::new(e.targets.contacts.iter().cloned().collect::<BTreeSet<_>>());
    let groups = RwSignal::new(e.targets.groups.iter().cloned().collect::<BTreeSet<_>>());
    let samples = RwSignal::new(BTreeMap::<String, String>::new());

    let templates = move || EventTemplates { subject: subject.get(), body: body.get(), sms: sms.get() };
    let preview = LocalResource::new(move || {
        let request = TemplatePreviewRequest {
            templates: templates(),
            escape: Some(if html.get() { Escaping::Html } else { Escaping::None }),
            args: samples.get().into_iter().map(|(k, v)| (k, argument(&v))).collect(),
        };
        async move { auth.call(|c| async move { c.preview_templates(&request).await }).await }
    });
    // The variables only: their fields stay put (and keep what is typed)
    // while the rendered message follows every keystroke.
    let variables = Memo::new(move |previous: Option<&Vec<String>>| match preview.get().and_then(Result::ok) {
        Some(p) => p.variables,
        None => previous.cloned().unwrap_or_default(),
    });
    let directory = LocalResource::new(move || async move {
        let query = ListQuery { limit: Some(500), ..ListQuery::default() };
        let contacts = auth.call(|c| async move { c.list_contacts(&query).await }).await?;
        let groups = auth
            .call(|c| async move { c.list_groups(&ListQuery { limit: Some(500), ..ListQuery::default() }).await })
            .await?;
        Ok::<_, Error>((contacts.items, groups.items))
    });
    let save = Action::new_local(move |(original, new): &(Option<String>, NewEvent)| {
        let (original, new) = (original.clone(), new.clone());
        async move {
            auth.call(|c| async move {
                match original {
                    None => c.create_event(&new).await,
                    Some(slug) => {
                        let update = EventUpdate {
                            slug: Some(new.slug),
                            name: Some(new.name),
                            description: None,
                            enabled: new.enabled,
                            severity: new.severity,
                            targets: Some(new.targets),
                            templates: Some(new.templates),
                            escape: new.escape,
                            uei: None,
                        };
                        c.update_event(&slug, &update).await
                    }
                }
            })
            .await
        }
    });
    let error = Signal::derive(move || save.value().get().and_then(Result::err));
    let navigate = use_navigate();
    Effect::new(move |_| {
        if let Some(Ok(saved)) = save.value().get() {
            navigate(&Page::Event(saved.slug).path(), Default::default());
        }
    });
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        let severity = SEVERITIES.iter().find(|(_, n)| *n == severity.get_untracked()).map(|(s, _)| *s);
        save.dispatch_local((
            original.clone(),
            NewEvent {
                slug: slug.get_untracked().trim().to_owned(),
                name: name.get_untracked().trim().to_owned(),
                description: None,
                enabled: Some(enabled.get_untracked()),
                severity,
                targets: EventTargets {
                    contacts: contacts.get_untracked().into_iter().collect(),
                    groups: groups.get_untracked().into_iter().collect(),
                },
                templates: EventTemplates {
                    subject: subject.get_untracked(),
                    body: body.get_untracked(),
                    sms: sms.get_untracked(),
                },
                escape: Some(if html.get_untracked() { Escaping::Html } else { Escaping::None }),
                uei: None,
            },
        ));
    };
    let problem = move |field: &'static str| {
        move || {
            preview.get().and_then(Result::ok).and_then(|p: TemplatePreview| {
                p.errors
                    .into_iter()
                    .find(|e| e.field == field)
                    .map(|e| view! { <p class="field-error" role="alert">{e.message}</p> })
            })
        }
    };
    let fire_link = (!is_new).then(|| Page::Fire(Some(e.slug.clone())).path());

    view! {
        <section aria-labelledby="event-title">
            <div class="title-row">
                <h1 id="event-title">{if is_new { "New event".to_owned() } else { format!("Event {}", e.slug) }}</h1>
                {fire_link.map(|href| view! { <Show when=move || auth.can_send()><a class="button" href=href.clone()>"Fire this event"</a></Show> })}
            </div>
            <form class="editor" on:submit=submit>
                <div class="grid2">
                    <div class="field">
                        <label for="event-name">"Name"</label>
                        <input id="event-name" required bind:value=name/>
                        <FieldError error=error field="name"/>
                    </div>
                    <div class="field">
                        <label for="event-slug">"Slug"</label>
                        <input id="event-slug" required pattern="[A-Za-z0-9_\\-]+" bind:value=slug/>
                        <FieldError error=error field="slug"/>
                    </div>
                    <div class="field">
                        <label for="event-severity">"Severity"</label>
                        <select id="event-severity" on:change=move |ev| severity.set(event_target_value(&ev))>
                            {SEVERITIES.iter().map(|(_, n)| view! { <option value=*n selected=move || severity.get() == *n>{*n}</option> }).collect_view()}
                        </select>
                    </div>
                    <div class="field checks">
                        <label><input type="checkbox" bind:checked=enabled/>" Enabled"</label>
                        <label><input type="checkbox" bind:checked=html/>" Escape values as HTML"</label>
                    </div>
                </div>
                <fieldset>
                    <legend>"Targets"</legend>
                    <Loaded render=move || async move {
                                directory.await.map(|(all_contacts, all_groups)| view! {
                                    <div class="grid2">
                                        <div role="group" aria-label="Target contacts">
                                            <p class="muted">"Contacts"</p>
                                            {all_contacts.into_iter().map(|c| check(c.slug, c.name, contacts, "target-contact")).collect_view()}
                                        </div>
                                        <div role="group" aria-label="Target groups">
                                            <p class="muted">"Groups"</p>
                                            {all_groups.into_iter().map(|g| check(g.slug, g.name, groups, "target-group")).collect_view()}
                                        </div>
                                    </div>
                                })
                    }/>
                    <FieldError error=error field="targets"/>
                    <FieldError error=error field="targets.contacts"/>
                    <FieldError error=error field="targets.groups"/>
                </fieldset>
                <fieldset>
                    <legend>"Templates"</legend>
                    <p class="muted">"Variables as " <code>"{{ host }}"</code> ", filters such as " <code>"{{ host|upper }}"</code> ", " <code>"{% if %}"</code> " and " <code>"{% for %}"</code> "."</p>
                    <div class="field">
                        <label for="template-subject">"Subject template"</label>
                        <input id="template-subject" bind:value=subject/>
                        {problem("templates.subject")}
                        <FieldError error=error field="templates.subject"/>
                    </div>
                    <div class="field">
                        <label for="template-body">"Body template"</label>
                        <textarea id="template-body" prop:value=move || body.get() on:input=move |ev| body.set(event_target_value(&ev))></textarea>
                        {problem("templates.body")}
                        <FieldError error=error field="templates.body"/>
                    </div>
                    <div class="field">
                        <label for="template-sms">"SMS template (optional: the body is used when empty)"</label>
                        <textarea id="template-sms" prop:value=move || sms.get() on:input=move |ev| sms.set(event_target_value(&ev))></textarea>
                        {problem("templates.sms")}
                        <FieldError error=error field="templates.sms"/>
                    </div>
                </fieldset>
                <ErrorAlert error=error/>
                <button type="submit" disabled=move || save.pending().get()>{if is_new { "Create event" } else { "Save event" }}</button>
            </form>
            <section class="preview" aria-labelledby="template-preview-title">
                <h2 id="template-preview-title">"Template preview"</h2>
                <div class="grid2">
                    <SampleFields variables=variables samples=samples/>
                    <Loaded render=move || async move { preview.await.map(|p| view! { <Rendered preview=p/> }) }/>
                </div>
            </section>
        </section>
    }
}

/// A sample value per variable of the templates.
#[component]
fn SampleFields(variables: Memo<Vec<String>>, samples: RwSignal<BTreeMap<String, String>>) -> impl IntoView {
    view! {
        <div role="group" aria-label="Sample values">
            <Show when=move || !variables.with(Vec::is_empty) fallback=|| view! { <p class="muted">"The templates use no variables."</p> }>
                <For each=move || variables.get() key=|name| name.clone() let:name>
                    {
                        let id = format!("sample-{name}");
                        let (read, write) = (name.clone(), name.clone());
                        view! {
                            <div class="field">
                                <label for=id.clone()>{format!("Sample {name}")}</label>
                                <input id=id prop:value=move || samples.with(|s| s.get(&read).cloned().unwrap_or_default())
                                    on:input=move |ev| { let v = event_target_value(&ev); samples.update(|s| { s.insert(write.clone(), v); }); }/>
                            </div>
                        }
                    }
                </For>
            </Show>
        </div>
    }
}

/// The message the templates render with the sample values.
#[component]
fn Rendered(preview: TemplatePreview) -> impl IntoView {
    match preview.rendered {
        Some(r) => view! {
            <div class="rendered" role="region" aria-label="Rendered message">
                <p><strong>"Subject: "</strong>{r.subject}</p>
                <pre class="message">{r.body}</pre>
                <p><strong>"SMS: "</strong></p>
                <pre class="message">{r.sms.text}</pre>
                <p class="muted">{format!("{} segment{} · {}", r.sms.segments, if r.sms.segments == 1 { "" } else { "s" }, r.sms.encoding.to_uppercase())}</p>
            </div>
        }
        .into_any(),
        None => view! { <p class="error">"Fix the template errors above to see the message."</p> }.into_any(),
    }
}

fn check(slug: String, name: String, set: RwSignal<BTreeSet<String>>, prefix: &str) -> impl IntoView {
    let id = format!("{prefix}-{slug}");
    let (read, write) = (slug.clone(), slug.clone());
    view! {
        <label class="check">
            <input type="checkbox" id=id prop:checked=move || set.with(|s| s.contains(&read))
                on:change=move |ev| {
                    let on = event_target_checked(&ev);
                    set.update(|s| { if on { s.insert(write.clone()); } else { s.remove(&write); } });
                }/>
            {format!(" {name} ({slug})")}
        </label>
    }
}

fn severity_name(s: Severity) -> &'static str {
    SEVERITIES.iter().find(|(v, _)| *v == s).map(|(_, n)| *n).unwrap_or("warning")
}
