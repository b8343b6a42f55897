//! One module per page; [`Page`] names them and owns their paths, so links
//! and the router agree.

pub mod admin;
pub mod contacts;
pub mod events;
pub mod feed;
pub mod fire;
pub mod groups;
pub mod login;
pub mod not_found;
pub mod notification;

/// Every page of the app, with what it needs to be addressed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Page {
    /// Notifications as they happen.
    Feed,
    /// One notification: deliveries, timelines, who was skipped.
    Notification(String),
    /// Fire an event, optionally chosen already.
    Fire(Option<String>),
    /// Contacts and their channels.
    Contacts,
    /// One contact.
    Contact(String),
    /// Groups and their members.
    Groups,
    /// One group.
    Group(String),
    /// Events.
    Events,
    /// A new event.
    NewEvent,
    /// One event, with its template editor.
    Event(String),
    /// API keys (admins).
    ApiKeys,
    /// Operator accounts (admins).
    Operators,
}

impl Page {
    /// The path of the page, as the router matches it.
    pub fn path(&self) -> String {
        match self {
            Page::Feed => "/".into(),
            Page::Notification(id) => format!("/notifications/{id}"),
            Page::Fire(None) => "/fire".into(),
            Page::Fire(Some(event)) => format!("/fire?event={event}"),
            Page::Contacts => "/directory/contacts".into(),
            Page::Contact(slug) => format!("/directory/contacts/{slug}"),
            Page::Groups => "/directory/groups".into(),
            Page::Group(slug) => format!("/directory/groups/{slug}"),
            Page::Events => "/directory/events".into(),
            Page::NewEvent => "/directory/new-event".into(),
            Page::Event(slug) => format!("/directory/events/{slug}"),
            Page::ApiKeys => "/admin/api-keys".into(),
            Page::Operators => "/admin/operators".into(),
        }
    }

    /// The name of the page in the navigation and the window title.
    pub fn title(&self) -> &'static str {
        match self {
            Page::Feed => "Live feed",
            Page::Notification(_) => "Notification",
            Page::Fire(_) => "Fire",
            Page::Contacts | Page::Contact(_) => "Contacts",
            Page::Groups | Page::Group(_) => "Groups",
            Page::Events | Page::NewEvent | Page::Event(_) => "Events",
            Page::ApiKeys => "API keys",
            Page::Operators => "Operators",
        }
    }
}
