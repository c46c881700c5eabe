"""A fake Slack Web API on 127.0.0.1, over real HTTP, for slack-sdk's WebClient(base_url=fake.base_url).

Implements what tradewatch calls: auth.test, chat.postMessage, chat.update, conversations.history,
conversations.replies, conversations.list. Like Slack, history/replies/update need a channel ID; postMessage
also accepts a known channel name and answers with the ID. Messages are stored per channel with their metadata;
every request body is kept verbatim in `requests` so tests can assert on exactly what was received.

Programmable failures (each consumes one matching call):
    fake.fail_next(429, count=2, retry_after=1)       # HTTP 429 + Retry-After
    fake.fail_next(500, count=1, method="chat.postMessage")
    fake.error_next("channel_not_found", method=..., channel="#korea")   # 200 {"ok": false, "error": ...}
    fake.drop_next(method="chat.postMessage")         # accept and store the message, then close the socket
    fake.hang_next(20, method="chat.postMessage")     # accept and store it, answer only after 20 s
    fake.auth_error = "invalid_auth"                  # every call fails until reset to None

Slack's own limits, as the service enforces them:
    FakeSlack(post_interval_s=1.0)    # one accepted chat.postMessage per second per channel; an earlier one
                                      # gets 429 with Retry-After (whole seconds, rounded up), like Slack
    fake.rate_limited                 # the requests answered 429 (by the enforcement or fail_next)
    fake.post_delay_s = 0.3           # every chat.postMessage is answered this much later (a slow Slack)

Standalone, for trying a config against it: python -m tests.support.fake_slack --enforce-rate 1 --channel trade-watch
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

TOKEN = "xoxb-test-token"


@dataclass
class Request:
    method: str
    params: dict[str, Any]
    raw: str  # the request body exactly as received
    at: float


@dataclass
class _Failure:
    kind: str  # "status" | "error" | "drop"
    method: str | None
    channel: str | None
    count: int
    status: int = 200
    error: str | None = None
    retry_after: int | None = None


@dataclass
class FakeSlack:
    channels: dict[str, str] = field(default_factory=dict)  # name (without '#') → id
    messages: dict[str, list[dict]] = field(default_factory=dict)  # channel id → messages in post order
    requests: list[Request] = field(default_factory=list)
    auth_error: str | None = None
    token: str = TOKEN
    post_interval_s: float | None = None  # enforce one accepted post per channel per this many seconds
    post_delay_s: float = 0.0
    rate_limited: list[Request] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._failures: list[_Failure] = []
        self._last_accepted: dict[str, float] = {}  # channel id → monotonic time of its last accepted post
        self._clock = time.time()
        self._server: ThreadingHTTPServer | None = None

    # ------------------------------------------------------------ control

    def start(self) -> FakeSlack:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802
                fake._handle(self)

            do_GET = do_POST  # noqa: N815

            def log_message(self, *args):
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self._server.handle_error = lambda request, client_address: None  # dropped sockets are on purpose
        threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        ).start()
        return self

    def stop(self) -> None:
        if self._server:
            self._server.shutdown()
            self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/api/"

    def add_channel(self, name: str) -> str:
        name = name.lstrip("#")
        with self._lock:
            if name not in self.channels:
                self.channels[name] = f"C{len(self.channels) + 1:09d}"
                self.messages[self.channels[name]] = []
            return self.channels[name]

    def fail_next(
        self,
        status: int,
        *,
        count: int = 1,
        retry_after: int | None = None,
        method: str | None = None,
        channel: str | None = None,
    ) -> None:
        self._failures.append(
            _Failure("status", method, channel, count, status=status, retry_after=retry_after)
        )

    def error_next(
        self, error: str, *, count: int = 1, method: str | None = None, channel: str | None = None
    ):
        self._failures.append(_Failure("error", method, channel, count, error=error))

    def drop_next(self, *, count: int = 1, method: str = "chat.postMessage") -> None:
        self._failures.append(_Failure("drop", method, None, count))

    def hang_next(self, seconds: float, *, count: int = 1, method: str = "chat.postMessage") -> None:
        self._failures.append(_Failure("hang", method, None, count, retry_after=seconds))

    def history(self, channel: str) -> list[dict]:
        """All messages of a channel (name or id), top-level and replies, in post order."""
        cid = self.channels.get(channel.lstrip("#"), channel)
        return list(self.messages.get(cid, []))

    def calls(self, method: str) -> list[Request]:
        return [r for r in self.requests if r.method == method]

    # ------------------------------------------------------------ HTTP

    def _handle(self, h: BaseHTTPRequestHandler) -> None:
        url = urlsplit(h.path)
        method = url.path.rsplit("/", 1)[-1]
        length = int(h.headers.get("Content-Length") or 0)
        raw = h.rfile.read(length).decode("utf-8") if length else ""
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(url.query).items()}
        ctype = h.headers.get("Content-Type", "")
        if raw and "json" in ctype:
            params.update(json.loads(raw))
        elif raw:
            params.update({k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()})
        for key in ("blocks", "metadata"):
            if isinstance(params.get(key), str):
                params[key] = json.loads(params[key])
        request = Request(method, params, raw, time.monotonic())
        with self._lock:
            self.requests.append(request)
            failure = self._take_failure(method, params.get("channel"))
            wait = self._rate_wait(method, params.get("channel")) if failure is None else None
        if wait is not None:
            self.rate_limited.append(request)
            return self._send(h, 429, {"ok": False, "error": "ratelimited"}, {"Retry-After": str(wait)})
        if failure and failure.kind == "status" and failure.status == 429:
            self.rate_limited.append(request)
        if method == "chat.postMessage" and self.post_delay_s:
            time.sleep(self.post_delay_s)
        if failure and failure.kind == "status":
            body = {"ok": False, "error": "ratelimited" if failure.status == 429 else "internal_error"}
            headers = {"Retry-After": str(failure.retry_after)} if failure.retry_after is not None else {}
            return self._send(h, failure.status, body, headers)
        if failure and failure.kind == "error":
            return self._send(h, 200, {"ok": False, "error": failure.error})
        if h.headers.get("Authorization") != f"Bearer {self.token}":
            return self._send(h, 200, {"ok": False, "error": "not_authed"})
        if self.auth_error:
            return self._send(h, 200, {"ok": False, "error": self.auth_error})
        handler = getattr(self, "_api_" + method.replace(".", "_"), None)
        if handler is None:
            return self._send(h, 404, {"ok": False, "error": "unknown_method"})
        with self._lock:
            body = handler(params)
        if failure and failure.kind == "hang" and body.get("ok"):
            time.sleep(float(failure.retry_after or 0))  # accepted and stored; the answer comes (too) late
        if failure and failure.kind == "drop" and body.get("ok"):
            # Slack accepted (and stored) the message, but the response never arrives
            h.close_connection = True
            with contextlib.suppress(OSError):
                h.connection.shutdown(socket.SHUT_RDWR)
            return None
        return self._send(h, 200, body)

    def _rate_wait(self, method: str, channel: Any) -> int | None:
        """With post_interval_s: whole seconds to Retry-After when this post comes too soon, else None (and
        the post, if it will be accepted, is counted as the channel's last)."""
        if method != "chat.postMessage" or not self.post_interval_s:
            return None
        cid = self._id(channel, allow_name=True) or str(channel)
        now = time.monotonic()
        last = self._last_accepted.get(cid)
        if last is not None and now - last < self.post_interval_s:
            return max(1, math.ceil(self.post_interval_s - (now - last)))
        self._last_accepted[cid] = now
        return None

    def _take_failure(self, method: str, channel: Any) -> _Failure | None:
        for f in self._failures:
            if f.count > 0 and f.method in (None, method) and f.channel in (None, channel):
                f.count -= 1
                return f
        return None

    @staticmethod
    def _send(h: BaseHTTPRequestHandler, status: int, body: dict, headers: dict | None = None) -> None:
        data = json.dumps(body).encode()
        h.send_response(status)
        h.send_header("Content-Type", "application/json; charset=utf-8")
        h.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        h.end_headers()
        h.wfile.write(data)

    # ------------------------------------------------------------ methods

    def _id(self, channel: Any, *, allow_name: bool) -> str | None:
        if not isinstance(channel, str):
            return None
        if channel in self.messages:
            return channel
        if allow_name:
            return self.channels.get(channel.lstrip("#"))
        return None

    def _next_ts(self) -> str:
        self._clock = max(self._clock + 0.000100, time.time())
        return f"{self._clock:.6f}"

    @staticmethod
    def _truthy(value: Any) -> bool:
        return value in (True, 1, "1", "true", "True")

    def _view(self, m: dict, with_metadata: bool) -> dict:
        out = {k: v for k, v in m.items() if k != "metadata"}
        if with_metadata and m.get("metadata"):
            out["metadata"] = m["metadata"]
        return out

    def _api_auth_test(self, params):
        return {"ok": True, "user_id": "UBOT", "team_id": "T0001", "bot_id": "B0001"}

    def _api_chat_postMessage(self, params):  # noqa: N802
        cid = self._id(params.get("channel"), allow_name=True)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        if not params.get("text") and not params.get("blocks"):
            return {"ok": False, "error": "no_text"}
        thread_ts = params.get("thread_ts")
        if thread_ts and not any(m["ts"] == thread_ts for m in self.messages[cid]):
            return {"ok": False, "error": "thread_not_found"}
        msg = {
            "type": "message",
            "user": "UBOT",
            "bot_id": "B0001",
            "ts": self._next_ts(),
            "text": params.get("text", ""),
            "blocks": params.get("blocks") or [],
            "metadata": params.get("metadata"),
        }
        if thread_ts:
            msg["thread_ts"] = thread_ts
        self.messages[cid].append(msg)
        return {"ok": True, "channel": cid, "ts": msg["ts"], "message": self._view(msg, False)}

    def _api_chat_update(self, params):
        cid = self._id(params.get("channel"), allow_name=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        for m in self.messages[cid]:
            if m["ts"] == params.get("ts"):
                m["text"] = params.get("text", m["text"])
                m["blocks"] = params.get("blocks", m["blocks"])
                m["edited"] = {"user": "UBOT", "ts": self._next_ts()}
                if params.get("metadata"):
                    m["metadata"] = params["metadata"]
                return {"ok": True, "channel": cid, "ts": m["ts"], "text": m["text"]}
        return {"ok": False, "error": "message_not_found"}

    def _page(self, items: list[dict], params) -> dict:
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        page = items[start : start + limit]
        more = start + limit < len(items)
        return {
            "ok": True,
            "messages": page,
            "has_more": more,
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }

    def _api_conversations_history(self, params):
        cid = self._id(params.get("channel"), allow_name=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        oldest = float(params.get("oldest") or 0)
        meta = self._truthy(params.get("include_all_metadata"))
        top = [
            self._view(m, meta)
            for m in self.messages[cid]
            if m.get("thread_ts") in (None, m["ts"]) and float(m["ts"]) > oldest
        ]
        return self._page(list(reversed(top)), params)  # newest first, like Slack

    def _api_conversations_replies(self, params):
        cid = self._id(params.get("channel"), allow_name=False)
        if cid is None:
            return {"ok": False, "error": "channel_not_found"}
        ts = params.get("ts")
        meta = self._truthy(params.get("include_all_metadata"))
        thread = [
            self._view(m, meta) for m in self.messages[cid] if m["ts"] == ts or m.get("thread_ts") == ts
        ]
        if not thread:
            return {"ok": False, "error": "thread_not_found"}
        return self._page(thread, params)

    def _api_conversations_list(self, params):
        chans = [{"id": cid, "name": name, "is_archived": False} for name, cid in self.channels.items()]
        limit = int(params.get("limit") or 100)
        start = int(params.get("cursor") or 0)
        more = start + limit < len(chans)
        return {
            "ok": True,
            "channels": chans[start : start + limit],
            "response_metadata": {"next_cursor": str(start + limit) if more else ""},
        }


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="A fake Slack Web API on 127.0.0.1 (prints its base URL).")
    parser.add_argument("--enforce-rate", type=float, metavar="S", help="one post per channel per S seconds")
    parser.add_argument("--channel", action="append", default=[], help="a channel to create (repeatable)")
    args = parser.parse_args(argv)
    fake = FakeSlack(post_interval_s=args.enforce_rate).start()
    for name in args.channel or ["trade-watch"]:
        fake.add_channel(name)
    print(f"SLACK_API_URL={fake.base_url} SLACK_BOT_TOKEN={TOKEN}", flush=True)
    with contextlib.suppress(KeyboardInterrupt):
        while True:
            time.sleep(3600)


if __name__ == "__main__":
    main()
