"""The run's Prefect API clients: one per run, shared by the run's task runs, on a TLS context built once per
process (loading the CA bundle is what each new context costs)."""

from __future__ import annotations

import asyncio
import ssl

import certifi
import pytest
from prefect.client.orchestration import get_client

from flows.runtime import api

pytestmark = pytest.mark.usefixtures("prefect_harness")


@pytest.fixture()
def ca_loads(monkeypatch):
    """How many times a CA bundle is loaded into a TLS context from now on."""
    loads = []
    original = ssl.SSLContext.load_verify_locations

    def counting(self, *args, **kwargs):
        loads.append(args or kwargs)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counting)
    return loads


def test_task_runs_get_the_runs_client_and_runs_load_the_ca_bundle_once(ca_loads):
    with api.sync_client() as first:
        # what a task run calls: it must get the run's client, not build its own (and load the CA bundle again)
        assert get_client(sync_client=True) is first.client
        assert first.client.hello().status_code == 200  # a working client of the real API
    with api.sync_client() as second:
        assert get_client(sync_client=True) is second.client
        assert second.client.hello().status_code == 200
    assert second.client is not first.client  # a client per run, closed with it
    assert len(ca_loads) <= 1  # the process's TLS context: built once (or already, by an earlier run)
    ssl.create_default_context(cafile=certifi.where())  # a context made the ordinary way
    assert len(ca_loads) >= 1  # is seen by the count


def test_inside_an_existing_client_context_that_context_is_kept():
    with api.sync_client() as outer, api.sync_client() as inner:
        assert inner is outer


def test_the_async_client_for_the_flow_engine_is_the_default_one(ca_loads):
    async def run():
        async with api.async_client() as ctx:
            assert get_client() is ctx.client  # what the flow engine asks for: ours, not a new one
            assert (await ctx.client.hello()).status_code == 200

    with api.sync_client():
        asyncio.run(run())
    assert len(ca_loads) <= 1
