"""The warehouse: DuckDB storage. Connections, migrations and views, the run lock, the published snapshot, and
one module per stage holding that stage's SQL (sources, items, stories, events, outbox, digest, evaluation)."""
