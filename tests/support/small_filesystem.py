"""A real small filesystem for disk-full tests: a tmpfs mounted in a mount namespace of the command's own
(`unshare`), so nothing is mounted for anyone else and it vanishes with the command."""

from __future__ import annotations

import functools
import subprocess


@functools.cache
def namespace_prefix() -> tuple[str, ...] | None:
    """How to run a command in a mount namespace of its own (where it may mount a tmpfs), or None here."""
    for prefix in (("unshare", "--mount", "--propagation", "private"),
                   ("unshare", "--user", "--map-root-user", "--mount")):
        try:
            if subprocess.run([*prefix, "true"], capture_output=True, timeout=30).returncode == 0:
                return prefix
        except (OSError, subprocess.TimeoutExpired):
            continue
    return None


def run_on_small_filesystem(size: str, mountpoint: str, script: str, env: dict[str, str], *,
                            timeout: float = 600) -> subprocess.CompletedProcess:
    """`sh -c script` with a tmpfs of `size` (e.g. "2m") mounted at `mountpoint` first."""
    prefix = namespace_prefix()
    assert prefix is not None, "no mount namespace here"
    shell = f'mount -t tmpfs -o size={size} tmpfs "{mountpoint}" || exit 90\n{script}'
    return subprocess.run([*prefix, "sh", "-c", shell], env=env, capture_output=True, text=True, timeout=timeout)
