//! Every operation of the OpenAPI document (`openapi/openapi.json`): its
//! `operationId`, method and path. The client's methods build their requests
//! from these entries, and a test compares [`OPERATIONS`] with the document
//! both ways, so the client cannot miss an operation or call a stale path.

/// An HTTP method of the API.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verb {
    Get,
    Post,
    Put,
    Patch,
    Delete,
}

impl Verb {
    /// The method as the document spells it: `get`, `post`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Verb::Get => "get",
            Verb::Post => "post",
            Verb::Put => "put",
            Verb::Patch => "patch",
            Verb::Delete => "delete",
        }
    }
}

/// One operation: the client method named like `id` calls `method` on `path`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Operation {
    /// The `operationId`, which is also the name of the client method.
    pub id: &'static str,
    pub verb: Verb,
    /// The path template, `{name}` for each path parameter.
    pub path: &'static str,
}

const fn op(id: &'static str, verb: Verb, path: &'static str) -> Operation {
    Operation { id, verb, path }
}

use Verb::{Delete, Get, Patch, Post, Put};

// api-keys
pub(crate) const CREATE_API_KEY: Operation = op("create_api_key", Post, "/api/v1/api-keys");
pub(crate) const LIST_API_KEYS: Operation = op("list_api_keys", Get, "/api/v1/api-keys");
pub(crate) const REVOKE_API_KEY: Operation = op("revoke_api_key", Delete, "/api/v1/api-keys/{id}");

// audit
pub(crate) const LIST_AUDIT_ENTRIES: Operation = op("list_audit_entries", Get, "/api/v1/audit");

// contacts
pub(crate) const CREATE_CONTACT: Operation = op("create_contact", Post, "/api/v1/contacts");
pub(crate) const DELETE_CONTACT: Operation = op("delete_contact", Delete, "/api/v1/contacts/{slug}");
pub(crate) const GET_CONTACT: Operation = op("get_contact", Get, "/api/v1/contacts/{slug}");
pub(crate) const LIST_CONTACTS: Operation = op("list_contacts", Get, "/api/v1/contacts");
pub(crate) const UPDATE_CONTACT: Operation = op("update_contact", Patch, "/api/v1/contacts/{slug}");

// destinations
pub(crate) const CREATE_DESTINATION: Operation = op("create_destination", Post, "/api/v1/contacts/{slug}/destinations");
pub(crate) const DELETE_DESTINATION: Operation = op("delete_destination", Delete, "/api/v1/destinations/{id}");
pub(crate) const DISABLE_DESTINATION: Operation = op("disable_destination", Post, "/api/v1/destinations/{id}/disable");
pub(crate) const ENABLE_DESTINATION: Operation = op("enable_destination", Post, "/api/v1/destinations/{id}/enable");
pub(crate) const GET_DESTINATION: Operation = op("get_destination", Get, "/api/v1/destinations/{id}");
pub(crate) const LIST_DESTINATIONS: Operation = op("list_destinations", Get, "/api/v1/contacts/{slug}/destinations");
pub(crate) const TEST_DESTINATION: Operation = op("test_destination", Post, "/api/v1/destinations/{id}/test");
pub(crate) const UPDATE_DESTINATION: Operation = op("update_destination", Patch, "/api/v1/destinations/{id}");

// events
pub(crate) const CREATE_EVENT: Operation = op("create_event", Post, "/api/v1/events");
pub(crate) const DELETE_EVENT: Operation = op("delete_event", Delete, "/api/v1/events/{slug}");
pub(crate) const GET_EVENT: Operation = op("get_event", Get, "/api/v1/events/{slug}");
pub(crate) const GET_EVENT_VARIABLES: Operation = op("get_event_variables", Get, "/api/v1/events/{slug}/variables");
pub(crate) const LIST_EVENTS: Operation = op("list_events", Get, "/api/v1/events");
pub(crate) const UPDATE_EVENT: Operation = op("update_event", Patch, "/api/v1/events/{slug}");

pub(crate) const PREVIEW_TEMPLATES: Operation = op("preview_templates", Post, "/api/v1/templates/preview");

// firing
pub(crate) const FIRE_EVENT: Operation = op("fire_event", Post, "/api/v1/events/{slug}/fire");
pub(crate) const NOTIFY_CONTACT: Operation = op("notify_contact", Post, "/api/v1/contacts/{slug}/notify");
pub(crate) const NOTIFY_GROUP: Operation = op("notify_group", Post, "/api/v1/groups/{slug}/notify");

// groups
pub(crate) const ADD_GROUP_MEMBER: Operation = op("add_group_member", Post, "/api/v1/groups/{slug}/members");
pub(crate) const CREATE_GROUP: Operation = op("create_group", Post, "/api/v1/groups");
pub(crate) const DELETE_GROUP: Operation = op("delete_group", Delete, "/api/v1/groups/{slug}");
pub(crate) const GET_GROUP: Operation = op("get_group", Get, "/api/v1/groups/{slug}");
pub(crate) const LIST_GROUPS: Operation = op("list_groups", Get, "/api/v1/groups");
pub(crate) const MOVE_GROUP_MEMBER: Operation =
    op("move_group_member", Post, "/api/v1/groups/{slug}/members/{contact}/move");
pub(crate) const REMOVE_GROUP_MEMBER: Operation =
    op("remove_group_member", Delete, "/api/v1/groups/{slug}/members/{contact}");
pub(crate) const SET_GROUP_MEMBERS: Operation = op("set_group_members", Put, "/api/v1/groups/{slug}/members");
pub(crate) const UPDATE_GROUP: Operation = op("update_group", Patch, "/api/v1/groups/{slug}");

// media
pub(crate) const LIST_MEDIA: Operation = op("list_media", Get, "/api/v1/media");

// notifications
pub(crate) const ACKNOWLEDGE_NOTIFICATION: Operation =
    op("acknowledge_notification", Post, "/api/v1/notifications/{id}/acknowledge");
pub(crate) const GET_NOTIFICATION: Operation = op("get_notification", Get, "/api/v1/notifications/{id}");
pub(crate) const LIST_NOTIFICATIONS: Operation = op("list_notifications", Get, "/api/v1/notifications");
pub(crate) const REPLAY_DELIVERY: Operation = op("replay_delivery", Post, "/api/v1/deliveries/{id}/replay");
pub(crate) const RESOLVE_NOTIFICATION: Operation =
    op("resolve_notification", Post, "/api/v1/notifications/{id}/resolve");

// operators
pub(crate) const CREATE_OPERATOR: Operation = op("create_operator", Post, "/api/v1/operators");
pub(crate) const DELETE_OPERATOR: Operation = op("delete_operator", Delete, "/api/v1/operators/{username}");
pub(crate) const GET_OPERATOR: Operation = op("get_operator", Get, "/api/v1/operators/{username}");
pub(crate) const LIST_OPERATORS: Operation = op("list_operators", Get, "/api/v1/operators");
pub(crate) const UPDATE_OPERATOR: Operation = op("update_operator", Patch, "/api/v1/operators/{username}");

// receipts
pub(crate) const TWILIO_RECEIPT: Operation = op("twilio_receipt", Post, "/api/v1/receipts/twilio");
pub(crate) const VONAGE_RECEIPT: Operation = op("vonage_receipt", Post, "/api/v1/receipts/vonage");
pub(crate) const VONAGE_RECEIPT_BY_GET: Operation = op("vonage_receipt_by_get", Get, "/api/v1/receipts/vonage");

// schedules
pub(crate) const CREATE_SCHEDULE: Operation = op("create_schedule", Post, "/api/v1/schedules");
pub(crate) const DELETE_SCHEDULE: Operation = op("delete_schedule", Delete, "/api/v1/schedules/{slug}");
pub(crate) const GET_SCHEDULE: Operation = op("get_schedule", Get, "/api/v1/schedules/{slug}");
pub(crate) const GET_SCHEDULE_DUTY: Operation = op("get_schedule_duty", Get, "/api/v1/schedules/{slug}/duty");
pub(crate) const LIST_SCHEDULES: Operation = op("list_schedules", Get, "/api/v1/schedules");
pub(crate) const UPDATE_SCHEDULE: Operation = op("update_schedule", Patch, "/api/v1/schedules/{slug}");

// session
pub(crate) const CHANGE_MY_PASSWORD: Operation = op("change_my_password", Put, "/api/v1/me/password");
pub(crate) const CREATE_SESSION: Operation = op("create_session", Post, "/api/v1/session");
pub(crate) const GET_ME: Operation = op("get_me", Get, "/api/v1/me");

// system
pub(crate) const GET_HEALTHZ: Operation = op("get_healthz", Get, "/healthz");
pub(crate) const GET_METRICS: Operation = op("get_metrics", Get, "/metrics");
pub(crate) const GET_READYZ: Operation = op("get_readyz", Get, "/readyz");

/// Every operation, in the order of the document's tags.
pub const OPERATIONS: &[Operation] = &[
    CREATE_API_KEY,
    LIST_API_KEYS,
    REVOKE_API_KEY,
    LIST_AUDIT_ENTRIES,
    CREATE_CONTACT,
    DELETE_CONTACT,
    GET_CONTACT,
    LIST_CONTACTS,
    UPDATE_CONTACT,
    CREATE_DESTINATION,
    DELETE_DESTINATION,
    DISABLE_DESTINATION,
    ENABLE_DESTINATION,
    GET_DESTINATION,
    LIST_DESTINATIONS,
    TEST_DESTINATION,
    UPDATE_DESTINATION,
    CREATE_EVENT,
    DELETE_EVENT,
    GET_EVENT,
    GET_EVENT_VARIABLES,
    LIST_EVENTS,
    PREVIEW_TEMPLATES,
    UPDATE_EVENT,
    FIRE_EVENT,
    NOTIFY_CONTACT,
    NOTIFY_GROUP,
    ADD_GROUP_MEMBER,
    CREATE_GROUP,
    DELETE_GROUP,
    GET_GROUP,
    LIST_GROUPS,
    MOVE_GROUP_MEMBER,
    REMOVE_GROUP_MEMBER,
    SET_GROUP_MEMBERS,
    UPDATE_GROUP,
    LIST_MEDIA,
    ACKNOWLEDGE_NOTIFICATION,
    GET_NOTIFICATION,
    LIST_NOTIFICATIONS,
    REPLAY_DELIVERY,
    RESOLVE_NOTIFICATION,
    CREATE_OPERATOR,
    DELETE_OPERATOR,
    GET_OPERATOR,
    LIST_OPERATORS,
    UPDATE_OPERATOR,
    TWILIO_RECEIPT,
    VONAGE_RECEIPT,
    VONAGE_RECEIPT_BY_GET,
    CREATE_SCHEDULE,
    DELETE_SCHEDULE,
    GET_SCHEDULE,
    GET_SCHEDULE_DUTY,
    LIST_SCHEDULES,
    UPDATE_SCHEDULE,
    CHANGE_MY_PASSWORD,
    CREATE_SESSION,
    GET_ME,
    GET_HEALTHZ,
    GET_METRICS,
    GET_READYZ,
];
