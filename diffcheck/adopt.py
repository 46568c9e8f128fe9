"""Adopting an existing database: ``diffcheck init`` writes schema/ from live, and
``diffcheck pull`` brings a hotfix made directly on live back into schema/.

The commands are plain functions (settings in, result out, nothing printed); ``register``
adds their click wrappers to the CLI group, which does all the printing."""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import click

from . import adopt_layout, adopt_project
from . import dsn as dsnlib
from .adopt_dump import Entry, dump_entries
from .adopt_pull import PullResult, diff_text, pull_hand_written
from .config import Settings
from .errors import ConfigError, DiffcheckError, SourceError

Progress = Callable[[str], None]


class RefusedError(DiffcheckError):
    """init would overwrite something without --force."""


@dataclass
class InitResult:
    """What ``init`` wrote."""

    out_dir: Path
    layout: str
    written: list[str]  # relative paths whose content changed (or are new)
    unchanged: list[str]  # relative paths already byte-identical
    removed: list[str]  # stale generated .sql files removed (with --force)
    version_tables: list[str]  # "schema.table" found on live
    excluded: list[str]  # "schema.table" left out of schema/ (version tables, exclude globs)
    kept: list[tuple[str, str]]  # tables to exclude that were kept, and why
    pyproject: Path | None  # pyproject.toml, when it was changed
    globs: list[str] = field(default_factory=list)  # exclude globs added
    elapsed: float = 0.0


def _live(settings: Settings) -> str:
    if not settings.live:
        raise ConfigError(
            "no live database: pass --live URL or set DIFFCHECK_LIVE_URL or DATABASE_URL"
        )
    return dsnlib.normalize(settings.live)


def _dir(project_dir: str, path: str) -> Path:
    p = Path(path)
    return p if p.is_absolute() else Path(project_dir) / p


def _default_out(settings: Settings) -> str:
    # The configured desired source when it is a plain directory path, else schema/.
    desired = settings.desired
    if "://" in desired or (":" in desired and len(desired.split(":", 1)[0]) > 1):
        return "schema"
    return desired


def _sql_files(root: Path) -> list[str]:
    """Relative paths of the .sql files a directory source would load, in load order."""
    return [p.relative_to(root).as_posix() for p in sorted(root.rglob("*.sql")) if p.is_file()]


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SourceError(f"cannot read {path}: {exc}") from None


def _write_files(root: Path, files: dict[str, str]) -> tuple[list[str], list[str]]:
    """Write files whose content differs; returns (written, unchanged)."""
    written, unchanged = [], []
    for rel, text in files.items():
        path = root / rel
        if path.is_file() and _read(path) == text:
            unchanged.append(rel)  # leave it alone: same bytes, same mtime
            continue
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".diffcheck-tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
        written.append(rel)
    return written, unchanged


def _remove(root: Path, rels: list[str]) -> None:
    for rel in rels:
        path = root / rel
        path.unlink()
        parent = path.parent
        while parent != root and parent.is_dir() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent


def live_entries(settings: Settings, live: str) -> list[Entry]:
    """Live's entries to write: everything but relations the exclude globs name (and what
    belongs to them), so pull keeps leaving out what init left out."""
    entries = dump_entries(live, privileges=settings.with_privileges)
    roots = adopt_project.matching(entries, settings.exclude)
    return adopt_project.exclude(entries, roots).entries


def init(
    settings: Settings,
    *,
    out: str | None = None,
    layout: str = "per-schema",
    force: bool = False,
    keep_version_tables: bool = False,
    progress: Progress | None = None,
) -> InitResult:
    """Write schema/ from live; see docs/adopting.md."""
    started = time.monotonic()
    say = progress or (lambda _m: None)
    if layout not in adopt_layout.LAYOUTS:
        raise ConfigError(f"unknown layout {layout!r} (expected per-schema or per-object)")
    live = _live(settings)
    out_dir = _dir(settings.project_dir, out or _default_out(settings))
    if out_dir.exists() and not out_dir.is_dir():
        raise RefusedError(f"{out_dir} exists and is not a directory")
    existing = sorted(p for p in out_dir.rglob("*") if p.is_file()) if out_dir.is_dir() else []
    if existing and not force:
        raise RefusedError(
            f"{out_dir} is not empty ({len(existing)} file(s)); refusing to overwrite it",
            hint="pass --force to replace its .sql files, or choose another --out",
        )
    say(f"dumping the schema of {dsnlib.mask(live)}")
    dumped = dump_entries(live, privileges=settings.with_privileges)
    found = adopt_project.version_tables(dumped)
    roots = adopt_project.matching(dumped, settings.exclude)
    if not keep_version_tables:
        roots += [e for e in found if e not in roots]
    exclusion = adopt_project.exclude(dumped, roots)
    found_names = [adopt_project.qualified(e) for e in found]
    pyproject_path: Path | None = None
    new_pyproject: str | None = None
    globs: list[str] = []
    if not keep_version_tables:
        globs = [g for g in exclusion.globs if g not in settings.exclude]
        if globs:
            # Planned before anything is written, so a pyproject we cannot edit stops init.
            pyproject_path, new_pyproject = adopt_project.add_excludes(settings.project_dir, globs)
    say(f"laying out {len(exclusion.entries)} entries ({layout})")
    files = adopt_layout.render(exclusion.entries, layout)
    out_dir.mkdir(parents=True, exist_ok=True)
    stale = [rel for rel in _sql_files(out_dir) if rel not in files]
    _remove(out_dir, stale)  # only reached with --force when the directory was not empty
    written, unchanged = _write_files(out_dir, files)
    if new_pyproject is not None and pyproject_path is not None:
        pyproject_path.write_text(new_pyproject, encoding="utf-8")
    else:
        pyproject_path = None
    return InitResult(
        out_dir=out_dir,
        layout=layout,
        written=written,
        unchanged=unchanged,
        removed=stale,
        version_tables=found_names,
        excluded=exclusion.excluded,
        kept=exclusion.kept,
        pyproject=pyproject_path,
        globs=globs,
        elapsed=time.monotonic() - started,
    )


def pull(settings: Settings, progress: Progress | None = None) -> PullResult:
    """Bring live's changes back into the desired directory; see docs/adopting.md."""
    started = time.monotonic()
    say = progress or (lambda _m: None)
    live = _live(settings)
    spec = settings.desired
    if "://" in spec or spec.startswith(("git:", "models:")):
        raise ConfigError(f"pull writes to a directory of .sql files, not {dsnlib.mask(spec)}")
    spec = spec.removeprefix("dir:").removeprefix("file:")
    root = _dir(settings.project_dir, spec)
    if not root.exists():
        raise SourceError(
            f"desired schema directory not found: {spec}", hint="run diffcheck init first"
        )
    rels = [root.name] if root.is_file() else _sql_files(root)
    base = root.parent if root.is_file() else root
    if not rels:
        raise SourceError(f"no .sql files under {spec}", hint="run diffcheck init first")
    old = {rel: _read(base / rel) for rel in rels}
    layouts = {adopt_layout.marker_layout(text) for text in old.values()}
    if len(layouts) == 1 and None not in layouts and root.is_dir():
        layout = layouts.pop()
        assert layout is not None
        say(f"dumping the schema of {dsnlib.mask(live)}")
        new = adopt_layout.render(live_entries(settings, live), layout)
        before: dict[str, str | None] = {}
        after: dict[str, str | None] = {}
        for rel in sorted(set(old) | set(new)):
            if old.get(rel) != new.get(rel):
                before[rel], after[rel] = old.get(rel), new.get(rel)
        removed = [rel for rel in before if after[rel] is None]
        _write_files(root, {rel: text for rel, text in after.items() if text is not None})
        _remove(root, removed)
        return PullResult(
            desired=root,
            mode="generated",
            changed=[rel for rel in after if after[rel] is not None],
            removed=removed,
            diff=diff_text(spec.rstrip("/"), before, after),
            elapsed=time.monotonic() - started,
        )
    result = pull_hand_written(settings, root, base, old, spec, say)
    result.elapsed = time.monotonic() - started
    return result


# --- CLI ----------------------------------------------------------------------------------------


def register(cli: click.Group) -> None:
    """Add ``init`` and ``pull`` to the diffcheck command group."""
    from .adopt_cli import init_command, pull_command  # imports diffcheck.cli: keep it lazy

    cli.add_command(init_command, "init")
    cli.add_command(pull_command, "pull")
