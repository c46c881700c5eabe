"""Figures against their floors: the console table and bench/results.md, with the machine's details."""

from __future__ import annotations

import contextlib
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


@dataclass(frozen=True)
class Figure:
    name: str
    measured: float
    floor: float
    unit: str
    target: str  # "<= 1.00", ">= 1.00", "< 1.00": a bound on ratio = measured / floor
    floor_label: str  # what the floor is, with its parts
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.measured / self.floor if self.floor else float("inf")

    @property
    def passed(self) -> bool:
        op, bound = self.target.split()
        value = float(bound)
        return {"<=": self.ratio <= value, "<": self.ratio < value, ">=": self.ratio >= value}[op]


def _fmt(value: float, unit: str) -> str:
    if unit == "s":
        return f"{value * 1000:.1f} ms" if value < 1 else f"{value:.2f} s"
    if unit == "MB":
        return f"{value:.0f} MB"
    if unit == "items/s":
        return f"{value:,.0f} items/s"
    return f"{value:.3g} {unit}"


def machine() -> dict[str, str]:
    model = "unknown"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = "unknown"
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem = f"{int(line.split()[1]) / 1024 / 1024:.1f} GiB"
    except (OSError, ValueError):
        pass
    load = ""
    with contextlib.suppress(OSError):
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])

    def version(name: str) -> str:
        try:
            return metadata.version(name)
        except metadata.PackageNotFoundError:
            return "not installed"

    return {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpus": str(os.cpu_count()),
        "cpu model": model,
        "memory": mem,
        "load average (1/5/15 min) at the end": load,
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "duckdb": version("duckdb"),
        "feedparser": version("feedparser"),
        "prefect": version("prefect"),
        "numpy": version("numpy"),  # near-duplicate signatures (tasks/minhash.py)
    }


HEADER = ("figure", "measured", "floor", "ratio", "target", "pass")


def rows(figures: list[Figure]) -> list[tuple[str, ...]]:
    return [
        (
            f.name,
            _fmt(f.measured, f.unit),
            f"{_fmt(f.floor, f.unit)} ({f.floor_label})",
            f"{f.ratio:.3f}",
            f.target,
            "ok" if f.passed else "MISSED",
        )
        for f in figures
    ]


def console_table(figures: list[Figure]) -> str:
    table = [HEADER, *rows(figures)]
    widths = [max(len(r[i]) for r in table) for i in range(len(HEADER))]
    lines = [" | ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in table]
    lines.insert(1, "-+-".join("-" * w for w in widths))
    missed = [f.name for f in figures if not f.passed]
    lines.append("")
    lines.append(f"MISSED: {', '.join(missed)}" if missed else "all targets met")
    return "\n".join(lines)


def markdown(figures: list[Figure], details: dict[str, str], notes: list[str], scale: str) -> str:
    out = ["# tradewatch benchmark results", "",
           "Written by `make bench` (`python -m bench`). Each floor is measured in the same run as its figure;",
           "ratio = measured / floor.", "", f"Scale: {scale}", ""]  # fmt: skip
    out += ["| " + " | ".join(HEADER) + " |", "|" + "---|" * len(HEADER)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in r) + " |" for r in rows(figures)]
    out += ["", "## Notes", ""]
    out += [f"- **{f.name}**: {f.note}" for f in figures if f.note]
    out += [f"- {n}" for n in notes]
    out += ["", "## Machine", "", "| | |", "|---|---|"]
    out += [f"| {k} | {v} |" for k, v in details.items()]
    return "\n".join(out) + "\n"
