//! The diesel schema, written for both backends: only types that
//! `MultiConnection` supports (timestamps are UTC `Timestamp`, JSON is `Text`).

diesel::table! {
    instance_settings (name) {
        name -> Text,
        value -> Text,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    operators (id) {
        id -> BigInt,
        username -> Text,
        password_hash -> Text,
        role -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        session_epoch -> BigInt,
    }
}

diesel::table! {
    contacts (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        enabled -> Bool,
        timezone -> Text,
        availability -> Text,
        operator_id -> Nullable<BigInt>,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        schedule_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    destinations (id) {
        id -> BigInt,
        contact_id -> BigInt,
        medium -> Text,
        label -> Text,
        settings -> Text,
        address -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    contact_groups (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
        schedule_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    /// Weekly windows and exceptions are JSON text.
    schedules (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        timezone -> Text,
        windows -> Text,
        exceptions -> Text,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    group_members (group_id, contact_id) {
        group_id -> BigInt,
        contact_id -> BigInt,
        position -> Integer,
    }
}

diesel::table! {
    events (id) {
        id -> BigInt,
        slug -> Text,
        name -> Text,
        description -> Text,
        enabled -> Bool,
        severity -> Text,
        subject_template -> Text,
        body_template -> Text,
        sms_template -> Text,
        escaping -> Text,
        uei -> Nullable<Text>,
        uei_is_regex -> Bool,
        created_at -> Timestamp,
        updated_at -> Timestamp,
    }
}

diesel::table! {
    event_targets (id) {
        id -> BigInt,
        event_id -> BigInt,
        position -> Integer,
        contact_id -> Nullable<BigInt>,
        group_id -> Nullable<BigInt>,
    }
}

diesel::table! {
    api_keys (id) {
        id -> BigInt,
        name -> Text,
        prefix -> Text,
        secret_hash -> Text,
        scopes -> Text,
        enabled -> Bool,
        expires_at -> Nullable<Timestamp>,
        last_used_at -> Nullable<Timestamp>,
        created_by -> Text,
        created_at -> Timestamp,
        revoked_at -> Nullable<Timestamp>,
    }
}

diesel::table! {
    notifications (id) {
        id -> BigInt,
        public_id -> Text,
        event_id -> Nullable<BigInt>,
        target_kind -> Text,
        target_slug -> Text,
        severity -> Text,
        subject -> Text,
        body -> Text,
        sms_text -> Text,
        args -> Text,
        skipped -> Text,
        dedup_key -> Nullable<Text>,
        state -> Text,
        raised_by -> Text,
        created_at -> Timestamp,
        acknowledged_at -> Nullable<Timestamp>,
        acknowledged_by -> Nullable<Text>,
        resolved_at -> Nullable<Timestamp>,
        resolved_by -> Nullable<Text>,
    }
}

diesel::table! {
    deliveries (id) {
        id -> BigInt,
        notification_id -> BigInt,
        contact_id -> Nullable<BigInt>,
        destination_id -> Nullable<BigInt>,
        medium -> Text,
        address -> Text,
        path -> Text,
        payload -> Text,
        status -> Text,
        attempts -> Integer,
        due_at -> Timestamp,
        expires_at -> Timestamp,
        lease_until -> Nullable<Timestamp>,
        lease_token -> Nullable<Text>,
        provider_message_id -> Nullable<Text>,
        last_error -> Nullable<Text>,
        replay_of -> Nullable<BigInt>,
        queued_at -> Timestamp,
        sending_at -> Nullable<Timestamp>,
        sent_at -> Nullable<Timestamp>,
        delivered_at -> Nullable<Timestamp>,
        finished_at -> Nullable<Timestamp>,
        kind -> Text,
        provider -> Nullable<Text>,
    }
}

diesel::table! {
    timeline_entries (id) {
        id -> BigInt,
        notification_id -> BigInt,
        delivery_id -> Nullable<BigInt>,
        at -> Timestamp,
        kind -> Text,
        detail -> Text,
    }
}

diesel::table! {
    provider_callbacks (id) {
        id -> BigInt,
        received_at -> Timestamp,
        kind -> Text,
        provider -> Text,
        delivery_id -> Nullable<BigInt>,
        raw -> Text,
        provider_ref -> Nullable<Text>,
        status -> Nullable<Text>,
        detail -> Nullable<Text>,
        outcome -> Text,
    }
}

diesel::table! {
    idempotency_records (id) {
        id -> BigInt,
        caller -> Text,
        idempotency_key -> Text,
        request_hash -> Text,
        response_status -> Integer,
        response_body -> Text,
        created_at -> Timestamp,
        expires_at -> Timestamp,
    }
}

diesel::table! {
    audit_log (id) {
        id -> BigInt,
        at -> Timestamp,
        actor -> Text,
        action -> Text,
        target_kind -> Text,
        target -> Text,
        detail -> Text,
    }
}

diesel::joinable!(contacts -> operators (operator_id));
diesel::joinable!(contacts -> schedules (schedule_id));
diesel::joinable!(contact_groups -> schedules (schedule_id));
diesel::joinable!(destinations -> contacts (contact_id));
diesel::joinable!(group_members -> contact_groups (group_id));
diesel::joinable!(group_members -> contacts (contact_id));
diesel::joinable!(event_targets -> events (event_id));
diesel::joinable!(deliveries -> notifications (notification_id));
diesel::joinable!(deliveries -> contacts (contact_id));
diesel::joinable!(notifications -> events (event_id));
diesel::joinable!(timeline_entries -> notifications (notification_id));

diesel::table! {
    /// One row: moved on by triggers at every change of contacts, destinations,
    /// groups, members, schedules, events or event targets.
    directory_version (id) {
        id -> Integer,
        version -> BigInt,
    }
}

diesel::allow_tables_to_appear_in_same_query!(
    instance_settings,
    operators,
    contacts,
    destinations,
    contact_groups,
    schedules,
    group_members,
    events,
    event_targets,
    api_keys,
    notifications,
    deliveries,
    timeline_entries,
    provider_callbacks,
    idempotency_records,
    audit_log,
);

diesel::joinable!(event_targets -> contacts (contact_id));
diesel::joinable!(event_targets -> contact_groups (group_id));
