-- Tenants become rows. Until now a tenant was only a string on webhooks,
-- events and deliveries; every string in use gets a row named after
-- itself. Instances of the previous release, during a rolling upgrade,
-- keep writing such strings without rows: the next event or webhook a new
-- instance stores for one of them creates its row.
CREATE TABLE tenants (
    id            text COLLATE "C" PRIMARY KEY,
    name          text NOT NULL,
    contact_email text NOT NULL DEFAULT '',
    branding      jsonb,                      -- {name, logo_url, accent}; NULL for none
    metadata      jsonb NOT NULL DEFAULT '{}', -- object of strings, the producer's own
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

-- A delivery's tenant is its event's, but every table is read so that none
-- is missed.
INSERT INTO tenants (id, name, created_at, updated_at)
SELECT tenant, tenant, now(), now()
FROM (SELECT tenant FROM webhooks UNION SELECT tenant FROM events UNION SELECT tenant FROM deliveries) AS used;
