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


def test_prefects_temporary_server_is_started_with_the_modules_subprocess_popen():
    """What tie_server_module relies on: SubprocessASGIServer starts `python -m uvicorn ...` with
    `subprocess.Popen` looked up in its module. Tied, the module's Popen starts it through lifetime.py."""
    import inspect
    import subprocess

    from prefect.server.api import server

    from flows.runtime import prefect_compat

    source = inspect.getsource(server.SubprocessASGIServer._run_uvicorn_command)
    assert "subprocess.Popen(" in source and '"-m",' in source and '"uvicorn",' in source
    prefect_compat.tie_temporary_server_to_this_process()  # (the CLI's apply_settings does it at start)
    assert server.subprocess is not subprocess
    assert server.subprocess.Popen is prefect_compat._popen_dying_with_this_process
    assert server.subprocess.TimeoutExpired is subprocess.TimeoutExpired
