"""The DBA-review commands: ``plan``, ``verify`` and ``approve``.

A plan is written only after it has been rehearsed on a scratch clone of live. Its sidecars
``NAME.from.sql`` and ``NAME.to.sql`` hold the schema-only dumps of live (at plan time) and of
the desired schema, so ``apply`` and ``verify`` need nothing but the plan and a live URL."""

from __future__ import annotations

import datetime as dt
import json
import time
from dataclasses import dataclass, field
from pathlib import Path

from . import dsn as dsnlib
from . import engine, policy, signing, sources, untrusted
from .config import Settings
from .errors import ApprovalError, DriftError, PlanError
from .hazards import Hazard, TableStats, altered_columns, table_stats
from .pg import connection
from .plan import UNVERIFIED, VERIFIED, Approval, Plan, fingerprint, load, save, sha256_text
from .plan import write_text_atomic as write_sidecar
from .rehearse import Rehearsal, rehearse
from .workspace import Progress, Side, Workspace

NEVER_IMPLICIT = policy.NEVER_IMPLICIT


@dataclass
class PlanResult:
    """What ``plan`` did."""

    nothing_to_do: bool
    elapsed: float
    plan: Plan | None = None
    path: Path | None = None
    rehearsal: Rehearsal | None = None
    rollback_path: Path | None = None
    rollback_rehearsal: Rehearsal | None = None
    stats: dict[str, TableStats] = field(default_factory=dict)

    @property
    def verified(self) -> bool:
        """Both the plan and its rollback converged."""
        return bool(self.rehearsal and self.rehearsal.verified)


def sidecar(plan_path: Path, which: str) -> Path:
    """``plans/NAME.from.sql`` / ``plans/NAME.to.sql`` next to ``plans/NAME.sql``."""
    return plan_path.with_name(f"{plan_path.stem}.{which}.sql")


def read_sidecar(plan: Plan, which: str, *, trusted: bool = False) -> str:
    """A sidecar's text, checked against the hash recorded in the plan header and, since
    the plan's author wrote both, for what psql and the sandbox refuse (see untrusted):
    restore it ``restricted``. ``trusted``: --trust-schema-sql (statements go unchecked)."""
    assert plan.path is not None
    path = sidecar(plan.path, which)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError:
        raise PlanError(f"missing plan sidecar {path}") from None
    if sha256_text(text) != plan.get(f"{which}-sha256"):
        raise PlanError(f"{path} does not match the hash recorded in {plan.path}: tampered?")
    return untrusted.check_script(text, str(path), trusted)


def _filters_json(settings: Settings) -> str:
    return json.dumps(
        {
            "include_schemas": list(settings.include_schemas),
            "exclude_schemas": list(settings.exclude_schemas),
            "exclude": list(settings.exclude),
        },
        sort_keys=True,
    )


def settings_for(settings: Settings, plan: Plan) -> Settings:
    """Settings with the plan's own filters and privilege mode (the plan is the contract)."""
    from dataclasses import replace

    f = plan.filters()
    return replace(
        settings,
        include_schemas=tuple(f.get("include_schemas", ())),
        exclude_schemas=tuple(f.get("exclude_schemas", ())),
        exclude=tuple(f.get("exclude", ())),
        with_privileges=plan.get("privileges") == "yes",
    )


def _stats_for(url: str, hazards: list[list[Hazard]]) -> dict[str, TableStats]:
    tables = sorted({h.table for hz in hazards for h in hz if h.table})
    if not tables:
        return {}
    with connection(url, role="live") as conn:
        try:
            return table_stats(conn, tables)
        finally:
            conn.rollback()


def _new_plan(
    settings: Settings,
    name: str,
    kind: str,
    live_label: str,
    desired_label: str,
    fp_from: str,
    fp_to: str,
    from_sql: str,
    to_sql: str,
    statements: list[str],
) -> Plan:
    versions = engine.versions()
    header = {
        "kind": kind,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "diffcheck": versions["diffcheck"],
        "migra": versions["migra"],
        "live": live_label,
        "desired": desired_label,
        "from": fp_from,
        "to": fp_to,
        "from-sha256": sha256_text(from_sql),
        "to-sha256": sha256_text(to_sql),
        "filters": _filters_json(settings),
        "privileges": "yes" if settings.with_privileges else "no",
    }
    if settings.trust_schema_sql:  # the desired schema ran unchecked: the plan says so
        header["trust-schema-sql"] = "true"
    return Plan(name=name, statements=statements, header=header)


def _stamp(plan: Plan, reh: Rehearsal, types: dict[str, str] | None = None) -> None:
    """Record the rehearsal verdict (and the current types of columns the statements
    retype, so hazards can tell widening from narrowing) bound to the plan's digest."""
    plan.statements = list(reh.statements)
    known = types or {}
    subset = {k: known[k] for k in sorted(altered_columns(plan.statements)) if k in known}
    if subset:
        plan.header["column-types"] = json.dumps(subset, sort_keys=True)
    else:
        plan.header.pop("column-types", None)
    plan.header["rehearsal"] = f"{reh.status} {plan.digest()} rounds={reh.rounds}"
    plan.header["rehearsal-detail"] = reh.detail()


def _write(plan: Plan, path: Path, from_sql: str, to_sql: str) -> None:
    write_sidecar(sidecar(path, "from"), from_sql)
    write_sidecar(sidecar(path, "to"), to_sql)
    save(plan, path)


def plan(settings: Settings, output: str, progress: Progress | None = None) -> PlanResult:
    """Diff live against desired, rehearse, and write a plan plus its rollback."""
    started = time.monotonic()
    out = Path(output)
    if out.suffix != ".sql":
        raise PlanError(f"plan file must end in .sql: {output}")
    name = out.stem
    with Workspace(settings, progress) as ws:
        live_url = ws.live_url()
        live = Side(live_url, dsnlib.mask(live_url), scratch=False)
        source = sources.resolve(
            settings.desired, settings.project_dir, trusted=settings.trust_schema_sql
        )
        built = ws.build(source)
        # The desired side is kept as a dump (the plan's sidecar) and compared in the form
        # apply will rebuild from it, so plan and apply see byte-identical catalogs.
        to_sql = ws.dump(built.url)
        ws.discard(built)
        desired = ws.restore(to_sql, source.label)
        il, idesired = ws.inspect_pair(live, desired)
        fp_from, fp_to = fingerprint(il.inspector), fingerprint(idesired.inspector)
        live_types, desired_types = engine.column_types(il), engine.column_types(idesired)
        statements = ws.diff_inspections(il, idesired, context=desired)
        if not statements:
            return PlanResult(nothing_to_do=True, elapsed=time.monotonic() - started)
        from_sql = ws.dump(live_url)
        the_plan = _new_plan(
            settings,
            name,
            "forward",
            live.label,
            source.label,
            fp_from,
            fp_to,
            from_sql,
            to_sql,
            statements,
        )
        reh = rehearse(ws, live, desired, statements, base_script=from_sql)
        _stamp(the_plan, reh, live_types)

        # Rollback: desired -> live, rehearsed on a copy of desired against a clone of live.
        ws.progress("planning rollback")
        live_clone = ws.restore(from_sql, f"clone of {live.label}")
        rb_statements = ws.diff(desired, live_clone)
        rb_plan = _new_plan(
            settings,
            f"{name}.rollback",
            "rollback",
            live.label,
            f"live at {the_plan.get('created')}",
            fp_to,
            fp_from,
            to_sql,
            from_sql,
            rb_statements,
        )
        rb_reh = (
            rehearse(ws, desired, live_clone, rb_statements, base_script=to_sql)
            if rb_statements
            else None
        )
        if rb_reh is not None:
            _stamp(rb_plan, rb_reh, desired_types)
        else:
            rb_plan.header["rehearsal"] = f"{VERIFIED} {rb_plan.digest()} rounds=0"
        stats = _stats_for(live_url, the_plan.hazards())
    _write(the_plan, out, from_sql, to_sql)
    rb_path = out.with_name(f"{name}.rollback.sql")
    _write(rb_plan, rb_path, to_sql, from_sql)
    return PlanResult(
        nothing_to_do=False,
        elapsed=time.monotonic() - started,
        plan=the_plan,
        path=out,
        rehearsal=reh,
        rollback_path=rb_path,
        rollback_rehearsal=rb_reh,
        stats=stats,
    )


def live_matches(ws: Workspace, live: Side, plan: Plan, which: str) -> bool:
    """Is live the plan's ``from`` (or ``to``) schema? Fingerprint first; if that differs,
    a normalized diff against the recorded dump, so cosmetic deparse text is not drift."""
    il = ws.inspect(live)
    if fingerprint(il.inspector) == (plan.from_fp if which == "from" else plan.to_fp):
        return True
    script = read_sidecar(plan, which, trusted=ws.settings.trust_schema_sql)
    reference = ws.restore(script, f"plan {which} schema", restricted=True)
    try:
        iref = ws.inspect(reference)
        return not ws.diff_inspections(il, iref, context=reference)
    finally:
        ws.discard(reference)


def drift_sql(ws: Workspace, live: Side, plan: Plan) -> list[str]:
    """Statements that would bring live back to the plan's reviewed ``from`` state."""
    script = read_sidecar(plan, "from", trusted=ws.settings.trust_schema_sql)
    reference = ws.restore(script, "plan from schema", restricted=True)
    try:
        return ws.diff(live, reference)
    finally:
        ws.discard(reference)


@dataclass
class VerifyResult:
    """What ``verify`` found."""

    plan: Plan
    rehearsal: Rehearsal
    approval_voided: bool
    elapsed: float


def verify(settings: Settings, path: str, progress: Progress | None = None) -> VerifyResult:
    """Re-rehearse a (possibly hand-edited) plan against live and update its stamp."""
    started = time.monotonic()
    the_plan = load(path)
    settings = settings_for(settings, the_plan)
    # The plan may come from anyone (a pull request): all of it is checked before any runs.
    trusted = settings.trust_schema_sql
    untrusted.check_plan(the_plan, trusted=trusted)
    to_sql = read_sidecar(the_plan, "to", trusted=trusted)
    read_sidecar(the_plan, "from", trusted=trusted)
    with Workspace(settings, progress) as ws:
        live_url = ws.live_url()
        live = Side(live_url, dsnlib.mask(live_url), scratch=False)
        if not live_matches(ws, live, the_plan, "from"):
            raise DriftError(
                "live no longer matches the plan's 'from' schema; make a new plan",
                drift_sql=drift_sql(ws, live, the_plan),
            )
        desired = ws.restore(to_sql, "plan to schema", restricted=True)
        types = engine.column_types(ws.inspect(live))
        reh = rehearse(ws, live, desired, the_plan.statements, extend=False)
    _stamp(the_plan, reh, types)
    voided = False
    if the_plan.approval and the_plan.approval.digest != the_plan.digest():
        the_plan.approval = None
        voided = True
    save(the_plan, Path(path))
    return VerifyResult(the_plan, reh, voided, time.monotonic() - started)


def approve(path: str, by: str, allow: list[str], key: Path | None = None) -> Plan:
    """Bind an approval to the plan's digest, signed with ``key`` when given; refuses
    unverified plans and hazards the allowance does not cover."""
    allowance = policy.parse_allow(allow)  # an unknown code fails before anything is read
    if not by.strip():
        raise ApprovalError("approve needs --by NAME")
    the_plan = load(path)
    status, _ = the_plan.rehearsal
    if status != VERIFIED:
        raise ApprovalError(
            f"{path} is {status or 'not rehearsed'}: only a VERIFIED plan "
            "can be approved (run diffcheck verify)"
        )
    if not the_plan.verified:
        raise ApprovalError(f"{path} was edited after it was verified: run diffcheck verify")
    codes = the_plan.hazard_codes()
    missing = allowance.missing(codes)
    if missing:
        raise ApprovalError(
            f"{path} has hazards not allowed: {', '.join(missing)}",
            hint=policy.refusal_hint(missing),
        )
    approval = Approval(
        by=by.strip(),
        at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        allow=allowance.granted(codes),
        digest=the_plan.digest(),
    )
    if key is not None:
        approval.sig = signing.sign(approval.payload(), key)
    the_plan.approval = approval
    save(the_plan, Path(path))
    return the_plan


__all__ = ["UNVERIFIED", "VERIFIED", "PlanResult", "approve", "plan", "verify"]
