-- The four-colour engine: full item facts in the projection, rule settings, colour history.

ALTER TABLE items
    ADD COLUMN reporting_cycle        text NOT NULL DEFAULT 'WEEKLY',
    ADD COLUMN plan_nodes             jsonb NOT NULL DEFAULT '[]',
    -- per unit: [{unit_id, role, state, percent, last_report_at, last_gain_at, done}]
    ADD COLUMN units                  jsonb NOT NULL DEFAULT '[]',
    ADD COLUMN last_report_at         timestamptz,
    ADD COLUMN responsible_leader_id  uuid,
    ADD COLUMN owner_ids              uuid[] NOT NULL DEFAULT '{}',
    ADD COLUMN unit_ids               uuid[] GENERATED ALWAYS AS (array_prepend(lead_unit_id, co_unit_ids)) STORED,
    ADD COLUMN level_version          bigint NOT NULL DEFAULT 0,
    ADD COLUMN rule_version           bigint,
    ADD COLUMN evaluated_at           timestamptz,
    ADD COLUMN planned_percent        real,
    ADD COLUMN reported_percent       integer;

-- The sweep walks open items by id; the big-screen queries read by colour.
CREATE INDEX items_open ON items (id)
    WHERE state NOT IN ('COMPLETED', 'CANCELLED', 'SUSPENDED', 'DRAFT');
CREATE INDEX items_unit_ids ON items USING gin (unit_ids);
CREATE INDEX items_level_since ON items (level, level_since) WHERE level IS NOT NULL;

-- Thresholds per source, append-only: each change is a new version; the newest row of a
-- source wins, 'DEFAULT' applies to sources without their own row.
CREATE TABLE rule_settings (
    version        bigserial PRIMARY KEY,
    source         text NOT NULL,
    lag_tolerance  integer NOT NULL CHECK (lag_tolerance BETWEEN 0 AND 100),
    stall_cycles   integer NOT NULL CHECK (stall_cycles BETWEEN 1 AND 52),
    created_at     timestamptz NOT NULL DEFAULT now(),
    created_by     text
);
CREATE INDEX rule_settings_source ON rule_settings (source, version DESC);
INSERT INTO rule_settings (source, lag_tolerance, stall_cycles, created_by)
VALUES ('DEFAULT', 10, 2, 'migration');

-- One row per stretch of time an item spent in one colour (ended_at NULL = current).
CREATE TABLE level_history (
    id              bigserial PRIMARY KEY,
    item_id         uuid NOT NULL,
    level           text NOT NULL,
    previous_level  text,
    reason          text NOT NULL DEFAULT '',
    rule_version    bigint,
    started_at      timestamptz NOT NULL,
    ended_at        timestamptz
);
CREATE INDEX level_history_item ON level_history (item_id, started_at);
CREATE UNIQUE INDEX level_history_open ON level_history (item_id) WHERE ended_at IS NULL;
