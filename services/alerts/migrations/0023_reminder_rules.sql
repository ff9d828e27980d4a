-- The reminder part of the alert rule set (ADR 0023), append-only like rule_settings:
-- each save is a new version holding every template's wording (key -> text with
-- {placeholders}) and the notice thresholds in working days. No row = the house-style
-- defaults in code (services.alerts.rules.domain).
CREATE TABLE reminder_rules (
    version                   bigserial PRIMARY KEY,
    templates                 jsonb NOT NULL,
    notice_remind_workdays    integer NOT NULL CHECK (notice_remind_workdays BETWEEN 1 AND 20),
    notice_escalate_workdays  integer NOT NULL
        CHECK (notice_escalate_workdays > notice_remind_workdays AND notice_escalate_workdays <= 30),
    created_at                timestamptz NOT NULL DEFAULT now(),
    created_by                text
);
