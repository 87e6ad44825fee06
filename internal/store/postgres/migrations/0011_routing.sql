-- Routing (issue 18): a webhook's ordering (none or fifo) and its
-- ordering key path, its rate limit (one of the two set, 0 for none) and
-- how many attempts waited for that limit.
ALTER TABLE webhooks ADD COLUMN ordering text NOT NULL DEFAULT 'none';
ALTER TABLE webhooks ADD COLUMN ordering_key text NOT NULL DEFAULT '';
ALTER TABLE webhooks ADD COLUMN rate_per_second integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN rate_per_minute integer NOT NULL DEFAULT 0;
ALTER TABLE webhooks ADD COLUMN stat_throttled bigint NOT NULL DEFAULT 0;
-- A FIFO delivery's place in its webhook's order and its ordering key;
-- NULL for deliveries without ordering.
ALTER TABLE deliveries ADD COLUMN seq bigint;
ALTER TABLE deliveries ADD COLUMN ordering_key text;
-- The head of a key among the pending deliveries.
CREATE INDEX deliveries_fifo ON deliveries (webhook_id, ordering_key, seq)
    WHERE status = 'pending' AND seq IS NOT NULL;
-- The last sequence number given to each FIFO webhook's deliveries. Its
-- own table, not a webhooks column: ingest holds the row locked until it
-- commits (so the numbers follow commit order), and must not hold up
-- other writers of the webhook's row meanwhile.
CREATE TABLE fifo_sequences (
    webhook_id text COLLATE "C" PRIMARY KEY,
    last       bigint NOT NULL
);
