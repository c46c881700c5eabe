"""The Slack Web API client: the bot token, and retries that are safe for an exactly-once outbox.

429 honours Retry-After (up to MAX_RETRY_AFTER_S; a longer wait is left to the next run), except for
chat.postMessage, whose 429 holds the whole channel: delivery waits and paces it (tasks/alerts/delivery.py);
5xx and dropped connections are retried only for calls that are safe to repeat. A chat.postMessage that fails
ambiguously is never retried here: delivery reconciles it against the channel's history first.
"""

from __future__ import annotations

import os

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.handler import RetryHandler

from records.config import SlackConfig

MAX_RETRY_AFTER_S = 30.0


class SlackTokenError(RuntimeError):
    """A token source is configured but cannot be read (never carries the token)."""


def resolve_token(slack: SlackConfig, token: str | None = None) -> str | None:
    """Explicit argument, else env SLACK_BOT_TOKEN, else the Prefect Secret block `slack.token_secret_block`."""
    if token:
        return token
    env = os.environ.get("SLACK_BOT_TOKEN", "").strip()
    if env:
        return env
    if slack.token_secret_block:
        from prefect.blocks.system import Secret  # lazy: Prefect is heavy and only needed here

        try:
            value = Secret.load(slack.token_secret_block).get()
        except Exception as exc:  # the message of a failed load never contains the secret
            raise SlackTokenError(
                f"cannot load the Slack token from Prefect Secret block {slack.token_secret_block!r}: "
                f"{type(exc).__name__}"
            ) from None
        if not isinstance(value, str) or not value.strip():
            raise SlackTokenError(f"Prefect Secret block {slack.token_secret_block!r} holds no token")
        return value.strip()
    return None


class _SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """Retries dropped connections except for chat.postMessage, which Slack may have accepted (reconciled)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return not _is_post(request.url) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class _SafeServerErrorRetryHandler(ServerErrorRetryHandler):
    """Retries 500/503 except for chat.postMessage (reconciled, then re-posted by deliver_pending)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        return not _is_post(request.url) and super()._can_retry(
            state=state, request=request, response=response, error=error
        )


class _BoundedRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Honours Retry-After, but a wait longer than MAX_RETRY_AFTER_S is left to the next run. Not for
    chat.postMessage: delivery holds the channel for it (the next post to it must wait too)."""

    def _can_retry(self, *, state, request, response=None, error=None) -> bool:
        if _is_post(request.url):
            return False
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        for name, values in (response.headers or {}).items():
            if name.lower() == "retry-after":
                value = values[0] if isinstance(values, list) else values
                try:
                    return float(value) <= MAX_RETRY_AFTER_S
                except (TypeError, ValueError):
                    return True
        return True


def _is_post(url: str) -> bool:
    return url.split("?", 1)[0].rstrip("/").endswith("/chat.postMessage")


def retry_handlers() -> list[RetryHandler]:
    return [
        _BoundedRateLimitRetryHandler(max_retry_count=3),
        _SafeServerErrorRetryHandler(max_retry_count=2),
        _SafeConnectionErrorRetryHandler(max_retry_count=2),
    ]


def make_client(token: str, base_url: str | None = None, *, timeout: int = 15) -> WebClient:
    """A WebClient for `base_url`, else env SLACK_API_URL, else Slack, with bounded retry handlers."""
    url = base_url or os.environ.get("SLACK_API_URL") or WebClient.BASE_URL
    if not url.endswith("/"):
        url += "/"
    return WebClient(token=token, base_url=url, timeout=timeout, retry_handlers=retry_handlers())
