-- The earliest day an open item's colour can change without a new event (computed by the
-- colour rule with each evaluation); the sweep re-evaluates only items that are due.
-- 1970-01-01 = due now (new and migrated rows); 9999-12-31 = only an event can change it.
ALTER TABLE items ADD COLUMN recheck_on date NOT NULL DEFAULT '1970-01-01';
CREATE INDEX items_due ON items (recheck_on, id)
    WHERE state NOT IN ('COMPLETED', 'CANCELLED', 'SUSPENDED', 'DRAFT');
