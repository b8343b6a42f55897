//! Every page of the app and its address. The router matches each page's
//! [`Pattern`] and links are made with [`Page::path`] from the same pattern,
//! so the two cannot disagree; no other file spells a path.
//!
//! Plain Rust, built on the host too, so that its tests run with the
//! workspace's; only the router's view of a pattern needs the browser.

/// A page's address pattern: segments separated by `/`, `:name` for a
/// parameter (`/notifications/:id`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Pattern(&'static str);

/// One segment of a [`Pattern`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Segment {
    Static(&'static str),
    Param(&'static str),
}

impl Pattern {
    fn segments(self) -> impl Iterator<Item = Segment> {
        self.0.split('/').filter(|s| !s.is_empty()).map(|s| match s.strip_prefix(':') {
            Some(name) => Segment::Param(name),
            None => Segment::Static(s),
        })
    }

    /// The address with `values` in place of the parameters, in order.
    fn fill(self, values: &[&str]) -> String {
        let mut values = values.iter();
        let mut path = String::new();
        for segment in self.segments() {
            path.push('/');
            match segment {
                Segment::Static(s) => path.push_str(s),
                Segment::Param(_) => path.push_str(values.next().copied().unwrap_or_default()),
            }
        }
        if path.is_empty() {
            path.push('/');
        }
        path
    }
}

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
    pub const FEED: Pattern = Pattern("/");
    pub const NOTIFICATION: Pattern = Pattern("/notifications/:id");
    pub const FIRE: Pattern = Pattern("/fire");
    pub const CONTACTS: Pattern = Pattern("/directory/contacts");
    pub const CONTACT: Pattern = Pattern("/directory/contacts/:slug");
    pub const GROUPS: Pattern = Pattern("/directory/groups");
    pub const GROUP: Pattern = Pattern("/directory/groups/:slug");
    pub const EVENTS: Pattern = Pattern("/directory/events");
    pub const NEW_EVENT: Pattern = Pattern("/directory/new-event");
    pub const EVENT: Pattern = Pattern("/directory/events/:slug");
    pub const API_KEYS: Pattern = Pattern("/admin/api-keys");
    pub const OPERATORS: Pattern = Pattern("/admin/operators");

    /// The pattern the router matches for this page.
    pub fn pattern(&self) -> Pattern {
        match self {
            Page::Feed => Self::FEED,
            Page::Notification(_) => Self::NOTIFICATION,
            Page::Fire(_) => Self::FIRE,
            Page::Contacts => Self::CONTACTS,
            Page::Contact(_) => Self::CONTACT,
            Page::Groups => Self::GROUPS,
            Page::Group(_) => Self::GROUP,
            Page::Events => Self::EVENTS,
            Page::NewEvent => Self::NEW_EVENT,
            Page::Event(_) => Self::EVENT,
            Page::ApiKeys => Self::API_KEYS,
            Page::Operators => Self::OPERATORS,
        }
    }

    /// The address of the page, for links and navigation.
    pub fn path(&self) -> String {
        let pattern = self.pattern();
        match self {
            Page::Notification(key) | Page::Contact(key) | Page::Group(key) | Page::Event(key) => pattern.fill(&[key]),
            Page::Fire(Some(event)) => format!("{}?event={event}", pattern.fill(&[])),
            _ => pattern.fill(&[]),
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

/// The router matches a pattern as `leptos_router`'s own segments would.
#[cfg(target_arch = "wasm32")]
mod matching {
    use leptos_router::{ParamSegment, PartialPathMatch, PathSegment, PossibleRouteMatch, StaticSegment};

    use super::{Pattern, Segment};

    impl PossibleRouteMatch for Pattern {
        fn optional(&self) -> bool {
            false
        }

        fn test<'a>(&self, path: &'a str) -> Option<PartialPathMatch<'a>> {
            let mut remaining = path;
            let mut params = Vec::new();
            for segment in self.segments() {
                let matched = match segment {
                    Segment::Static(s) => StaticSegment(s).test(remaining)?,
                    Segment::Param(name) => ParamSegment(name).test(remaining)?,
                };
                remaining = matched.remaining();
                params.extend(matched.params());
            }
            Some(PartialPathMatch::new(remaining, params, &path[..path.len() - remaining.len()]))
        }

        fn generate_path(&self, path: &mut Vec<PathSegment>) {
            for segment in self.segments() {
                match segment {
                    Segment::Static(s) => StaticSegment(s).generate_path(path),
                    Segment::Param(name) => ParamSegment(name).generate_path(path),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn every_page() -> Vec<Page> {
        let key = || "k-1".to_owned();
        vec![
            Page::Feed,
            Page::Notification(key()),
            Page::Fire(None),
            Page::Fire(Some(key())),
            Page::Contacts,
            Page::Contact(key()),
            Page::Groups,
            Page::Group(key()),
            Page::Events,
            Page::NewEvent,
            Page::Event(key()),
            Page::ApiKeys,
            Page::Operators,
        ]
    }

    /// What the router would read back from an address: the pattern's
    /// parameters, or nothing when the address is not the pattern's.
    fn parameters(pattern: Pattern, path: &str) -> Option<Vec<(&'static str, String)>> {
        let path = path.split('?').next().unwrap_or_default();
        let parts: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
        let segments: Vec<Segment> = pattern.segments().collect();
        if parts.len() != segments.len() {
            return None;
        }
        let mut found = Vec::new();
        for (segment, part) in segments.into_iter().zip(parts) {
            match segment {
                Segment::Static(s) if s == part => {}
                Segment::Static(_) => return None,
                Segment::Param(name) => found.push((name, part.to_owned())),
            }
        }
        Some(found)
    }

    #[test]
    fn every_link_is_matched_by_its_own_pattern_and_no_other_page_s() {
        let patterns: Vec<Pattern> = every_page().iter().map(Page::pattern).collect();
        for page in every_page() {
            let path = page.path();
            let params = parameters(page.pattern(), &path);
            assert!(params.is_some(), "{path} does not match {:?}", page.pattern());
            assert!(params.unwrap_or_default().iter().all(|(_, v)| v == "k-1"), "{path}");
            let others: Vec<_> =
                patterns.iter().filter(|p| **p != page.pattern() && parameters(**p, &path).is_some()).collect();
            assert!(others.is_empty(), "{path} also matches {others:?}");
        }
    }

    #[test]
    fn paths_are_the_addresses_bookmarks_and_the_server_know() {
        assert_eq!(Page::Feed.path(), "/");
        assert_eq!(Page::Notification("42".into()).path(), "/notifications/42");
        assert_eq!(Page::Fire(Some("disk-full".into())).path(), "/fire?event=disk-full");
        assert_eq!(Page::Event("disk-full".into()).path(), "/directory/events/disk-full");
        assert_eq!(Page::NewEvent.path(), "/directory/new-event");
        assert_eq!(Page::ApiKeys.path(), "/admin/api-keys");
    }
}
