-- Evaluation's own projection of tasks and alerts events, and what the office enters.

-- People and units as tasks announces them (person -> unit for access and rank groups).
CREATE TABLE units (
    id        uuid PRIMARY KEY,
    code      text NOT NULL,
    name      text NOT NULL,
    kind      text NOT NULL,
    category  text NOT NULL
);
CREATE INDEX units_category ON units (category);

CREATE TABLE people (
    id       uuid PRIMARY KEY,
    name     text NOT NULL,
    unit_id  uuid,
    rank     text,
    roles    text[] NOT NULL DEFAULT '{}',
    active   boolean NOT NULL DEFAULT true
);
CREATE INDEX people_unit ON people (unit_id);

-- One row per supervision item: the latest snapshot plus derived outcome facts.
CREATE TABLE items (
    id                    uuid PRIMARY KEY,
    code                  text NOT NULL,
    title                 text NOT NULL,
    state                 text NOT NULL,
    importance            integer NOT NULL,
    difficulty            numeric(6,2) NOT NULL,
    deadline              date NOT NULL,
    original_deadline     date NOT NULL,
    lead_unit_id          uuid NOT NULL,
    responsible_leader_id uuid,
    owner_ids             uuid[] NOT NULL DEFAULT '{}',
    created_at            timestamptz,
    completed_at          timestamptz,
    outcome               text,              -- ON_TIME | LATE (against the original deadline)
    days_overdue          integer NOT NULL DEFAULT 0,
    extensions            integer NOT NULL DEFAULT 0,
    verifications_passed  integer NOT NULL DEFAULT 0,
    verifications_disputed integer NOT NULL DEFAULT 0,
    level                 text,
    level_since           timestamptz,
    version               bigint NOT NULL DEFAULT 0
);
CREATE INDEX items_owner ON items USING gin (owner_ids);
CREATE INDEX items_leader ON items (responsible_leader_id);

-- Per item and unit (co-handling: every unit has its own assignment and outcome).
CREATE TABLE item_units (
    item_id      uuid NOT NULL REFERENCES items (id),
    unit_id      uuid NOT NULL,
    role         text NOT NULL,
    state        text NOT NULL,
    percent      integer NOT NULL DEFAULT 0,
    completed_at timestamptz,
    outcome      text,
    days_overdue integer NOT NULL DEFAULT 0,
    PRIMARY KEY (item_id, unit_id)
);
CREATE INDEX item_units_unit ON item_units (unit_id);

-- Time spent in each colour (closed when the colour changes).
CREATE TABLE item_colour_spans (
    item_id    uuid NOT NULL,
    level      text NOT NULL,
    started_at timestamptz NOT NULL,
    ended_at   timestamptz,
    PRIMARY KEY (item_id, started_at)
);

-- Ledger: which rule version scored the entry, and a link to an exemption when the
-- entry offsets (or restores) penalties.
ALTER TABLE ledger_entries ADD COLUMN rule_version integer NOT NULL DEFAULT 0;
ALTER TABLE ledger_entries ADD COLUMN exemption_id uuid;
ALTER TABLE ledger_entries ADD COLUMN unit_id uuid;
CREATE INDEX ledger_entries_item ON ledger_entries (item_id);
CREATE INDEX ledger_entries_time ON ledger_entries (occurred_at);

-- Scoring rules and weights: versioned data, never edited in place.
CREATE TABLE rule_sets (
    kind        text NOT NULL,          -- SCORING | SELECTION_WEIGHTS | UNIT_WEIGHTS | UP_DOWN
    version     integer NOT NULL,
    body        jsonb NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    effective_from timestamptz NOT NULL,
    created_by  text,
    PRIMARY KEY (kind, version)
);

CREATE TABLE periods (
    id         uuid PRIMARY KEY,
    kind       text NOT NULL,           -- QUARTER | YEAR
    name       text NOT NULL,
    starts_on  date NOT NULL,
    ends_on    date NOT NULL,
    state      text NOT NULL DEFAULT 'OPEN',
    closed_at  timestamptz,
    CHECK (ends_on >= starts_on)
);

-- Frozen at close.
CREATE TABLE period_person_scores (
    period_id     uuid NOT NULL REFERENCES periods (id),
    person_id     uuid NOT NULL,
    rank_group    text,
    score         numeric(12,2) NOT NULL,
    entries       integer NOT NULL,
    rank          integer NOT NULL,
    rank_in_group integer NOT NULL,
    normalised    numeric(8,2) NOT NULL,
    composite     numeric(8,2),
    red_items     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (period_id, person_id)
);

CREATE TABLE period_unit_scores (
    period_id  uuid NOT NULL REFERENCES periods (id),
    unit_id    uuid NOT NULL,
    category   text NOT NULL,
    body       jsonb NOT NULL,
    total      numeric(8,2) NOT NULL,
    rank       integer NOT NULL,
    PRIMARY KEY (period_id, unit_id)
);

CREATE TABLE selection_components (
    period_id  uuid NOT NULL REFERENCES periods (id),
    person_id  uuid NOT NULL,
    component  text NOT NULL,
    value      numeric(8,2) NOT NULL,
    PRIMARY KEY (period_id, person_id, component)
);

CREATE TABLE unit_surveys (
    period_id  uuid NOT NULL REFERENCES periods (id),
    unit_id    uuid NOT NULL,
    score      numeric(8,2) NOT NULL,
    PRIMARY KEY (period_id, unit_id)
);

CREATE TABLE unit_vetoes (
    period_id   uuid NOT NULL REFERENCES periods (id),
    unit_id     uuid NOT NULL,
    reason      text NOT NULL,
    recorded_by text,
    recorded_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (period_id, unit_id)
);

-- Leader commendations and criticisms entered by the office (replayed by a rebuild).
CREATE TABLE commendations (
    id          uuid PRIMARY KEY,
    person_id   uuid NOT NULL,
    item_id     uuid,
    kind        text NOT NULL,          -- COMMENDATION | CRITICISM
    points      numeric(8,2) NOT NULL,
    reason      text NOT NULL,
    recorded_by text,
    occurred_at timestamptz NOT NULL
);

CREATE TABLE exemptions (
    id            uuid PRIMARY KEY,
    item_id       uuid NOT NULL,
    case_type     text NOT NULL,
    reason        text NOT NULL,
    evidence      jsonb NOT NULL DEFAULT '[]',
    requested_by  text NOT NULL,
    requested_unit_id uuid,
    requested_at  timestamptz NOT NULL,
    state         text NOT NULL DEFAULT 'PENDING',  -- PENDING | APPROVED | REJECTED | REVOKED
    decided_by    text,
    decided_at    timestamptz,
    decision_note text,
    revoked_at    timestamptz,
    revoke_note   text
);
CREATE INDEX exemptions_item ON exemptions (item_id);

CREATE TABLE flags (
    id         bigserial PRIMARY KEY,
    period_id  uuid NOT NULL REFERENCES periods (id),
    person_id  uuid NOT NULL,
    rule_code  text NOT NULL,
    direction  text NOT NULL,           -- UP | DOWN
    evidence   jsonb NOT NULL,
    raised_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (period_id, person_id, rule_code)
);

-- An entry is unique per causing event, person, rule and (for offsets) exemption, so an
-- item exempted, revoked and exempted again keeps every step visible.
ALTER TABLE ledger_entries DROP CONSTRAINT ledger_entries_event_id_person_id_rule_key;
ALTER TABLE ledger_entries ADD COLUMN recorded_at timestamptz NOT NULL DEFAULT now();
CREATE UNIQUE INDEX ledger_entries_cause ON ledger_entries
    (event_id, person_id, rule, coalesce(exemption_id, '00000000-0000-0000-0000-000000000000'));
