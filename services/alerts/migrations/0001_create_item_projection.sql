-- Alerts' own projection of supervision items, built only from tasks events.
CREATE TABLE items (
    id                 uuid PRIMARY KEY,
    code               text NOT NULL,
    title              text NOT NULL,
    source             text NOT NULL,
    state              text NOT NULL,
    start_date         date NOT NULL,
    deadline           date NOT NULL,
    original_deadline  date NOT NULL,
    lead_unit_id       uuid NOT NULL,
    co_unit_ids        uuid[] NOT NULL DEFAULT '{}',
    snapshot           jsonb NOT NULL,
    version            bigint NOT NULL,
    level              text,
    reason             text NOT NULL DEFAULT '',
    level_since        timestamptz,
    updated_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX items_level ON items (level);
