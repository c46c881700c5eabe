-- 010: what changed since the snapshot was last published (warehouse/snapshot_copy.py publishes only that).
-- Every row of the tables that grow with history carries the number of the last write that touched it:
-- core.change_seq gives each inserted row the next number (the column's default) and every UPDATE of such a
-- table sets it again. A snapshot file records the highest number it holds; the next publish copies the rows
-- above it. Rows stored before this migration are numbered now, in order.
-- warehouse_identity tells a snapshot file made from this warehouse from one made from another file that
-- had the same name before.
CREATE SEQUENCE core.change_seq;
ALTER TABLE core.items ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.fetch_log ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.meetings ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.meeting_changes ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.deadlines ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.deadline_values ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.mentions ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
ALTER TABLE core.alert_outbox ADD COLUMN change_seq BIGINT DEFAULT nextval('core.change_seq');
CREATE TABLE core.warehouse_identity (warehouse_id VARCHAR NOT NULL);
INSERT INTO core.warehouse_identity VALUES (uuid()::VARCHAR);
