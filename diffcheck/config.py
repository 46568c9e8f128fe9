"""Settings: flags, then ``DIFFCHECK_*`` environment variables, then ``[tool.diffcheck]`` in
pyproject.toml, then defaults. Built once, frozen, and passed explicitly (alembic-style)."""

from __future__ import annotations

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
    trust_schema_sql: bool = False  # schema files run unconfined (see docs/safety.md)
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
    project_dir: str = "."
    extra: Mapping[str, Any] = field(default_factory=dict)

    @property
    def embedded_scratch(self) -> bool:
        """True when scratch databases go to a throwaway embedded server."""
        return self.scratch_url == "embedded"


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
_FLOAT_FIELDS = {"lock_wait", "lock_timeout", "statement_timeout"}
_INT_FIELDS = {"retries"}
_FIELD_NAMES = {f.name for f in fields(Settings)} - {"extra", "project_dir"}

# Config keys in pyproject may use dashes; env vars are DIFFCHECK_<UPPER_NAME>.
_ENV_ALIASES = {
    "live": ("DIFFCHECK_LIVE_URL", "DATABASE_URL"),
    "scratch_url": ("DIFFCHECK_SCRATCH_URL",),
}


def _coerce(name: str, value: Any, origin: str) -> Any:
    try:
        if name in _TUPLE_FIELDS:
            if isinstance(value, str):
                return tuple(v.strip() for v in value.split(",") if v.strip())
            if isinstance(value, list | tuple):
                return tuple(str(v) for v in value)
            raise TypeError(value)
        if name in _BOOL_FIELDS:
            if isinstance(value, bool):
                return value
            text = str(value).strip().lower()
            if text in ("1", "true", "yes", "on"):
                return True
            if text in ("0", "false", "no", "off", ""):
                return False
            raise ValueError(value)
        if name in _FLOAT_FIELDS:
            return float(value)
        if name in _INT_FIELDS:
            return int(value)
        if name == "format":
            if value not in FORMATS:
                raise ValueError(value)
            return value
        return None if value is None else str(value)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{origin}: invalid value {value!r} for {name}") from exc


def read_pyproject(project_dir: str | Path) -> dict[str, Any]:
    """The ``[tool.diffcheck]`` table of ``project_dir/pyproject.toml``, or {}."""
    path = Path(project_dir) / "pyproject.toml"
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from exc
    table = data.get("tool", {}).get("diffcheck", {})
    if not isinstance(table, dict):
        raise ConfigError(f"{path}: [tool.diffcheck] must be a table")
    return table


def from_pyproject(table: Mapping[str, Any], origin: str) -> dict[str, Any]:
    """Validate and coerce a [tool.diffcheck] table; unknown keys are an error (typos matter)."""
    out: dict[str, Any] = {}
    for key, value in table.items():
        name = key.replace("-", "_")
        if name == "live_url":
            name = "live"
        if name not in _FIELD_NAMES:
            raise ConfigError(f"{origin}: unknown key {key!r} in [tool.diffcheck]")
        out[name] = _coerce(name, value, origin)
    return out


def from_env(env: Mapping[str, str]) -> dict[str, Any]:
    """Values from DIFFCHECK_* variables (and DATABASE_URL for the live side)."""
    out: dict[str, Any] = {}
    for name in _FIELD_NAMES:
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
    merged.update(from_pyproject(read_pyproject(project_dir), str(pyproject)))
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
