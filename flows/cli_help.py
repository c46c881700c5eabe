"""What `tradewatch --help` and `tradewatch COMMAND --help` show beyond the options: examples and exit codes."""

from __future__ import annotations

import argparse

EXIT_CODES = """exit status:
  0  done (a cycle ran even if some sources failed: they are in the summary and the `sources` view)
  1  a query failed (syntax error, refused, timed out), Slack refused the digest, `doctor` found a problem,
     or `init` would overwrite
  2  bad config or argument
  3  unusable warehouse (locked by another writer, corrupt, out of disk)
  4  another run holds the warehouse
  5  PREFECT_API_URL names a Prefect server that does not answer
  6  nothing published to read yet (no run has finished on this warehouse)
  143, 130  `run` stopped by SIGTERM / SIGINT at a safe point (128 + the signal; the next run carries on)"""

MAIN = """examples:
  tradewatch init                       write ./tradewatch.toml with real sources, then edit [slack]
  tradewatch doctor                     check every source, Slack, Prefect and the warehouse
  tradewatch run                        one cycle (config: --config, else $TRADEWATCH_CONFIG, else ./tradewatch.toml)
  tradewatch meetings                   what was found
  tradewatch sql "SELECT * FROM deadline_changes"
  tradewatch completion bash > ~/.local/share/bash-completion/completions/tradewatch

""" + EXIT_CODES

EXAMPLES = {
    "init": """examples:
  tradewatch init                       ./tradewatch.toml
  tradewatch init /etc/tradewatch/prod.toml --force""",
    "run": """examples:
  tradewatch run
  tradewatch run --config prod.toml --no-alerts        record everything, send nothing (a first backfill)
  tradewatch run --as-of 2025-07-07T23:00:00Z          a replay: that instant is "now\"""",
    "sql": """examples:
  tradewatch sql "SELECT meeting_date, parties, status, reports FROM meetings ORDER BY meeting_date"
  tradewatch sql --format csv "SELECT * FROM deadline_changes" > moves.csv
  tradewatch sql --wide "SELECT source_id, last_error FROM sources WHERE error_streak > 0"

views: items, meetings, deadlines, deadline_changes, deadline_history, mentions, sources, alerts, ops_alerts
(read-only, on the published snapshot; exit 1 when the query fails)""",
    "sources": """examples:
  tradewatch sources
  tradewatch sources --wide             every error in full""",
    "meetings": """examples:
  tradewatch meetings
  tradewatch meetings --format json | jq '.[] | select(.status == "held")'""",
    "deadlines": """examples:
  tradewatch deadlines
  tradewatch deadlines --format csv""",
    "calendar": """examples:
  tradewatch calendar --out trade.ics                  subscribe to it in a calendar client
  tradewatch calendar --countries KR,US --since 2025-07-01""",
    "report": """examples:
  tradewatch report --out report.html
  tradewatch report --as-of 2025-07-07T23:00:00Z --out then.html""",
    "reprocess": """examples:
  tradewatch reprocess                  after upgrading tradewatch: better extraction, no repeated alerts""",
    "digest": """examples:
  tradewatch digest                     post today's summary (once a day: a second call posts nothing)
  tradewatch digest --as-of 2025-07-07T23:00:00Z       the digest as the warehouse stood then""",
    "doctor": """examples:
  tradewatch doctor
  tradewatch doctor --source ustr-press

exit status 0 when every check passed (notes are not failures), 1 when one failed, 2 for a bad config""",
    "serve": """examples:
  tradewatch serve                      monitor every 10 min, digest 08:00 Asia/Seoul, until Ctrl-C""",
    "eval": """examples:
  tradewatch eval --corpus ../shared/corpus/dev
  tradewatch eval --corpus tests/fixtures/heldout --format json""",
    "demo": """examples:
  tradewatch demo                       ./demo/demo.duckdb, alerts on the console""",
    "completion": """examples:
  tradewatch completion bash > ~/.local/share/bash-completion/completions/tradewatch
  tradewatch completion zsh > ~/.zfunc/_tradewatch      (with fpath+=~/.zfunc before compinit)""",
}


def add_examples(parser: argparse.ArgumentParser, commands: dict[str, argparse.ArgumentParser]) -> None:
    """Examples under every command's --help (`commands`: the subparsers' choices), exit codes under the main."""
    parser.epilog = MAIN
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    for name, sub in commands.items():
        if name in EXAMPLES and not sub.epilog:
            sub.epilog = EXAMPLES[name]
            sub.formatter_class = argparse.RawDescriptionHelpFormatter
