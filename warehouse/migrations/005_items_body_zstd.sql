-- 005: an item's body is stored as one zstd frame, compressed before it reaches DuckDB (core.items.body_z;
-- warehouse/bodies.py says why and what it saves). Rows stored before keep their text in `body` (SQL has no
-- zstd to convert them); new rows leave it NULL. body_z is stored as it is (USING COMPRESSION uncompressed:
-- DuckDB's analysis of already-compressed bytes cost 0.17 s a checkpoint to conclude the same), and the old
-- bodies with ZSTD (the checkpoint of the text 0.51 → 0.18 s, the file halved). DuckDB sets a column's
-- compression only at CREATE, so the table is rebuilt: 001's columns, in order, then body_z.
CREATE TABLE core.items_005 (
    item_id              VARCHAR PRIMARY KEY,
    source_id            VARCHAR NOT NULL,
    guid                 VARCHAR,
    url                  VARCHAR,
    title                VARCHAR NOT NULL,
    summary              VARCHAR NOT NULL,
    body                 VARCHAR USING COMPRESSION zstd,
    published_at         TIMESTAMPTZ,
    published_offset_min INTEGER,
    date_suspect         BOOLEAN NOT NULL DEFAULT false,
    content_hash         VARCHAR NOT NULL,
    first_seen_at        TIMESTAMPTZ NOT NULL,
    last_seen_at         TIMESTAMPTZ NOT NULL,
    relevant             BOOLEAN,
    relevance_reason     VARCHAR,
    story_id             VARCHAR,
    extracted_at         TIMESTAMPTZ,
    body_z               BLOB USING COMPRESSION uncompressed,
    CHECK (body IS NOT NULL OR body_z IS NOT NULL)
);
INSERT INTO core.items_005 SELECT *, NULL FROM core.items;
DROP TABLE core.items;
ALTER TABLE core.items_005 RENAME TO items;
