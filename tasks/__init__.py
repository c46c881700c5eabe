"""The pipeline's stages, one package each (pure where they can be; `step.py` runs a stage as a Prefect task):

sources/     a source URL → items: guarded HTTP, feed/USTR/Federal Register parsing, source health, storing
stories/     near-duplicate detection: wire copies of one report share a story
extract/     an item → findings: relevance, meetings, deadlines
events/      findings → events: one meeting across N outlets, deadline history, alert decisions
alerts/      the outbox → Slack, exactly once; the daily digest
publish/     the iCalendar feed and the HTML timeline report, published beside the snapshot
workers/     the worker processes stages run in (parsing under limits, extraction on every core)
evaluation/  scoring what the pipeline decided against labelled corpora
"""
