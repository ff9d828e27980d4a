-- The office's moves (issue 13): edit, transfer (转办), deadline re-set (调整时限),
-- instructions recorded on a leader's behalf (代录批示), duplicate warnings.

-- An assignment that left the item stays as history: TRANSFERRED (转办 to another
-- unit) or WITHDRAWN (a co-unit removed by an edit). Neither is scored nor coloured.
ALTER TABLE assignments ADD COLUMN ended_reason text;
ALTER TABLE assignments ADD COLUMN ended_at timestamptz;
ALTER TABLE assignments ADD COLUMN transferred_to uuid REFERENCES units (id);

-- 调整时限 by the office: the history of re-sets (original_deadline never changes).
CREATE TABLE deadline_resets (
    id                uuid PRIMARY KEY,
    item_id           uuid NOT NULL REFERENCES items (id),
    old_deadline      date NOT NULL,
    new_deadline      date NOT NULL,
    reason            text NOT NULL,
    leader_id         uuid REFERENCES people (id),
    reset_by          text NOT NULL,
    reset_at          timestamptz NOT NULL
);
CREATE INDEX deadline_resets_item ON deadline_resets (item_id, reset_at);

-- 代录批示: who entered it (entered_by) besides whose it is (leader_id), the day the
-- leader gave it, an optional scanned page, and the leader's confirmation.
ALTER TABLE instructions ADD COLUMN entered_by text;
ALTER TABLE instructions ADD COLUMN instructed_on date;
ALTER TABLE instructions ADD COLUMN confirmed_at timestamptz;
CREATE INDEX instructions_leader ON instructions (leader_id, created_at DESC);
-- The scanned page lives apart, so that listing instructions never reads the bytes.
CREATE TABLE instruction_scans (
    instruction_id  uuid PRIMARY KEY REFERENCES instructions (id),
    name            text NOT NULL,
    content_type    text NOT NULL,
    size            integer NOT NULL,
    sha256          text NOT NULL,
    data            bytea NOT NULL
);

-- 重复督查: the source document number (文号) an item was handed down under.
ALTER TABLE items ADD COLUMN source_document_no text;
CREATE INDEX items_source_document_no ON items (source_document_no)
    WHERE source_document_no IS NOT NULL;

-- Organisation re-import (issue 13): people get an optional code to be matched by;
-- units and people are retired (撤销 / 离任), never deleted: history keeps them.
ALTER TABLE units ADD COLUMN retired_at timestamptz;
ALTER TABLE people ADD COLUMN code text;
ALTER TABLE people ADD COLUMN retired_at timestamptz;
CREATE UNIQUE INDEX people_code ON people (code) WHERE code IS NOT NULL;
