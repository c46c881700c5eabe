"""`tradewatch`: the command line. Each command is a thin shell over a flow or a warehouse query."""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# quiet Prefect's console logging for a CLI user unless asked (must be set before prefect is imported)
os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
os.environ.setdefault("PREFECT_UI_ENABLED", "false")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# the temporary local API's own services log tracebacks when the process exits mid-flush: not the user's concern
os.environ.setdefault("PREFECT_SERVER_LOGGING_LEVEL", "CRITICAL")
os.environ.setdefault("DO_NOT_TRACK", "1")

EXIT_CONFIG = 2
EXIT_WAREHOUSE = 3
EXIT_BUSY = 4
EXIT_API = 5
EXIT_NO_SNAPSHOT = 6  # readers: nothing published yet (they never touch the live file)
EXIT_STOPPED = 143  # stopped by a signal at a safe point: 128 + the signal (143 SIGTERM, 130 SIGINT)

DEFAULT_CONFIG = "tradewatch.toml"


class BadArgument(ValueError):
    pass


def _config_path(args) -> str:
    return args.config or os.environ.get("TRADEWATCH_CONFIG") or DEFAULT_CONFIG


def _add_format(p: argparse.ArgumentParser) -> None:
    from flows.output import FORMATS

    p.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")
    p.add_argument("--wide", action="store_true", help="tables: every cell whole (default: cut to fit the terminal)")


def _add_config(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument("--config", required=required, metavar="FILE",
                   help=f"TOML config (default: $TRADEWATCH_CONFIG or ./{DEFAULT_CONFIG})")


def _check_as_of(value: str | None) -> None:
    from flows.instants import parse_as_of

    if value:
        try:
            parse_as_of(value)
        except ValueError:
            raise BadArgument(f"--as-of: {value!r} is not an ISO 8601 instant (e.g. 2025-07-07T23:00:00Z)") from None


def cmd_init(args) -> int:
    from importlib import resources

    path = Path(args.path)
    if path.exists() and not args.force:
        print(f"{path} exists; not overwritten (use --force)", file=sys.stderr)
        return 1
    path.write_text(resources.files("flows").joinpath("starter_config.toml").read_text(encoding="utf-8"),
                    encoding="utf-8")
    print(f"wrote {path}: edit [slack] channel, then `tradewatch run --config {path}`")
    return 0


class ApiUnreachable(RuntimeError):
    """PREFECT_API_URL names a Prefect server that does not answer."""


def _check_api() -> None:
    """With PREFECT_API_URL set, its server must answer before a flow starts: else Prefect fails deep in its
    flow engine, with a traceback. (Unset, Prefect starts a temporary local server itself.)"""
    import requests
    from prefect.settings import PREFECT_API_URL

    url = PREFECT_API_URL.value()
    if not url:
        return
    try:
        requests.get(url.rstrip("/") + "/health", timeout=10).raise_for_status()
    except requests.RequestException as exc:
        raise ApiUnreachable(
            f"the Prefect API at {url} (PREFECT_API_URL) does not answer ({type(exc).__name__}): start it "
            "(`prefect server start`), or unset PREFECT_API_URL to run with a temporary local server"
        ) from exc


def cmd_run(args) -> int:
    from records.config import load_config

    config_path = _config_path(args)
    load_config(config_path)  # fail fast with a clear message, before Prefect is even imported
    _check_as_of(args.as_of)
    _check_api()
    from flows.monitor import run_monitor_flow
    from flows.progress import on_terminal

    with on_terminal("tradewatch run"):  # the stage on stderr, on a terminal only
        result = run_monitor_flow(config_path=config_path, as_of=args.as_of, alerts=not args.no_alerts)
    for line in result["lines"]:
        print(line)
    return 0


def cmd_sql(args) -> int:
    from flows.output import render
    from records.config import load_config
    from warehouse.snapshot import open_snapshot, query_with_timeout

    config = load_config(_config_path(args))
    con = open_snapshot(config.warehouse_path)
    try:
        names, rows = query_with_timeout(con, args.query, args.timeout)
    finally:
        con.close()
    render(names, rows, args.format, wide=args.wide)
    return 0


READ_QUERIES = {
    "sources": ("SELECT source_id, kind, last_success_at, last_error, error_streak, next_attempt_at, items_seen"
                " FROM sources ORDER BY source_id"),
    "meetings": ("SELECT meeting_date, date_precision, parties, format, status, location, officials, reports,"
                 " meeting_id FROM meetings ORDER BY meeting_date DESC NULLS LAST, first_seen_at DESC, meeting_id"),
    "deadlines": ("SELECT d.due_date, d.subject, d.countries,"
                  " (SELECT string_agg(c.old_date || ' → ' || c.new_date, '; ' ORDER BY c.changed_at)"
                  "  FROM deadline_changes c WHERE c.deadline_id = d.deadline_id) AS moves, d.deadline_id"
                  " FROM deadlines d ORDER BY d.due_date DESC, d.deadline_id"),
}


def cmd_read(args) -> int:
    from flows.output import render
    from records.config import load_config
    from warehouse.snapshot import open_snapshot, query_with_timeout

    config = load_config(_config_path(args))
    con = open_snapshot(config.warehouse_path)
    try:
        names, rows = query_with_timeout(con, READ_QUERIES[args.command], 30)
    finally:
        con.close()
    render(names, rows, args.format, title=args.command, wide=args.wide)
    return 0


def _countries_arg(value: str | None) -> tuple[str, ...] | None:
    if value is None:
        return None
    codes = tuple(c.strip().upper() for c in value.split(",") if c.strip())
    bad = [c for c in codes if not (c == "EU" or (len(c) == 2 and c.isascii() and c.isalpha()))]
    if bad:
        raise BadArgument(f"--countries: {', '.join(bad)} not ISO 3166-1 alpha-2 codes or EU (e.g. KR,US)")
    return codes


def _write_out(data: bytes, out: str | None, what: str) -> None:
    """To --out (atomically: a reader never sees half a file) or to standard output."""
    from tasks.publish.files import write_atomically

    if out is None or out == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
        return
    try:
        write_atomically(Path(out), data)
    except OSError as exc:
        raise BadArgument(f"--out: cannot write {out}: {exc.strerror or exc}") from None
    print(f"wrote {out}: {what}")


def cmd_calendar(args) -> int:
    from datetime import date

    from records.config import load_config
    from tasks.cycle.publish import calendar_selection, read_published_timeline
    from tasks.publish.calendar import build_calendar

    countries = _countries_arg(args.countries)
    try:
        since = date.fromisoformat(args.since) if args.since else None
    except ValueError:
        raise BadArgument(f"--since: {args.since!r} is not a date (YYYY-MM-DD)") from None
    config = load_config(_config_path(args))
    timeline = read_published_timeline(config)
    selection = calendar_selection(config, timeline.as_of, countries=countries, since=since)
    meetings = sum(map(selection.takes_meeting, timeline.meetings))
    deadlines = sum(map(selection.takes_deadline, timeline.deadlines))
    _write_out(build_calendar(timeline, selection), args.out, f"{meetings} meetings, {deadlines} deadlines")
    return 0


def cmd_report(args) -> int:
    from flows.instants import parse_as_of
    from records.config import load_config
    from tasks.cycle.publish import read_published_timeline, report_calendar_href
    from tasks.publish.report import build_report

    _check_as_of(args.as_of)
    config = load_config(_config_path(args))
    timeline = read_published_timeline(config, parse_as_of(args.as_of) if args.as_of else None)
    page = build_report(timeline, calendar_href=report_calendar_href(config, beside=False))
    _write_out(page.encode("utf-8"), args.out, f"the report as of {timeline.as_of:%Y-%m-%d %H:%M %Z}")
    return 0


def cmd_reprocess(args) -> int:
    from flows.maintenance import reprocess_flow
    from flows.progress import on_terminal
    from records.config import load_config

    load_config(_config_path(args))  # fail fast, before starting Prefect
    _check_as_of(args.as_of)
    _check_api()
    with on_terminal("tradewatch reprocess"):
        print(reprocess_flow(config_path=_config_path(args), as_of=args.as_of))
    return 0


def cmd_digest(args) -> int:
    from flows.digest import digest_flow
    from records.config import load_config

    load_config(_config_path(args))  # fail fast, before starting Prefect
    _check_as_of(args.as_of)
    _check_api()
    state = digest_flow(config_path=_config_path(args), as_of=args.as_of, return_state=True)
    if state.is_failed():  # Slack refused it, or nothing to read: one line, no traceback
        print(f"tradewatch: {_hint_as_given(state.message or 'the digest failed', args)}", file=sys.stderr)
        return 1
    print(state.result())
    return 0


def cmd_demo(args) -> int:
    from flows.demo import run_demo

    return run_demo(Path(args.dir))


def cmd_eval(args) -> int:
    from flows.evaluate import run_eval

    return run_eval(Path(args.corpus), workdir=Path(args.workdir) if args.workdir else None,
                    out_format=args.format, tick_hours=args.tick_hours,
                    labels_path=Path(args.labels) if args.labels else None)


def cmd_serve(args) -> int:
    from flows.serve import NoSchedulerError, serve

    try:
        serve(_config_path(args))
    except NoSchedulerError as exc:
        print(f"tradewatch: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        pass
    return 0


def cmd_doctor(args) -> int:
    from flows.doctor import FAILED, print_checks, run_checks
    from records.config import load_config

    config_path = _config_path(args)
    config = load_config(config_path)
    unknown = sorted(set(args.source or ()) - {s.id for s in config.sources})
    if unknown:
        raise BadArgument(f"--source: no source {', '.join(map(repr, unknown))} in {config_path} "
                          f"(sources: {', '.join(s.id for s in config.sources)})")
    checks = run_checks(config, config_path, args.source or ())
    print_checks(checks)
    return 1 if any(c.status == FAILED for c in checks) else 0


def cmd_completion(args) -> int:
    import shtab  # static scripts from this parser: no Python runs on each <Tab>

    print(shtab.complete(build_parser(), shell=args.shell))
    return 0


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("tradewatch")
    except PackageNotFoundError:
        return "unknown (not installed)"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tradewatch", description="Monitor trade negotiations: meetings and "
                                     "deadlines from news and official feeds, into DuckDB and Slack.")
    parser.add_argument("--version", action="version", version=f"tradewatch {_version()}")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", help="write a starter config with real sources")
    p.add_argument("path", nargs="?", default=DEFAULT_CONFIG)
    p.add_argument("--force", action="store_true")
    p.set_defaults(func=cmd_init)

    p = sub.add_parser("run", help="one monitor cycle")
    _add_config(p)
    p.add_argument("--as-of", metavar="ISO8601", help="treat this instant as now (replays, backfills)")
    p.add_argument("--no-alerts", action="store_true",
                   help="record events but send nothing (decisions are kept as suppressed, never sent later)")
    p.set_defaults(func=cmd_run)

    p = sub.add_parser("sql", help="ad hoc read-only SQL over the views (on the published snapshot)")
    _add_config(p)
    p.add_argument("query")
    _add_format(p)
    p.add_argument("--timeout", type=float, default=30.0, help="seconds before the query is interrupted")
    p.set_defaults(func=cmd_sql)

    for name, helptext in (("sources", "source health"), ("meetings", "meetings, newest first"),
                           ("deadlines", "deadlines and their moves")):
        p = sub.add_parser(name, help=helptext)
        _add_config(p)
        _add_format(p)
        p.set_defaults(func=cmd_read)

    p = sub.add_parser("calendar", help="the iCalendar feed of meetings and deadlines (from the published snapshot)")
    _add_config(p)
    p.add_argument("--out", metavar="PATH", help="write it here (atomically) instead of to standard output")
    p.add_argument("--countries", metavar="KR,US", help="events involving these countries only (default: [calendar])")
    p.add_argument("--since", metavar="DATE", help="events ending on or after this day (default: [calendar])")
    p.set_defaults(func=cmd_calendar)

    p = sub.add_parser("report", help="the HTML timeline report, one self-contained file (from the published snapshot)")
    _add_config(p)
    p.add_argument("--out", metavar="PATH", help="write it here (atomically) instead of to standard output")
    p.add_argument("--as-of", metavar="ISO8601", help="the 'now' of the report (default: the snapshot's last cycle)")
    p.set_defaults(func=cmd_report)

    p = sub.add_parser("reprocess", help="re-run extraction and resolution over stored items (no re-alerts)")
    _add_config(p)
    p.add_argument("--as-of", metavar="ISO8601")
    p.set_defaults(func=cmd_reprocess)

    p = sub.add_parser("digest", help="post the daily summary")
    _add_config(p)
    p.add_argument("--as-of", metavar="ISO8601")
    p.set_defaults(func=cmd_digest)

    p = sub.add_parser("demo", help="replay the shipped sample timeline through the real pipeline")
    p.add_argument("--dir", default="demo", help="where to put demo.duckdb and its config (default ./demo)")
    p.set_defaults(func=cmd_demo)

    p = sub.add_parser("eval", help="score extraction on a labelled corpus through the real pipeline")
    p.add_argument("--corpus", required=True, metavar="DIR")
    p.add_argument("--workdir", metavar="DIR", help="keep the replay warehouse here (default: a temp dir)")
    p.add_argument("--tick-hours", type=float, metavar="H",
                   help="one cycle every H hours, as a scheduled monitor would run (default: one per publication)")
    p.add_argument("--labels", metavar="FILE", help="score against these labels (default: DIR/labels.json)")
    _add_format(p)
    p.set_defaults(func=cmd_eval)

    p = sub.add_parser("serve", help="run the monitor and digest schedules on this machine (Prefect serve)")
    _add_config(p)
    p.set_defaults(func=cmd_serve)

    p = sub.add_parser("doctor", help="check the sources, Slack, the Prefect API and the warehouse")
    _add_config(p)
    p.add_argument("--source", metavar="ID", action="append", help="check this source only (repeatable)")
    p.set_defaults(func=cmd_doctor)

    p = sub.add_parser("completion", help="print a shell completion script (bash, zsh or tcsh)")
    p.add_argument("shell", choices=("bash", "zsh", "tcsh"))
    p.set_defaults(func=cmd_completion)
    from flows.cli_help import add_examples

    add_examples(parser, sub.choices)
    return parser


def _failures() -> list[tuple[type[BaseException], int, str]]:
    """What each kind of failure is reported as: (exception, exit status, message prefix), first match wins."""
    import duckdb

    from records.config import ConfigError
    from tasks.stop import Stopped
    from warehouse.errors import NoSnapshot, RunInProgress, WarehouseError
    from warehouse.snapshot import QueryTimeout

    return [
        (ConfigError, EXIT_CONFIG, "config error: "),
        (BadArgument, EXIT_CONFIG, ""),
        (WarehouseError, EXIT_WAREHOUSE, ""),
        (RunInProgress, EXIT_BUSY, ""),
        (ApiUnreachable, EXIT_API, ""),
        (NoSnapshot, EXIT_NO_SNAPSHOT, ""),
        (Stopped, EXIT_STOPPED, ""),
        (QueryTimeout, 1, ""),
        (duckdb.Error, 1, "query failed: "),  # a query that is wrong or refused (read-only, no file access)
    ]


def _hint_as_given(message: str, args) -> str:
    """A hint that names `tradewatch run` works as written: with the --config this command was given."""
    if getattr(args, "config", None):
        return message.replace("`tradewatch run`", f"`tradewatch run --config {args.config}`")
    return message


def main(argv: list[str] | None = None) -> int:
    from flows.runtime.logs import quiet_shutdown_noise
    from flows.runtime.process import apply_settings

    apply_settings()  # before any thread starts
    quiet_shutdown_noise()  # no stray traceback from the temporary Prefect API's teardown after a good run
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except Exception as exc:
        for kind, status, prefix in _failures():
            if isinstance(exc, kind):
                print(f"tradewatch: {prefix}{_hint_as_given(str(exc), args)}", file=sys.stderr)
                return getattr(exc, "exit_status", status)
        raise


if __name__ == "__main__":
    sys.exit(main())
