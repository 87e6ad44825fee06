-- Bulk recovery (issue 18): the attempts a delivery had when it was
-- recovered, from which its retry schedule counts again; the index serves
-- the delivery log filtered by state (a webhook's in id order, every
-- webhook's from the matching rows alone) and recovery.
ALTER TABLE deliveries ADD COLUMN retry_base integer NOT NULL DEFAULT 0;
CREATE INDEX deliveries_status ON deliveries (status, webhook_id, id);
