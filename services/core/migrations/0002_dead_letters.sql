-- Supervised consumers (ADR 0015): event failures are counted here, not by JetStream's
-- delivery count, so an outage of the database or NATS never dead-letters a good event.
CREATE TABLE event_failures (
    consumer    text NOT NULL,
    stream_seq  bigint NOT NULL,
    failures    integer NOT NULL,
    last_error  text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (consumer, stream_seq)
);

-- Dead letters the office can see, replay and discard; resolved ones stay as history.
ALTER TABLE dead_letters
    ADD COLUMN resolved_at timestamptz,
    ADD COLUMN resolution  text CHECK (resolution IN ('REPLAYED', 'DISCARDED')),
    ADD COLUMN resolved_by text;
CREATE UNIQUE INDEX dead_letters_open_once ON dead_letters (consumer, stream_seq)
    WHERE resolved_at IS NULL AND stream_seq IS NOT NULL;
CREATE INDEX dead_letters_open ON dead_letters (id) WHERE resolved_at IS NULL;
