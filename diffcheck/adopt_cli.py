"""Click wrappers for ``init`` and ``pull``: the only adopt code that prints.

diffcheck.cli is imported as a module and its helpers looked up at call time, because cli.py
itself calls :func:`diffcheck.adopt.register` while it is being imported."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import click

from . import adopt
from . import cli as cli_module
from .adopt_layout import LAYOUTS
from .errors import EXIT_OK


def _shown(path: Path, project_dir: str) -> str:
    """A path as the user would type it: relative to the project directory when inside it."""
    try:
        rel = os.path.relpath(path, project_dir)
    except ValueError:
        return str(path)
    return str(path) if rel.startswith("..") else rel


@click.command("init")
@click.option(
    "--live",
    "live",
    metavar="URL",
    help="Live database URL (default: $DIFFCHECK_LIVE_URL, then $DATABASE_URL).",
)
@click.option(
    "--out",
    metavar="DIR",
    help="Directory to write (default: the configured desired directory, else schema/).",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="per-schema",
    show_default=True,
    help="One file per schema, or one file per kind of object in each schema.",
)
@click.option("--force", is_flag=True, help="Replace the .sql files of a non-empty --out.")
@click.option(
    "--keep-version-tables",
    is_flag=True,
    help="Keep alembic_version, schema_migrations, ... as ordinary tables.",
)
@click.option("--with-privileges", is_flag=True, default=None, help="Also write GRANTs.")
@click.option("--quiet", "-q", is_flag=True, default=None, help="Less output.")
@click.option("--verbose", "-v", is_flag=True, default=None, help="Progress on stderr.")
@click.pass_context
def init_command(
    ctx: click.Context,
    out: str | None,
    layout: str,
    force: bool,
    keep_version_tables: bool,
    **flags: Any,
) -> None:
    """Write schema/ from the live database, ready to review and commit.

    Files load in sorted path order in an empty database, and re-running init on an
    unchanged database writes byte-identical files. Legacy migration version tables
    (alembic_version, schema_migrations, schema_version, flyway_schema_history) are left
    out and added to [tool.diffcheck] exclude in pyproject.toml.

    \b
    Examples:
      diffcheck init --live postgresql://app@db/prod
      diffcheck init --live $PROD_URL --layout per-object --out db/schema
    """
    settings = cli_module._settings(ctx, **flags)

    def body() -> int:
        result = adopt.init(
            settings,
            out=out,
            layout=layout,
            force=force,
            keep_version_tables=keep_version_tables,
            progress=cli_module._progress(settings),
        )
        shown = _shown(result.out_dir, settings.project_dir)
        if result.version_tables:
            click.echo(f"legacy version tables: {', '.join(result.version_tables)}")
        for table, why in result.kept:
            click.echo(f"kept {table} in {shown}: {why}")
        if result.excluded:
            click.echo(f"left out of {shown}: {', '.join(result.excluded)}")
        if result.pyproject is not None:
            where = _shown(result.pyproject, settings.project_dir)
            click.echo(f"added to [tool.diffcheck] exclude in {where}: {', '.join(result.globs)}")
        if not settings.quiet:
            for rel in result.removed:
                click.echo(f"removed {shown}/{rel}")
            for rel in result.written:
                click.echo(f"wrote {shown}/{rel}")
        total = len(result.written) + len(result.unchanged)
        click.echo(
            f"init: {total} file(s) in {shown} (layout {result.layout}; "
            f"{len(result.written)} written, {len(result.unchanged)} unchanged) "
            f"in {result.elapsed:.2f}s"
        )
        if not settings.quiet:
            click.echo(f"next: review {shown} in a pull request, then run `diffcheck check`")
        return EXIT_OK

    cli_module._run(ctx, body)


@click.command("pull")
@cli_module.common_options
@click.pass_context
def pull_command(ctx: click.Context, **flags: Any) -> None:
    """Bring changes made directly on live (a hotfix) back into schema/.

    Files written by `diffcheck init` are re-rendered from live and only those whose
    content changed are rewritten; hand-written files get the change placed in the file
    that creates the object (or appended). Prints the unified diff of what it changed.

    \b
    Examples:
      diffcheck pull --live $PROD_URL
      diffcheck pull --live $PROD_URL --desired db/schema && git diff
    """
    settings = cli_module._settings(ctx, **flags)

    def body() -> int:
        result = adopt.pull(settings, cli_module._progress(settings))
        shown = _shown(result.desired, settings.project_dir)
        if result.nothing_to_do:
            click.echo(f"nothing to pull: {shown} matches live ({result.elapsed:.2f}s)")
            return EXIT_OK
        click.echo(result.diff, nl=False)
        click.echo(
            f"pull: {len(result.changed)} file(s) changed, {len(result.removed)} removed "
            f"in {shown} ({result.mode}; {result.elapsed:.2f}s)",
            err=True,
        )
        return EXIT_OK

    cli_module._run(ctx, body)
