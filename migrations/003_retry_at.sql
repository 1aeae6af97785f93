-- A photo waiting for a retry stays pending, and says when the retry is due: a message for
-- it then exists (in a delay queue, or on its way back to the work queue). A claim before that
-- time is refused, so a second message cannot start a second chain of attempts, and a retry
-- whose message never came back (a purged delay queue, a delivery limit) is found and queued
-- again. NULL for every other photo, including pending ones never queued.
ALTER TABLE photos ADD COLUMN retry_at timestamptz;

-- While processing: the token of the claim that holds the photo, chosen by its worker. A
-- claim whose answer was lost (the database stopped answering) is tried again with the same
-- token, and then takes the photo back without counting a second attempt.
ALTER TABLE photos ADD COLUMN claim_token uuid;

-- Photos released for a retry by an earlier version: pending with the last failure's reason.
-- Their retry was due within the longest backoff of their release; if its message is gone,
-- they are now queued again like any lost retry.
UPDATE photos SET retry_at = updated_at WHERE status = 'pending' AND failure_reason IS NOT NULL;

-- Retries due, for the sweep that finds lost ones.
CREATE INDEX photos_retry_idx ON photos (retry_at) WHERE status = 'pending' AND retry_at IS NOT NULL;

---- create above / drop below ----

DROP INDEX photos_retry_idx;
ALTER TABLE photos DROP COLUMN claim_token;
ALTER TABLE photos DROP COLUMN retry_at;
