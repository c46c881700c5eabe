"""How worker processes are started: `python -P -m <module>`, with the directory holding this code first on
PYTHONPATH, so a worker runs the code of the process that started it. (Without -P, `python -m` puts the current
directory first on sys.path: started from a directory holding a `tasks` package of its own, workers imported
that one.)"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = str(Path(__file__).resolve().parents[2])


def command(module: str, *args: str) -> list[str]:
    return [sys.executable, "-P", "-m", module, *args]


def environment(**extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (ROOT, env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env
