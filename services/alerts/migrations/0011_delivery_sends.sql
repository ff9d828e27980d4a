-- Delivery that cannot be jammed (issue 11, ADR 0010).
-- Every wire message is recorded here, committed before the request leaves: the
-- rows it carries point to it. A sender killed mid-way leaves those rows SENDING;
-- after their short lease the next run re-sends exactly this text (same digest, same
-- subject and Message-ID), so WeCom's duplicate check and mail clients see a repeat,
-- not a new message, and a digest is never regrouped into a different one.
CREATE TABLE deliveries (
    id          bigserial PRIMARY KEY,
    channel     text NOT NULL,
    address     text,
    subject     text NOT NULL,
    content     text NOT NULL,
    mentions    text[] NOT NULL DEFAULT '{}',
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- the wire message a row went (or is going) out in
ALTER TABLE notifications ADD COLUMN delivery_id bigint REFERENCES deliveries (id);
CREATE INDEX notifications_delivery ON notifications (delivery_id) WHERE delivery_id IS NOT NULL;
-- states now: PENDING | SENDING | SENT | DEAD | SKIPPED | HELD (the item is suspended)
DROP INDEX notifications_due;
CREATE INDEX notifications_due ON notifications (channel, address, id)
    WHERE state IN ('PENDING', 'SENDING', 'HELD');
