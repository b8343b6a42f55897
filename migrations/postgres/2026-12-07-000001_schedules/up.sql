-- Duty schedules: weekly windows in a time zone plus dated exceptions, kept
-- as JSON text (windows in OpenNMS notation, exceptions with UTC instants).
CREATE TABLE schedules (
    id BIGSERIAL PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    timezone TEXT NOT NULL,
    windows TEXT NOT NULL DEFAULT '[]',
    exceptions TEXT NOT NULL DEFAULT '[]',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX schedules_slug_key ON schedules (lower(slug));

-- A schedule in use cannot be deleted (the service says where it is used).
ALTER TABLE contacts ADD COLUMN schedule_id BIGINT REFERENCES schedules (id);
ALTER TABLE contact_groups ADD COLUMN schedule_id BIGINT REFERENCES schedules (id);

-- Plans carry each contact's and group's schedule.
CREATE TRIGGER schedules_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON schedules
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
