-- 001: base tables. Private: users query the views in views.sql, never these.
CREATE SCHEMA IF NOT EXISTS core;

CREATE TABLE core.sources (
    source_id         VARCHAR PRIMARY KEY,
    kind              VARCHAR NOT NULL,
    url               VARCHAR NOT NULL,
    etag              VARCHAR,
    last_modified     VARCHAR,
    last_status       INTEGER,
    last_bytes        BIGINT,
    last_elapsed_s    DOUBLE,
    last_attempt_at   TIMESTAMPTZ,
    last_success_at   TIMESTAMPTZ,
    last_error        VARCHAR,
    last_error_detail VARCHAR,
    error_streak      INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   TIMESTAMPTZ,
    gone              BOOLEAN NOT NULL DEFAULT false,
    down_alerted      BOOLEAN NOT NULL DEFAULT false,
    every_minutes     INTEGER NOT NULL DEFAULT 10,
    first_attempt_at  TIMESTAMPTZ,
    items_seen        BIGINT NOT NULL DEFAULT 0
);

CREATE TABLE core.fetch_log (
    source_id  VARCHAR NOT NULL,
    fetched_at TIMESTAMPTZ NOT NULL,
    status     INTEGER,
    bytes      BIGINT,
    elapsed_s  DOUBLE,
    error      VARCHAR,
    new_items  INTEGER
);

CREATE TABLE core.items (
    item_id              VARCHAR PRIMARY KEY,
    source_id            VARCHAR NOT NULL,
    guid                 VARCHAR,
    url                  VARCHAR,
    title                VARCHAR NOT NULL,
    summary              VARCHAR NOT NULL,
    body                 VARCHAR NOT NULL,
    published_at         TIMESTAMPTZ,
    published_offset_min INTEGER,
    date_suspect         BOOLEAN NOT NULL DEFAULT false,
    content_hash         VARCHAR NOT NULL,
    first_seen_at        TIMESTAMPTZ NOT NULL,
    last_seen_at         TIMESTAMPTZ NOT NULL,
    relevant             BOOLEAN,
    relevance_reason     VARCHAR,
    story_id             VARCHAR,
    extracted_at         TIMESTAMPTZ
);

CREATE TABLE core.meetings (
    meeting_id     VARCHAR PRIMARY KEY,
    parties        VARCHAR[] NOT NULL,
    meeting_date   DATE,
    date_precision VARCHAR,
    location       VARCHAR,
    format         VARCHAR,
    status         VARCHAR NOT NULL,
    officials      VARCHAR[] NOT NULL,
    first_seen_at  TIMESTAMPTZ NOT NULL,
    updated_at     TIMESTAMPTZ NOT NULL
);

CREATE TABLE core.meeting_changes (
    meeting_id VARCHAR NOT NULL,
    changed_at TIMESTAMPTZ NOT NULL,
    field      VARCHAR NOT NULL,
    old_value  VARCHAR,
    new_value  VARCHAR,
    item_id    VARCHAR
);

CREATE TABLE core.deadlines (
    deadline_id   VARCHAR PRIMARY KEY,
    subject       VARCHAR NOT NULL,
    subject_label VARCHAR NOT NULL,
    countries     VARCHAR[] NOT NULL,
    due_date      DATE NOT NULL,
    due_at        TIMESTAMPTZ,
    first_seen_at TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);

-- every value a deadline took, with the item that reported it ('new', 'change'); restatements and
-- equivalent spellings are recorded too, so the history is complete evidence
CREATE TABLE core.deadline_values (
    deadline_id VARCHAR NOT NULL,
    action      VARCHAR NOT NULL,
    old_date    DATE,
    due_date    DATE NOT NULL,
    due_at      TIMESTAMPTZ,
    item_id     VARCHAR NOT NULL,
    seen_at     TIMESTAMPTZ NOT NULL,
    text        VARCHAR
);

CREATE TABLE core.mentions (
    item_id    VARCHAR NOT NULL,
    event_kind VARCHAR NOT NULL,
    event_id   VARCHAR NOT NULL,
    evidence   VARCHAR,
    PRIMARY KEY (item_id, event_kind, event_id)
);

-- the outbox: written in the same transaction as the event change it announces.
-- alert_id is the idempotency key (kind + event + the change), so a rerun or replay never adds a second row.
CREATE TABLE core.alert_outbox (
    alert_id        VARCHAR PRIMARY KEY,
    kind            VARCHAR NOT NULL,
    event_kind      VARCHAR NOT NULL,
    event_id        VARCHAR NOT NULL,
    created_at      TIMESTAMPTZ NOT NULL,
    state           VARCHAR NOT NULL,  -- pending | inflight | delivered | suppressed
    suppressed_reason VARCHAR,
    attempts        INTEGER NOT NULL DEFAULT 0,
    last_error      VARCHAR,
    next_attempt_at TIMESTAMPTZ,
    delivered_at    TIMESTAMPTZ,
    channel         VARCHAR,
    slack_ts        VARCHAR,
    text            VARCHAR NOT NULL,
    payload         JSON NOT NULL
);

-- the Slack thread of each event per channel: later changes reply there and edit the parent
CREATE TABLE core.event_threads (
    event_kind VARCHAR NOT NULL,
    event_id   VARCHAR NOT NULL,
    channel    VARCHAR NOT NULL,
    ts         VARCHAR NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (event_id, channel)
);

CREATE TABLE core.runs (
    run_id      VARCHAR PRIMARY KEY,
    started_at  TIMESTAMPTZ NOT NULL,
    as_of       TIMESTAMPTZ NOT NULL,
    finished_at TIMESTAMPTZ,
    summary     JSON
);

-- LSH bands of each item's MinHash signature (tasks/stories.py); queried over a recent window only
CREATE TABLE core.story_bands (
    band     SMALLINT NOT NULL,
    bucket   BIGINT NOT NULL,
    item_id  VARCHAR NOT NULL,
    story_id VARCHAR NOT NULL,
    seen_at  TIMESTAMPTZ NOT NULL
);

CREATE TABLE core.item_signatures (
    item_id   VARCHAR PRIMARY KEY,
    signature UBIGINT[] NOT NULL
);
