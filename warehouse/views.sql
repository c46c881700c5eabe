-- The user-facing views: the warehouse's interface. Re-applied on every migrate.
-- Add columns freely at the end; never rename or remove one.

CREATE OR REPLACE VIEW items AS
SELECT item_id, source_id, url, title, published_at, relevant, coalesce(story_id, item_id) AS story_id,
       summary, date_suspect, first_seen_at, relevance_reason
FROM core.items;

CREATE OR REPLACE VIEW mentions AS
SELECT item_id, event_kind, event_id, evidence, detail
FROM core.mentions;

CREATE OR REPLACE VIEW meetings AS
SELECT m.meeting_id, m.parties, m.meeting_date, m.date_precision, m.location, m.format, m.status,
       m.officials, m.first_seen_at,
       coalesce((SELECT list(DISTINCT i.source_id ORDER BY i.source_id)
                 FROM core.mentions x JOIN core.items i USING (item_id)
                 WHERE x.event_kind = 'meeting' AND x.event_id = m.meeting_id), []) AS sources,
       (SELECT count(*) FROM core.mentions x
        WHERE x.event_kind = 'meeting' AND x.event_id = m.meeting_id) AS reports,
       m.updated_at, m.end_date, m.evidence_level, m.evidence, m.revision
FROM core.meetings m;

CREATE OR REPLACE VIEW deadlines AS
SELECT deadline_id, subject_label AS subject, countries, due_date, due_at, first_seen_at,
       subject AS subject_key, updated_at, evidence_level, evidence, revision, rate
FROM core.deadlines;

CREATE OR REPLACE VIEW deadline_changes AS
SELECT deadline_id, old_date, due_date AS new_date, seen_at AS changed_at, item_id
FROM core.deadline_values
WHERE action = 'change';

CREATE OR REPLACE VIEW deadline_history AS
SELECT deadline_id, action, old_date, due_date, due_at, seen_at, item_id, text, rate, basis
FROM core.deadline_values;

CREATE OR REPLACE VIEW sources AS
SELECT source_id, kind, url, last_success_at, last_error, error_streak, next_attempt_at,
       last_status, last_attempt_at, last_error_detail, gone, items_seen
FROM core.sources;

CREATE OR REPLACE VIEW alerts AS
SELECT alert_id, kind, event_id, created_at, delivered_at, channel, text,
       state, event_kind, attempts, last_error, suppressed_reason
FROM core.alert_outbox
WHERE event_kind <> 'source';

-- operations alerts (a source down, recovered, gone): kept apart from `alerts`, which holds event alerts
CREATE OR REPLACE VIEW ops_alerts AS
SELECT alert_id, kind, event_id AS source_id, created_at, delivered_at, channel, text, state
FROM core.alert_outbox
WHERE event_kind = 'source';
