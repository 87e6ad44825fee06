-- How a webhook's deliveries are signed: hmac-sha256 (Standard Webhooks
-- v1) or ed25519 (v1a).
ALTER TABLE webhooks ADD COLUMN signature text NOT NULL DEFAULT 'hmac-sha256';
