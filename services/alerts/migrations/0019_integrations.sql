-- Integrations (issue 14): the public event feed, integration clients, webhook
-- subscriptions and their durable delivery queue with its attempt log.

-- Every public event once, in arrival order (the pull cursor is `seq`).
CREATE TABLE integration_events (
    seq         bigserial PRIMARY KEY,
    id          uuid NOT NULL UNIQUE,          -- the CloudEvent id (= internal event id)
    type        text NOT NULL,                 -- cn.gov.ducha.<entity>.<verb>
    subject     text NOT NULL,
    unit_ids    text[] NOT NULL DEFAULT '{}',  -- for scoping; never sent
    occurred_at timestamptz NOT NULL,
    event       jsonb NOT NULL,                -- the CloudEvent as sent
    received_at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX integration_events_time ON integration_events (occurred_at);
CREATE INDEX integration_events_units ON integration_events USING gin (unit_ids);

-- A department's system: a service account with a unit scope and allowed event types.
CREATE TABLE integration_clients (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    unit_ids    text[] NOT NULL DEFAULT '{}',
    all_units   boolean NOT NULL DEFAULT false,
    event_types text[] NOT NULL,
    active      boolean NOT NULL DEFAULT true,
    created_by  text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_subscriptions (
    id                     uuid PRIMARY KEY,
    client_id              uuid NOT NULL REFERENCES integration_clients (id),
    url                    text NOT NULL,
    event_types            text[] NOT NULL,
    unit_ids               text[],              -- optional filter inside the client's scope
    ordered                boolean NOT NULL DEFAULT false,  -- per-subject ordering
    secret                 text NOT NULL,
    previous_secret        text,
    previous_expires_at    timestamptz,
    state                  text NOT NULL DEFAULT 'ACTIVE',  -- ACTIVE | DISABLED
    disabled_reason        text,
    failing_since          timestamptz,
    created_at             timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_subscriptions_client ON webhook_subscriptions (client_id);

-- The durable queue: one row per (subscription, event) to deliver (replays add rows).
CREATE TABLE webhook_deliveries (
    id               bigserial PRIMARY KEY,
    subscription_id  uuid NOT NULL REFERENCES webhook_subscriptions (id),
    event_seq        bigint NOT NULL REFERENCES integration_events (seq),
    subject          text NOT NULL,
    replay           boolean NOT NULL DEFAULT false,
    state            text NOT NULL DEFAULT 'PENDING',  -- PENDING | DELIVERED | DEAD
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_status      int,
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    delivered_at     timestamptz
);
CREATE UNIQUE INDEX webhook_deliveries_once ON webhook_deliveries (subscription_id, event_seq)
    WHERE NOT replay;
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id)
    WHERE state = 'PENDING';
CREATE INDEX webhook_deliveries_subject ON webhook_deliveries (subscription_id, subject, id)
    WHERE state = 'PENDING';

-- The delivery log: every attempt with its answer and latency.
CREATE TABLE webhook_attempts (
    id               bigserial PRIMARY KEY,
    delivery_id      bigint NOT NULL REFERENCES webhook_deliveries (id),
    subscription_id  uuid NOT NULL,
    attempted_at     timestamptz NOT NULL DEFAULT now(),
    status           int,                      -- HTTP status; null when no answer
    latency_ms       int NOT NULL,
    error            text
);
CREATE INDEX webhook_attempts_subscription ON webhook_attempts (subscription_id, id DESC);

-- WeCom template cards (issue 14): one card per person, sent durably; a button press
-- handled by tasks comes back as tasks.wecom.card_acted and the card is updated.
CREATE TABLE wecom_cards (
    task_id          text PRIMARY KEY,     -- WeCom's task_id of the card
    kind             text NOT NULL,        -- ASSIGNMENT | NOTICE
    person_id        uuid NOT NULL,
    user_id          text NOT NULL,        -- WeCom user id
    item_id          uuid,
    card             jsonb NOT NULL,
    state            text NOT NULL DEFAULT 'PENDING',  -- PENDING | SENT | DEAD | SKIPPED
    attempts         int NOT NULL DEFAULT 0,
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz,
    response_code    text,
    acted_text       text,
    update_state     text,                 -- null | PENDING | DONE | DEAD
    update_attempts  int NOT NULL DEFAULT 0
);
CREATE INDEX wecom_cards_due ON wecom_cards (next_attempt_at) WHERE state = 'PENDING';
CREATE INDEX wecom_cards_updates ON wecom_cards (task_id) WHERE update_state = 'PENDING';
