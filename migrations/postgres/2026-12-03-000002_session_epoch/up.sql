-- Moved on when an operator's password changes or the account is disabled:
-- session tokens carry the epoch they were issued in, and older ones are refused.
ALTER TABLE operators ADD COLUMN session_epoch BIGINT NOT NULL DEFAULT 0;
