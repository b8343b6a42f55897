-- A delivery is a page (escalates; acknowledge and resolve stop it) or a
-- notice (goes out whatever the notification's state).
ALTER TABLE deliveries ADD COLUMN kind TEXT NOT NULL DEFAULT 'page' CHECK (kind IN ('page', 'notice'));
-- The provider that took the message (an SMS gateway): only its receipts may
-- move the delivery.
ALTER TABLE deliveries ADD COLUMN provider TEXT;

-- What became of each callback: matched (applied to its delivery), waiting
-- (its delivery's send outcome is not recorded yet), unmatched (names no
-- delivery it may touch), unverified (a signature or tag did not verify), or
-- kept (an inbound message).
ALTER TABLE provider_callbacks ADD COLUMN outcome TEXT NOT NULL DEFAULT 'unmatched';
UPDATE provider_callbacks SET outcome = CASE
    WHEN kind = 'inbound' THEN 'kept'
    WHEN delivery_id IS NOT NULL THEN 'matched'
    WHEN provider_ref IS NOT NULL THEN 'waiting'
    ELSE 'unmatched' END;
DROP INDEX provider_callbacks_unmatched;
CREATE INDEX provider_callbacks_waiting_ref ON provider_callbacks (provider_ref) WHERE outcome = 'waiting';
CREATE INDEX provider_callbacks_waiting_delivery ON provider_callbacks (delivery_id) WHERE outcome = 'waiting';
CREATE INDEX provider_callbacks_received ON provider_callbacks (received_at);
