-- Alert channels (a Slack-compatible URL sealed as a signing secret is:
-- whoever has it can post to the channel) and the state of alerts, kept
-- here so that a new leader carries on where the last stopped and two
-- instances never send the same message.
CREATE TABLE alert_channels (
    id         text PRIMARY KEY,
    type       text NOT NULL,
    url        text NOT NULL DEFAULT '',
    recipients jsonb NOT NULL DEFAULT '[]',
    kinds      jsonb NOT NULL,
    tenant     text NOT NULL DEFAULT '',
    created_at timestamptz NOT NULL
);

CREATE TABLE alert_states (
    webhook_id   text NOT NULL, -- '' for the backlog
    kind         text NOT NULL,
    tenant       text NOT NULL DEFAULT '',
    detail       text NOT NULL DEFAULT '',
    opened_at    timestamptz NOT NULL,
    closed_at    timestamptz,
    notice       text NOT NULL DEFAULT '',
    notified     boolean NOT NULL DEFAULT false,
    last_sent_at timestamptz,
    PRIMARY KEY (webhook_id, kind)
);
CREATE INDEX alert_states_live ON alert_states (opened_at) WHERE closed_at IS NULL OR notice <> '';
