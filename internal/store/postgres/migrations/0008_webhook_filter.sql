-- A webhook's payload filter (JSON text, compacted, as the registry
-- validated it); NULL for none. Kept as text, not jsonb: the bytes a user
-- saved are the bytes shown back.
ALTER TABLE webhooks ADD COLUMN filter text;
