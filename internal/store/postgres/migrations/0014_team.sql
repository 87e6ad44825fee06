-- Team accounts: every account made before is an owner, as it could do
-- everything; one-time invitations keep only their token's hash.
ALTER TABLE users ADD COLUMN role text NOT NULL DEFAULT 'owner';

CREATE TABLE invites (
    token_hash  bytea PRIMARY KEY,
    id          text NOT NULL UNIQUE,
    role        text NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    accepted_at timestamptz,
    accepted_by text NOT NULL DEFAULT ''
);
