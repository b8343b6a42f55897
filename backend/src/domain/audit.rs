//! Who did what, as the audit log names it. Every change that is audited is a
//! variant of [`AuditAction`], so the log's vocabulary is one list, and the
//! kind of thing an action touches follows from the action.

use std::fmt;

/// Who made a change: `operator:<username>`, `key:<prefix>`, `anonymous`
/// (a failed login) or `import:<source>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor(String);

impl Actor {
    /// An operator signed in to the web app (or using its session token).
    pub fn operator(username: &str) -> Actor {
        Actor(format!("operator:{username}"))
    }

    /// A script or monitoring system using an API key.
    pub fn api_key(prefix: &str) -> Actor {
        Actor(format!("key:{prefix}"))
    }

    /// Someone who did not prove who they are.
    pub fn anonymous() -> Actor {
        Actor("anonymous".into())
    }

    /// A bulk import from another system (`import:redflash`).
    pub fn import(source: &str) -> Actor {
        Actor(format!("import:{source}"))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Actor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Every change the audit log records.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuditAction {
    ContactCreate,
    ContactUpdate,
    ContactDelete,
    DestinationCreate,
    DestinationUpdate,
    DestinationDelete,
    DestinationEnable,
    DestinationDisable,
    DestinationTest,
    GroupCreate,
    GroupUpdate,
    GroupDelete,
    GroupMembersSet,
    GroupMembersAdd,
    GroupMembersRemove,
    GroupMembersMove,
    EventCreate,
    EventUpdate,
    EventDelete,
    ScheduleCreate,
    ScheduleUpdate,
    ScheduleDelete,
    OperatorCreate,
    OperatorUpdate,
    OperatorDelete,
    OperatorPassword,
    ApiKeyCreate,
    ApiKeyRevoke,
    SessionLogin,
    SessionLoginFailed,
    NotificationAcknowledge,
    NotificationResolve,
    DeliveryReplay,
}

impl AuditAction {
    pub const ALL: [AuditAction; 33] = [
        AuditAction::ContactCreate,
        AuditAction::ContactUpdate,
        AuditAction::ContactDelete,
        AuditAction::DestinationCreate,
        AuditAction::DestinationUpdate,
        AuditAction::DestinationDelete,
        AuditAction::DestinationEnable,
        AuditAction::DestinationDisable,
        AuditAction::DestinationTest,
        AuditAction::GroupCreate,
        AuditAction::GroupUpdate,
        AuditAction::GroupDelete,
        AuditAction::GroupMembersSet,
        AuditAction::GroupMembersAdd,
        AuditAction::GroupMembersRemove,
        AuditAction::GroupMembersMove,
        AuditAction::EventCreate,
        AuditAction::EventUpdate,
        AuditAction::EventDelete,
        AuditAction::ScheduleCreate,
        AuditAction::ScheduleUpdate,
        AuditAction::ScheduleDelete,
        AuditAction::OperatorCreate,
        AuditAction::OperatorUpdate,
        AuditAction::OperatorDelete,
        AuditAction::OperatorPassword,
        AuditAction::ApiKeyCreate,
        AuditAction::ApiKeyRevoke,
        AuditAction::SessionLogin,
        AuditAction::SessionLoginFailed,
        AuditAction::NotificationAcknowledge,
        AuditAction::NotificationResolve,
        AuditAction::DeliveryReplay,
    ];

    /// The action as stored and shown (`contact.create`); these strings are
    /// part of the API (`GET /api/v1/audit`), so they never change.
    pub fn as_str(self) -> &'static str {
        use AuditAction::*;
        match self {
            ContactCreate => "contact.create",
            ContactUpdate => "contact.update",
            ContactDelete => "contact.delete",
            DestinationCreate => "destination.create",
            DestinationUpdate => "destination.update",
            DestinationDelete => "destination.delete",
            DestinationEnable => "destination.enable",
            DestinationDisable => "destination.disable",
            DestinationTest => "destination.test",
            GroupCreate => "group.create",
            GroupUpdate => "group.update",
            GroupDelete => "group.delete",
            GroupMembersSet => "group.members.set",
            GroupMembersAdd => "group.members.add",
            GroupMembersRemove => "group.members.remove",
            GroupMembersMove => "group.members.move",
            EventCreate => "event.create",
            EventUpdate => "event.update",
            EventDelete => "event.delete",
            ScheduleCreate => "schedule.create",
            ScheduleUpdate => "schedule.update",
            ScheduleDelete => "schedule.delete",
            OperatorCreate => "operator.create",
            OperatorUpdate => "operator.update",
            OperatorDelete => "operator.delete",
            OperatorPassword => "operator.password",
            ApiKeyCreate => "api_key.create",
            ApiKeyRevoke => "api_key.revoke",
            SessionLogin => "session.login",
            SessionLoginFailed => "session.login_failed",
            NotificationAcknowledge => "notification.acknowledge",
            NotificationResolve => "notification.resolve",
            DeliveryReplay => "delivery.replay",
        }
    }

    /// The kind of thing the action's target names (the log's `target_kind`).
    pub fn target_kind(self) -> &'static str {
        use AuditAction::*;
        match self {
            ContactCreate | ContactUpdate | ContactDelete => "contact",
            DestinationCreate | DestinationUpdate | DestinationDelete | DestinationEnable | DestinationDisable
            | DestinationTest => "destination",
            GroupCreate | GroupUpdate | GroupDelete | GroupMembersSet | GroupMembersAdd | GroupMembersRemove
            | GroupMembersMove => "group",
            EventCreate | EventUpdate | EventDelete => "event",
            ScheduleCreate | ScheduleUpdate | ScheduleDelete => "schedule",
            OperatorCreate | OperatorUpdate | OperatorDelete | OperatorPassword | SessionLogin | SessionLoginFailed => {
                "operator"
            }
            ApiKeyCreate | ApiKeyRevoke => "api_key",
            NotificationAcknowledge | NotificationResolve => "notification",
            DeliveryReplay => "delivery",
        }
    }
}

impl fmt::Display for AuditAction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_its_own_name() {
        let mut names: Vec<&str> = AuditAction::ALL.iter().map(|a| a.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), AuditAction::ALL.len());
    }

    #[test]
    fn an_action_is_named_after_what_it_touches() {
        for action in AuditAction::ALL {
            let name = action.as_str();
            // Logins act on an operator account but read as session events.
            if name.starts_with("session.") {
                assert_eq!(action.target_kind(), "operator");
                continue;
            }
            assert!(
                name.starts_with(&format!("{}.", action.target_kind())),
                "{name} is not under {}",
                action.target_kind()
            );
        }
    }

    #[test]
    fn actors_say_how_the_caller_proved_who_they_are() {
        assert_eq!(Actor::operator("ana").as_str(), "operator:ana");
        assert_eq!(Actor::api_key("tsk_x").to_string(), "key:tsk_x");
        assert_eq!(Actor::anonymous().as_str(), "anonymous");
        assert_eq!(Actor::import("redflash").as_str(), "import:redflash");
    }
}
