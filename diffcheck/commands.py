"""One plain function per command. Each takes Settings first, returns a result object, and
never prints or exits: that is cli.py's job."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from . import dsn as dsnlib
from . import sources
from .config import Settings
from .hazards import Hazard, classify_plan
from .scratch import server_for
from .workspace import Workspace

Progress = Callable[[str], None]


@dataclass
class DiffResult:
    """The outcome of comparing two sides: the statements that turn ``source`` into ``target``."""

    source: str
    target: str
    statements: list[str]
    hazards: list[list[Hazard]] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def in_sync(self) -> bool:
        """True when nothing differs."""
        return not self.statements


def check(settings: Settings, progress: Progress | None = None) -> DiffResult:
    """Compare live with the desired source; read-only on live."""
    started = time.monotonic()
    with Workspace(settings, progress) as ws:
        live_url = ws.live_url()
        source = sources.resolve(settings.desired, settings.project_dir)
        live = sources.DatabaseSource(label=dsnlib.mask(live_url), url=live_url)
        live_side = ws.build(live)
        desired_side = ws.build(source)
        statements = ws.diff(live_side, desired_side)
    hazards = classify_plan(statements) if statements else []
    return DiffResult(
        source=live_side.label,
        target=source.label,
        statements=statements,
        hazards=hazards,
        elapsed=time.monotonic() - started,
    )


def diff(
    settings: Settings, from_spec: str, to_spec: str, progress: Progress | None = None
) -> DiffResult:
    """The SQL that turns source FROM into source TO; no live server needed for files."""
    started = time.monotonic()
    with Workspace(settings, progress) as ws:
        a = sources.resolve(from_spec, settings.project_dir)
        b = sources.resolve(to_spec, settings.project_dir)
        side_a = ws.build(a)
        side_b = ws.build(b)
        if not side_b.scratch:
            # Expressions are round-tripped in a writable copy shaped like the target.
            context = ws.clone(side_b.url, side_b.label)
            ia, ib = ws.inspect_pair(side_a, side_b)
            statements = ws.diff_inspections(ia, ib, context=context)
        else:
            statements = ws.diff(side_a, side_b)
    return DiffResult(
        source=a.label,
        target=b.label,
        statements=statements,
        hazards=classify_plan(statements) if statements else [],
        elapsed=time.monotonic() - started,
    )


@dataclass
class CleanResult:
    """Scratch databases dropped and kept by ``clean``."""

    dropped: list[str]
    kept: list[str]


def clean(settings: Settings, older_than: dt.timedelta = dt.timedelta(hours=1)) -> CleanResult:
    """Drop leftover scratch databases older than ``older_than`` on the scratch server."""
    live = dsnlib.normalize(settings.live) if settings.live else None
    server = server_for(settings.scratch_url, live)
    dropped = server.clean(older_than)
    kept = [name for name, _ in server.leftovers()]
    return CleanResult(dropped=dropped, kept=kept)
