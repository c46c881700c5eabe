"""The one private Prefect API the runtime uses: a client context remembers the httpx settings it was made
with (`_httpx_settings`), and get_client() inside it reuses the context's client only when there were none.
Our contexts are made with the process's TLS context and then made to look settings-free, so every task run of
a flow run shares one API client. pyproject pins Prefect to 3.9.x; tests/flows/runtime/test_prefect_compat.py
fails loudly when a release changes this."""

from __future__ import annotations

from typing import Any


def as_default_client(context: Any) -> Any:
    """Make get_client() without settings (what task runs and the flow engine call) reuse this context's client."""
    if not hasattr(context, "_httpx_settings"):
        raise RuntimeError("Prefect's client context no longer has _httpx_settings: see flows/runtime/prefect_compat.py")
    context._httpx_settings = None
    return context
