-- 003: what each item said about the event, next to the resolved values (literal date text, status as this
-- item tells it, officials with role and country; for deadlines the literal sentence and due instant)
ALTER TABLE core.mentions ADD COLUMN detail JSON;
