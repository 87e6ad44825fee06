-- Live instances sharing this database, for splitting webhooks between
-- them (each webhook is delivered by the instance owning its shard, so its
-- concurrency limit holds across instances).
CREATE TABLE instances (
    id        text COLLATE "C" PRIMARY KEY,
    last_seen timestamptz NOT NULL
);
