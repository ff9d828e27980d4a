-- Reminders: who can be notified (projected from tasks events), their channel
-- preferences, and every notification as a durable row with a dedupe key.
CREATE TABLE people (
    id              uuid PRIMARY KEY,
    name            text NOT NULL,
    unit_id         uuid,
    mobile          text,
    wecom_user_id   text,
    email           text,
    roles           text[] NOT NULL DEFAULT '{}',
    active          boolean NOT NULL DEFAULT true,
    version         bigint NOT NULL DEFAULT 0
);
CREATE INDEX people_unit ON people (unit_id);
CREATE INDEX people_roles ON people USING gin (roles);

CREATE TABLE units (
    id                  uuid PRIMARY KEY,
    code                text NOT NULL,
    name                text NOT NULL,
    wecom_robot_key     text,           -- from tasks.unit.upserted
    robot_key_override  text,           -- set by the office through alerts' GraphQL
    version             bigint NOT NULL DEFAULT 0
);

-- Channels a person opted out of (absent row: every channel the person has an address for).
CREATE TABLE channel_preferences (
    person_id      uuid PRIMARY KEY,
    wecom_app      boolean NOT NULL DEFAULT true,
    email          boolean NOT NULL DEFAULT true,
    inbox          boolean NOT NULL DEFAULT true,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE notifications (
    id               bigserial PRIMARY KEY,
    dedupe_key       text NOT NULL UNIQUE,
    reason_key       text NOT NULL,
    kind             text NOT NULL,      -- LEVEL_CHANGED | DEADLINE_NEAR | REPORT_DUE | RED_CHASE | RED_ESCALATION
    channel          text NOT NULL,      -- WECOM_ROBOT | WECOM_APP | EMAIL | INBOX
    item_id          uuid,
    person_id        uuid,               -- null for a unit robot message
    unit_id          uuid,               -- the robot's unit
    address          text,               -- robot key, WeCom user id or email address
    mentions         text[] NOT NULL DEFAULT '{}',
    title            text NOT NULL,
    body             text NOT NULL,
    state            text NOT NULL DEFAULT 'PENDING',  -- PENDING | SENDING | SENT | DEAD | SKIPPED
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    lease_until      timestamptz,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    read_at          timestamptz
);
CREATE INDEX notifications_due ON notifications (next_attempt_at)
    WHERE state IN ('PENDING', 'SENDING');
CREATE INDEX notifications_inbox ON notifications (person_id, created_at DESC)
    WHERE channel = 'INBOX';
CREATE INDEX notifications_state ON notifications (state, created_at DESC);
CREATE INDEX notifications_item ON notifications (item_id);

-- One row per reason a reminder went out (e.g. "deadline:<item>:<date>:3"): claimed
-- in the same transaction as its notifications, so a reason is planned only once.
CREATE TABLE reminder_reasons (
    reason_key  text PRIMARY KEY,
    kind        text NOT NULL,
    item_id     uuid,
    created_at  timestamptz NOT NULL DEFAULT now()
);
