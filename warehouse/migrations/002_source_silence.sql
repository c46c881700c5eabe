-- 002: notice sources that answer but stop publishing (an expected period without new items)
ALTER TABLE core.sources ADD COLUMN expect_items_hours DOUBLE;
ALTER TABLE core.sources ADD COLUMN last_new_item_at TIMESTAMPTZ;
ALTER TABLE core.sources ADD COLUMN silent_alerted BOOLEAN DEFAULT false;
