-- Supervision notices (督查通知单): numbered gap-free per year, one row per recipient.
CREATE TABLE notice_counters (
    year  integer PRIMARY KEY,
    last  integer NOT NULL
);

CREATE TABLE notices (
    id                 uuid PRIMARY KEY,
    item_id            uuid NOT NULL REFERENCES items (id),
    year               integer NOT NULL,
    number             integer NOT NULL,
    code               text NOT NULL UNIQUE,
    content            text NOT NULL,
    response_deadline  date NOT NULL,
    issued_by          text NOT NULL,
    issued_at          timestamptz NOT NULL DEFAULT now(),
    UNIQUE (year, number)
);
CREATE INDEX notices_item ON notices (item_id, issued_at);

CREATE TABLE notice_recipients (
    notice_id        uuid NOT NULL REFERENCES notices (id),
    person_id        uuid NOT NULL REFERENCES people (id),
    role             text NOT NULL,
    position         integer NOT NULL,
    acknowledged_at  timestamptz,
    ack_note         text,
    PRIMARY KEY (notice_id, person_id)
);
CREATE INDEX notice_recipients_person ON notice_recipients (person_id, acknowledged_at);
