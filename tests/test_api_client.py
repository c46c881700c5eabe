"""The monitor's Prefect API client: one per run, shared by the run's task runs, on a TLS context built once."""

from __future__ import annotations

import pytest
from prefect.client.orchestration import get_client

from flows.monitor import api_client_context

pytestmark = pytest.mark.usefixtures("prefect_harness")


def test_task_runs_get_the_runs_client_and_runs_share_one_tls_context():
    with api_client_context() as first:
        # what a task run calls: it must get the run's client, not build its own (and load the CA bundle again)
        assert get_client(sync_client=True) is first.client
        assert first.client.hello().status_code == 200  # a working client of the real API
    with api_client_context() as second:
        assert get_client(sync_client=True) is second.client
    assert second.client is not first.client  # a client per run, closed with it
    verify = [c.client._client._transport._pool._ssl_context for c in (first, second)]  # noqa: SLF001
    assert verify[0] is verify[1]


def test_inside_an_existing_client_context_that_context_is_kept():
    with api_client_context() as outer, api_client_context() as inner:
        assert inner is outer


def test_the_async_client_for_the_flow_engine_is_the_default_one_on_the_same_tls_context():
    import asyncio

    from flows.monitor import async_api_client_context

    async def run():
        async with async_api_client_context() as ctx:
            assert get_client() is ctx.client  # what the flow engine asks for: ours, not a new one
            assert (await ctx.client.hello()).status_code == 200
            return ctx.client._client._transport._pool._ssl_context  # noqa: SLF001

    with api_client_context() as sync_ctx:
        sync_tls = sync_ctx.client._client._transport._pool._ssl_context  # noqa: SLF001
        assert asyncio.run(run()) is sync_tls
