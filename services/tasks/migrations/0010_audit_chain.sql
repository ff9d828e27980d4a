-- Audit trail (痕迹): hash chain and append-only protection. See docs/adr/0005-audit-trail.md.
--
-- Every entry gets a gap-free position (chain_seq), the hash of the entry before it
-- (prev_hash) and its own hash: sha256 over a canonical JSON array of its content.
-- A BEFORE INSERT trigger fills the three columns under a transaction-level advisory
-- lock, so concurrent writers append one after another and the chain stays linear.
-- UPDATE, DELETE and TRUNCATE are refused by triggers that fire always (also with
-- session_replication_role = replica), and the owner's own privileges for them are
-- revoked.

ALTER TABLE audit_log
    ADD COLUMN chain_seq bigint,
    ADD COLUMN prev_hash text,
    ADD COLUMN hash      text;

-- The canonical content of an entry. The verifier (services/tasks/audit.py) recomputes
-- the same expression inline, so replacing this function cannot hide a change.
CREATE FUNCTION audit_entry_hash(
    p_seq bigint, p_prev text, p_at timestamptz, p_actor text, p_action text,
    p_subject_type text, p_subject_id text, p_item uuid, p_before jsonb, p_after jsonb,
    p_request text
) RETURNS text LANGUAGE sql IMMUTABLE AS $$
    SELECT encode(sha256(convert_to(jsonb_build_array(
        p_seq, p_prev, to_char(p_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"'),
        p_actor, p_action, p_subject_type, p_subject_id, p_item::text, p_before, p_after,
        p_request)::text, 'UTF8')), 'hex')
$$;

-- Chain the rows that exist already (in id order), before the guards are installed.
DO $$
DECLARE
    r record;
    seq bigint := 0;
    prev text := repeat('0', 64);
BEGIN
    FOR r IN SELECT * FROM audit_log ORDER BY id LOOP
        seq := seq + 1;
        UPDATE audit_log SET chain_seq = seq, prev_hash = prev,
            hash = audit_entry_hash(seq, prev, r.occurred_at, r.actor_id, r.action,
                r.subject_type, r.subject_id, r.item_id, r.before, r.after, r.request_id)
        WHERE id = r.id RETURNING hash INTO prev;
    END LOOP;
END $$;

ALTER TABLE audit_log
    ALTER COLUMN chain_seq SET NOT NULL,
    ALTER COLUMN prev_hash SET NOT NULL,
    ALTER COLUMN hash SET NOT NULL;
CREATE UNIQUE INDEX audit_log_chain_seq ON audit_log (chain_seq);
CREATE INDEX audit_log_subject ON audit_log (subject_type, subject_id, chain_seq);

CREATE FUNCTION audit_log_chain() RETURNS trigger LANGUAGE plpgsql
SET search_path FROM CURRENT AS $$
DECLARE
    last_seq bigint;
    last_hash text;
BEGIN
    -- One writer at a time until commit: the next writer then sees this row.
    PERFORM pg_advisory_xact_lock(hashtext(TG_TABLE_SCHEMA || '.audit_log.chain'));
    SELECT chain_seq, hash INTO last_seq, last_hash
      FROM audit_log ORDER BY chain_seq DESC LIMIT 1;
    NEW.chain_seq := coalesce(last_seq, 0) + 1;
    NEW.prev_hash := coalesce(last_hash, repeat('0', 64));
    NEW.hash := audit_entry_hash(NEW.chain_seq, NEW.prev_hash, NEW.occurred_at, NEW.actor_id,
        NEW.action, NEW.subject_type, NEW.subject_id, NEW.item_id, NEW.before, NEW.after,
        NEW.request_id);
    RETURN NEW;
END $$;

CREATE TRIGGER audit_log_chain BEFORE INSERT ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_chain();

CREATE FUNCTION audit_log_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END $$;

CREATE TRIGGER audit_log_no_update_delete BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_refuse();
CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_refuse();
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_update_delete;
ALTER TABLE audit_log ENABLE ALWAYS TRIGGER audit_log_no_truncate;

-- A non-superuser owner loses these privileges too (it could grant them back to itself,
-- which is an explicit, logged DDL step; see the ADR for the production role split).
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM PUBLIC;
REVOKE UPDATE, DELETE, TRUNCATE ON audit_log FROM CURRENT_USER;
