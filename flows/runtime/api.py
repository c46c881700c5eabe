"""The run's Prefect API clients, on one TLS context per process (Prefect would build two clients per flow
run, each loading the CA bundle: a twentieth of an unchanged cycle)."""

from __future__ import annotations

import contextlib
import functools
import ssl

import certifi
from prefect.context import AsyncClientContext, SyncClientContext
from prefect.settings import PREFECT_API_SSL_CERT_FILE, PREFECT_API_TLS_INSECURE_SKIP_VERIFY

from flows.runtime.prefect_compat import as_default_client


@functools.cache
def _tls_context(cafile: str) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=cafile)


def _httpx_settings() -> dict | None:
    """httpx settings with the process's TLS context (None: let Prefect build its own, as configured)."""
    if PREFECT_API_TLS_INSECURE_SKIP_VERIFY.value():
        return None
    return {"verify": _tls_context(PREFECT_API_SSL_CERT_FILE.value() or certifi.where())}


def _client_context(kind: type[SyncClientContext] | type[AsyncClientContext]):
    """A client context of this kind whose client is the default one, on the process's TLS context; the one
    already entered, if any."""
    settings = _httpx_settings()
    if kind.get() is not None or settings is None:
        return kind.get_or_create()
    return as_default_client(kind(httpx_settings=settings))


def sync_client() -> contextlib.AbstractContextManager:
    """One API client for all of a run's task runs (else each task run makes its own)."""
    return _client_context(SyncClientContext)


def async_client() -> contextlib.AbstractAsyncContextManager:
    """The async client the flow engine uses, on the same TLS context (inside the running event loop)."""
    return _client_context(AsyncClientContext)
