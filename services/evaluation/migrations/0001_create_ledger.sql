-- Evaluation's ledger of scored entries per person, each tied to the event that caused it.
CREATE TABLE ledger_entries (
    id          bigserial PRIMARY KEY,
    person_id   uuid NOT NULL,
    item_id     uuid,
    event_id    uuid NOT NULL,
    rule        text NOT NULL,
    points      numeric(10,2) NOT NULL,
    explanation text NOT NULL,
    occurred_at timestamptz NOT NULL,
    UNIQUE (event_id, person_id, rule)
);
CREATE INDEX ledger_entries_person ON ledger_entries (person_id, occurred_at);
