-- A counter every change to the part of the directory a fire reads moves on,
-- so that an instance can keep what it planned with and ask one number to know
-- whether it still holds (instead of reading the directory on every fire).
CREATE TABLE directory_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE FUNCTION tocsin_bump_directory_version() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
    RETURN NULL;
END;
$$;
CREATE TRIGGER contacts_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON contacts
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
CREATE TRIGGER destinations_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON destinations
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
CREATE TRIGGER contact_groups_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON contact_groups
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
CREATE TRIGGER group_members_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON group_members
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
CREATE TRIGGER events_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON events
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
CREATE TRIGGER event_targets_directory_version AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON event_targets
    FOR EACH STATEMENT EXECUTE FUNCTION tocsin_bump_directory_version();
