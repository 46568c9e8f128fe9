"""Plan files from outside: what ``verify`` and ``apply`` check before any of it runs.

An unapproved plan, in CI, comes from a pull request with its sidecars, and its author wrote
all three files (the sidecars' hashes in the header are no defence: the author writes them
too). Two things of a plan run before anyone approved it:

- its sidecars ``NAME.from.sql`` / ``NAME.to.sql``, restored with psql into scratch
  databases: psql would run a meta-command such as ``\\! cmd`` or ``\\o |cmd`` on this
  machine, and their SQL runs on the scratch server. Each is checked like a schema file (it
  is a dump of one): a meta-command other than pg_dump's ``\\restrict`` / ``\\unrestrict``
  is refused, and every statement goes through the sandbox; then psql itself is told to
  refuse meta-commands (see pg.psql_restore);
- its statements, rehearsed by ``verify`` on a clone of live: the sandbox's plan mode
  refuses what acts outside the clone (databases, roles, ALTER SYSTEM, COPY to or from a
  file or program, denied functions anywhere in a statement).

``--trust-schema-sql`` turns the statement checks off, never the meta-command check. An
approved plan's statements run on live as approved; only transaction control is refused in
every plan, when it is parsed (plan.parse)."""

from __future__ import annotations

import functools
import json

import pglast
from pglast.parser import ParseError

from . import loader, sandbox
from .errors import PlanError, SchemaLoadError
from .plan import Plan


@functools.lru_cache(maxsize=4)  # verify and apply read a sidecar up to three times
def check_script(text: str, path: str, trusted: bool) -> str:
    """A plan sidecar, checked before psql restores it: its text with pg_dump's own
    ``\\restrict`` lines blanked (lines and positions kept), for ``restricted`` restores."""
    try:
        (prepared,) = loader.prepare_all([(path, text)], trusted=trusted)
    except loader.MetaCommand as exc:
        raise SchemaLoadError(
            f"psql meta-command \\{exc.command} is not allowed",
            path=path,
            line=exc.line,
            hint="a plan sidecar is a pg_dump script; psql runs nothing else",
        ) from None
    except sandbox.RefusedStatement as exc:
        raise sandbox.RefusedStatement(
            exc.kind, path=path, line=exc.line, where="a plan sidecar"
        ) from None
    return prepared.text


def check_plan(plan: Plan, *, trusted: bool) -> None:
    """Refuse, before anything runs, a plan statement that would act outside the clone of
    live ``verify`` rehearses it on (see sandbox's plan mode)."""
    if trusted:
        return
    where = str(plan.path or "<plan>")
    trees = []
    for i, text in enumerate(plan.statements):
        try:
            stmts = json.loads(pglast.parser.parse_sql_json(text)).get("stmts", [])
        except ParseError as exc:  # plan.parse read it already; this is a later edit
            raise PlanError(f"{where}:{_line(plan, i)}: {exc.args[0]}") from None
        trees += [(i, text, s["stmt"]) for s in stmts]
    defined = frozenset(name for _, _, tree in trees for name in sandbox.defines(tree))
    for i, text, tree in trees:
        why = sandbox.refusal(tree, defined, plan_text=text)
        if why:
            raise sandbox.RefusedStatement(why, path=where, line=_line(plan, i), where="a plan")


def _line(plan: Plan, index: int) -> int | None:
    return plan.lines[index] if index < len(plan.lines) else None
