"""tradewatch.toml: the configuration records, validated by pydantic.

Every error names its key and says what was expected (`sources[3].url: not an http(s) URL: 'ftp://x'`), and a
file with several mistakes reports them all. Defaults live here only: the models are the single definition.
"""

from __future__ import annotations

import contextlib
import dataclasses
import ipaddress
import tomllib
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    StrictBool,
    ValidationError,
    ValidationInfo,
    field_validator,
)

from records.findings import ExtractConfig

SOURCE_KINDS = ("feed", "federal_register", "ustr")


class ConfigError(ValueError):
    """A config file that cannot be used. The message names every bad key."""


# --- value types ---------------------------------------------------------------------------------------


def _number(value: Any) -> Any:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError(f"must be a number, got {value!r}")
    return value


def _whole(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != int(value):
        raise ValueError(f"must be a whole number, got {value!r}")
    return int(value)


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a non-empty string")
    return value


def _http_url(value: Any) -> str:
    parts = urlsplit(value) if isinstance(value, str) else None
    if parts is None or parts.scheme not in ("http", "https") or not parts.hostname:
        raise ValueError(f"not an http(s) URL: {value!r}")
    return value


def _host_port(value: Any) -> str:
    """The exact host:port a fetch is allowed to reach on a private address, spelt as the guard spells it
    (lower case; IPv6 in brackets; IP addresses in their canonical form)."""
    if not isinstance(value, str):
        raise ValueError("must be a string 'host:port'")
    host, sep, port = value.rpartition(":")
    if not (sep and port.isdigit() and 0 < int(port) < 65536 and host):
        raise ValueError(f"{value!r} is not 'host:port' (the exact host and port to exempt, e.g. '127.0.0.1:8080')")
    host = host.strip("[]").lower()
    with contextlib.suppress(ValueError):
        host = str(ipaddress.ip_address(host))
    return f"[{host}]:{int(port)}" if ":" in host else f"{host}:{int(port)}"


def _country(value: Any) -> str:
    if not isinstance(value, str) or not (value == "EU" or (len(value) == 2 and value.isalpha() and value.isupper())):
        raise ValueError(f"{value!r} is not an ISO 3166-1 alpha-2 code or 'EU'")
    return value


def _at_least(minimum: float):
    def check(value):
        if value < minimum:
            raise ValueError(f"must be a number >= {minimum:g}, got {value!r}")
        return value

    return AfterValidator(check)


Seconds = Annotated[float, BeforeValidator(_number), _at_least(0)]
Text = Annotated[str, BeforeValidator(_text)]
Country = Annotated[str, BeforeValidator(_country)]
HostPort = Annotated[str, BeforeValidator(_host_port)]


def Count(minimum: int) -> Any:  # noqa: N802 - a type
    return Annotated[int, BeforeValidator(_whole), _at_least(minimum)]


class _Table(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- the tables ----------------------------------------------------------------------------------------


def _file_path(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise ValueError("must be a file path")
    return value


class WarehouseConfig(_Table):
    path: Annotated[str, BeforeValidator(_file_path)] = "tradewatch.duckdb"  # relative to the config file


class FetchConfig(_Table):
    allow_hosts: frozenset[HostPort] = frozenset()  # exact "host:port" exempt from the private-address guard
    connect_timeout_s: Seconds = 5.0
    read_timeout_s: Seconds = 10.0
    total_deadline_s: Seconds = 30.0  # whole request, however slowly bytes trickle in
    max_bytes: Count(1024) = 10 * 1024 * 1024  # cap on the decoded body
    max_items_per_source: Count(1) = 500  # new or edited items stored per source per run (bounded work)
    parse_timeout_s: Seconds = 10.0
    parse_memory_mb: Count(64) = 512

    @field_validator("allow_hosts", mode="before")
    @classmethod
    def _list(cls, value: Any) -> Any:
        if not isinstance(value, list):
            raise ValueError("must be a list of 'host:port' strings")
        return frozenset(value) if all(isinstance(v, str) for v in value) else value


class Route(_Table):
    channel: Text = Field(description="the channel this rule sends to")
    countries: tuple[Country, ...] = ()
    sources: tuple[Text, ...] = ()


class SlackConfig(_Table):
    channel: Text | None = None  # the default channel
    routes: tuple[Route, ...] = ()  # first match wins
    token_secret_block: Text | None = None  # a Prefect Secret block holding the bot token
    pace_s: Seconds = 1.0  # at least this long between two messages to one channel
    digest_channel: Text | None = None


class AlertConfig(_Table):
    max_item_age_hours: Seconds = 72.0  # older items update the warehouse but raise no alert
    max_per_run: Count(1) = 50  # beyond this, one summary message per channel instead of a flood


class CalendarConfig(_Table):
    """What the published iCalendar feed holds (`tradewatch calendar` too, unless its options say otherwise)."""

    countries: tuple[Country, ...] = ()  # events involving one of these only; empty: every country
    past_days: Count(0) | None = None  # leave out events over for more than this many days; None: keep all
    tentative: StrictBool = True  # include events whose evidence is tentative (always shown as tentative)
    name: Text = "tradewatch"  # the calendar's name in a calendar client


class PublishConfig(_Table):
    """The files published beside the snapshot each cycle, and where they are served from."""

    calendar: StrictBool = True  # <warehouse>.calendar.ics
    report: StrictBool = True  # <warehouse>.report.html
    base_url: Annotated[str, BeforeValidator(_http_url)] | None = None  # the digest links the files under it


class SourceConfig(_Table):
    id: Text = Field(description="a short unique name")
    kind: Literal["feed", "federal_register", "ustr"] = "feed"
    url: Annotated[str, BeforeValidator(_http_url)]
    every_minutes: Count(1) = 10  # expected polling period: failing for 3x longer raises one ops alert
    enabled: StrictBool = True
    expect_items_hours: Annotated[float, BeforeValidator(_number), _at_least(0)] | None = None  # source_silent


class Config(_Table):
    """A whole tradewatch.toml. `path` is the file it was read from (relative paths are relative to it)."""

    path: Path = Path("tradewatch.toml")
    warehouse: WarehouseConfig = WarehouseConfig()
    fetch: FetchConfig = FetchConfig()
    slack: SlackConfig = SlackConfig()
    alerts: AlertConfig = AlertConfig()
    extract: ExtractConfig = ExtractConfig()
    calendar: CalendarConfig = CalendarConfig()
    publish: PublishConfig = PublishConfig()
    sources: tuple[SourceConfig, ...] = ()

    @field_validator("extract", mode="before")
    @classmethod
    def _extract(cls, value: Any, info: ValidationInfo) -> ExtractConfig:
        if isinstance(value, ExtractConfig):
            return value
        if not isinstance(value, dict):
            raise ValueError("must be a table, e.g. [extract]")
        try:
            extract = ExtractConfig.from_dict(value)
        except (TypeError, ValueError) as exc:
            raise ValueError(str(exc)) from None
        if extract.gazetteer_path is None:
            return extract
        base = info.data.get("path", Path("tradewatch.toml")).parent
        return dataclasses.replace(extract, gazetteer_path=str(_gazetteer_file(extract.gazetteer_path, base)))

    @field_validator("sources")
    @classmethod
    def _unique_ids(cls, sources: tuple[SourceConfig, ...]) -> tuple[SourceConfig, ...]:
        seen: set[str] = set()
        for i, source in enumerate(sources):
            if source.id in seen:
                raise _Located((i, "id"), f"{source.id!r} is used by an earlier source; ids must be unique")
            seen.add(source.id)
        return sources

    @property
    def warehouse_path(self) -> Path:
        path = Path(self.warehouse.path).expanduser()
        return path if path.is_absolute() else self.path.parent / path

    def resolve(self, relative: str) -> Path:
        """A path from the config, relative to the config file's directory."""
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.path.parent / path


def _gazetteer_file(value: Any, base: Path) -> Path:
    """`extract.gazetteer_path`: a readable TOML file (relative to the config file's directory), checked when
    the config is read, before a run touches the warehouse or starts Prefect."""
    if not isinstance(value, str) or not value.strip():
        raise _Located(("gazetteer_path",), f"must be the path of a gazetteer TOML file, got {value!r}")
    path = Path(value).expanduser()
    path = path if path.is_absolute() else base / path
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise _Located(("gazetteer_path",), f"{path}: no such file") from None
    except IsADirectoryError:
        raise _Located(("gazetteer_path",), f"{path}: a directory, not a gazetteer file") from None
    except OSError as exc:
        raise _Located(("gazetteer_path",), f"{path}: cannot read: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise _Located(("gazetteer_path",), f"{path}: not UTF-8 text") from None
    except tomllib.TOMLDecodeError as exc:
        raise _Located(("gazetteer_path",), f"{path}: not valid TOML: {exc}") from None
    return path


class _Located(ValueError):
    """A validator's error about one element inside its field (its location relative to the field)."""

    def __init__(self, loc: tuple, message: str) -> None:
        super().__init__(message)
        self.loc, self.message = loc, message


# --- loading and error messages ------------------------------------------------------------------------


def parse_config(raw: dict, path: Path) -> Config:
    """Validate a parsed TOML document. Raises ConfigError naming every bad key."""
    try:
        return Config.model_validate({**raw, "path": path})
    except ValidationError as exc:
        raise ConfigError("; ".join(_messages(exc))) from None


def load_config(path: str | Path) -> Config:
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        where = "" if path.is_absolute() else f" (looked in {Path.cwd()})"  # a deployment's working directory
        raise ConfigError(f"{path}: no such config file{where}: create one with `tradewatch init {path}`, or "
                          "name another with --config or $TRADEWATCH_CONFIG") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    if "path" in raw:
        raise ConfigError(f"{path}: path: unknown key (expected one of: {', '.join(_table_keys(Config))})")
    try:
        return parse_config(raw, path.resolve())
    except ConfigError as exc:
        raise ConfigError(f"{path}: {exc}") from None


def _key(loc: tuple) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _table_keys(model: type[BaseModel]) -> list[str]:
    return sorted(name for name in model.model_fields if name != "path")


def _model_at(loc: tuple) -> type[BaseModel] | None:
    """The model of the table at this location (for the list of keys it knows)."""
    model: Any = Config
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part) if isinstance(model, type) and issubclass(model, BaseModel) else None
        if field is None:
            return None
        annotation = field.annotation
        args = getattr(annotation, "__args__", ())
        model = next((a for a in (annotation, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None)
    return model


_PLAIN = {
    "float_type": "must be a number",
    "int_type": "must be a whole number",
    "bool_type": "must be true or false",
    "string_type": "must be a string",
    "tuple_type": "must be a list",
    "list_type": "must be a list",
    "model_type": "must be a table",
    "dataclass_type": "must be a table",
}


def _messages(exc: ValidationError) -> list[str]:
    out = []
    for err in exc.errors(include_url=False):
        loc, kind = tuple(err["loc"]), err["type"]
        cause = (err.get("ctx") or {}).get("error")
        if isinstance(cause, _Located):
            loc, message = loc + cause.loc, cause.message
        elif kind == "extra_forbidden":
            model = _model_at(loc[:-1])
            known = f" (expected one of: {', '.join(_table_keys(model))})" if model else ""
            message = f"unknown key{known}"
        elif kind == "missing":
            model = _model_at(loc[:-1])
            field = model.model_fields.get(loc[-1]) if model else None
            message = "is required" + (f" ({field.description})" if field and field.description else "")
        elif kind == "literal_error":
            expected = ", ".join(SOURCE_KINDS) if loc[-1] == "kind" else err["ctx"]["expected"]
            message = f"{err['input']!r} is not one of {expected}"
        elif kind in ("value_error", "assertion_error"):
            message = str(cause) if cause is not None else err["msg"]
        elif kind in _PLAIN:
            message = f"{_PLAIN[kind]}, got {err['input']!r}"
        else:
            message = err["msg"]
        out.append(f"{_key(loc)}: {message}")
    return out
