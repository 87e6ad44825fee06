-- Bulk recovery (issue 18): the attempts a delivery had when it was
-- recovered, from which its retry schedule counts again; the index serves
-- a webhook's delivery log filtered by state, and recovery.
ALTER TABLE deliveries ADD COLUMN retry_base integer NOT NULL DEFAULT 0;
CREATE INDEX deliveries_webhook_status ON deliveries (webhook_id, status, id);
