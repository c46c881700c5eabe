"""Prefect's client contexts remember the httpx settings they were made with (flows/runtime/prefect_compat.py):
the runtime relies on it to share one API client per run. A Prefect release that changes it fails here."""

from __future__ import annotations

import prefect
import pytest
from prefect.client.orchestration import get_client
from prefect.context import SyncClientContext

from flows.runtime.prefect_compat import as_default_client

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_the_pinned_release_is_3_9():
    assert prefect.__version__.startswith("3.9.")


def test_a_context_made_with_settings_serves_get_client_once_marked_default():
    context = SyncClientContext(httpx_settings={"timeout": 30})
    assert hasattr(context, "_httpx_settings")
    with as_default_client(context) as ctx:
        assert get_client(sync_client=True) is ctx.client
    with SyncClientContext(httpx_settings={"timeout": 30}) as unmarked:
        assert get_client(sync_client=True) is not unmarked.client  # what the compat step changes
