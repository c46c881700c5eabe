"""Events: findings resolved into meetings and deadlines (pure decisions in decide.py), with their history
and the alert decisions, written with the outbox in one transaction."""
