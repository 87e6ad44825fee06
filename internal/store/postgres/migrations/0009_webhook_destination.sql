-- A webhook's destination configuration (JSON text: exchange, subject,
-- stream, topic… and the broker URL sealed as the signing secret is,
-- since it may hold a password); NULL for HTTP, which needs none.
ALTER TABLE webhooks ADD COLUMN destination text;
