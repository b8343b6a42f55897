use std::collections::BTreeMap;

use leptos::prelude::*;

/// The order delivery states are shown in: their life from queued to done.
pub const DELIVERY_STATES: [&str; 7] = ["queued", "sending", "sent", "delivered", "failed", "expired", "cancelled"];

/// A delivery or notification state, coloured by what it means.
#[component]
pub fn Badge(#[prop(into)] state: String) -> impl IntoView {
    let class = format!("badge state-{state}");
    view! { <span class=class>{state}</span> }
}

/// Whether a contact, channel, group, event or operator is in use.
#[component]
pub fn EnabledBadge(enabled: bool) -> impl IntoView {
    view! { <Badge state=if enabled { "enabled" } else { "disabled" }/> }
}

/// Deliveries per state, in the order of their life.
#[component]
pub fn Counts(counts: BTreeMap<String, i64>) -> impl IntoView {
    let total: i64 = counts.values().sum();
    if total == 0 {
        return view! { <span class="muted">"no deliveries"</span> }.into_any();
    }
    let known = DELIVERY_STATES.iter().filter_map(|s| counts.get(*s).map(|n| (s.to_string(), *n)));
    let other = counts.iter().filter(|(s, _)| !DELIVERY_STATES.contains(&s.as_str())).map(|(s, n)| (s.clone(), *n));
    let items: Vec<(String, i64)> = known.chain(other).filter(|(_, n)| *n > 0).collect();
    view! {
        <ul class="counts" aria-label="Deliveries per status">
            {items.into_iter().map(|(state, n)| view! {
                <li class=format!("badge state-{state}")>{format!("{n} {state}")}</li>
            }).collect_view()}
        </ul>
    }
    .into_any()
}

/// What a skip reason means, for people.
pub fn reason_text(reason: &str) -> &str {
    match reason {
        "contact_disabled" => "the contact is disabled",
        "group_disabled" => "the group is disabled",
        "destination_disabled" => "this channel of the contact is disabled",
        "no_destination" => "the contact has no channel",
        "duplicate" => "already reached another way",
        other => other,
    }
}
