-- How many Hookline deliveries led to an event (webhook.Event.Hops), so
-- that Hookline servers posting into each other stop a loop.
ALTER TABLE events ADD COLUMN hops integer NOT NULL DEFAULT 0;
