"""Settings: flags, then ``DIFFCHECK_*`` environment variables, then ``[tool.diffcheck]`` in
pyproject.toml, then defaults. Built once, frozen, and passed explicitly (alembic-style)."""

from __future__ import annotations

import difflib
import math
import os
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError

FORMATS = ("sql", "json", "markdown", "github")


@dataclass(frozen=True)
class Settings:
    """Everything a command needs to know; no command reads the environment itself."""

    live: str | None = None
    desired: str = "schema"
    format: str = "sql"
    include_schemas: tuple[str, ...] = ()
    exclude_schemas: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    scratch_url: str | None = None  # None: the live server; "embedded": a throwaway server
    allow_version_mismatch: bool = False
    with_privileges: bool = False
    lock_wait: float = 30.0
    lock_timeout: float = 5.0
    statement_timeout: float = 600.0
    retries: int = 5
    online: bool = False
    cache: bool = True
    cache_dir: str | None = None
    quiet: bool = False
    verbose: bool = False
    color: bool | None = None  # None: auto (TTY and no NO_COLOR)
    signing_key: str | None = None  # SSH key that signs approvals (path)
    allowed_signers: str | None = None  # git-format allowed-signers file apply verifies with
    project_dir: str = "."
    trust_schema_sql: bool = False  # run desired SQL without the sandbox's check (sandbox.py)
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def embedded_scratch(self) -> bool:
        """True when scratch databases go to a throwaway embedded server."""
        return self.scratch_url == "embedded"


# Field kinds. A new field is one line: a bool in _BOOL_FIELDS, a list in _TUPLE_FIELDS, a
# number in _NUMBERS (with its range); any other field is a string. tests/unit/test_config.py
# checks this against the dataclass's annotations.
_TUPLE_FIELDS = {"include_schemas", "exclude_schemas", "exclude"}
_BOOL_FIELDS = {
    "allow_version_mismatch",
    "with_privileges",
    "trust_schema_sql",
    "online",
    "cache",
    "quiet",
    "verbose",
    "color",
}


@dataclass(frozen=True)
class Number:
    """A finite number from ``low`` (exclusive unless ``low_inclusive``) to ``high``."""

    low: float
    high: float
    expect: str  # what the error message says is expected
    integer: bool = False
    low_inclusive: bool = False

    def parse(self, value: Any) -> float:
        """The number in ``value`` (a number, or text from a flag or variable); ValueError
        when it is not a finite number in range (OverflowError for a huge integer)."""
        if isinstance(value, bool):  # a TOML true is not a number of seconds
            raise ValueError(value)
        if isinstance(value, str):
            value = value.strip()
            number: float = int(value) if self.integer else float(value)
        elif isinstance(value, int | float):
            number = value
        else:
            raise ValueError(value)
        if self.integer and isinstance(number, float):  # 2.5 retries, or a TOML 3.0
            raise ValueError(value)
        if not math.isfinite(number) or number > self.high:
            raise ValueError(value)
        if number < self.low or (number == self.low and not self.low_inclusive):
            raise ValueError(value)
        return int(number) if self.integer else float(number)


DAY = 86_400.0
SECONDS = Number(0, DAY, "a finite number of seconds > 0, at most 86400")
_NUMBERS: dict[str, Number] = {
    "lock_wait": SECONDS,
    "lock_timeout": SECONDS,
    "statement_timeout": Number(0, 7 * DAY, "a finite number of seconds > 0, at most 604800"),
    "retries": Number(0, 100, "a whole number from 0 to 100", integer=True, low_inclusive=True),
}
# Numeric command-line options that are not settings (cli.py validates them with these).
JOBS = Number(1, 256, "a whole number from 1 to 256", integer=True, low_inclusive=True)
MINUTES = Number(0, 1e7, "a finite number of minutes >= 0", low_inclusive=True)
LIMIT = Number(1, 1e9, "a whole number >= 1", integer=True, low_inclusive=True)

_FIELD_NAMES = {f.name for f in fields(Settings)} - {"extra", "project_dir"}
_TRUE = ("1", "true", "yes", "on")
_FALSE = ("0", "false", "no", "off")

# Config keys in pyproject may use dashes; env vars are DIFFCHECK_<UPPER_NAME>.
_ENV_ALIASES = {
    "live": ("DIFFCHECK_LIVE_URL", "DATABASE_URL"),
    "scratch_url": ("DIFFCHECK_SCRATCH_URL",),
}


def _expected(name: str) -> str:
    if name in _NUMBERS:
        return _NUMBERS[name].expect
    if name in _BOOL_FIELDS:
        return "true/false, yes/no, on/off or 1/0"
    if name in _TUPLE_FIELDS:
        return "a list of strings, or one comma-separated string"
    if name == "format":
        return "one of " + ", ".join(FORMATS)
    return "a string"


def _parse(name: str, value: Any) -> Any:
    if name in _NUMBERS:
        return _NUMBERS[name].parse(value)
    if name in _TUPLE_FIELDS:
        if isinstance(value, str):
            return tuple(v.strip() for v in value.split(",") if v.strip())
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError(value)
    if name in _BOOL_FIELDS:
        if isinstance(value, bool):
            return value
        text = value.strip().lower() if isinstance(value, str) else None
        if text in _TRUE or text in _FALSE:
            return text in _TRUE
        raise ValueError(value)
    if not isinstance(value, str) or (name == "format" and value not in FORMATS):
        raise ValueError(value)
    return value


def _coerce(name: str, value: Any, origin: str) -> Any:
    try:
        return _parse(name, value)
    except (TypeError, ValueError, OverflowError):
        shown = repr(value) if len(repr(value)) <= 60 else repr(value)[:57] + "..."
        raise ConfigError(
            f"{origin}: invalid value {shown} for {name} ({_expected(name)})"
        ) from None


def check_option(flag: str, value: Any, kind: Number) -> Any:
    """A numeric command-line option validated like the settings are (one-line error)."""
    try:
        return kind.parse(value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{flag}: invalid value {value!r} ({kind.expect})") from None


def read_pyproject(project_dir: str | Path) -> dict[str, Any]:
    """The ``[tool.diffcheck]`` table of ``project_dir/pyproject.toml``, or {}."""
    path = Path(project_dir) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}") from None
    tool = data.get("tool", {})
    table = tool.get("diffcheck", {}) if isinstance(tool, dict) else {}
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.diffcheck] must be a table")
    return table


def key_lines(text: str) -> dict[str, int]:
    """Line numbers of the keys of ``[tool.diffcheck]`` in a pyproject.toml text, for error
    messages. A line scan, not a TOML parser: keys at the start of a line inside the table,
    and ``[tool.diffcheck.x]`` sub-table headers (key ``x``)."""
    lines: dict[str, int] = {}
    inside = False
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if line.startswith("["):
            header = "".join(line.strip("[]").split()).replace('"', "").replace("'", "")
            inside = header == "tool.diffcheck"
            if header.startswith("tool.diffcheck."):
                lines.setdefault(header.split(".")[2], number)
            continue
        if inside and "=" in line and not line.startswith("#"):
            key = line.split("=", 1)[0].strip().strip("\"'")
            lines.setdefault(key, number)
    return lines


def from_pyproject(
    table: Mapping[str, Any], origin: str, lines: Mapping[str, int] | None = None
) -> dict[str, Any]:
    """Validate and coerce a [tool.diffcheck] table; unknown keys are an error (typos matter).
    ``lines`` (from key_lines) adds ``:<line>`` to the origin of each key's errors."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        where = f"{origin}:{lines[key]}" if lines and key in lines else origin
        name = key.replace("-", "_")
        if name == "live_url":
            name = "live"
        if name not in _FIELD_NAMES:
            close = difflib.get_close_matches(name, sorted(_FIELD_NAMES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigError(f"{where}: unknown key {key!r} in [tool.diffcheck]{hint}")
        out[name] = _coerce(name, value, where)
    return out


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Values from DIFFCHECK_* variables (and DATABASE_URL for the live side)."""
    out: dict[str, Any] = {}
    for name in sorted(_FIELD_NAMES):
        names = _ENV_ALIASES.get(name, ("DIFFCHECK_" + name.upper(),))
        for var in names:
            if env.get(var):
                out[name] = _coerce(name, env[var], f"environment variable {var}")
                break
    return out


def build(
    flags: Mapping[str, Any] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    project_dir: str | Path = ".",
) -> Settings:
    """Merge the four layers; ``None`` flags mean "not given"."""
    env = os.environ if env is None else env
    merged: dict[str, Any] = {}
    pyproject = Path(project_dir) / "pyproject.toml"
    table = read_pyproject(project_dir)
    lines = key_lines(pyproject.read_text(encoding="utf-8")) if table else {}
    merged.update(from_pyproject(table, str(pyproject), lines))
    merged.update(from_env(env))
    for key, value in (flags or {}).items():
        if value is None or (key in _TUPLE_FIELDS and not value):
            continue
        if key not in _FIELD_NAMES:
            raise ConfigError(f"unknown setting {key!r}")
        merged[key] = _coerce(key, value, f"--{key.replace('_', '-')}")
    if env.get("NO_COLOR") and "color" not in merged:
        merged["color"] = False
    return replace(Settings(), project_dir=str(project_dir), **merged)
