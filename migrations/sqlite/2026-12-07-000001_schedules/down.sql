DROP TRIGGER schedules_delete_directory_version;
DROP TRIGGER schedules_update_directory_version;
DROP TRIGGER schedules_insert_directory_version;
ALTER TABLE contact_groups DROP COLUMN schedule_id;
ALTER TABLE contacts DROP COLUMN schedule_id;
DROP TABLE schedules;
