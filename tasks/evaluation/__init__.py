"""Evaluation: scoring what the pipeline decided against a labelled corpus."""
