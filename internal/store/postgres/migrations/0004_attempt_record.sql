-- What each attempt did: the destination type, the delivery's outcome after
-- it and a short text of the destination's answer. NULL in rows written
-- before (store.FillOlderAttempt completes them on read), so adding them
-- rewrites no rows and instances of the previous release keep inserting.
ALTER TABLE attempts
    ADD COLUMN destination text,
    ADD COLUMN outcome     text,
    ADD COLUMN answer      text;

-- A webhook's destination type, and the custom headers whose values
-- attempts store masked. The defaults hold for webhooks made before and
-- by instances of the previous release during a rolling upgrade.
ALTER TABLE webhooks
    ADD COLUMN destination_type text NOT NULL DEFAULT 'http',
    ADD COLUMN secret_headers   text[] NOT NULL DEFAULT '{}';
