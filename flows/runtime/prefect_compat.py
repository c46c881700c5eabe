"""The private Prefect APIs the runtime uses. pyproject pins Prefect to 3.9.x;
tests/flows/runtime/test_prefect_compat.py fails loudly when a release changes either.

- One API client per run: a client context remembers the httpx settings it was made with
  (`_httpx_settings`), and get_client() inside it reuses the context's client only when there were none. Our
  contexts are made with the process's TLS context and then made to look settings-free, so every task run of
  a flow run shares one API client.
- The temporary API server dies with this process: without PREFECT_API_URL, Prefect starts one
  (`prefect.server.api.server.SubprocessASGIServer`, `subprocess.Popen` of `python -m uvicorn ...`, stopped
  at exit) and it outlived a process killed with -9. Its module's `subprocess` is given a Popen that starts
  the command through flows/runtime/lifetime.py. The module is patched when Prefect imports it (it costs 2 s
  to import, so nothing imports it for this; most commands never do).
"""

from __future__ import annotations

import importlib.abc
import subprocess
import sys
import types
from typing import Any

from flows.runtime.lifetime import dies_with_this_process

SERVER_MODULE = "prefect.server.api.server"


def as_default_client(context: Any) -> Any:
    """Make get_client() without settings (what task runs and the flow engine call) reuse this context's client."""
    if not hasattr(context, "_httpx_settings"):
        raise RuntimeError("Prefect's client context no longer has _httpx_settings: see flows/runtime/prefect_compat.py")
    context._httpx_settings = None
    return context


def _popen_dying_with_this_process(args, *rest, **kwargs):
    command, keep = dies_with_this_process(list(args))
    if keep:
        kwargs["pass_fds"] = tuple(kwargs.get("pass_fds", ())) + keep
    return subprocess.Popen(command, *rest, **kwargs)


def tie_server_module(module: Any) -> None:
    """Make Prefect's temporary server, started from this module, die with this process."""
    if not hasattr(module, "SubprocessASGIServer") or getattr(module, "subprocess", None) is not subprocess:
        raise RuntimeError(f"{SERVER_MODULE} no longer starts its server with subprocess.Popen: see "
                           "flows/runtime/prefect_compat.py")
    patched = types.ModuleType("subprocess")
    patched.__dict__.update(subprocess.__dict__)
    patched.Popen = _popen_dying_with_this_process
    module.subprocess = patched


class _TieOnImport(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Patches SERVER_MODULE right after it is imported (for the first time)."""

    def find_spec(self, fullname, path, target=None):
        if fullname != SERVER_MODULE:
            return None
        for finder in sys.meta_path:
            if finder is not self and hasattr(finder, "find_spec"):
                spec = finder.find_spec(fullname, path, target)
                if spec is not None:
                    self._loader, spec.loader = spec.loader, self
                    return spec
        return None

    def create_module(self, spec):
        return self._loader.create_module(spec)

    def exec_module(self, module) -> None:
        self._loader.exec_module(module)
        sys.meta_path[:] = [f for f in sys.meta_path if f is not self]
        tie_server_module(module)


def tie_temporary_server_to_this_process() -> None:
    """Idempotent. Now if Prefect's server module is loaded, else when it is."""
    if SERVER_MODULE in sys.modules:
        module = sys.modules[SERVER_MODULE]
        if module.subprocess is subprocess:
            tie_server_module(module)
    elif not any(isinstance(f, _TieOnImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _TieOnImport())
