//! Recipient resolution: who a fire reaches, through which path, and who was
//! left out and why.
//!
//! Resolution is pure: it reads a snapshot of the directory that the caller
//! loaded in the same transaction, so a plan shown as a dry run and the
//! deliveries made for a real fire come from the same code.
//!
//! Rules, in the order targets are given:
//! - A group target expands to its members in member order. A disabled group
//!   skips each member with `group_disabled`, whatever else is true of them,
//!   and does not count as having met them: another, enabled route can still
//!   reach them.
//! - The first enabled route to a contact decides its outcome: a disabled
//!   contact is skipped with `contact_disabled`, a contact without
//!   destinations with `no_destination`; otherwise every enabled destination
//!   gets one delivery and every disabled one a `destination_disabled` skip.
//! - A later route to a contact that got at least one delivery adds a
//!   `duplicate` skip, so the plan shows that route too. A later route to a
//!   contact that got nothing adds nothing: the first entry already says why.
//! - A target listed twice, or a member listed twice in one group, counts
//!   once. Ids missing from the snapshot are ignored.

use std::collections::{HashMap, HashSet};

use super::media::Medium;

/// A contact as resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactInfo {
    /// Database id.
    pub id: i64,
    /// Slug shown in paths, e.g. `ana`.
    pub slug: String,
    /// Display name.
    pub name: String,
    /// Whether the contact receives anything at all.
    pub enabled: bool,
}

/// A group as resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GroupInfo {
    /// Database id.
    pub id: i64,
    /// Slug shown in paths, e.g. `ops`.
    pub slug: String,
    /// Whether notifying the group reaches its members.
    pub enabled: bool,
    /// Member contact ids, in order.
    pub members: Vec<i64>,
}

/// A contact's destination as resolution sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DestinationInfo {
    /// Database id.
    pub id: i64,
    /// The contact it belongs to.
    pub contact_id: i64,
    /// How it is delivered to.
    pub medium: Medium,
    /// Human-readable address (email, E.164 number, URL or username).
    pub address: String,
    /// Whether it receives messages.
    pub enabled: bool,
}

/// What resolution reads: the part of the directory the targets touch.
#[derive(Debug, Clone, Default)]
pub struct DirectorySnapshot {
    /// Contacts by id.
    pub contacts: HashMap<i64, ContactInfo>,
    /// Groups by id.
    pub groups: HashMap<i64, GroupInfo>,
    /// Destinations, in id order.
    pub destinations: Vec<DestinationInfo>,
}

/// Who a fire is addressed to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// One contact, by id.
    Contact(i64),
    /// Every member of a group, by group id.
    Group(i64),
}

/// Where a fire came from: the first step of every path, e.g. ("event", "disk-full"), ("contact", "ana"), ("group", "ops").
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Origin {
    /// `event`, `contact` or `group`.
    pub kind: &'static str,
    /// The origin's slug.
    pub slug: String,
}

/// Why a contact or destination got no delivery.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SkipReason {
    /// The contact is disabled.
    ContactDisabled,
    /// The contact was reached only through a disabled group on this path.
    GroupDisabled,
    /// This destination of a reached contact is disabled.
    DestinationDisabled,
    /// The contact is enabled but has no destinations at all.
    NoDestination,
    /// The contact already got the message through an earlier path.
    Duplicate,
}

impl SkipReason {
    /// Stable identifier used in the API and database, e.g. `"no_destination"`.
    pub fn as_str(self) -> &'static str {
        match self {
            SkipReason::ContactDisabled => "contact_disabled",
            SkipReason::GroupDisabled => "group_disabled",
            SkipReason::DestinationDisabled => "destination_disabled",
            SkipReason::NoDestination => "no_destination",
            SkipReason::Duplicate => "duplicate",
        }
    }
}

/// One delivery: a contact's destination and the path that reached it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Recipient {
    /// The contact reached.
    pub contact_id: i64,
    /// Its slug.
    pub contact_slug: String,
    /// The destination delivered to.
    pub destination_id: i64,
    /// The destination's medium.
    pub medium: Medium,
    /// The destination's address.
    pub address: String,
    /// Steps from the origin to the destination, e.g. `["event disk-full", "group ops", "contact ana", "sms +447700900123"]`.
    pub path: Vec<String>,
}

/// A contact, or one of its destinations, that got no delivery on a path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Skipped {
    /// The contact.
    pub contact_id: i64,
    /// Its slug.
    pub contact_slug: String,
    /// The destination, for `destination_disabled`; `None` otherwise.
    pub destination_id: Option<i64>,
    /// Why nothing was delivered.
    pub reason: SkipReason,
    /// Steps from the origin to the contact (or, for `destination_disabled`, the destination).
    pub path: Vec<String>,
}

/// Everyone a fire reaches and everyone it left out.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resolution {
    /// Deliveries, in target order, then member order, then destination order.
    pub recipients: Vec<Recipient>,
    /// Skips, in the same order.
    pub skipped: Vec<Skipped>,
}

/// Resolves `targets` against `directory`; see the module docs for the rules.
pub fn resolve(origin: &Origin, targets: &[Target], directory: &DirectorySnapshot) -> Resolution {
    let mut destinations: HashMap<i64, Vec<&DestinationInfo>> = HashMap::new();
    for destination in &directory.destinations {
        destinations.entry(destination.contact_id).or_default().push(destination);
    }
    let mut resolver =
        Resolver { destinations, decided: HashSet::new(), delivered: HashSet::new(), out: Resolution::default() };
    let origin_path = vec![step(origin.kind, &origin.slug)];
    let mut seen_targets = HashSet::new();

    for &target in targets {
        match target {
            Target::Contact(id) => {
                let Some(contact) = directory.contacts.get(&id) else { continue };
                if seen_targets.insert(("contact", id)) {
                    resolver.visit(contact, &origin_path, true);
                }
            }
            Target::Group(id) => {
                let Some(group) = directory.groups.get(&id) else { continue };
                if !seen_targets.insert(("group", id)) {
                    continue;
                }
                let group_path = extend(&origin_path, step("group", &group.slug));
                let mut seen_members = HashSet::new();
                for member in &group.members {
                    let Some(contact) = directory.contacts.get(member) else { continue };
                    if seen_members.insert(*member) {
                        resolver.visit(contact, &group_path, group.enabled);
                    }
                }
            }
        }
    }
    resolver.out
}

/// "event disk-full → group ops → contact ana → sms +447700900123"
pub fn path_text(path: &[String]) -> String {
    path.join(" → ")
}

struct Resolver<'a> {
    /// Each contact's destinations, in id order.
    destinations: HashMap<i64, Vec<&'a DestinationInfo>>,
    /// Contacts whose outcome an enabled route has already decided.
    decided: HashSet<i64>,
    /// Contacts that got at least one delivery.
    delivered: HashSet<i64>,
    out: Resolution,
}

impl Resolver<'_> {
    /// Records what reaching `contact` by `path` gives; `route_enabled` is
    /// false when the path runs through a disabled group.
    fn visit(&mut self, contact: &ContactInfo, path: &[String], route_enabled: bool) {
        let path = extend(path, step("contact", &contact.slug));
        if !route_enabled {
            self.skip(contact, None, SkipReason::GroupDisabled, path);
            return;
        }
        if self.delivered.contains(&contact.id) {
            self.skip(contact, None, SkipReason::Duplicate, path);
            return;
        }
        if !self.decided.insert(contact.id) {
            // Decided earlier without a delivery; that entry already says why.
            return;
        }
        if !contact.enabled {
            self.skip(contact, None, SkipReason::ContactDisabled, path);
            return;
        }
        let destinations = self.destinations.get(&contact.id).cloned().unwrap_or_default();
        if destinations.is_empty() {
            self.skip(contact, None, SkipReason::NoDestination, path);
            return;
        }
        for destination in destinations {
            let full_path = extend(&path, step(destination.medium.as_str(), &destination.address));
            if destination.enabled {
                self.delivered.insert(contact.id);
                self.out.recipients.push(Recipient {
                    contact_id: contact.id,
                    contact_slug: contact.slug.clone(),
                    destination_id: destination.id,
                    medium: destination.medium,
                    address: destination.address.clone(),
                    path: full_path,
                });
            } else {
                self.skip(contact, Some(destination.id), SkipReason::DestinationDisabled, full_path);
            }
        }
    }

    fn skip(&mut self, contact: &ContactInfo, destination_id: Option<i64>, reason: SkipReason, path: Vec<String>) {
        self.out.skipped.push(Skipped {
            contact_id: contact.id,
            contact_slug: contact.slug.clone(),
            destination_id,
            reason,
            path,
        });
    }
}

/// One path step, "<kind> <slug>" or "<medium> <address>".
fn step(kind: &str, name: &str) -> String {
    format!("{kind} {name}")
}

/// `path` followed by `next`, unless `next` repeats the last step: a direct
/// notify of contact ana starts at "contact ana" and must not say it twice.
fn extend(path: &[String], next: String) -> Vec<String> {
    let mut extended = path.to_vec();
    if extended.last() != Some(&next) {
        extended.push(next);
    }
    extended
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    const ANA: i64 = 1;
    const BEN: i64 = 2;
    const CY: i64 = 3;
    const OPS: i64 = 10;
    const DBA: i64 = 11;

    fn contact(id: i64, slug: &str, enabled: bool) -> ContactInfo {
        ContactInfo { id, slug: slug.into(), name: slug.to_uppercase(), enabled }
    }

    fn group(id: i64, slug: &str, enabled: bool, members: &[i64]) -> GroupInfo {
        GroupInfo { id, slug: slug.into(), enabled, members: members.to_vec() }
    }

    fn destination(id: i64, contact_id: i64, medium: Medium, address: &str, enabled: bool) -> DestinationInfo {
        DestinationInfo { id, contact_id, medium, address: address.into(), enabled }
    }

    fn directory(
        contacts: Vec<ContactInfo>,
        groups: Vec<GroupInfo>,
        destinations: Vec<DestinationInfo>,
    ) -> DirectorySnapshot {
        DirectorySnapshot {
            contacts: contacts.into_iter().map(|c| (c.id, c)).collect(),
            groups: groups.into_iter().map(|g| (g.id, g)).collect(),
            destinations,
        }
    }

    /// ana (sms, email), ben (email), cy (no destinations); ops = [ana, ben], dba = [ben, cy].
    fn office() -> DirectorySnapshot {
        directory(
            vec![contact(ANA, "ana", true), contact(BEN, "ben", true), contact(CY, "cy", true)],
            vec![group(OPS, "ops", true, &[ANA, BEN]), group(DBA, "dba", true, &[BEN, CY])],
            vec![
                destination(100, ANA, Medium::Sms, "+447700900123", true),
                destination(101, ANA, Medium::Email, "ana@example.com", true),
                destination(102, BEN, Medium::Email, "ben@example.com", true),
            ],
        )
    }

    fn event() -> Origin {
        Origin { kind: "event", slug: "disk-full".into() }
    }

    fn path(steps: &[&str]) -> Vec<String> {
        steps.iter().map(|s| s.to_string()).collect()
    }

    fn deliveries(resolution: &Resolution) -> Vec<(i64, i64)> {
        resolution.recipients.iter().map(|r| (r.contact_id, r.destination_id)).collect()
    }

    fn skips(resolution: &Resolution) -> Vec<(i64, Option<i64>, SkipReason)> {
        resolution.skipped.iter().map(|s| (s.contact_id, s.destination_id, s.reason)).collect()
    }

    #[test]
    fn a_group_reaches_every_destination_of_every_member_with_the_full_path() {
        let resolution = resolve(&event(), &[Target::Group(OPS)], &office());
        assert_eq!(deliveries(&resolution), [(ANA, 100), (ANA, 101), (BEN, 102)]);
        assert!(resolution.skipped.is_empty());
        let first = &resolution.recipients[0];
        assert_eq!(first.path, path(&["event disk-full", "group ops", "contact ana", "sms +447700900123"]));
        assert_eq!(path_text(&first.path), "event disk-full → group ops → contact ana → sms +447700900123");
        assert_eq!(
            (first.contact_slug.as_str(), first.medium, first.address.as_str()),
            ("ana", Medium::Sms, "+447700900123")
        );
    }

    #[test]
    fn a_direct_notify_does_not_repeat_its_origin() {
        let origin = Origin { kind: "contact", slug: "ana".into() };
        let resolution = resolve(&origin, &[Target::Contact(ANA)], &office());
        assert_eq!(resolution.recipients[0].path, path(&["contact ana", "sms +447700900123"]));
        let origin = Origin { kind: "group", slug: "ops".into() };
        let resolution = resolve(&origin, &[Target::Group(OPS)], &office());
        assert_eq!(resolution.recipients[2].path, path(&["group ops", "contact ben", "email ben@example.com"]));
    }

    #[test]
    fn a_disabled_contact_is_skipped_as_contact_disabled() {
        let mut dir = office();
        dir.contacts.get_mut(&ANA).unwrap().enabled = false;
        let resolution = resolve(&event(), &[Target::Group(OPS)], &dir);
        assert_eq!(deliveries(&resolution), [(BEN, 102)]);
        assert_eq!(skips(&resolution), [(ANA, None, SkipReason::ContactDisabled)]);
        assert_eq!(resolution.skipped[0].path, path(&["event disk-full", "group ops", "contact ana"]));
    }

    #[test]
    fn a_disabled_group_skips_each_member_as_group_disabled_and_nothing_else() {
        let mut dir = office();
        dir.groups.get_mut(&OPS).unwrap().enabled = false;
        dir.contacts.get_mut(&BEN).unwrap().enabled = false;
        let resolution = resolve(&event(), &[Target::Group(OPS)], &dir);
        assert!(resolution.recipients.is_empty());
        assert_eq!(
            skips(&resolution),
            [(ANA, None, SkipReason::GroupDisabled), (BEN, None, SkipReason::GroupDisabled)]
        );
        assert_eq!(resolution.skipped[1].path, path(&["event disk-full", "group ops", "contact ben"]));
    }

    #[test]
    fn a_disabled_group_does_not_stop_another_route_to_the_same_contact() {
        let mut dir = office();
        dir.groups.get_mut(&OPS).unwrap().enabled = false;
        let resolution = resolve(&event(), &[Target::Group(OPS), Target::Group(DBA)], &dir);
        assert_eq!(deliveries(&resolution), [(BEN, 102)]);
        assert_eq!(
            skips(&resolution),
            [
                (ANA, None, SkipReason::GroupDisabled),
                (BEN, None, SkipReason::GroupDisabled),
                (CY, None, SkipReason::NoDestination)
            ]
        );
    }

    #[test]
    fn a_disabled_destination_is_skipped_and_the_others_still_deliver() {
        let mut dir = office();
        dir.destinations[0].enabled = false;
        let resolution = resolve(&event(), &[Target::Contact(ANA)], &dir);
        assert_eq!(deliveries(&resolution), [(ANA, 101)]);
        assert_eq!(skips(&resolution), [(ANA, Some(100), SkipReason::DestinationDisabled)]);
        assert_eq!(resolution.skipped[0].path, path(&["event disk-full", "contact ana", "sms +447700900123"]));
    }

    #[test]
    fn a_contact_whose_destinations_are_all_disabled_appears_only_in_skipped() {
        let mut dir = office();
        dir.destinations[0].enabled = false;
        dir.destinations[1].enabled = false;
        let resolution = resolve(&event(), &[Target::Contact(ANA), Target::Group(OPS)], &dir);
        assert_eq!(deliveries(&resolution), [(BEN, 102)]);
        // One entry per disabled destination; the second route adds nothing since ana got nothing.
        assert_eq!(
            skips(&resolution),
            [(ANA, Some(100), SkipReason::DestinationDisabled), (ANA, Some(101), SkipReason::DestinationDisabled)]
        );
    }

    #[test]
    fn an_enabled_contact_without_destinations_is_skipped_as_no_destination() {
        let resolution = resolve(&event(), &[Target::Contact(CY)], &office());
        assert!(resolution.recipients.is_empty());
        assert_eq!(skips(&resolution), [(CY, None, SkipReason::NoDestination)]);
        assert_eq!(resolution.skipped[0].path, path(&["event disk-full", "contact cy"]));
    }

    #[test]
    fn a_contact_targeted_directly_and_through_a_group_is_reached_once() {
        let resolution = resolve(&event(), &[Target::Contact(ANA), Target::Group(OPS)], &office());
        assert_eq!(deliveries(&resolution), [(ANA, 100), (ANA, 101), (BEN, 102)]);
        assert_eq!(skips(&resolution), [(ANA, None, SkipReason::Duplicate)]);
        assert_eq!(resolution.recipients[0].path, path(&["event disk-full", "contact ana", "sms +447700900123"]));
        assert_eq!(resolution.skipped[0].path, path(&["event disk-full", "group ops", "contact ana"]));
    }

    #[test]
    fn a_contact_in_two_groups_is_reached_through_the_first() {
        let resolution = resolve(&event(), &[Target::Group(DBA), Target::Group(OPS)], &office());
        assert_eq!(deliveries(&resolution), [(BEN, 102), (ANA, 100), (ANA, 101)]);
        assert_eq!(
            resolution.recipients[0].path,
            path(&["event disk-full", "group dba", "contact ben", "email ben@example.com"])
        );
        assert_eq!(skips(&resolution), [(CY, None, SkipReason::NoDestination), (BEN, None, SkipReason::Duplicate)]);
        assert_eq!(resolution.skipped[1].path, path(&["event disk-full", "group ops", "contact ben"]));
    }

    #[test]
    fn a_contact_skipped_for_its_own_state_is_reported_once() {
        let mut dir = office();
        dir.contacts.get_mut(&BEN).unwrap().enabled = false;
        let resolution = resolve(&event(), &[Target::Group(OPS), Target::Group(DBA), Target::Contact(BEN)], &dir);
        assert_eq!(
            skips(&resolution),
            [(BEN, None, SkipReason::ContactDisabled), (CY, None, SkipReason::NoDestination)]
        );
    }

    #[test]
    fn recipients_follow_target_then_member_then_destination_order() {
        let resolution = resolve(&event(), &[Target::Contact(BEN), Target::Group(OPS)], &office());
        assert_eq!(deliveries(&resolution), [(BEN, 102), (ANA, 100), (ANA, 101)]);
        let mut dir = office();
        dir.groups.get_mut(&OPS).unwrap().members = vec![BEN, ANA];
        assert_eq!(deliveries(&resolve(&event(), &[Target::Group(OPS)], &dir)), [(BEN, 102), (ANA, 100), (ANA, 101)]);
    }

    #[test]
    fn repeated_targets_and_members_count_once() {
        let mut dir = office();
        dir.groups.get_mut(&OPS).unwrap().members = vec![ANA, ANA, BEN];
        let resolution = resolve(&event(), &[Target::Group(OPS), Target::Group(OPS), Target::Contact(BEN)], &dir);
        assert_eq!(deliveries(&resolution), [(ANA, 100), (ANA, 101), (BEN, 102)]);
        assert_eq!(skips(&resolution), [(BEN, None, SkipReason::Duplicate)]);
    }

    #[test]
    fn unknown_ids_are_ignored() {
        let mut dir = office();
        dir.groups.get_mut(&OPS).unwrap().members = vec![99, ANA];
        dir.destinations.push(destination(200, 98, Medium::Inbox, "ghost", true));
        let resolution = resolve(&event(), &[Target::Contact(77), Target::Group(88), Target::Group(OPS)], &dir);
        assert_eq!(deliveries(&resolution), [(ANA, 100), (ANA, 101)]);
        assert!(resolution.skipped.is_empty());
        assert_eq!(resolve(&event(), &[], &dir), Resolution::default());
    }

    #[test]
    fn skip_reasons_have_stable_names_in_code_and_json() {
        for (reason, name) in [
            (SkipReason::ContactDisabled, "contact_disabled"),
            (SkipReason::GroupDisabled, "group_disabled"),
            (SkipReason::DestinationDisabled, "destination_disabled"),
            (SkipReason::NoDestination, "no_destination"),
            (SkipReason::Duplicate, "duplicate"),
        ] {
            assert_eq!(reason.as_str(), name);
            assert_eq!(serde_json::to_value(reason).unwrap(), serde_json::json!(name));
            assert_eq!(serde_json::from_value::<SkipReason>(serde_json::json!(name)).unwrap(), reason);
        }
    }

    /// Small random directories: ids overlap enough for shared members,
    /// repeats and ids missing from the snapshot.
    fn arb_case() -> impl Strategy<Value = (DirectorySnapshot, Vec<Target>)> {
        let contacts = prop::collection::vec(any::<bool>(), 0..6);
        let groups = prop::collection::vec((any::<bool>(), prop::collection::vec(0i64..8, 0..6)), 0..4);
        let destinations = prop::collection::vec((0i64..8, 0usize..Medium::ALL.len(), any::<bool>()), 0..12);
        let targets = prop::collection::vec((any::<bool>(), 0i64..8), 0..6);
        (contacts, groups, destinations, targets).prop_map(|(contacts, groups, destinations, targets)| {
            let dir = directory(
                contacts.iter().enumerate().map(|(i, &on)| contact(i as i64, &format!("c{i}"), on)).collect(),
                groups
                    .iter()
                    .enumerate()
                    .map(|(i, (on, members))| group(i as i64, &format!("g{i}"), *on, members))
                    .collect(),
                destinations
                    .iter()
                    .enumerate()
                    .map(|(i, &(owner, medium, on))| {
                        destination(i as i64, owner, Medium::ALL[medium], &format!("a{i}"), on)
                    })
                    .collect(),
            );
            let targets = targets
                .into_iter()
                .map(|(is_group, id)| if is_group { Target::Group(id) } else { Target::Contact(id) })
                .collect();
            (dir, targets)
        })
    }

    /// Contacts some enabled route reaches, computed straight from the definition.
    fn reachable(dir: &DirectorySnapshot, targets: &[Target]) -> HashSet<i64> {
        let mut ids = HashSet::new();
        for target in targets {
            match *target {
                Target::Contact(id) => {
                    ids.insert(id);
                }
                Target::Group(id) => {
                    if let Some(group) = dir.groups.get(&id).filter(|g| g.enabled) {
                        ids.extend(&group.members);
                    }
                }
            }
        }
        ids.retain(|id| dir.contacts.get(id).is_some_and(|c| c.enabled));
        ids
    }

    proptest! {
        #[test]
        fn no_contact_and_destination_pair_is_delivered_twice((dir, targets) in arb_case()) {
            let pairs = deliveries(&resolve(&event(), &targets, &dir));
            let unique: HashSet<_> = pairs.iter().collect();
            prop_assert_eq!(unique.len(), pairs.len());
        }

        #[test]
        fn every_recipient_is_an_enabled_destination_of_an_enabled_contact((dir, targets) in arb_case()) {
            for recipient in resolve(&event(), &targets, &dir).recipients {
                let contact = &dir.contacts[&recipient.contact_id];
                prop_assert!(contact.enabled);
                let destination = dir.destinations.iter().find(|d| d.id == recipient.destination_id).unwrap();
                prop_assert!(destination.enabled);
                prop_assert_eq!(destination.contact_id, recipient.contact_id);
                prop_assert_eq!(recipient.path.last().unwrap(), &format!("{} {}", destination.medium, destination.address));
                prop_assert_eq!(&recipient.path[0], "event disk-full");
            }
        }

        #[test]
        fn every_enabled_destination_of_every_reachable_contact_is_delivered_exactly_once(
            (dir, targets) in arb_case()
        ) {
            let reachable = reachable(&dir, &targets);
            let mut expected: Vec<(i64, i64)> = dir
                .destinations
                .iter()
                .filter(|d| d.enabled && reachable.contains(&d.contact_id))
                .map(|d| (d.contact_id, d.id))
                .collect();
            let mut actual = deliveries(&resolve(&event(), &targets, &dir));
            expected.sort_unstable();
            actual.sort_unstable();
            prop_assert_eq!(actual, expected);
        }

        #[test]
        fn resolve_is_deterministic((dir, targets) in arb_case()) {
            let first = resolve(&event(), &targets, &dir);
            // Maps rebuilt with fresh hash seeds: iteration order must not leak into the result.
            let rebuilt = DirectorySnapshot {
                contacts: dir.contacts.clone().into_iter().collect(),
                groups: dir.groups.clone().into_iter().collect(),
                destinations: dir.destinations.clone(),
            };
            prop_assert_eq!(resolve(&event(), &targets, &rebuilt), first);
        }

        #[test]
        fn duplicates_are_only_reported_for_contacts_that_got_a_delivery((dir, targets) in arb_case()) {
            let resolution = resolve(&event(), &targets, &dir);
            let delivered: HashSet<i64> = resolution.recipients.iter().map(|r| r.contact_id).collect();
            for skipped in resolution.skipped.iter().filter(|s| s.reason == SkipReason::Duplicate) {
                prop_assert!(delivered.contains(&skipped.contact_id));
            }
        }
    }
}
