//! Administration: API keys (a new key's secret shown once) and operator
//! accounts with their roles.

use leptos::prelude::*;
use tocsin_client::types::{ApiKey, CreatedApiKey, NewApiKey, NewOperator, Operator, OperatorUpdate, Role, Scope};

use crate::components::alert::{ErrorAlert, FieldError};
use crate::components::list::{ItemTable, ListPage};
use crate::components::loaded::Loaded;
use crate::components::status::{Badge, EnabledBadge};
use crate::components::time::when;
use crate::pages::Page;
use crate::session::{role_name, use_auth};

const SCOPES: [(Scope, &str); 3] = [(Scope::Read, "read"), (Scope::Send, "send"), (Scope::Admin, "admin")];
const ROLES: [Role; 3] = [Role::Viewer, Role::Operator, Role::Admin];

/// What an administrator does to API keys.
#[derive(Debug, Clone)]
enum KeyChange {
    Create(NewApiKey),
    Revoke(i64),
}

#[derive(Debug, Clone)]
enum KeyOutcome {
    Created(CreatedApiKey),
    Revoked(ApiKey),
}

/// API keys: create one (its secret is shown once, with a copy button), revoke one.
#[component]
pub fn ApiKeys() -> impl IntoView {
    let auth = use_auth();
    let change = Action::new_local(move |change: &KeyChange| {
        let change = change.clone();
        async move {
            auth.call(|c| async move {
                match change {
                    KeyChange::Create(k) => c.create_api_key(&k).await.map(KeyOutcome::Created),
                    KeyChange::Revoke(id) => c.revoke_api_key(id).await.map(KeyOutcome::Revoked),
                }
            })
            .await
        }
    });
    let keys = LocalResource::new(move || {
        change.version().track();
        async move { auth.call(|c| async move { c.list_api_keys().await }).await }
    });
    let name = RwSignal::new(String::new());
    let scopes = RwSignal::new(vec![Scope::Send]);
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    let created = move || match change.value().get() {
        Some(Ok(KeyOutcome::Created(k))) => Some(k),
        _ => None,
    };
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch_local(KeyChange::Create(NewApiKey {
            name: name.get_untracked().trim().to_owned(),
            scopes: scopes.get_untracked(),
            expires_at: None,
        }));
    };

    view! {
        <ListPage page=Page::ApiKeys>
            <p class="muted">"Scripts and monitoring systems authenticate with a key: " <code>"Authorization: Bearer tsk_…"</code> " or RedFlash's " <code>"api_key"</code> "."</p>
            {move || created().map(|k| view! { <NewSecret key=k/> })}
            {move || match change.value().get() {
                Some(Ok(KeyOutcome::Revoked(k))) => Some(view! {
                    <p class="notice" role="status">{format!("Key {} revoked: it no longer works.", k.name)}</p>
                }),
                _ => None,
            }}
            <Loaded render=move || async move {
                keys.await.map(|keys| view! {
                    <ItemTable items=keys caption="Keys" columns=&["Name", "Prefix", "Scopes", "Last used", "State"]
                        actions=true empty="No API keys yet." row=move |k: ApiKey| {
                        let id = k.id;
                        let scopes = k.scopes.iter().map(|s| scope_name(*s)).collect::<Vec<_>>().join(", ");
                        view! {
                            <tr>
                                <td>{k.name.clone()}</td>
                                <td><code>{k.prefix.clone()}</code></td>
                                <td>{scopes}</td>
                                <td>{k.last_used_at.as_ref().map(when).unwrap_or_else(|| "never".into())}</td>
                                <td><Badge state=if k.enabled { "enabled".to_owned() } else { "revoked".to_owned() }/></td>
                                <td>{k.enabled.then(|| view! {
                                    <button type="button" class="secondary small" aria-label=format!("Revoke {}", k.name)
                                        on:click=move |_| { change.dispatch_local(KeyChange::Revoke(id)); }>"Revoke"</button>
                                })}</td>
                            </tr>
                        }
                    }/>
                })
            }/>
            <form class="card" on:submit=submit aria-labelledby="new-key-title">
                <h2 id="new-key-title">"New API key"</h2>
                <div class="field">
                    <label for="key-name">"Key name"</label>
                    <input id="key-name" required bind:value=name/>
                    <FieldError error=error field="name"/>
                </div>
                <fieldset>
                    <legend>"Scopes"</legend>
                    {SCOPES.iter().map(|(scope, label)| {
                        let scope = *scope;
                        let id = format!("scope-{label}");
                        view! {
                            <label class="check">
                                <input type="checkbox" id=id prop:checked=move || scopes.with(|s| s.contains(&scope))
                                    on:change=move |ev| {
                                        let on = event_target_checked(&ev);
                                        scopes.update(|s| { s.retain(|x| *x != scope); if on { s.push(scope); } });
                                    }/>
                                {format!(" {label}")}
                            </label>
                        }
                    }).collect_view()}
                    <FieldError error=error field="scopes"/>
                </fieldset>
                <ErrorAlert error=error/>
                <button type="submit" disabled=move || change.pending().get()>"Create key"</button>
            </form>
        </ListPage>
    }
}

/// A new key's secret: shown this once, with a button to copy it.
#[component]
fn NewSecret(key: CreatedApiKey) -> impl IntoView {
    let copied = RwSignal::new(false);
    let secret = key.secret.clone();
    let copy = move |_| {
        let secret = secret.clone();
        leptos::task::spawn_local(async move {
            let promise = window().navigator().clipboard().write_text(&secret);
            copied.set(wasm_bindgen_futures::JsFuture::from(promise).await.is_ok());
        });
    };
    view! {
        <div class="notice secret" role="status">
            <p>{format!("Key {} created. Copy its secret now: it is not shown again.", key.name)}</p>
            <label for="new-secret">"Secret"</label>
            <input id="new-secret" readonly value=key.secret.clone() on:focus=|ev| {
                use leptos::wasm_bindgen::JsCast;
                if let Some(input) = ev.target().and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok()) { input.select(); }
            }/>
            <button type="button" on:click=copy>{move || if copied.get() { "Copied" } else { "Copy secret" }}</button>
        </div>
    }
}

/// What an administrator does to operator accounts.
#[derive(Debug, Clone)]
enum OperatorChange {
    Create(NewOperator),
    Update(String, OperatorUpdate),
}

/// Operators and their roles.
#[component]
pub fn Operators() -> impl IntoView {
    let auth = use_auth();
    let change = Action::new_local(move |change: &OperatorChange| {
        let change = change.clone();
        async move {
            auth.call(|c| async move {
                match change {
                    OperatorChange::Create(o) => c.create_operator(&o).await,
                    OperatorChange::Update(name, u) => c.update_operator(&name, &u).await,
                }
            })
            .await
        }
    });
    let operators = LocalResource::new(move || {
        change.version().track();
        async move { auth.call(|c| async move { c.list_operators().await }).await }
    });
    let username = RwSignal::new(String::new());
    let password = RwSignal::new(String::new());
    let role = RwSignal::new("operator".to_owned());
    let error = Signal::derive(move || change.value().get().and_then(Result::err));
    let submit = move |ev: leptos::ev::SubmitEvent| {
        ev.prevent_default();
        change.dispatch_local(OperatorChange::Create(NewOperator {
            username: username.get_untracked().trim().to_owned(),
            password: password.get_untracked(),
            role: parse_role(&role.get_untracked()),
            enabled: None,
        }));
    };
    view! {
        <ListPage page=Page::Operators>
            <Loaded render=move || async move {
                operators.await.map(|list: Vec<Operator>| view! {
                    <ItemTable items=list caption="Accounts" columns=&["Username", "Role", "State"]
                        actions=true empty="No operators." row=move |o: Operator| {
                        let (name, on) = (o.username.clone(), o.enabled);
                        let (for_role, for_toggle) = (name.clone(), name.clone());
                        let id = format!("role-{}", o.username);
                        view! {
                            <tr>
                                <td>{o.username.clone()}</td>
                                <td>
                                    <label for=id.clone() class="sr-only">{format!("Role of {}", o.username)}</label>
                                    <select id=id on:change=move |ev| {
                                        let role = parse_role(&event_target_value(&ev));
                                        change.dispatch_local(OperatorChange::Update(for_role.clone(), OperatorUpdate { role: Some(role), ..OperatorUpdate::default() }));
                                    }>
                                        {ROLES.iter().map(|r| view! { <option value=role_name(*r) selected=*r == o.role>{role_name(*r)}</option> }).collect_view()}
                                    </select>
                                </td>
                                <td><EnabledBadge enabled=on/></td>
                                <td>
                                    <button type="button" class="secondary small" aria-label=format!("{} {}", if on { "Disable" } else { "Enable" }, name)
                                        on:click=move |_| { change.dispatch_local(OperatorChange::Update(for_toggle.clone(), OperatorUpdate { enabled: Some(!on), ..OperatorUpdate::default() })); }>
                                        {if on { "Disable" } else { "Enable" }}
                                    </button>
                                </td>
                            </tr>
                        }
                    }/>
                })
            }/>
            <form class="card" on:submit=submit aria-labelledby="new-operator-title">
                <h2 id="new-operator-title">"New operator"</h2>
                <div class="field">
                    <label for="operator-username">"New username"</label>
                    <input id="operator-username" required autocomplete="off" bind:value=username/>
                    <FieldError error=error field="username"/>
                </div>
                <div class="field">
                    <label for="operator-password">"Initial password"</label>
                    <input id="operator-password" type="password" required autocomplete="new-password" bind:value=password/>
                    <FieldError error=error field="password"/>
                </div>
                <div class="field">
                    <label for="operator-role">"Role"</label>
                    <select id="operator-role" on:change=move |ev| role.set(event_target_value(&ev))>
                        {ROLES.iter().map(|r| view! { <option value=role_name(*r) selected=*r == Role::Operator>{role_name(*r)}</option> }).collect_view()}
                    </select>
                </div>
                <ErrorAlert error=error/>
                <button type="submit" disabled=move || change.pending().get()>"Create operator"</button>
            </form>
        </ListPage>
    }
}

fn scope_name(s: Scope) -> &'static str {
    SCOPES.iter().find(|(v, _)| *v == s).map(|(_, n)| *n).unwrap_or("read")
}

fn parse_role(name: &str) -> Role {
    ROLES.into_iter().find(|r| role_name(*r) == name).unwrap_or(Role::Viewer)
}
