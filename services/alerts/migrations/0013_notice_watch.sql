-- Supervision notices awaiting acknowledgement (督查通知单签阅), one row per recipient,
-- kept from tasks.item.notice_issued and tasks.notice.acknowledged: the reminder scan
-- reminds a recipient after one working day and escalates after three (issue 13).
CREATE TABLE notice_recipients (
    notice_id          uuid NOT NULL,
    person_id          uuid NOT NULL,
    item_id            uuid NOT NULL,
    code               text NOT NULL,
    issued_at          timestamptz NOT NULL,
    response_deadline  date NOT NULL,
    acknowledged_at    timestamptz,
    PRIMARY KEY (notice_id, person_id)
);
CREATE INDEX notice_recipients_open ON notice_recipients (issued_at) WHERE acknowledged_at IS NULL;
