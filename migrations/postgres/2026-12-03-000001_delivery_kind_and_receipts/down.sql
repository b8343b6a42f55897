DROP INDEX provider_callbacks_received;
DROP INDEX provider_callbacks_waiting_delivery;
DROP INDEX provider_callbacks_waiting_ref;
CREATE INDEX provider_callbacks_unmatched ON provider_callbacks (provider_ref) WHERE delivery_id IS NULL;
ALTER TABLE provider_callbacks DROP COLUMN outcome;
ALTER TABLE deliveries DROP COLUMN provider;
ALTER TABLE deliveries DROP COLUMN kind;
