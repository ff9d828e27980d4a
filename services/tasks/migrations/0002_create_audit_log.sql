-- Audit trail (痕迹): append-only entries, one per change.
CREATE TABLE audit_log (
    id           bigserial PRIMARY KEY,
    occurred_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
    actor_id     text NOT NULL,
    action       text NOT NULL,
    subject_type text NOT NULL,
    subject_id   text NOT NULL,
    item_id      uuid,
    before       jsonb,
    after        jsonb,
    request_id   text
);
CREATE INDEX audit_log_item ON audit_log (item_id, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
