-- 004: a band row's story_id is NULL when the item is its own story (most items): the string is stored only
-- for items that joined another item's story. Readers take coalesce(story_id, item_id).
ALTER TABLE core.story_bands ALTER COLUMN story_id DROP NOT NULL;
UPDATE core.story_bands SET story_id = NULL WHERE story_id = item_id;
