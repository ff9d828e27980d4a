-- Lifecycle of supervision items: one assignment per unit, progress reports,
-- verifications (核实, with on-site inspection records), extensions (延期),
-- leader instructions (批示) and chases (催办).

ALTER TABLE items ADD COLUMN suspended_from text;
ALTER TABLE items ADD COLUMN updated_at timestamptz NOT NULL DEFAULT now();

CREATE TABLE assignments (
    item_id                  uuid NOT NULL REFERENCES items (id),
    unit_id                  uuid NOT NULL REFERENCES units (id),
    role                     text NOT NULL,             -- LEAD | CO
    state                    text NOT NULL,
    percent                  integer NOT NULL DEFAULT 0,
    last_report_at           timestamptz,
    signed_at                timestamptz,
    returned_reason          text,
    completion_requested_at  timestamptz,
    completed_at             timestamptz,
    PRIMARY KEY (item_id, unit_id)
);
CREATE INDEX assignments_unit ON assignments (unit_id, state);

CREATE TABLE progress_reports (
    id                   uuid PRIMARY KEY,
    item_id              uuid NOT NULL REFERENCES items (id),
    unit_id              uuid NOT NULL REFERENCES units (id),
    percent              integer NOT NULL,
    narrative            text NOT NULL,
    problems             text NOT NULL DEFAULT '',
    next_steps           text NOT NULL DEFAULT '',
    decrease_reason      text,
    idempotency_key      text,
    reported_by          text NOT NULL,
    reported_at          timestamptz NOT NULL,
    verification_result  text,                          -- CONFIRMED | DISPUTED
    verification_note    text,
    verified_by          text,
    verified_at          timestamptz
);
CREATE INDEX progress_reports_item ON progress_reports (item_id, reported_at);
CREATE UNIQUE INDEX progress_reports_idempotency
    ON progress_reports (item_id, unit_id, idempotency_key) WHERE idempotency_key IS NOT NULL;

CREATE TABLE verifications (
    id            uuid PRIMARY KEY,
    item_id       uuid NOT NULL REFERENCES items (id),
    unit_id       uuid NOT NULL REFERENCES units (id),
    approved      boolean NOT NULL,
    note          text NOT NULL DEFAULT '',
    on_site       boolean NOT NULL DEFAULT false,       -- 现场查看确认
    inspection    jsonb,                                -- on-site record: date, place, people, findings
    decided_by    text NOT NULL,
    decided_at    timestamptz NOT NULL
);
CREATE INDEX verifications_item ON verifications (item_id, decided_at);

CREATE TABLE extensions (
    id              uuid PRIMARY KEY,
    item_id         uuid NOT NULL REFERENCES items (id),
    unit_id         uuid REFERENCES units (id),
    reason          text NOT NULL,
    old_deadline    date NOT NULL,
    new_deadline    date NOT NULL,
    state           text NOT NULL DEFAULT 'PENDING',    -- PENDING | APPROVED | REJECTED
    requested_by    text NOT NULL,
    requested_at    timestamptz NOT NULL,
    decision_note   text,
    decided_by      text,
    decided_at      timestamptz
);
CREATE INDEX extensions_item ON extensions (item_id, requested_at);
CREATE UNIQUE INDEX extensions_one_pending ON extensions (item_id) WHERE state = 'PENDING';

CREATE TABLE instructions (
    id          uuid PRIMARY KEY,
    item_id     uuid NOT NULL REFERENCES items (id),
    leader_id   text NOT NULL,
    content     text NOT NULL,
    created_at  timestamptz NOT NULL
);
CREATE INDEX instructions_item ON instructions (item_id, created_at);

CREATE TABLE chases (
    id          uuid PRIMARY KEY,
    item_id     uuid NOT NULL REFERENCES items (id),
    unit_id     uuid REFERENCES units (id),
    chased_by   text NOT NULL,
    note        text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL
);
CREATE INDEX chases_item ON chases (item_id, created_at);

-- Assignments for items that existed before this migration (lead and co-units).
INSERT INTO assignments (item_id, unit_id, role, state)
SELECT id, lead_unit_id, 'LEAD', 'ASSIGNED' FROM items
UNION ALL
SELECT i.id, u, 'CO', 'ASSIGNED' FROM items i, unnest(i.co_unit_ids) u
ON CONFLICT DO NOTHING;
