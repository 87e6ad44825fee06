-- Magic links into the customer portal and, once opened, their sessions:
-- only the SHA-256 of either token is kept.
CREATE TABLE portal_links (
	token_hash         bytea PRIMARY KEY,
	id                 text NOT NULL UNIQUE,
	tenant             text NOT NULL,
	read_only          boolean NOT NULL,
	return_url         text NOT NULL DEFAULT '',
	event_types        text[] NOT NULL DEFAULT '{}',
	session_ttl        bigint NOT NULL, -- microseconds
	created_at         timestamptz NOT NULL,
	expires_at         timestamptz NOT NULL,
	opened_at          timestamptz,
	session_hash       bytea UNIQUE,
	session_expires_at timestamptz
);
