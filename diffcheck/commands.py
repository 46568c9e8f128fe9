"""One plain function per command. Each takes Settings first, returns a result object, and
never prints or exits: that is cli.py's job."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from . import cache, normalize, pg, sources
from . import dsn as dsnlib
from .config import Settings
from .engine import Inspection, column_types
from .hazards import Hazard, classify_plan
from .scratch import server_for
from .workspace import Side, Workspace

Progress = Callable[[str], None]


@dataclass
class DiffResult:
    """The outcome of comparing two sides: the statements that turn ``source`` into ``target``."""

    source: str
    target: str
    statements: list[str]
    hazards: list[list[Hazard]] = field(default_factory=list)
    elapsed: float = 0.0
    target_files: list[tuple[str, str]] = field(default_factory=list)  # for provenance

    @property
    def in_sync(self) -> bool:
        """True when nothing differs."""
        return not self.statements


def check(settings: Settings, progress: Progress | None = None) -> DiffResult:
    """Compare live with the desired source; read-only on live.

    Live is inspected while the desired side is built (or loaded from the cache); a scratch
    database is built only when there is no cache entry, or when expressions differ in text
    and must be round-tripped to decide whether they really differ."""
    started = time.monotonic()
    with Workspace(settings, progress) as ws:
        live_url = ws.live_url()
        source = sources.resolve(
            settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
        )
        live_side = ws.build(sources.DatabaseSource(label=dsnlib.mask(live_url), url=live_url))
        with ThreadPoolExecutor(max_workers=1) as pool:
            # The inspecting connection also tells live's major, which keys the cache.
            live_future = pool.submit(ws.inspect, live_side, ws.connect_live())
            idesired, desired_side = desired_inspection(ws, source)
            ilive = live_future.result()
        statements = ws.diff_inspections(ilive, idesired, context=desired_side)
        if (
            statements
            and desired_side is None
            and normalize.needs_round_trip(ilive.inspector, idesired.inspector)
        ):
            # Cached inspection, but expression texts differ: build the desired side to
            # round-trip them. Differences of whole objects or attributes need no database.
            desired_side = ws.build(source)
            idesired = ws.inspect(desired_side)
            statements = ws.diff_inspections(ws.inspect(live_side), idesired, desired_side)
    hazards = classify_plan(statements, column_types(ilive)) if statements else []
    return DiffResult(
        source=live_side.label,
        target=source.label,
        statements=statements,
        hazards=hazards,
        elapsed=time.monotonic() - started,
        target_files=source.files(),
    )


def desired_inspection(ws: Workspace, source: sources.Source) -> tuple[Inspection, Side | None]:
    """The desired inspection from the cache, or built now (and cached). The Side is None on a
    cache hit: no scratch database exists then."""
    settings = ws.settings
    content = source.content_key() if settings.cache else None
    k = None
    if content is not None:
        k = cache.key(content, ws.desired_major(), ws.filters, settings.with_privileges)
        hit = cache.load(cache.cache_dir(settings.cache_dir, settings.project_dir), k)
        if hit is not None:
            ws.progress("desired schema: cached inspection")
            return hit, None
    side = ws.build(source)
    inspection = ws.inspect(side)
    if k is not None:
        cache.store(cache.cache_dir(settings.cache_dir, settings.project_dir), k, inspection)
    return inspection, side


def diff(
    settings: Settings, from_spec: str, to_spec: str, progress: Progress | None = None
) -> DiffResult:
    """The SQL that turns source FROM into source TO; no live server needed for files."""
    started = time.monotonic()
    with Workspace(settings, progress) as ws:
        a = sources.resolve(from_spec, settings.project_dir, trusted=settings.trust_schema_sql)
        b = sources.resolve(to_spec, settings.project_dir, trusted=settings.trust_schema_sql)
        for src in (a, b):
            if isinstance(src, sources.DatabaseSource):
                # Scratch must run the same major as the database being compared.
                ws.server(reference_url=src.url)
                break
        side_a = ws.build(a)
        side_b = ws.build(b)
        ia, ib = ws.inspect_pair(side_a, side_b)
        types = column_types(ia)
        # Expressions are round-tripped in a writable database shaped like the target.
        context = side_b if side_b.scratch else ws.clone(side_b.url, side_b.label)
        statements = ws.diff_inspections(ia, ib, context=context)
    return DiffResult(
        source=a.label,
        target=b.label,
        statements=statements,
        hazards=classify_plan(statements, types) if statements else [],
        elapsed=time.monotonic() - started,
        target_files=b.files(),
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


@dataclass
class TargetResult:
    """One database of a fleet check."""

    target: str
    in_sync: bool
    statement_count: int
    elapsed: float
    error: str | None = None


def read_targets(path: str) -> list[str]:
    """One URL per line; blank lines and ``#`` comments are skipped."""
    from .errors import ConfigError

    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"cannot read targets file {path}: {exc.strerror}") from None
    urls = [ln.strip() for ln in lines if ln.strip() and not ln.strip().startswith("#")]
    if not urls:
        raise ConfigError(f"targets file {path} lists no databases")
    for n, url in enumerate(urls, 1):
        try:
            dsnlib.normalize(url)
        except Exception:
            raise ConfigError(f"{path}: target {n} is not a PostgreSQL URL") from None
    return urls


def _first_reachable(targets: list[str]) -> str:
    """The first target that accepts a connection. It stands in for live where a fleet needs
    one (the default scratch server is its server; the desired side runs its major), so that
    one target being down fails that target only, not the whole fleet."""
    from .errors import ConnectionFailed, DiffcheckError

    first: DiffcheckError | None = None
    for url in targets:
        try:
            with pg.connection(url, autocommit=True, role="target"):
                return dsnlib.normalize(url)
        except DiffcheckError as exc:
            first = first or exc
    # None is: nothing can be checked, and the desired side has no server to run on.
    raise ConnectionFailed(f"none of the {len(targets)} target(s) accepts a connection; {first}")


def check_fleet(
    settings: Settings, targets: list[str], jobs: int = 4, progress: Progress | None = None
) -> list[TargetResult]:
    """Check many live databases against one desired schema, built and inspected once."""
    from dataclasses import replace

    from .errors import DiffcheckError

    settings = replace(settings, live=settings.live or _first_reachable(targets))
    with Workspace(settings, progress) as ws:
        source = sources.resolve(
            settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
        )
        idesired, desired_side = desired_inspection(ws, source)

        def one(url: str) -> TargetResult:
            t0 = time.monotonic()
            label = dsnlib.mask(url)
            try:
                side = Side(dsnlib.normalize(url), label, scratch=False)
                ilive = ws.inspect(side)
                if ilive.major != ws.desired_major() and not settings.allow_version_mismatch:
                    raise DiffcheckError(
                        f"runs PostgreSQL {ilive.major}, scratch runs {ws.desired_major()}"
                    )
                stmts = ws.diff_inspections(ilive, idesired, context=desired_side)
                if stmts and desired_side is None:
                    return TargetResult(label, False, len(stmts), time.monotonic() - t0, None)
                return TargetResult(label, not stmts, len(stmts), time.monotonic() - t0)
            except DiffcheckError as exc:
                return TargetResult(label, False, 0, time.monotonic() - t0, str(exc))

        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
            results = list(pool.map(one, targets))
        # A cached desired side has no scratch database for round-tripping expressions;
        # re-check the targets that differ against a freshly built one before reporting.
        if desired_side is None and any(r.statement_count for r in results):
            desired_side = ws.build(source)
            idesired = ws.inspect(desired_side)
            redo = [i for i, r in enumerate(results) if r.statement_count and not r.error]
            with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool:
                for i, r in zip(redo, pool.map(one, [targets[i] for i in redo]), strict=True):
                    results[i] = r
    return results


@dataclass
class PairResult:
    """One pair of a three-way check."""

    name: str
    result: DiffResult


def check_models(
    settings: Settings, models: str, progress: Progress | None = None
) -> list[PairResult]:
    """Three-way check: schema/ vs live, schema/ vs models, models vs live. Each pair is
    reported separately so a team sees which of the three drifted."""
    started = time.monotonic()
    spec = models if models.startswith("models:") else f"models:{models}"
    with Workspace(settings, progress) as ws:
        live_url = ws.live_url()
        live = Side(live_url, dsnlib.mask(live_url), scratch=False)
        schema_src = sources.resolve(
            settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
        )
        models_src = sources.resolve(spec, settings.project_dir, trusted=settings.trust_schema_sql)
        schema_side = ws.build(schema_src)
        models_side = ws.build(models_src)
        ilive = ws.inspect(live)
        ischema = ws.inspect(schema_side)
        imodels = ws.inspect(models_side)
        # Normalization adjusts the 'from' inspection, so each pair gets its own 'from'.
        pairs = [
            (
                f"{schema_src.label} vs live",
                ilive,
                ischema,
                schema_side,
                live.label,
                schema_src.label,
            ),
            (
                f"{schema_src.label} vs {spec}",
                imodels,
                ischema,
                schema_side,
                spec,
                schema_src.label,
            ),
            (
                f"{spec} vs live",
                ws.inspect(live),
                ws.inspect(models_side),
                models_side,
                live.label,
                spec,
            ),
        ]
        out = []
        for name, a, b, context, src_label, dst_label in pairs:
            statements = ws.diff_inspections(a, b, context=context)
            out.append(
                PairResult(
                    name,
                    DiffResult(
                        source=src_label,
                        target=dst_label,
                        statements=statements,
                        hazards=classify_plan(statements) if statements else [],
                        elapsed=time.monotonic() - started,
                    ),
                )
            )
    return out
