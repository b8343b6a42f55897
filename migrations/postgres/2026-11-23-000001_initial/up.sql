-- Tocsin's schema for the whole domain of DESIGN.md. Timestamps are UTC held in
-- TIMESTAMP columns and JSON is kept as TEXT, so that one diesel schema serves both
-- backends. Slugs are unique without regard to case (expression indexes on lower()).

CREATE TABLE instance_settings (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE operators (
    id BIGSERIAL PRIMARY KEY,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('viewer', 'operator', 'admin')),
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX operators_username_key ON operators (lower(username));

CREATE TABLE contacts (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    timezone TEXT NOT NULL DEFAULT 'UTC',
    availability TEXT NOT NULL DEFAULT 'always' CHECK (availability IN ('always', 'business_hours')),
    operator_id BIGINT REFERENCES operators (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX contacts_slug_key ON contacts (lower(slug));

CREATE TABLE destinations (
    id BIGSERIAL PRIMARY KEY,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    medium TEXT NOT NULL,
    label TEXT NOT NULL DEFAULT '',
    settings TEXT NOT NULL,
    address TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX destinations_contact ON destinations (contact_id);

CREATE TABLE contact_groups (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX contact_groups_slug_key ON contact_groups (lower(slug));

CREATE TABLE group_members (
    group_id BIGINT NOT NULL REFERENCES contact_groups (id) ON DELETE CASCADE,
    contact_id BIGINT NOT NULL REFERENCES contacts (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    PRIMARY KEY (group_id, contact_id)
);
CREATE INDEX group_members_contact ON group_members (contact_id);

CREATE TABLE events (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    severity TEXT NOT NULL DEFAULT 'warning',
    subject_template TEXT NOT NULL DEFAULT '',
    body_template TEXT NOT NULL DEFAULT '',
    sms_template TEXT NOT NULL DEFAULT '',
    escaping TEXT NOT NULL DEFAULT 'none' CHECK (escaping IN ('none', 'html')),
    uei TEXT,
    uei_is_regex BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX events_slug_key ON events (lower(slug));

-- One row per target; a later target kind (on-call role, site, service) adds a column.
CREATE TABLE event_targets (
    id BIGSERIAL PRIMARY KEY,
    event_id BIGINT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE CASCADE,
    group_id BIGINT REFERENCES contact_groups (id) ON DELETE CASCADE,
    CHECK ((contact_id IS NULL) <> (group_id IS NULL))
);
CREATE INDEX event_targets_event ON event_targets (event_id);

CREATE TABLE api_keys (
    id BIGSERIAL PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    secret_hash TEXT NOT NULL,
    scopes TEXT NOT NULL,
    enabled BOOLEAN NOT NULL DEFAULT TRUE,
    expires_at TIMESTAMP,
    last_used_at TIMESTAMP,
    created_by TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE INDEX api_keys_prefix ON api_keys (prefix);
CREATE UNIQUE INDEX api_keys_secret_hash ON api_keys (secret_hash);

CREATE TABLE notifications (
    id BIGSERIAL PRIMARY KEY,
    public_id TEXT NOT NULL UNIQUE,
    event_id BIGINT REFERENCES events (id) ON DELETE SET NULL,
    target_kind TEXT NOT NULL,
    target_slug TEXT NOT NULL,
    severity TEXT NOT NULL,
    subject TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    sms_text TEXT NOT NULL DEFAULT '',
    args TEXT NOT NULL DEFAULT '{}',
    skipped TEXT NOT NULL DEFAULT '[]',
    dedup_key TEXT,
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'acknowledged', 'resolved')),
    raised_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    acknowledged_at TIMESTAMP,
    acknowledged_by TEXT,
    resolved_at TIMESTAMP,
    resolved_by TEXT
);
CREATE INDEX notifications_created ON notifications (created_at);
CREATE INDEX notifications_dedup ON notifications (event_id, dedup_key) WHERE dedup_key IS NOT NULL AND state = 'open';

-- The outbox: one row per message to one destination. Routine timeline steps are
-- columns here so that the common path writes one row.
CREATE TABLE deliveries (
    id BIGSERIAL PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    contact_id BIGINT REFERENCES contacts (id) ON DELETE SET NULL,
    destination_id BIGINT REFERENCES destinations (id) ON DELETE SET NULL,
    medium TEXT NOT NULL,
    address TEXT NOT NULL,
    path TEXT NOT NULL DEFAULT '',
    payload TEXT NOT NULL DEFAULT '{}',
    status TEXT NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'delivered', 'failed', 'expired', 'cancelled')),
    attempts INTEGER NOT NULL DEFAULT 0,
    due_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    lease_until TIMESTAMP,
    lease_token TEXT,
    provider_message_id TEXT,
    last_error TEXT,
    replay_of BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    queued_at TIMESTAMP NOT NULL,
    sending_at TIMESTAMP,
    sent_at TIMESTAMP,
    delivered_at TIMESTAMP,
    finished_at TIMESTAMP
);
CREATE INDEX deliveries_notification ON deliveries (notification_id);
CREATE INDEX deliveries_due ON deliveries (due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX deliveries_provider_message ON deliveries (provider_message_id) WHERE provider_message_id IS NOT NULL;

CREATE TABLE timeline_entries (
    id BIGSERIAL PRIMARY KEY,
    notification_id BIGINT NOT NULL REFERENCES notifications (id) ON DELETE CASCADE,
    delivery_id BIGINT REFERENCES deliveries (id) ON DELETE CASCADE,
    at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT ''
);
CREATE INDEX timeline_notification ON timeline_entries (notification_id);
CREATE INDEX timeline_delivery ON timeline_entries (delivery_id) WHERE delivery_id IS NOT NULL;

-- Provider callbacks (receipts, inbound SMS) are kept raw, matched or not.
CREATE TABLE provider_callbacks (
    id BIGSERIAL PRIMARY KEY,
    received_at TIMESTAMP NOT NULL,
    kind TEXT NOT NULL,
    provider TEXT NOT NULL,
    delivery_id BIGINT REFERENCES deliveries (id) ON DELETE SET NULL,
    raw TEXT NOT NULL
);

CREATE TABLE idempotency_records (
    id BIGSERIAL PRIMARY KEY,
    caller TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    response_status INTEGER NOT NULL,
    response_body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    UNIQUE (caller, idempotency_key)
);
CREATE INDEX idempotency_expiry ON idempotency_records (expires_at);

CREATE TABLE audit_log (
    id BIGSERIAL PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target_kind TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at ON audit_log (at);
