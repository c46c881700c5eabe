-- 009: the daily digest's outbox: one row per digest day and channel, so a rerun, a retry or a second
-- scheduler never posts the same day's digest twice. Rows move inflight → delivered; an inflight row (a crash
-- or a dropped connection after the post) is reconciled against the channel's history before posting again.
CREATE TABLE core.digests (
    digest_id    VARCHAR PRIMARY KEY,   -- digest day + channel
    digest_date  DATE NOT NULL,         -- the day it is for (Asia/Seoul, the schedule's time zone)
    channel      VARCHAR NOT NULL,
    as_of        TIMESTAMPTZ NOT NULL,  -- the instant it shows the warehouse at
    created_at   TIMESTAMPTZ NOT NULL,
    state        VARCHAR NOT NULL,      -- inflight | delivered | failed
    attempts     INTEGER NOT NULL DEFAULT 0,
    last_error   VARCHAR,
    slack_ts     VARCHAR,
    delivered_at TIMESTAMPTZ,
    text         VARCHAR NOT NULL
);
