-- The working-day calendar (ADR 0016). tasks owns it (the office edits it there);
-- alerts and evaluation keep a projection of tasks.calendar.changed events. A year
-- listed here has an official schedule; its days list the exceptions to Mon–Fri.
CREATE TABLE calendar_years (
    year       integer PRIMARY KEY CHECK (year BETWEEN 1900 AND 2200),
    source     text NOT NULL,              -- chinese_calendar | office | import
    version    integer NOT NULL DEFAULT 0, -- 0 = seeded; +1 on every office change
    updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE calendar_days (
    day  date PRIMARY KEY,
    year integer NOT NULL REFERENCES calendar_years (year) ON DELETE CASCADE,
    kind text NOT NULL CHECK (kind IN ('HOLIDAY', 'WORKDAY')),
    name text NOT NULL DEFAULT '',
    CHECK (extract(year FROM day)::int = year)
);
CREATE INDEX calendar_days_year ON calendar_days (year);
