-- Event bus tables every service has in its own schema.
CREATE TABLE outbox (
    id           uuid PRIMARY KEY,
    seq          bigserial NOT NULL,
    subject      text NOT NULL,
    payload      jsonb NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    published_at timestamptz,
    attempts     integer NOT NULL DEFAULT 0,
    last_error   text
);
CREATE INDEX outbox_unpublished ON outbox (seq) WHERE published_at IS NULL;

CREATE FUNCTION outbox_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify(TG_TABLE_SCHEMA || '_outbox', '');
    RETURN NULL;
END $$;
CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION outbox_notify();

-- Inbox: one row per event already applied (idempotent handlers).
CREATE TABLE processed_events (
    event_id     uuid PRIMARY KEY,
    event_type   text NOT NULL,
    processed_at timestamptz NOT NULL DEFAULT now()
);

-- Highest aggregate version applied, so stale (older) events are ignored.
CREATE TABLE aggregate_versions (
    aggregate_id text PRIMARY KEY,
    version      bigint NOT NULL
);

-- Events that kept failing or could not be parsed.
CREATE TABLE dead_letters (
    id           bigserial PRIMARY KEY,
    consumer     text NOT NULL,
    subject      text NOT NULL,
    stream_seq   bigint,
    event_id     text,
    payload      text NOT NULL,
    error        text NOT NULL,
    deliveries   integer NOT NULL,
    created_at   timestamptz NOT NULL DEFAULT now()
);
