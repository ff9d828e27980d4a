-- Reminders as WeCom template cards (issue 14): a reminder that asks a unit to act
-- (report due, colour change, deadline near, red chase) carries the link its 去汇报
-- jump opens ("ducha-mobile:/items/<id>", resolved against MOBILE_BASE_URL when sent).
-- A WeCom application message of such rows goes out as a text_notice card; the wire
-- message keeps that card, so a re-send after a crash is the same card.
ALTER TABLE notifications ADD COLUMN link text;
ALTER TABLE deliveries ADD COLUMN card jsonb;
