ALTER TABLE operators DROP COLUMN session_epoch;
