CREATE TABLE units (
    id          uuid PRIMARY KEY,
    code        text NOT NULL UNIQUE,
    name        text NOT NULL,
    kind        text NOT NULL,
    category    text NOT NULL,
    version     bigint NOT NULL DEFAULT 1,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE people (
    id             uuid PRIMARY KEY,
    name           text NOT NULL,
    unit_id        uuid REFERENCES units (id),
    rank           text,
    position       text,
    mobile         text,
    wecom_user_id  text,
    email          text,
    roles          text[] NOT NULL DEFAULT '{}',
    version        bigint NOT NULL DEFAULT 1,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_unit ON people (unit_id);

CREATE TABLE item_code_counters (
    year  integer PRIMARY KEY,
    last  integer NOT NULL
);

CREATE TABLE items (
    id                     uuid PRIMARY KEY,
    code                   text NOT NULL UNIQUE,
    title                  text NOT NULL,
    content                text NOT NULL DEFAULT '',
    source                 text NOT NULL,
    importance             integer NOT NULL DEFAULT 1,
    difficulty             numeric(4,2) NOT NULL DEFAULT 1.0,
    start_date             date NOT NULL,
    deadline               date NOT NULL,
    original_deadline      date NOT NULL,
    reporting_cycle        text NOT NULL DEFAULT 'WEEKLY',
    state                  text NOT NULL,
    lead_unit_id           uuid NOT NULL REFERENCES units (id),
    co_unit_ids            uuid[] NOT NULL DEFAULT '{}',
    responsible_leader_id  uuid REFERENCES people (id),
    owner_ids              uuid[] NOT NULL DEFAULT '{}',
    plan_nodes             jsonb NOT NULL DEFAULT '[]',
    version                bigint NOT NULL DEFAULT 1,
    created_by             text,
    created_at             timestamptz NOT NULL DEFAULT now(),
    completed_at           timestamptz
);
CREATE INDEX items_lead_unit ON items (lead_unit_id);
CREATE INDEX items_deadline ON items (deadline);
CREATE INDEX items_created ON items (created_at DESC, id DESC);
