"""The CLI behaves evenly: one rule for the config of every command, hints that work as written, a version,
documented exit codes, examples in --help, shell completion, tables that fit the terminal."""

from __future__ import annotations

import io
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import pytest

from flows.cli import build_parser, main
from flows.output import render
from tests.flows import test_cli

server, config = test_cli.server, test_cli.config  # fixtures: a timeline server, a config that polls it

APRIL_25 = datetime(2025, 4, 25, tzinfo=UTC)
EXE = Path(sys.executable).with_name("tradewatch")


@pytest.fixture(autouse=True)
def april(request):
    """The timeline server (tests/flows/test_cli.py's fixture), when a test uses it, at 25 April."""
    if "server" in request.fixturenames:
        request.getfixturevalue("server").now = APRIL_25


@pytest.mark.usefixtures("prefect_harness")
def test_run_finds_its_config_as_the_read_commands_do(config, tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("TRADEWATCH_CONFIG", raising=False)
    monkeypatch.chdir(tmp_path)  # ./tradewatch.toml
    assert main(["run", "--as-of", APRIL_25.isoformat(), "--no-alerts"]) == 0
    assert main(["meetings", "--format", "csv"]) == 0
    capsys.readouterr()
    other = tmp_path / "elsewhere"
    other.mkdir()
    monkeypatch.chdir(other)
    monkeypatch.setenv("TRADEWATCH_CONFIG", str(config))  # then $TRADEWATCH_CONFIG
    assert main(["run", "--as-of", APRIL_25.isoformat(), "--no-alerts"]) == 0
    assert "cycle as of" in capsys.readouterr().out


@pytest.mark.usefixtures("prefect_harness")
def test_the_no_warehouse_hint_works_as_written(config, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path.parent)  # the config is not the default one here
    monkeypatch.delenv("TRADEWATCH_CONFIG", raising=False)
    assert main(["meetings", "--config", str(config)]) != 0
    err = capsys.readouterr().err
    hint = err.split("`")[1]
    assert hint == f"tradewatch run --config {config}"
    assert main([*hint.split()[1:], "--no-alerts", "--as-of", APRIL_25.isoformat()]) == 0
    assert main(["meetings", "--config", str(config)]) == 0


def test_version():
    proc = subprocess.run([str(EXE), "--version"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and proc.stdout.strip() == "tradewatch 0.1.0"


def test_a_failed_query_exits_1_as_the_help_says(tmp_path, capsys):
    from warehouse import connection, snapshot

    (tmp_path / "t.toml").write_text('[warehouse]\npath = "tw.duckdb"\n')
    with connection.writer(tmp_path / "tw.duckdb"):
        pass
    snapshot.publish_snapshot(tmp_path / "tw.duckdb")
    assert main(["sql", "--config", str(tmp_path / "t.toml"), "SELEC 1"]) == 1
    assert "query failed: " in capsys.readouterr().err
    assert "1  a query failed (syntax error" in build_parser().format_help()


def test_every_command_shows_examples_in_its_help():
    parser = build_parser()
    commands = next(a for a in parser._actions if a.dest == "command").choices  # noqa: SLF001
    for name, sub in commands.items():
        text = sub.format_help()
        assert "examples:" in text and f"tradewatch {name}" in text.split("examples:")[1], name


def test_bad_config_reports_every_mistake_at_once(tmp_path, capsys):
    bad = tmp_path / "bad.toml"
    bad.write_text('[fetch]\ntotal_deadline_s = "soon"\n[[sources]]\nid = "x"\nkind = "rss"\nurl = "ftp://x"\n')
    assert main(["run", "--config", str(bad)]) == 2
    err = capsys.readouterr().err
    for key in ("fetch.total_deadline_s", "sources[0].kind", "sources[0].url"):
        assert key in err


def test_a_missing_config_says_where_it_looked_and_how_to_make_one(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TRADEWATCH_CONFIG", raising=False)
    assert main(["run"]) == 2
    err = capsys.readouterr().err
    assert f"(looked in {tmp_path})" in err and "`tradewatch init tradewatch.toml`" in err


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_shell_completion_scripts_know_the_commands_and_options(shell):
    proc = subprocess.run([str(EXE), "completion", shell], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0
    for word in ("doctor", "meetings", "--config", "--wide", "--as-of"):
        assert word in proc.stdout
    if shell == "bash":
        check = subprocess.run(["bash", "-n"], input=proc.stdout, capture_output=True, text=True, timeout=60)
        assert check.returncode == 0, check.stderr


def test_tables_fit_the_terminal_and_wide_shows_every_cell(monkeypatch):
    monkeypatch.setenv("COLUMNS", "80")
    long_error = "connection (DNS lookup failed for www.federalregister.gov (Name or service not known))"
    names = ["source_id", "kind", "last_error", "error_streak", "next_attempt_at"]
    rows = [["federal-register", "federal_register", long_error, 3, datetime(2025, 7, 1, 11, tzinfo=UTC)]]
    out = io.StringIO()
    render(names, rows, "table", out=out)
    lines = out.getvalue().splitlines()
    assert max(map(len, lines)) <= 80 and any("…" in line for line in lines)
    assert all(name[:3] in out.getvalue() for name in names)  # every column still there
    out = io.StringIO()
    render(names, rows, "table", out=out, wide=True)
    assert long_error in out.getvalue()


def test_a_bad_config_is_refused_before_prefect_is_imported(tmp_path):
    """The config is read first: a mistake costs a fraction of a second, not Prefect's start-up."""
    bad = tmp_path / "bad.toml"
    bad.write_text('[warehouse]\npath = "tw.duckdb"\n[extract]\ngazetteer_path = 5\n', encoding="utf-8")
    probe = ("import sys\nfrom flows.cli import main\n"
             f"code = main(['run', '--config', {str(bad)!r}])\n"
             "print(code, 'prefect' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=60)
    assert done.stdout.split() == ["2", "False"], done.stderr
    assert "extract.gazetteer_path" in done.stderr
