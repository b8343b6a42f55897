DROP TRIGGER contacts_directory_version ON contacts;
DROP TRIGGER destinations_directory_version ON destinations;
DROP TRIGGER contact_groups_directory_version ON contact_groups;
DROP TRIGGER group_members_directory_version ON group_members;
DROP TRIGGER events_directory_version ON events;
DROP TRIGGER event_targets_directory_version ON event_targets;
DROP FUNCTION tocsin_bump_directory_version();
DROP TABLE directory_version;
