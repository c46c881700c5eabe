"""The README stays true: its example queries return rows on the demo warehouse, its command table lists every
command, its exit codes are the CLI's, and its deployment steps create the config the deployments read."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from flows import cli
from tests.support.paths import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.S)


def readme_queries() -> list[str]:
    queries = []
    for block in blocks("sql"):
        text = "\n".join(line for line in block.splitlines() if not line.lstrip().startswith("--"))
        queries += [q.strip() for q in text.split(";") if q.strip()]
    for block in blocks("sh"):
        for line in block.splitlines():
            if "tradewatch sql" in line:
                queries.append(shlex.split(line.split("#")[0])[-1])
    return queries


@pytest.fixture(scope="module")
def demo(shared_demo):
    return shared_demo / "demo" / "tradewatch.toml"


def test_the_readme_has_example_queries():
    assert len(readme_queries()) >= 5


@pytest.mark.parametrize("query", readme_queries())
def test_every_example_query_returns_rows_on_the_demo(demo, query, capsys):
    code = cli.main(["sql", "--config", str(demo), "--format", "json", query])
    out, err = capsys.readouterr()
    assert code == 0, err
    assert json.loads(out), f"no rows on the demo warehouse:\n{query}"


def test_the_command_table_lists_every_command():
    table = re.search(r"## Commands\n\n(.*?)\n\n", README, flags=re.S).group(1)
    listed = set()
    for row in re.findall(r"^\| `tradewatch ([^`]*)`", table, flags=re.M):
        first = row.split()[0]
        if not first.startswith("-"):
            listed.update(first.replace("\\|", "|").split("|"))
    commands = next(a for a in cli.build_parser()._actions if a.dest == "command").choices  # noqa: SLF001
    assert set(commands) - {"bash", "zsh", "tcsh"} <= listed
    assert listed - {"bash", "zsh", "tcsh"} <= set(commands)


def test_every_exit_code_is_documented():
    paragraph = README.split("Exit status: ", 1)[1].split("\n\n", 1)[0]
    for code in (0, 1, cli.EXIT_CONFIG, cli.EXIT_WAREHOUSE, cli.EXIT_BUSY, cli.EXIT_API, cli.EXIT_NO_SNAPSHOT):
        assert re.search(rf"(^|[;,] ){code} (when|for)", paragraph), code


def test_the_deployment_steps_create_the_config_before_deploying():
    (steps,) = [b for b in blocks("sh") if "prefect deploy --all" in b]
    lines = steps.splitlines()
    init = next(i for i, line in enumerate(lines) if line.startswith("tradewatch init tradewatch.toml"))
    deploy = next(i for i, line in enumerate(lines) if line.startswith("prefect deploy --all"))
    assert init < deploy
    assert "config_path" in README.split("prefect deploy --all", 1)[1].split("###", 1)[0]


def test_the_readme_says_where_the_dev_corpus_comes_from_and_what_runs_without_it():
    assert "../shared/corpus/dev" in README and "skipped" in README and "TRADEWATCH_CORPUS" in README
