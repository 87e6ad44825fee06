-- A webhook's transform (JavaScript source); NULL for none.
ALTER TABLE webhooks ADD COLUMN transform text;
