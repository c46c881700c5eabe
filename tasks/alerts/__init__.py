"""Alerts: the outbox delivered to Slack exactly once (or printed on the console), and the daily digest."""
