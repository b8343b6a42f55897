//! The shape every list page shares: a titled section, and its records as
//! cards or as a table, with a sentence instead when there are none.

use leptos::either::Either;
use leptos::prelude::*;

use crate::pages::Page;

/// A page that lists one kind of record: its title from [`Page::title`], an
/// optional action beside the title (e.g. a "New event" link), then the
/// page's content (filters, a [`Loaded`](crate::components::loaded::Loaded)
/// list, forms).
#[component]
pub fn ListPage(
    page: Page,
    /// Beside the title, e.g. a link to create a record.
    #[prop(optional, into)]
    action: ViewFn,
    children: Children,
) -> impl IntoView {
    let id = format!("{}-title", page.title().to_lowercase().replace(' ', "-"));
    let labelled_by = id.clone();
    view! {
        <section aria-labelledby=labelled_by>
            <div class="title-row">
                <h1 id=id>{page.title()}</h1>
                {action.run()}
            </div>
            {children()}
        </section>
    }
}

/// Records as a list named `label` (for screen readers and tests), one `item`
/// each; `empty` says what it means that there are none.
#[component]
pub fn ItemList<T, F, V>(
    items: Vec<T>,
    label: &'static str,
    empty: &'static str,
    /// The list's style: `list` (cards, the default) or `feed`.
    #[prop(default = "list")]
    class: &'static str,
    item: F,
) -> impl IntoView
where
    T: 'static,
    F: Fn(T) -> V + 'static,
    V: IntoView + 'static,
{
    if items.is_empty() {
        return Either::Left(view! { <p class="empty">{empty}</p> });
    }
    Either::Right(view! {
        <ul class=class aria-label=label>
            {items.into_iter().map(item).collect_view()}
        </ul>
    })
}

/// Records as a table captioned `caption`, one `row` (a `<tr>`) each, under
/// `columns`; with `actions`, a last column for each row's buttons.
#[component]
pub fn ItemTable<T, F, V>(
    items: Vec<T>,
    caption: &'static str,
    columns: &'static [&'static str],
    empty: &'static str,
    #[prop(optional)] actions: bool,
    row: F,
) -> impl IntoView
where
    T: 'static,
    F: Fn(T) -> V + 'static,
    V: IntoView + 'static,
{
    if items.is_empty() {
        return Either::Left(view! { <p class="empty">{empty}</p> });
    }
    Either::Right(view! {
        <table>
            <caption>{caption}</caption>
            <thead>
                <tr>
                    {columns.iter().map(|c| view! { <th scope="col">{*c}</th> }).collect_view()}
                    {actions.then(|| view! { <th scope="col"><span class="sr-only">"Actions"</span></th> })}
                </tr>
            </thead>
            <tbody>{items.into_iter().map(row).collect_view()}</tbody>
        </table>
    })
}
