"""Test-only helpers: fake servers, reference implementations, paths."""
