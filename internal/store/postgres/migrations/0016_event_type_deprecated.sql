-- Event types that still deliver but are no longer offered.
ALTER TABLE event_types ADD COLUMN deprecated boolean NOT NULL DEFAULT false;
