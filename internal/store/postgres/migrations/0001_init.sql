-- Hookline PostgreSQL schema, version 1. Migrations are forward-only: a
-- change is a new numbered file, never an edit of one already applied.
--
-- Times are timestamptz, which keeps microseconds like SQLite's Unix
-- microseconds. IDs compare byte-wise (COLLATE "C"): they sort by creation
-- time, and cursor paging relies on that order whatever the locale.

CREATE TABLE event_types (
    slug        text PRIMARY KEY,
    name        text NOT NULL,
    description text NOT NULL,
    example     bytea NOT NULL, -- JSON exactly as given
    schema      bytea,          -- JSON Schema exactly as given, or NULL
    custom      boolean NOT NULL,
    created_at  timestamptz NOT NULL,
    seq         bigint GENERATED ALWAYS AS IDENTITY -- list order within built-in/custom
);

CREATE TABLE webhooks (
    id                text COLLATE "C" PRIMARY KEY,
    tenant            text NOT NULL,
    name              text NOT NULL,
    url               text NOT NULL,
    description       text NOT NULL,
    events            text[] NOT NULL, -- slugs, or {*}
    active            boolean NOT NULL,
    headers           jsonb NOT NULL,
    format            text NOT NULL,
    integration       text NOT NULL,
    disabled_reason   text NOT NULL DEFAULT '',
    secret            text NOT NULL, -- sealed
    prev_secret       text,          -- sealed; signs until prev_secret_until
    prev_secret_until timestamptz,
    created_at        timestamptz NOT NULL,
    updated_at        timestamptz NOT NULL,
    stat_attempts     bigint NOT NULL DEFAULT 0,
    stat_succeeded    bigint NOT NULL DEFAULT 0,
    stat_failed       bigint NOT NULL DEFAULT 0,
    last_success_at   timestamptz,
    last_failure_at   timestamptz,
    failing_since     timestamptz
);
CREATE INDEX webhooks_tenant ON webhooks (tenant, id);
CREATE INDEX webhooks_failing ON webhooks (failing_since) WHERE active AND failing_since IS NOT NULL;

-- stats.deliveries lives apart from the webhook row. Every ingest adds to
-- it, and with one counter per webhook concurrent ingests for a webhook
-- would wait for each other's commit. Each transaction adds to one of a
-- few shards picked at random; readers sum them.
CREATE TABLE webhook_counters (
    webhook_id text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    shard      smallint NOT NULL,
    deliveries bigint NOT NULL,
    PRIMARY KEY (webhook_id, shard)
);

-- The subscription index: one row per (webhook, subscribed slug), so that
-- matching an event is an index lookup however many webhooks exist.
CREATE TABLE subscriptions (
    tenant     text NOT NULL,
    event_type text NOT NULL,
    webhook_id text COLLATE "C" NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, event_type, webhook_id)
);
CREATE INDEX subscriptions_webhook ON subscriptions (webhook_id);

CREATE TABLE events (
    id              text COLLATE "C" PRIMARY KEY,
    tenant          text NOT NULL,
    type            text NOT NULL,
    data            bytea NOT NULL, -- the published JSON byte for byte (jsonb would reformat it)
    idempotency_key text,
    created_at      timestamptz NOT NULL
);
-- Idempotency holds across instances because this constraint does.
CREATE UNIQUE INDEX events_idempotency ON events (tenant, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX events_tenant ON events (tenant, id);
CREATE INDEX events_type ON events (tenant, type, id);
CREATE INDEX events_created ON events (created_at);

CREATE TABLE deliveries (
    id               text COLLATE "C" PRIMARY KEY,
    tenant           text NOT NULL,
    event_id         text COLLATE "C" NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type       text NOT NULL,
    webhook_id       text COLLATE "C" NOT NULL, -- no foreign key: deliveries outlive their webhook
    status           text NOT NULL CHECK (status IN ('pending', 'succeeded', 'failed')),
    attempts         integer NOT NULL DEFAULT 0,
    -- When the delivery can next be claimed: its retry time, or while
    -- leased the end of the lease (so an expired lease is simply due).
    next_attempt_at  timestamptz,
    lease_owner      text,
    last_status_code integer NOT NULL DEFAULT 0,
    last_error       text NOT NULL DEFAULT '',
    created_at       timestamptz NOT NULL,
    updated_at       timestamptz NOT NULL
);
-- The queue: claims walk it oldest due first.
CREATE INDEX deliveries_due ON deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX deliveries_webhook ON deliveries (webhook_id, id);
CREATE INDEX deliveries_event ON deliveries (event_id);
CREATE INDEX deliveries_tenant ON deliveries (tenant, id);

CREATE TABLE attempts (
    id                 text COLLATE "C" PRIMARY KEY,
    delivery_id        text COLLATE "C" REFERENCES deliveries (id) ON DELETE CASCADE, -- NULL for test sends
    webhook_id         text COLLATE "C" NOT NULL,
    event_id           text NOT NULL,
    event_type         text NOT NULL,
    number             integer NOT NULL,
    test               boolean NOT NULL,
    started_at         timestamptz NOT NULL,
    duration_ms        double precision NOT NULL,
    url                text NOT NULL,
    -- Headers are JSON in text, not jsonb: jsonb refuses \u0000, which any
    -- receiver may send back.
    request_headers    text NOT NULL,
    request_body       bytea NOT NULL,
    status_code        integer NOT NULL,
    response_headers   text NOT NULL,
    response_body      bytea NOT NULL,
    response_truncated boolean NOT NULL,
    error_class        text NOT NULL,
    error              text NOT NULL
);
CREATE INDEX attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX attempts_webhook ON attempts (webhook_id, id);
CREATE INDEX attempts_started ON attempts (started_at);

CREATE TABLE api_keys (
    id           text COLLATE "C" PRIMARY KEY,
    name         text NOT NULL,
    prefix       text NOT NULL,
    hash         bytea NOT NULL UNIQUE,
    scopes       text[] NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz,
    revoked_at   timestamptz,
    last_used_at timestamptz
);

CREATE TABLE bins (
    id           text COLLATE "C" PRIMARY KEY,
    token        text NOT NULL UNIQUE,
    name         text NOT NULL,
    max_requests integer NOT NULL,
    created_at   timestamptz NOT NULL,
    expires_at   timestamptz NOT NULL
);
CREATE INDEX bins_expires ON bins (expires_at);

CREATE TABLE bin_requests (
    id          text COLLATE "C" PRIMARY KEY,
    bin_id      text COLLATE "C" NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    method      text NOT NULL,
    path        text NOT NULL,
    query       text NOT NULL,
    headers     text NOT NULL, -- JSON in text, as for attempts
    body        bytea NOT NULL,
    size        bigint NOT NULL,
    truncated   boolean NOT NULL,
    remote_addr text NOT NULL,
    received_at timestamptz NOT NULL
);
CREATE INDEX bin_requests_bin ON bin_requests (bin_id, id);

CREATE TABLE audit_log (
    id     text COLLATE "C" PRIMARY KEY,
    at     timestamptz NOT NULL,
    actor  text NOT NULL,
    action text NOT NULL,
    target text NOT NULL,
    detail text NOT NULL
);
CREATE INDEX audit_log_target ON audit_log (target, id);

CREATE TABLE users (
    username      text PRIMARY KEY,
    password_hash text NOT NULL,
    created_at    timestamptz NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE sessions (
    token_hash bytea PRIMARY KEY,
    id         text NOT NULL,
    username   text NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at timestamptz NOT NULL,
    expires_at timestamptz NOT NULL
);
CREATE INDEX sessions_user ON sessions (username);

CREATE TABLE leaders (
    name  text PRIMARY KEY,
    owner text NOT NULL,
    until timestamptz NOT NULL
);
