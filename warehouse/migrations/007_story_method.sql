-- 007: which method made the stored MinHash signatures and LSH bands (tasks/stories.py METHOD). Warehouses
-- written before it hold method 1 (words hashed with CRC-32). A signature made by one method never matches
-- one made by another, so after this migration `store.ensure_story_method` re-signs what is stored (from
-- the items' text, story ids and band times kept) and records the method it used.
CREATE TABLE core.story_method (method INTEGER NOT NULL);
INSERT INTO core.story_method VALUES (1);
