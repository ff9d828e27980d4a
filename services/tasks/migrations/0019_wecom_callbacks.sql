-- WeCom template-card callbacks (issue 14): one row per button press handled, so a
-- replayed callback (same user, time, card and button) does nothing twice.
CREATE TABLE wecom_callbacks (
    callback_key   text PRIMARY KEY,       -- FromUserName:CreateTime:TaskId:EventKey
    wecom_user_id  text NOT NULL,
    task_id        text NOT NULL,
    event_key      text NOT NULL,
    person_id      uuid,
    done           boolean NOT NULL DEFAULT false,
    message        text NOT NULL DEFAULT '',
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX people_wecom_user ON people (wecom_user_id) WHERE wecom_user_id IS NOT NULL;
