-- A counter every change to the part of the directory a fire reads moves on,
-- so that an instance can keep what it planned with and ask one number to know
-- whether it still holds (instead of reading the directory on every fire).
CREATE TABLE directory_version (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    version BIGINT NOT NULL
);
INSERT INTO directory_version (id, version) VALUES (1, 0);
CREATE TRIGGER contacts_insert_directory_version AFTER INSERT ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_update_directory_version AFTER UPDATE ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contacts_delete_directory_version AFTER DELETE ON contacts
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER destinations_insert_directory_version AFTER INSERT ON destinations
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER destinations_update_directory_version AFTER UPDATE ON destinations
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER destinations_delete_directory_version AFTER DELETE ON destinations
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contact_groups_insert_directory_version AFTER INSERT ON contact_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contact_groups_update_directory_version AFTER UPDATE ON contact_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER contact_groups_delete_directory_version AFTER DELETE ON contact_groups
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER group_members_insert_directory_version AFTER INSERT ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER group_members_update_directory_version AFTER UPDATE ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER group_members_delete_directory_version AFTER DELETE ON group_members
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER events_insert_directory_version AFTER INSERT ON events
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER events_update_directory_version AFTER UPDATE ON events
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER events_delete_directory_version AFTER DELETE ON events
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER event_targets_insert_directory_version AFTER INSERT ON event_targets
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER event_targets_update_directory_version AFTER UPDATE ON event_targets
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
CREATE TRIGGER event_targets_delete_directory_version AFTER DELETE ON event_targets
BEGIN
    UPDATE directory_version SET version = version + 1 WHERE id = 1;
END;
