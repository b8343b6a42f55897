//! Import of a RedFlash installation: turns a Django `dumpdata` JSON array
//! into the contacts, groups, API keys and events Tocsin will create.
//!
//! Pure: the caller reads the file, stores the plan (hashing the keys, giving
//! imported events HTML escaping) and shows the warnings. Rules from
//! REDFLASH.md, "Import of a RedFlash dump":
//!
//! - A dump that is not what `dumpdata` writes (not a JSON array of objects,
//!   a field of the wrong type) is refused as a whole with
//!   [`ImportError::Format`], saying where; importing half of it would leave
//!   references pointing nowhere.
//! - Anything that is well-formed but cannot be carried over as it was is
//!   imported disabled, or skipped when Tocsin has no place for it, and each
//!   such case adds one line to [`ImportPlan::warnings`].
//! - Every list is in pk order, whatever the order of the dump, so importing
//!   the same dump twice gives the same plan.

use std::collections::hash_map::Entry;
use std::collections::{HashMap, HashSet};
use std::fmt;

use serde_json::{json, Map, Value};

use super::media::Medium;
use super::phone::PhoneNumber;
use super::slug::Slug;
use super::templates;

/// Django model names of the objects the import reads.
const CONTACT: &str = "squawk.contact";
const ENDPOINT: &str = "squawk.contactendpoint";
const GROUP: &str = "squawk.contactgroup";
const API_USER: &str = "squawk.apiuser";
const EVENT: &str = "squawk.event";

/// `ContactEndPoint.end_point` codes.
const SMS: i64 = 0;
const TWITTER: i64 = 1;
const EMAIL: i64 = 2;
const WEBHOOK: i64 = 3;

/// Length of the keys RedFlash generated, in hex digits.
const LEGACY_KEY_LEN: usize = 20;

/// A RedFlash installation as Tocsin will hold it.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ImportPlan {
    /// Contacts with their destinations, by pk.
    pub contacts: Vec<ImportContact>,
    /// Groups, by pk.
    pub groups: Vec<ImportGroup>,
    /// API keys from the legacy API users, by pk.
    pub api_keys: Vec<ImportApiKey>,
    /// Events, by pk.
    pub events: Vec<ImportEvent>,
    /// One line per object skipped, disabled or changed on the way in.
    pub warnings: Vec<String>,
}

/// A contact and its destinations.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportContact {
    /// The RedFlash slug, spelling kept.
    pub slug: String,
    /// Display name as stored.
    pub name: String,
    /// Whether the contact receives notifications.
    pub enabled: bool,
    /// The contact's endpoints that Tocsin can hold, by endpoint pk.
    pub destinations: Vec<ImportDestination>,
}

/// One endpoint of a contact, as a Tocsin destination.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportDestination {
    /// How it delivers.
    pub medium: Medium,
    /// Settings as [`Medium::validate_settings`] would store them; for an
    /// endpoint imported disabled because its address is invalid, the address
    /// as RedFlash had it, so the operator can correct it.
    pub settings: Value,
    /// Human-readable destination (E.164 number, email address or URL).
    pub address: String,
    /// The endpoint's own flag, forced off when its address is invalid.
    pub enabled: bool,
    /// The endpoint's pk in the dump, to trace a destination back to it.
    pub legacy_pk: i64,
}

/// A group of contacts.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportGroup {
    /// The RedFlash slug, spelling kept.
    pub slug: String,
    /// Display name as stored.
    pub name: String,
    /// Whether sending to the group delivers anything.
    pub enabled: bool,
    /// Slugs of the member contacts, in the dump's order.
    pub members: Vec<String>,
}

/// An API key carried over from a RedFlash API user.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportApiKey {
    /// The API user's name.
    pub name: String,
    /// The legacy key (20 hex digits) in clear, for the caller to hash.
    pub secret: String,
    /// Scopes `send`, plus `read` when true (RedFlash's admin users).
    pub admin: bool,
    /// Whether the key is accepted.
    pub enabled: bool,
}

/// An event: a template fired by slug, sent to contacts and groups.
#[derive(Debug, Clone, PartialEq)]
pub struct ImportEvent {
    /// The RedFlash slug, spelling kept.
    pub slug: String,
    /// Display name as stored.
    pub name: String,
    /// Description as stored.
    pub description: String,
    /// Whether the event can be fired; off when its template cannot be rendered.
    pub enabled: bool,
    /// RedFlash's `message`, to render with HTML escaping as RedFlash did.
    pub body_template: String,
    /// Slugs of the contacts it is sent to, in the dump's order.
    pub contacts: Vec<String>,
    /// Slugs of the groups it is sent to, in the dump's order.
    pub groups: Vec<String>,
}

/// Why a dump could not be read at all.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    /// The input is not a Django `dumpdata` JSON array of the expected shape;
    /// the message says where.
    #[error("not a RedFlash dump: {0}")]
    Format(String),
}

/// Parses a Django `dumpdata` JSON array (models squawk.contact, squawk.contactendpoint, squawk.contactgroup, squawk.apiuser, squawk.event; others ignored with a warning once per model name).
pub fn plan(dump: &str) -> Result<ImportPlan, ImportError> {
    let dump = Dump::read(dump)?;
    let mut plan = ImportPlan::default();
    for (model, count) in &dump.ignored {
        let objects = if *count == 1 { "1 object".to_owned() } else { format!("{count} objects") };
        plan.warnings.push(format!("model '{model}' is not imported: {objects} ignored"));
    }
    let contacts = import_contacts(&dump, &mut plan);
    import_endpoints(&dump, &contacts, &mut plan);
    let groups = import_groups(&dump, &contacts, &mut plan);
    import_api_keys(&dump, &mut plan);
    import_events(&dump, &contacts, &groups, &mut plan);
    Ok(plan)
}

fn import_contacts(dump: &Dump, plan: &mut ImportPlan) -> Imported {
    let mut slugs = SlugRegistry::new("contact");
    let mut imported = Imported::new(dump.contacts.iter().map(|c| c.pk));
    for contact in &dump.contacts {
        let Some(slug) = slugs.admit(contact.pk, &contact.name, &contact.slug, &mut plan.warnings) else {
            continue;
        };
        imported.add(contact.pk, slug.clone());
        plan.contacts.push(ImportContact {
            slug,
            name: contact.name.clone(),
            enabled: contact.enabled,
            destinations: Vec::new(),
        });
    }
    imported
}

fn import_endpoints(dump: &Dump, contacts: &Imported, plan: &mut ImportPlan) {
    // Endpoints are in pk order, so each contact's destinations end up in pk
    // order too.
    for endpoint in &dump.endpoints {
        let index = match contacts.index_of(endpoint.contact) {
            Ok(index) => index,
            Err(why) => {
                plan.warnings.push(format!(
                    "endpoint pk {} not imported: its contact (pk {}) {why}",
                    endpoint.pk, endpoint.contact
                ));
                continue;
            }
        };
        let Some(contact) = plan.contacts.get_mut(index) else { continue };
        if let Some(destination) = destination(endpoint, &contact.slug, &mut plan.warnings) {
            contact.destinations.push(destination);
        }
    }
}

/// The destination for one endpoint, or `None` when Tocsin has no medium for it.
fn destination(endpoint: &RawEndpoint, contact: &str, warnings: &mut Vec<String>) -> Option<ImportDestination> {
    let address = endpoint.address.as_str();
    let (medium, checked, fallback, what) = match endpoint.code {
        SMS => {
            let checked = PhoneNumber::parse_legacy(address)
                .and_then(|number| Medium::Sms.validate_settings(&json!({ "phone": number.e164() })));
            // RedFlash stored the number without its `+`; a leading one is not
            // doubled in case someone typed it anyway.
            let phone = format!("+{}", address.trim().trim_start_matches('+'));
            (Medium::Sms, checked, (json!({ "phone": phone }), phone), "phone number")
        }
        EMAIL => {
            let checked = Medium::Email.validate_settings(&json!({ "address": address }));
            (Medium::Email, checked, (json!({ "address": address }), address.to_owned()), "address")
        }
        WEBHOOK => {
            // RedFlash receivers expect its form post, not Tocsin's JSON.
            let checked = Medium::Webhook.validate_settings(&json!({ "url": address, "format": "redflash" }));
            let fallback = (json!({ "url": address, "format": "redflash" }), address.to_owned());
            (Medium::Webhook, checked, fallback, "URL")
        }
        TWITTER => {
            // REDFLASH.md asks for a disabled import, but Tocsin has no medium
            // that could hold a Twitter handle, so the endpoint is left out.
            warnings
                .push(format!("twitter endpoint of contact '{contact}' not imported: the channel no longer exists"));
            return None;
        }
        code => {
            warnings.push(format!(
                "endpoint pk {} of contact '{contact}' not imported: unknown end_point code {code}",
                endpoint.pk
            ));
            return None;
        }
    };
    let (settings, address, enabled) = match checked {
        Ok(valid) => (valid.settings, valid.address, endpoint.enabled),
        Err(err) => {
            warnings.push(format!(
                "{} endpoint of contact '{contact}' imported disabled: {what} {address:?} is invalid: {}",
                medium.as_str(),
                err.message
            ));
            (fallback.0, fallback.1, false)
        }
    };
    Some(ImportDestination { medium, settings, address, enabled, legacy_pk: endpoint.pk })
}

fn import_groups(dump: &Dump, contacts: &Imported, plan: &mut ImportPlan) -> Imported {
    let mut slugs = SlugRegistry::new("group");
    let mut imported = Imported::new(dump.groups.iter().map(|g| g.pk));
    for group in &dump.groups {
        let Some(slug) = slugs.admit(group.pk, &group.name, &group.slug, &mut plan.warnings) else {
            continue;
        };
        let members = references(&group.contacts, contacts, &mut plan.warnings, |pk, why| {
            format!("group '{slug}': member contact pk {pk} dropped: it {why}")
        });
        imported.add(group.pk, slug.clone());
        plan.groups.push(ImportGroup { slug, name: group.name.clone(), enabled: group.enabled, members });
    }
    imported
}

fn import_api_keys(dump: &Dump, plan: &mut ImportPlan) {
    // Two users with one key would make every request with it ambiguous.
    let mut keys: HashMap<&str, &RawApiUser> = HashMap::new();
    for user in &dump.api_users {
        let key = user.key.as_str();
        if key.len() != LEGACY_KEY_LEN || !key.bytes().all(|b| b.is_ascii_hexdigit()) {
            plan.warnings.push(format!(
                "API user {:?} (pk {}) not imported: its key is not {LEGACY_KEY_LEN} hexadecimal digits",
                user.name, user.pk
            ));
            continue;
        }
        match keys.entry(key) {
            Entry::Occupied(first) => plan.warnings.push(format!(
                "API user {:?} (pk {}) not imported: it has the same key as API user {:?} (pk {})",
                user.name,
                user.pk,
                first.get().name,
                first.get().pk
            )),
            Entry::Vacant(slot) => {
                slot.insert(user);
                plan.api_keys.push(ImportApiKey {
                    name: user.name.clone(),
                    secret: user.key.clone(),
                    admin: user.admin,
                    enabled: user.enabled,
                });
            }
        }
    }
}

fn import_events(dump: &Dump, contacts: &Imported, groups: &Imported, plan: &mut ImportPlan) {
    let mut slugs = SlugRegistry::new("event");
    for event in &dump.events {
        let Some(slug) = slugs.admit(event.pk, &event.name, &event.slug, &mut plan.warnings) else {
            continue;
        };
        // Refused now rather than at the first fire, which would answer 500.
        let mut enabled = event.enabled;
        if let Err(err) = templates::check_syntax("message", &event.message) {
            plan.warnings.push(format!(
                "event '{slug}' ({:?}) imported disabled: its template cannot be rendered: {}",
                event.name, err.message
            ));
            enabled = false;
        }
        let event_contacts = references(&event.contacts, contacts, &mut plan.warnings, |pk, why| {
            format!("event '{slug}': contact pk {pk} dropped: it {why}")
        });
        let event_groups = references(&event.groups, groups, &mut plan.warnings, |pk, why| {
            format!("event '{slug}': group pk {pk} dropped: it {why}")
        });
        plan.events.push(ImportEvent {
            slug,
            name: event.name.clone(),
            description: event.description.clone(),
            enabled,
            body_template: event.message.clone(),
            contacts: event_contacts,
            groups: event_groups,
        });
    }
}

/// Slugs for a list of pks, in the list's order; unresolved pks are reported
/// through `warning`, repeats dropped silently (Django's many-to-many tables
/// cannot hold them, and Tocsin's memberships are sets).
fn references(
    pks: &[i64],
    targets: &Imported,
    warnings: &mut Vec<String>,
    warning: impl Fn(i64, Unresolved) -> String,
) -> Vec<String> {
    let mut seen = HashSet::new();
    let mut slugs = Vec::new();
    for &pk in pks {
        match targets.slug_of(pk) {
            Ok(slug) if seen.insert(pk) => slugs.push(slug.to_owned()),
            Ok(_) => {}
            Err(why) => warnings.push(warning(pk, why)),
        }
    }
    slugs
}

/// The objects of one kind that made it into the plan, by pk.
struct Imported {
    /// Every pk of the kind in the dump, to tell a dangling reference from one
    /// to an object that was skipped.
    in_dump: HashSet<i64>,
    /// Imported pk → (position in the plan's list, slug).
    by_pk: HashMap<i64, (usize, String)>,
}

impl Imported {
    fn new(pks: impl Iterator<Item = i64>) -> Self {
        Self { in_dump: pks.collect(), by_pk: HashMap::new() }
    }

    fn add(&mut self, pk: i64, slug: String) {
        let index = self.by_pk.len();
        self.by_pk.insert(pk, (index, slug));
    }

    fn resolve(&self, pk: i64) -> Result<&(usize, String), Unresolved> {
        match self.by_pk.get(&pk) {
            Some(found) => Ok(found),
            None if self.in_dump.contains(&pk) => Err(Unresolved::NotImported),
            None => Err(Unresolved::NotInDump),
        }
    }

    fn index_of(&self, pk: i64) -> Result<usize, Unresolved> {
        self.resolve(pk).map(|(index, _)| *index)
    }

    fn slug_of(&self, pk: i64) -> Result<&str, Unresolved> {
        self.resolve(pk).map(|(_, slug)| slug.as_str())
    }
}

/// Why a pk does not lead to an imported object; reads after "it".
#[derive(Debug, Clone, Copy)]
enum Unresolved {
    NotInDump,
    NotImported,
}

impl fmt::Display for Unresolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Unresolved::NotInDump => "is not in the dump",
            Unresolved::NotImported => "was not imported",
        })
    }
}

/// The slugs one kind of object has taken so far, compared as Tocsin compares
/// them: without regard to case.
struct SlugRegistry {
    kind: &'static str,
    /// Case-folded slug → (slug as written, pk) of the object that took it.
    taken: HashMap<String, (String, i64)>,
}

impl SlugRegistry {
    fn new(kind: &'static str) -> Self {
        Self { kind, taken: HashMap::new() }
    }

    /// The slug to import the object under, or `None` (with a warning) when
    /// it is not a Tocsin slug or an earlier object already has it.
    fn admit(&mut self, pk: i64, name: &str, raw: &str, warnings: &mut Vec<String>) -> Option<String> {
        let kind = self.kind;
        let slug = match Slug::parse("slug", raw) {
            Ok(slug) => slug,
            Err(err) => {
                warnings.push(format!(
                    "{kind} pk {pk} ({name:?}) not imported: slug {raw:?} is not a valid Tocsin slug: {}",
                    err.message
                ));
                return None;
            }
        };
        match self.taken.entry(slug.key()) {
            Entry::Occupied(first) => {
                let (first_slug, first_pk) = first.get();
                warnings.push(format!(
                    "{kind} '{slug}' (pk {pk}) not imported: its slug clashes with {kind} '{first_slug}' \
                     (pk {first_pk}); slugs are compared without regard to case"
                ));
                None
            }
            Entry::Vacant(slot) => {
                slot.insert((slug.as_str().to_owned(), pk));
                Some(slug.into_inner())
            }
        }
    }
}

/// The objects of a dump, checked for shape and sorted by pk.
#[derive(Default)]
struct Dump {
    contacts: Vec<RawContact>,
    endpoints: Vec<RawEndpoint>,
    groups: Vec<RawGroup>,
    api_users: Vec<RawApiUser>,
    events: Vec<RawEvent>,
    /// Models the import does not read, in order of first appearance, with
    /// how many objects each had.
    ignored: Vec<(String, usize)>,
}

struct RawContact {
    pk: i64,
    name: String,
    slug: String,
    enabled: bool,
}

struct RawEndpoint {
    pk: i64,
    code: i64,
    contact: i64,
    address: String,
    enabled: bool,
}

struct RawGroup {
    pk: i64,
    name: String,
    slug: String,
    enabled: bool,
    contacts: Vec<i64>,
}

struct RawApiUser {
    pk: i64,
    name: String,
    key: String,
    admin: bool,
    enabled: bool,
}

struct RawEvent {
    pk: i64,
    name: String,
    slug: String,
    description: String,
    message: String,
    enabled: bool,
    contacts: Vec<i64>,
    groups: Vec<i64>,
}

impl Dump {
    /// Checks the whole dump before anything is planned, so a malformed
    /// object anywhere refuses the import instead of leaving it half done.
    fn read(source: &str) -> Result<Dump, ImportError> {
        let value: Value =
            serde_json::from_str(source).map_err(|err| ImportError::Format(format!("invalid JSON: {err}")))?;
        let Value::Array(items) = value else {
            return Err(ImportError::Format(format!("expected a JSON array of objects, got {}", describe(&value))));
        };
        let mut dump = Dump::default();
        let mut pks: HashSet<(&'static str, i64)> = HashSet::new();
        for (index, item) in items.iter().enumerate() {
            // Counted from 1, as a person reading the file counts.
            let position = format!("object {}", index + 1);
            let object = item.as_object().ok_or_else(|| {
                ImportError::Format(format!("{position}: expected a JSON object, got {}", describe(item)))
            })?;
            let model = match object.get("model") {
                Some(Value::String(model)) => model.as_str(),
                Some(other) => {
                    return Err(ImportError::Format(format!(
                        "{position}: 'model' must be a string, got {}",
                        describe(other)
                    )))
                }
                None => return Err(ImportError::Format(format!("{position}: 'model' is missing"))),
            };
            let Some(model) = [CONTACT, ENDPOINT, GROUP, API_USER, EVENT].into_iter().find(|known| *known == model)
            else {
                match dump.ignored.iter_mut().find(|(name, _)| name == model) {
                    Some((_, count)) => *count += 1,
                    None => dump.ignored.push((model.to_owned(), 1)),
                }
                continue;
            };
            let pk = match object.get("pk") {
                Some(pk) => pk.as_i64().ok_or_else(|| {
                    ImportError::Format(format!("{position} ({model}): 'pk' must be an integer, got {}", describe(pk)))
                })?,
                None => return Err(ImportError::Format(format!("{position} ({model}): 'pk' is missing"))),
            };
            let at = format!("{position} ({model} pk {pk})");
            // References are by pk, so a repeated one could not be resolved.
            if !pks.insert((model, pk)) {
                return Err(ImportError::Format(format!("{at}: another {model} already has pk {pk}")));
            }
            let fields = match object.get("fields") {
                Some(Value::Object(fields)) => Fields { map: fields, at: &at },
                Some(other) => {
                    return Err(ImportError::Format(format!(
                        "{at}: 'fields' must be an object, got {}",
                        describe(other)
                    )))
                }
                None => return Err(ImportError::Format(format!("{at}: 'fields' is missing"))),
            };
            match model {
                CONTACT => dump.contacts.push(RawContact {
                    pk,
                    name: fields.string("name")?,
                    slug: fields.string("slug")?,
                    enabled: fields.boolean("enabled")?,
                }),
                ENDPOINT => dump.endpoints.push(RawEndpoint {
                    pk,
                    code: fields.integer("end_point")?,
                    contact: fields.integer("contact")?,
                    address: fields.string("address")?,
                    enabled: fields.boolean("enabled")?,
                }),
                GROUP => dump.groups.push(RawGroup {
                    pk,
                    name: fields.string("name")?,
                    slug: fields.string("slug")?,
                    enabled: fields.boolean("enabled")?,
                    contacts: fields.integers("contacts")?,
                }),
                API_USER => dump.api_users.push(RawApiUser {
                    pk,
                    name: fields.string("name")?,
                    key: fields.string("api_key")?,
                    admin: fields.boolean("is_admin")?,
                    enabled: fields.boolean("enabled")?,
                }),
                // EVENT, the only known model left.
                _ => dump.events.push(RawEvent {
                    pk,
                    name: fields.string("name")?,
                    slug: fields.string("slug")?,
                    description: fields.text("description")?,
                    message: fields.string("message")?,
                    enabled: fields.boolean("enabled")?,
                    contacts: fields.integers("contacts")?,
                    groups: fields.integers("groups")?,
                }),
            }
        }
        dump.contacts.sort_by_key(|c| c.pk);
        dump.endpoints.sort_by_key(|e| e.pk);
        dump.groups.sort_by_key(|g| g.pk);
        dump.api_users.sort_by_key(|u| u.pk);
        dump.events.sort_by_key(|e| e.pk);
        Ok(dump)
    }
}

/// The `fields` object of one dump entry; errors name the entry and field.
struct Fields<'a> {
    map: &'a Map<String, Value>,
    at: &'a str,
}

impl Fields<'_> {
    fn get(&self, name: &str) -> Result<&Value, ImportError> {
        self.map.get(name).ok_or_else(|| ImportError::Format(format!("{}: field '{name}' is missing", self.at)))
    }

    fn wrong_type(&self, name: &str, expected: &str, got: &Value) -> ImportError {
        ImportError::Format(format!("{}: field '{name}' must be {expected}, got {}", self.at, describe(got)))
    }

    fn string(&self, name: &str) -> Result<String, ImportError> {
        match self.get(name)? {
            Value::String(s) => Ok(s.clone()),
            other => Err(self.wrong_type(name, "a string", other)),
        }
    }

    /// A string that Django may also store as null (blank text columns).
    fn text(&self, name: &str) -> Result<String, ImportError> {
        match self.get(name)? {
            Value::Null => Ok(String::new()),
            Value::String(s) => Ok(s.clone()),
            other => Err(self.wrong_type(name, "a string", other)),
        }
    }

    fn boolean(&self, name: &str) -> Result<bool, ImportError> {
        match self.get(name)? {
            Value::Bool(b) => Ok(*b),
            other => Err(self.wrong_type(name, "a boolean", other)),
        }
    }

    fn integer(&self, name: &str) -> Result<i64, ImportError> {
        let value = self.get(name)?;
        value.as_i64().ok_or_else(|| self.wrong_type(name, "an integer", value))
    }

    fn integers(&self, name: &str) -> Result<Vec<i64>, ImportError> {
        let value = self.get(name)?;
        let items = value.as_array().ok_or_else(|| self.wrong_type(name, "a list of integers", value))?;
        items
            .iter()
            .map(|item| item.as_i64().ok_or_else(|| self.wrong_type(name, "a list of integers", item)))
            .collect()
    }
}

/// What a JSON value is, for error messages; numbers are shown because
/// "got a number" would not explain why `1.5` is no pk.
fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(_) => "a boolean".to_owned(),
        Value::Number(n) => format!("the number {n}"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/redflash-testdata.json"));

    const GB_TOO_LONG: &str = "too long for GB (+44): expected 7, 9 or 10 digits after +44, got 12";
    const GB_LOCAL: &str = "too short for GB (+44): 8 digits looks like a local number without its area code; \
                            expected 7, 9 or 10 digits after +44";

    fn contact(pk: i64, slug: &str) -> Value {
        json!({
            "pk": pk, "model": CONTACT,
            "fields": {"enabled": true, "name": format!("Name {pk}"), "slug": slug}
        })
    }

    fn endpoint(pk: i64, contact: i64, code: i64, address: &str) -> Value {
        json!({
            "pk": pk, "model": ENDPOINT,
            "fields": {"end_point": code, "contact": contact, "enabled": true, "address": address}
        })
    }

    fn group(pk: i64, slug: &str, contacts: &[i64]) -> Value {
        json!({
            "pk": pk, "model": GROUP,
            "fields": {"contacts": contacts, "enabled": true, "name": format!("Group {pk}"), "slug": slug}
        })
    }

    fn api_user(pk: i64, name: &str, key: &str) -> Value {
        json!({
            "pk": pk, "model": API_USER,
            "fields": {"is_admin": false, "api_key": key, "enabled": true, "name": name, "slug": name}
        })
    }

    fn event(pk: i64, slug: &str, message: &str, contacts: &[i64], groups: &[i64]) -> Value {
        json!({"pk": pk, "model": EVENT, "fields": {
            "description": "", "contacts": contacts, "enabled": true, "groups": groups,
            "message": message, "slug": slug, "name": format!("Event {pk}")
        }})
    }

    fn plan_of(objects: Value) -> ImportPlan {
        plan(&objects.to_string()).unwrap()
    }

    fn format_error(source: &str) -> String {
        match plan(source) {
            Err(ImportError::Format(message)) => message,
            Ok(plan) => panic!("accepted: {plan:?}"),
        }
    }

    fn sms(pk: i64, phone: &str, enabled: bool) -> ImportDestination {
        ImportDestination {
            medium: Medium::Sms,
            settings: json!({ "phone": phone }),
            address: phone.to_owned(),
            enabled,
            legacy_pk: pk,
        }
    }

    #[test]
    fn the_redflash_fixture_becomes_the_expected_plan() {
        let expected = ImportPlan {
            contacts: vec![
                ImportContact {
                    slug: "demo-user".into(),
                    name: "Demo User".into(),
                    enabled: true,
                    destinations: vec![sms(3, "+44790612341234", false)],
                },
                ImportContact {
                    slug: "disabled-user".into(),
                    name: "Disabled User".into(),
                    enabled: false,
                    destinations: vec![sms(4, "+44790612341234", false)],
                },
                ImportContact {
                    slug: "jon-doe".into(),
                    name: "Jon Doe".into(),
                    enabled: true,
                    destinations: vec![sms(5, "+4498989898", false)],
                },
            ],
            groups: vec![
                ImportGroup {
                    slug: "demo-group".into(),
                    name: "Demo Group".into(),
                    enabled: true,
                    members: vec!["demo-user".into(), "disabled-user".into(), "jon-doe".into()],
                },
                ImportGroup {
                    slug: "disabled-group".into(),
                    name: "Disabled Group".into(),
                    enabled: false,
                    members: vec!["demo-user".into()],
                },
            ],
            api_keys: vec![
                ImportApiKey {
                    name: "Admin".into(),
                    secret: "1af89877901234567890".into(),
                    admin: true,
                    enabled: true,
                },
                ImportApiKey {
                    name: "Non admin".into(),
                    secret: "12345678901234567890".into(),
                    admin: false,
                    enabled: true,
                },
            ],
            events: vec![
                ImportEvent {
                    slug: "server-overload".into(),
                    name: "Server Overload".into(),
                    description: "Test event fired when server is overloaded".into(),
                    enabled: true,
                    body_template: "Test server overload event {{y}}: {{x}}".into(),
                    contacts: vec!["demo-user".into()],
                    groups: vec![],
                },
                ImportEvent {
                    slug: "disabled-event".into(),
                    name: "Disabled event".into(),
                    description: "Test disabled event".into(),
                    enabled: false,
                    body_template: "Test disabled event".into(),
                    contacts: vec!["demo-user".into()],
                    groups: vec!["demo-group".into()],
                },
            ],
            // libphonenumber knows both fixture numbers as impossible for the
            // UK (see phone.rs), so all three SMS endpoints come in disabled.
            warnings: vec![
                format!(
                    "sms endpoint of contact 'demo-user' imported disabled: phone number \"44790612341234\" is \
                     invalid: {GB_TOO_LONG}"
                ),
                format!(
                    "sms endpoint of contact 'disabled-user' imported disabled: phone number \"44790612341234\" is \
                     invalid: {GB_TOO_LONG}"
                ),
                format!(
                    "sms endpoint of contact 'jon-doe' imported disabled: phone number \"4498989898\" is invalid: \
                     {GB_LOCAL}"
                ),
            ],
        };
        assert_eq!(plan(FIXTURE).unwrap(), expected);
    }

    #[test]
    fn an_empty_dump_is_an_empty_plan() {
        assert_eq!(plan("[]").unwrap(), ImportPlan::default());
        assert_eq!(plan(" [ ]\n").unwrap(), ImportPlan::default());
    }

    #[test]
    fn a_valid_legacy_number_is_stored_in_e164_and_keeps_its_own_flag() {
        let mut off = endpoint(2, 1, SMS, "16502530000");
        off["fields"]["enabled"] = json!(false);
        let plan = plan_of(json!([contact(1, "ana"), endpoint(1, 1, SMS, "447700900123"), off]));
        assert_eq!(plan.contacts[0].destinations, vec![sms(1, "+447700900123", true), sms(2, "+16502530000", false)]);
        assert_eq!(plan.warnings, Vec::<String>::new());
    }

    #[test]
    fn an_invalid_phone_number_is_imported_disabled_with_a_warning_naming_contact_and_number() {
        let plan = plan_of(json!([contact(1, "ana"), endpoint(7, 1, SMS, "0044 12"), endpoint(8, 1, SMS, "+4412")]));
        assert_eq!(plan.contacts[0].destinations, vec![sms(7, "+0044 12", false), sms(8, "+4412", false)]);
        let prefix = "sms endpoint of contact 'ana' imported disabled: phone number";
        let legacy_rule = "not a phone number (legacy numbers are digits only, country code first)";
        assert_eq!(
            plan.warnings,
            vec![
                format!("{prefix} \"0044 12\" is invalid: {legacy_rule}"),
                format!("{prefix} \"+4412\" is invalid: {legacy_rule}"),
            ]
        );
    }

    #[test]
    fn twitter_endpoints_are_left_out_with_a_warning_naming_the_contact() {
        let plan = plan_of(json!([contact(1, "ana"), endpoint(1, 1, TWITTER, "@ana")]));
        assert_eq!(plan.contacts[0].destinations, vec![]);
        assert_eq!(plan.warnings, vec!["twitter endpoint of contact 'ana' not imported: the channel no longer exists"]);
    }

    #[test]
    fn email_addresses_are_normalised_and_an_invalid_one_is_imported_disabled() {
        let plan = plan_of(json!([
            contact(1, "ana"),
            endpoint(1, 1, EMAIL, " Ana@Example.ORG "),
            endpoint(2, 1, EMAIL, "ana.example.org"),
        ]));
        let destinations = &plan.contacts[0].destinations;
        assert_eq!(
            destinations[0],
            ImportDestination {
                medium: Medium::Email,
                settings: json!({"address": "Ana@example.org"}),
                address: "Ana@example.org".into(),
                enabled: true,
                legacy_pk: 1,
            }
        );
        assert_eq!(
            destinations[1],
            ImportDestination {
                medium: Medium::Email,
                settings: json!({"address": "ana.example.org"}),
                address: "ana.example.org".into(),
                enabled: false,
                legacy_pk: 2,
            }
        );
        assert_eq!(
            plan.warnings,
            vec![
                "email endpoint of contact 'ana' imported disabled: address \"ana.example.org\" is invalid: not an \
                 email address (missing @)"
            ]
        );
    }

    #[test]
    fn webhooks_get_the_redflash_format_and_an_invalid_url_is_imported_disabled() {
        let plan = plan_of(json!([
            contact(1, "ana"),
            endpoint(1, 1, WEBHOOK, "http://hooks.example.com"),
            endpoint(2, 1, WEBHOOK, "ftp://hooks.example.com/x"),
        ]));
        let destinations = &plan.contacts[0].destinations;
        assert_eq!(
            destinations[0],
            ImportDestination {
                medium: Medium::Webhook,
                settings: json!({"url": "http://hooks.example.com/", "format": "redflash"}),
                address: "http://hooks.example.com/".into(),
                enabled: true,
                legacy_pk: 1,
            }
        );
        assert_eq!(
            destinations[1],
            ImportDestination {
                medium: Medium::Webhook,
                settings: json!({"url": "ftp://hooks.example.com/x", "format": "redflash"}),
                address: "ftp://hooks.example.com/x".into(),
                enabled: false,
                legacy_pk: 2,
            }
        );
        assert_eq!(
            plan.warnings,
            vec![
                "webhook endpoint of contact 'ana' imported disabled: URL \"ftp://hooks.example.com/x\" is invalid: \
                 must use http or https, not ftp"
            ]
        );
    }

    #[test]
    fn an_unknown_end_point_code_is_left_out_with_a_warning() {
        let plan = plan_of(json!([contact(1, "ana"), endpoint(9, 1, 4, "x")]));
        assert_eq!(plan.contacts[0].destinations, vec![]);
        assert_eq!(plan.warnings, vec!["endpoint pk 9 of contact 'ana' not imported: unknown end_point code 4"]);
    }

    #[test]
    fn endpoints_of_a_missing_or_skipped_contact_are_dropped_with_a_warning() {
        let plan = plan_of(json!([
            contact(1, "bad slug"),
            endpoint(1, 1, SMS, "447700900123"),
            endpoint(2, 5, EMAIL, "a@b.c")
        ]));
        assert_eq!(plan.contacts, vec![]);
        assert_eq!(
            plan.warnings,
            vec![
                "contact pk 1 (\"Name 1\") not imported: slug \"bad slug\" is not a valid Tocsin slug: contains ' '; \
                 only letters A-Z and a-z, digits 0-9, '_' and '-' are allowed",
                "endpoint pk 1 not imported: its contact (pk 1) was not imported",
                "endpoint pk 2 not imported: its contact (pk 5) is not in the dump",
            ]
        );
    }

    #[test]
    fn contacts_groups_and_events_with_an_invalid_slug_are_skipped_with_a_warning() {
        let long = "x".repeat(65);
        let plan = plan_of(json!([
            contact(1, ""),
            group(1, "ops.team", &[]),
            event(1, &long, "hi", &[], &[]),
            event(2, " padded", "hi", &[], &[]),
        ]));
        assert_eq!((plan.contacts.len(), plan.groups.len(), plan.events.len()), (0, 0, 0));
        assert_eq!(
            plan.warnings,
            vec![
                "contact pk 1 (\"Name 1\") not imported: slug \"\" is not a valid Tocsin slug: must not be empty"
                    .to_owned(),
                "group pk 1 (\"Group 1\") not imported: slug \"ops.team\" is not a valid Tocsin slug: contains '.'; \
                 only letters A-Z and a-z, digits 0-9, '_' and '-' are allowed"
                    .to_owned(),
                format!(
                    "event pk 1 (\"Event 1\") not imported: slug \"{long}\" is not a valid Tocsin slug: must be at \
                     most 64 characters, got 65"
                ),
                "event pk 2 (\"Event 2\") not imported: slug \" padded\" is not a valid Tocsin slug: must not start \
                 or end with whitespace"
                    .to_owned(),
            ]
        );
    }

    #[test]
    fn slugs_differing_only_in_case_keep_the_first_by_pk_and_references_to_the_others_are_dropped() {
        let plan = plan_of(json!([
            contact(2, "Ops"),
            contact(1, "ops"),
            group(5, "Team", &[1, 2]),
            group(4, "TEAM", &[2]),
            event(3, "Disk", "x", &[2], &[5]),
            event(1, "disk", "y", &[], &[]),
        ]));
        assert_eq!(plan.contacts.iter().map(|c| c.slug.as_str()).collect::<Vec<_>>(), ["ops"]);
        assert_eq!(plan.groups.iter().map(|g| g.slug.as_str()).collect::<Vec<_>>(), ["TEAM"]);
        assert_eq!(plan.events.iter().map(|e| e.slug.as_str()).collect::<Vec<_>>(), ["disk"]);
        assert_eq!(plan.groups[0].members, Vec::<String>::new());
        assert_eq!(
            plan.warnings,
            vec![
                "contact 'Ops' (pk 2) not imported: its slug clashes with contact 'ops' (pk 1); slugs are compared \
                 without regard to case",
                "group 'TEAM': member contact pk 2 dropped: it was not imported",
                "group 'Team' (pk 5) not imported: its slug clashes with group 'TEAM' (pk 4); slugs are compared \
                 without regard to case",
                "event 'Disk' (pk 3) not imported: its slug clashes with event 'disk' (pk 1); slugs are compared \
                 without regard to case",
            ]
        );
    }

    #[test]
    fn unknown_pks_in_groups_and_events_are_dropped_with_a_warning() {
        let plan =
            plan_of(json!([contact(1, "ana"), group(1, "ops", &[1, 9]), event(1, "disk", "x", &[8, 1], &[7, 1]),]));
        assert_eq!(plan.groups[0].members, ["ana"]);
        assert_eq!(
            (plan.events[0].contacts.clone(), plan.events[0].groups.clone()),
            (vec!["ana".into()], vec!["ops".into()])
        );
        assert_eq!(
            plan.warnings,
            vec![
                "group 'ops': member contact pk 9 dropped: it is not in the dump",
                "event 'disk': contact pk 8 dropped: it is not in the dump",
                "event 'disk': group pk 7 dropped: it is not in the dump",
            ]
        );
    }

    #[test]
    fn members_and_targets_keep_the_dumps_order_and_repeats_count_once() {
        let plan = plan_of(json!([
            contact(1, "a"),
            contact(2, "b"),
            contact(3, "c"),
            group(1, "g", &[3, 1, 3, 2]),
            group(2, "h", &[]),
            event(1, "e", "x", &[2, 2, 1], &[2, 1, 2]),
        ]));
        assert_eq!(plan.groups[0].members, ["c", "a", "b"]);
        assert_eq!(plan.events[0].contacts, ["b", "a"]);
        assert_eq!(plan.events[0].groups, ["h", "g"]);
        assert_eq!(plan.warnings, Vec::<String>::new());
    }

    #[test]
    fn a_template_the_sandbox_cannot_compile_disables_the_event_with_a_warning_naming_it() {
        let django = "Disk {{ host|default:\"?\" }} full";
        let plan = plan_of(json!([
            event(1, "disk", django, &[], &[]),
            event(2, "loop", "{% set n = 1 %}{{ n }}", &[], &[]),
            event(3, "fine", "{% if host %}{{ host|upper }}{% endif %}", &[], &[]),
        ]));
        let events: Vec<(&str, bool, &str)> =
            plan.events.iter().map(|e| (e.slug.as_str(), e.enabled, e.body_template.as_str())).collect();
        assert_eq!(
            events,
            [
                ("disk", false, django),
                ("loop", false, "{% set n = 1 %}{{ n }}"),
                ("fine", true, "{% if host %}{{ host|upper }}{% endif %}")
            ]
        );
        assert_eq!(plan.warnings.len(), 2, "{:?}", plan.warnings);
        let disk_error = templates::check_syntax("message", django).unwrap_err().message;
        assert!(disk_error.starts_with("template error (line 1)"), "{disk_error}");
        assert_eq!(
            plan.warnings[0],
            format!("event 'disk' (\"Event 1\") imported disabled: its template cannot be rendered: {disk_error}")
        );
        assert!(
            plan.warnings[1].starts_with(
                "event 'loop' (\"Event 2\") imported disabled: its template cannot be rendered: template error \
                 (line 1): {% set %} is not available"
            ),
            "{}",
            plan.warnings[1]
        );
    }

    #[test]
    fn an_event_keeps_its_description_and_a_null_one_becomes_empty() {
        let mut described = event(1, "a", "x", &[], &[]);
        described["fields"]["description"] = json!("Fired by Nagios\nwhen disks fill");
        // Not named `null`: json! would read that as the JSON literal.
        let mut blank = event(2, "b", "x", &[], &[]);
        blank["fields"]["description"] = Value::Null;
        let plan = plan_of(json!([described, blank]));
        assert_eq!(plan.events[0].description, "Fired by Nagios\nwhen disks fill");
        assert_eq!(plan.events[1].description, "");
    }

    #[test]
    fn api_users_become_keys_and_a_malformed_or_repeated_key_is_left_out() {
        let mut admin = api_user(1, "Nagios", "0123456789abcdefABCD");
        admin["fields"]["is_admin"] = json!(true);
        admin["fields"]["enabled"] = json!(false);
        let plan = plan_of(json!([
            api_user(5, "Copy", "0123456789abcdefABCD"),
            admin,
            api_user(2, "Short", "0123456789"),
            api_user(3, "Not hex", "0123456789abcdefghij"),
            api_user(4, "Empty", ""),
        ]));
        assert_eq!(
            plan.api_keys,
            vec![ImportApiKey {
                name: "Nagios".into(),
                secret: "0123456789abcdefABCD".into(),
                admin: true,
                enabled: false
            }]
        );
        assert_eq!(
            plan.warnings,
            vec![
                "API user \"Short\" (pk 2) not imported: its key is not 20 hexadecimal digits",
                "API user \"Not hex\" (pk 3) not imported: its key is not 20 hexadecimal digits",
                "API user \"Empty\" (pk 4) not imported: its key is not 20 hexadecimal digits",
                "API user \"Copy\" (pk 5) not imported: it has the same key as API user \"Nagios\" (pk 1)",
            ]
        );
    }

    #[test]
    fn other_models_are_ignored_with_one_warning_per_model_name() {
        let plan = plan_of(json!([
            {"pk": 1, "model": "auth.user", "fields": {}},
            contact(1, "ana"),
            {"model": "squawk.notification", "pk": "not checked", "fields": 3},
            {"pk": 2, "model": "auth.user"},
        ]));
        assert_eq!(plan.contacts.len(), 1);
        assert_eq!(
            plan.warnings,
            vec![
                "model 'auth.user' is not imported: 2 objects ignored",
                "model 'squawk.notification' is not imported: 1 object ignored",
            ]
        );
    }

    #[test]
    fn everything_comes_out_in_pk_order_whatever_the_dump_order() {
        let plan = plan_of(json!([
            event(2, "e2", "x", &[], &[]),
            endpoint(20, 1, EMAIL, "b@example.com"),
            contact(3, "c3"),
            group(2, "g2", &[]),
            api_user(2, "k2", "22222222222222222222"),
            contact(1, "c1"),
            endpoint(10, 1, EMAIL, "a@example.com"),
            group(1, "g1", &[]),
            api_user(1, "k1", "11111111111111111111"),
            event(1, "e1", "x", &[], &[]),
        ]));
        let slugs = |items: Vec<&str>| items.join(",");
        assert_eq!(slugs(plan.contacts.iter().map(|c| c.slug.as_str()).collect()), "c1,c3");
        assert_eq!(plan.contacts[0].destinations.iter().map(|d| d.legacy_pk).collect::<Vec<_>>(), [10, 20]);
        assert_eq!(slugs(plan.groups.iter().map(|g| g.slug.as_str()).collect()), "g1,g2");
        assert_eq!(slugs(plan.api_keys.iter().map(|k| k.name.as_str()).collect()), "k1,k2");
        assert_eq!(slugs(plan.events.iter().map(|e| e.slug.as_str()).collect()), "e1,e2");
    }

    #[test]
    fn text_that_is_not_json_is_refused() {
        assert!(format_error("").starts_with("invalid JSON: "), "{}", format_error(""));
        let message = format_error("[{\"pk\": 1,]");
        assert!(message.starts_with("invalid JSON: ") && message.contains("line 1"), "{message}");
    }

    #[test]
    fn json_that_is_not_an_array_of_objects_is_refused() {
        assert_eq!(format_error("{}"), "expected a JSON array of objects, got an object");
        assert_eq!(format_error("null"), "expected a JSON array of objects, got null");
        assert_eq!(
            format_error("[{\"model\": \"auth.user\"}, 3]"),
            "object 2: expected a JSON object, got the number 3"
        );
    }

    #[test]
    fn a_missing_or_mistyped_model_or_pk_is_refused_saying_where() {
        assert_eq!(format_error("[{\"pk\": 1, \"fields\": {}}]"), "object 1: 'model' is missing");
        assert_eq!(format_error("[{\"pk\": 1, \"model\": 7}]"), "object 1: 'model' must be a string, got the number 7");
        assert_eq!(
            format_error("[{\"model\": \"squawk.contact\", \"fields\": {}}]"),
            "object 1 (squawk.contact): 'pk' is missing"
        );
        assert_eq!(
            format_error("[{\"pk\": \"1\", \"model\": \"squawk.contact\", \"fields\": {}}]"),
            "object 1 (squawk.contact): 'pk' must be an integer, got a string"
        );
        assert_eq!(
            format_error("[{\"pk\": 1.5, \"model\": \"squawk.event\", \"fields\": {}}]"),
            "object 1 (squawk.event): 'pk' must be an integer, got the number 1.5"
        );
    }

    #[test]
    fn missing_or_mistyped_fields_are_refused_saying_where() {
        assert_eq!(
            format_error("[{\"pk\": 4, \"model\": \"squawk.contact\"}]"),
            "object 1 (squawk.contact pk 4): 'fields' is missing"
        );
        assert_eq!(
            format_error("[{\"pk\": 4, \"model\": \"squawk.contact\", \"fields\": []}]"),
            "object 1 (squawk.contact pk 4): 'fields' must be an object, got an array"
        );

        let mut no_slug = contact(4, "x");
        no_slug["fields"].as_object_mut().unwrap().remove("slug");
        assert_eq!(
            format_error(&json!([contact(1, "a"), no_slug]).to_string()),
            "object 2 (squawk.contact pk 4): field 'slug' is missing"
        );

        let mut cases = Vec::new();
        let mut c = contact(1, "a");
        c["fields"]["enabled"] = json!("true");
        cases.push((c, "object 1 (squawk.contact pk 1): field 'enabled' must be a boolean, got a string"));
        let mut e = endpoint(3, 1, SMS, "447700900123");
        e["fields"]["end_point"] = json!("0");
        cases.push((e, "object 1 (squawk.contactendpoint pk 3): field 'end_point' must be an integer, got a string"));
        let mut e = endpoint(3, 1, SMS, "447700900123");
        e["fields"]["contact"] = Value::Null;
        cases.push((e, "object 1 (squawk.contactendpoint pk 3): field 'contact' must be an integer, got null"));
        let mut e = endpoint(3, 1, SMS, "447700900123");
        e["fields"]["address"] = json!(447700900123u64);
        cases.push((
            e,
            "object 1 (squawk.contactendpoint pk 3): field 'address' must be a string, got the number 447700900123",
        ));
        let mut g = group(2, "g", &[]);
        g["fields"]["contacts"] = json!([1, "2"]);
        cases.push((
            g,
            "object 1 (squawk.contactgroup pk 2): field 'contacts' must be a list of integers, got a string",
        ));
        let mut g = group(2, "g", &[]);
        g["fields"]["contacts"] = json!(1);
        cases.push((
            g,
            "object 1 (squawk.contactgroup pk 2): field 'contacts' must be a list of integers, got the number 1",
        ));
        let mut u = api_user(1, "k", "11111111111111111111");
        u["fields"]["is_admin"] = json!(1);
        cases.push((u, "object 1 (squawk.apiuser pk 1): field 'is_admin' must be a boolean, got the number 1"));
        let mut v = event(6, "e", "x", &[], &[]);
        v["fields"]["message"] = Value::Null;
        cases.push((v, "object 1 (squawk.event pk 6): field 'message' must be a string, got null"));
        let mut v = event(6, "e", "x", &[], &[]);
        v["fields"]["description"] = json!(["a"]);
        cases.push((v, "object 1 (squawk.event pk 6): field 'description' must be a string, got an array"));

        for (object, expected) in cases {
            assert_eq!(format_error(&json!([object]).to_string()), expected);
        }
    }

    #[test]
    fn a_pk_used_twice_in_one_model_is_refused_but_not_across_models() {
        let message = format_error(&json!([contact(1, "a"), contact(1, "b")]).to_string());
        assert_eq!(message, "object 2 (squawk.contact pk 1): another squawk.contact already has pk 1");
        let plan = plan_of(json!([contact(1, "a"), group(1, "a", &[1])]));
        assert_eq!(plan.groups[0].members, ["a"]);
    }

    #[test]
    fn a_malformed_object_refuses_the_whole_dump_even_after_good_ones() {
        let mut bad = event(1, "e", "x", &[], &[]);
        bad["fields"]["groups"] = json!(null);
        let source = json!([contact(1, "a"), group(1, "g", &[1]), bad]).to_string();
        let err = plan(&source).unwrap_err();
        assert_eq!(
            err.to_string(),
            "not a RedFlash dump: object 3 (squawk.event pk 1): field 'groups' must be a list of integers, got null"
        );
    }
}
