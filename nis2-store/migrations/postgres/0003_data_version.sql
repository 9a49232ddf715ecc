-- Each account's data version: a counter bumped in the same transaction as
-- every write that changes what the account's vendor list or dashboard
-- summary shows (vendor added, removed, status or current score changed).
-- Readers that cache those answers compare it (one primary-key read) to know
-- whether their copy is still exact, whichever process made the write.
-- Same text for both databases.
ALTER TABLE accounts ADD COLUMN data_version BIGINT NOT NULL DEFAULT 0;
