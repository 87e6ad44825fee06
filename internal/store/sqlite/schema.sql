-- Hookline SQLite schema. Statements are idempotent: the whole file runs at
-- every start. Times are Unix microseconds (UTC).
CREATE TABLE IF NOT EXISTS event_types (
    slug        TEXT PRIMARY KEY,
    name        TEXT NOT NULL,
    description TEXT NOT NULL,
    example     TEXT NOT NULL,
    schema      TEXT,
    custom      INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS webhooks (
    id               TEXT PRIMARY KEY,
    tenant           TEXT NOT NULL,
    name             TEXT NOT NULL,
    url              TEXT NOT NULL,
    description      TEXT NOT NULL,
    events           TEXT NOT NULL, -- JSON array of slugs or ["*"]
    active           INTEGER NOT NULL,
    headers          TEXT NOT NULL, -- JSON object
    format           TEXT NOT NULL,
    integration      TEXT NOT NULL,
    disabled_reason  TEXT NOT NULL DEFAULT '',
    secret           TEXT NOT NULL, -- sealed
    prev_secret      TEXT,          -- sealed; signs until prev_secret_until
    prev_secret_until INTEGER,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    stat_deliveries  INTEGER NOT NULL DEFAULT 0,
    stat_attempts    INTEGER NOT NULL DEFAULT 0,
    stat_succeeded   INTEGER NOT NULL DEFAULT 0,
    stat_failed      INTEGER NOT NULL DEFAULT 0,
    last_success_at  INTEGER,
    last_failure_at  INTEGER,
    failing_since    INTEGER
);
CREATE INDEX IF NOT EXISTS webhooks_tenant ON webhooks (tenant, id);

-- The subscription index: one row per (webhook, subscribed slug), so that
-- matching an event is an index lookup however many webhooks exist.
CREATE TABLE IF NOT EXISTS subscriptions (
    tenant     TEXT NOT NULL,
    event_type TEXT NOT NULL,
    webhook_id TEXT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    PRIMARY KEY (tenant, event_type, webhook_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS subscriptions_webhook ON subscriptions (webhook_id);

CREATE TABLE IF NOT EXISTS events (
    id              TEXT PRIMARY KEY,
    tenant          TEXT NOT NULL,
    type            TEXT NOT NULL,
    data            BLOB NOT NULL,
    idempotency_key TEXT,
    created_at      INTEGER NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_idempotency ON events (tenant, idempotency_key)
    WHERE idempotency_key IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_type ON events (tenant, type, id);
CREATE INDEX IF NOT EXISTS events_created ON events (created_at);

CREATE TABLE IF NOT EXISTS deliveries (
    id               TEXT PRIMARY KEY,
    tenant           TEXT NOT NULL,
    event_id         TEXT NOT NULL REFERENCES events (id) ON DELETE CASCADE,
    event_type       TEXT NOT NULL,
    webhook_id       TEXT NOT NULL,
    status           TEXT NOT NULL,
    attempts         INTEGER NOT NULL DEFAULT 0,
    -- When the delivery can next be claimed: its retry time, or while
    -- leased the end of the lease (so an expired lease is simply due).
    next_attempt_at  INTEGER,
    lease_owner      TEXT,
    last_status_code INTEGER NOT NULL DEFAULT 0,
    last_error       TEXT NOT NULL DEFAULT '',
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX IF NOT EXISTS deliveries_webhook ON deliveries (webhook_id, id);
CREATE INDEX IF NOT EXISTS deliveries_event ON deliveries (event_id);

CREATE TABLE IF NOT EXISTS attempts (
    id                 TEXT PRIMARY KEY,
    delivery_id        TEXT REFERENCES deliveries (id) ON DELETE CASCADE,
    webhook_id         TEXT NOT NULL,
    event_id           TEXT NOT NULL,
    event_type         TEXT NOT NULL,
    number             INTEGER NOT NULL,
    test               INTEGER NOT NULL,
    started_at         INTEGER NOT NULL,
    duration_ms        REAL NOT NULL,
    url                TEXT NOT NULL,
    request_headers    TEXT NOT NULL,
    request_body       BLOB NOT NULL,
    status_code        INTEGER NOT NULL,
    response_headers   TEXT NOT NULL,
    response_body      BLOB NOT NULL,
    response_truncated INTEGER NOT NULL,
    error_class        TEXT NOT NULL,
    error              TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_delivery ON attempts (delivery_id, id);
CREATE INDEX IF NOT EXISTS attempts_webhook ON attempts (webhook_id, id);

CREATE TABLE IF NOT EXISTS api_keys (
    id           TEXT PRIMARY KEY,
    name         TEXT NOT NULL,
    prefix       TEXT NOT NULL,
    hash         BLOB NOT NULL UNIQUE,
    scopes       TEXT NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER,
    revoked_at   INTEGER,
    last_used_at INTEGER
);

CREATE TABLE IF NOT EXISTS bins (
    id           TEXT PRIMARY KEY,
    token        TEXT NOT NULL UNIQUE,
    name         TEXT NOT NULL,
    max_requests INTEGER NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS bin_requests (
    id          TEXT PRIMARY KEY,
    bin_id      TEXT NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
    method      TEXT NOT NULL,
    path        TEXT NOT NULL,
    query       TEXT NOT NULL,
    headers     TEXT NOT NULL,
    body        BLOB NOT NULL,
    size        INTEGER NOT NULL,
    truncated   INTEGER NOT NULL,
    remote_addr TEXT NOT NULL,
    received_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS bin_requests_bin ON bin_requests (bin_id, id);

CREATE TABLE IF NOT EXISTS audit_log (
    id     TEXT PRIMARY KEY,
    at     INTEGER NOT NULL,
    actor  TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS audit_log_target ON audit_log (target, id);

CREATE TABLE IF NOT EXISTS users (
    username      TEXT PRIMARY KEY,
    password_hash TEXT NOT NULL,
    created_at    INTEGER NOT NULL,
    updated_at    INTEGER NOT NULL
);

CREATE TABLE IF NOT EXISTS sessions (
    token_hash BLOB PRIMARY KEY,
    id         TEXT NOT NULL,
    username   TEXT NOT NULL REFERENCES users (username) ON DELETE CASCADE,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS sessions_user ON sessions (username);

CREATE TABLE IF NOT EXISTS leaders (
    name        TEXT PRIMARY KEY,
    owner       TEXT NOT NULL,
    until       INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS attempts_started ON attempts (started_at);

CREATE TABLE IF NOT EXISTS instances (
    id        TEXT PRIMARY KEY,
    last_seen INTEGER NOT NULL
);
