"""Config validation: every error names the key and says what was expected."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from records.config import ConfigError, load_config, parse_config
from tasks.sources.guard import host_key
from tests.support.paths import ROOT

STARTER_CONFIG = ROOT / "flows" / "starter_config.toml"

GOOD_SOURCE = {"id": "a", "kind": "feed", "url": "https://example.org/rss"}


def errors_for(raw: dict) -> str:
    with pytest.raises(ConfigError) as info:
        parse_config(raw, Path("/tmp/tradewatch.toml"))
    return str(info.value)


def test_starter_config_is_valid_and_has_the_real_sources():
    config = parse_config(tomllib.loads(STARTER_CONFIG.read_text()), Path("/srv/tw/tradewatch.toml"))
    kinds = {s.kind for s in config.sources}
    assert kinds == {"feed", "ustr", "federal_register"}
    hosts = " ".join(s.url for s in config.sources)
    for host in ("ustr.gov", "federalregister.gov", "whitehouse.gov", "yna.co.kr", "koreaherald.com",
                 "koreatimes.co.kr", "news.google.com"):
        assert host in hosts
    assert config.warehouse_path == Path("/srv/tw/tradewatch.duckdb")  # relative to the config file


@pytest.mark.parametrize(
    ("raw", "message"),
    [
        ({"sources": [GOOD_SOURCE, GOOD_SOURCE | {"id": "b"}, GOOD_SOURCE | {"id": "c"},
                      GOOD_SOURCE | {"id": "d", "url": "ftp://x.org/feed"}]},
         "sources[3].url: not an http(s) URL"),
        ({"sources": [GOOD_SOURCE | {"kind": "twitter"}]}, "sources[0].kind: 'twitter' is not one of"),
        ({"sources": [GOOD_SOURCE, GOOD_SOURCE]}, "sources[1].id: 'a' is used by an earlier source"),
        ({"sources": [{"kind": "feed", "url": "https://x.org"}]}, "sources[0].id: is required"),
        ({"sources": [GOOD_SOURCE | {"urll": "x"}]}, "sources[0].urll: unknown key"),
        ({"fetch": {"allow_hosts": ["localhost"]}}, "fetch.allow_hosts[0]: 'localhost' is not 'host:port'"),
        ({"fetch": {"total_deadline_s": "soon"}}, "fetch.total_deadline_s: must be a number"),
        ({"slack": {"routes": [{"countries": ["KR"]}]}}, "slack.routes[0].channel: is required"),
        ({"slack": {"routes": [{"channel": "#kr", "countries": ["Korea"]}]}},
         "slack.routes[0].countries[0]: 'Korea' is not an ISO 3166-1 alpha-2 code"),
        ({"warehouse": {"path": ""}}, "warehouse.path: must be a file path"),
        ({"wearhouse": {}}, "wearhouse: unknown key"),
        ({"sources": [GOOD_SOURCE | {"expect_items_hours": "soon"}]},
         "sources[0].expect_items_hours: must be a number, got 'soon'"),
        ({"extract": {"gazetteer_path": 5}},  # once opened as file descriptor 5 (issue 17)
         "extract.gazetteer_path: must be the path of a gazetteer TOML file, got 5"),
        ({"extract": {"gazetteer_path": "no-such-gazetteer.toml"}},
         "extract.gazetteer_path: /tmp/no-such-gazetteer.toml: no such file"),
        ({"extract": {"gazetteer_path": "/"}}, "extract.gazetteer_path: /: a directory, not a gazetteer file"),
    ],
)
def test_bad_config_names_the_key(raw, message):
    assert message in errors_for(raw)


def test_allow_hosts_are_normalised_to_exact_host_port():
    config = parse_config({"fetch": {"allow_hosts": ["127.0.0.1:8080", "[::1]:9000", "LocalHost:80"]}},
                          Path("/tmp/t.toml"))
    # spelt as the fetch guard spells a connection's host:port (IPv6 in brackets), so that they match
    assert config.fetch.allow_hosts == frozenset({"127.0.0.1:8080", "[::1]:9000", "localhost:80"})
    assert {host_key("::1", 9000), host_key("LOCALHOST", 80)} <= config.fetch.allow_hosts


def test_missing_file_and_bad_toml_are_clear(tmp_path):
    with pytest.raises(ConfigError, match="no such config file"):
        load_config(tmp_path / "nope.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[warehouse\npath = 1\n")
    with pytest.raises(ConfigError, match="not valid TOML"):
        load_config(bad)


def test_extract_table_is_validated_at_load_time():
    with pytest.raises(ConfigError, match="extract: unknown"):
        parse_config({"extract": {"watched_countris": ["KR"]}}, Path("/tmp/t.toml"))
    config = parse_config({"extract": {"watched_countries": ["kr", "US"]}}, Path("/tmp/t.toml"))
    assert config.extract.watched_countries == ("KR", "US")


def test_a_gazetteer_path_is_relative_to_the_config_file_and_read_when_the_config_is(tmp_path):
    (tmp_path / "places.toml").write_text('[countries.KR]\nnames = ["Korea"]\n')
    (tmp_path / "broken.toml").write_text("[countries\n")
    config = parse_config({"extract": {"gazetteer_path": "places.toml"}}, tmp_path / "tradewatch.toml")
    assert config.extract.gazetteer_path == str(tmp_path / "places.toml")
    with pytest.raises(ConfigError, match=r"extract.gazetteer_path: .*broken.toml: not valid TOML"):
        parse_config({"extract": {"gazetteer_path": "broken.toml"}}, tmp_path / "tradewatch.toml")
