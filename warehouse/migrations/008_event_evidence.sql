-- 008: what an event's reports add up to, and what calendars need.
-- evidence_level: tentative | reported | confirmed (tasks/events/evidence.py); evidence: what made it (JSON).
-- end_date: the last day of a multi-day meeting (NULL: one day, or not known).
-- revision: bumped each time an event's date or status changes (a calendar's SEQUENCE).
-- Events stored before were decided and alerted under the earlier rules: they count as reported.
ALTER TABLE core.meetings ADD COLUMN end_date DATE;
ALTER TABLE core.meetings ADD COLUMN evidence_level VARCHAR DEFAULT 'reported';
ALTER TABLE core.meetings ADD COLUMN evidence JSON;
ALTER TABLE core.meetings ADD COLUMN revision INTEGER DEFAULT 0;
ALTER TABLE core.deadlines ADD COLUMN evidence_level VARCHAR DEFAULT 'reported';
ALTER TABLE core.deadlines ADD COLUMN evidence JSON;
ALTER TABLE core.deadlines ADD COLUMN revision INTEGER DEFAULT 0;
ALTER TABLE core.deadlines ADD COLUMN rate VARCHAR;
-- basis: why a differing value counts as a move (change_language | official | corroborated); a value that
-- differs without one is recorded with action 'conflicting' and alerts nobody
ALTER TABLE core.deadline_values ADD COLUMN rate VARCHAR;
ALTER TABLE core.deadline_values ADD COLUMN basis VARCHAR;
