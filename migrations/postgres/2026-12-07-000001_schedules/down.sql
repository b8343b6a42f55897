DROP TRIGGER schedules_directory_version ON schedules;
ALTER TABLE contact_groups DROP COLUMN schedule_id;
ALTER TABLE contacts DROP COLUMN schedule_id;
DROP TABLE schedules;
