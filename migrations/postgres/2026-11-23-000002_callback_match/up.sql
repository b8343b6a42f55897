-- A receipt can arrive before the send outcome that stores the provider's
-- message id; it is kept with what it said and matched once the id is known.
ALTER TABLE provider_callbacks ADD COLUMN provider_ref TEXT;
ALTER TABLE provider_callbacks ADD COLUMN status TEXT;
ALTER TABLE provider_callbacks ADD COLUMN detail TEXT;
CREATE INDEX provider_callbacks_unmatched ON provider_callbacks (provider_ref) WHERE delivery_id IS NULL;
