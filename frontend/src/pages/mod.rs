//! One module per page; [`Page`] names them and owns their paths, so links
//! and the router agree.

pub mod feed;
pub mod fire;
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
}

impl Page {
    /// The path of the page, as the router matches it.
    pub fn path(&self) -> String {
        match self {
            Page::Feed => "/".into(),
            Page::Notification(id) => format!("/notifications/{id}"),
            Page::Fire(None) => "/fire".into(),
            Page::Fire(Some(event)) => format!("/fire?event={event}"),
        }
    }

    /// The name of the page in the navigation and the window title.
    pub fn title(&self) -> &'static str {
        match self {
            Page::Feed => "Live feed",
            Page::Notification(_) => "Notification",
            Page::Fire(_) => "Fire",
        }
    }
}
