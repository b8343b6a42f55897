DROP INDEX provider_callbacks_unmatched;
ALTER TABLE provider_callbacks DROP COLUMN detail;
ALTER TABLE provider_callbacks DROP COLUMN status;
ALTER TABLE provider_callbacks DROP COLUMN provider_ref;
