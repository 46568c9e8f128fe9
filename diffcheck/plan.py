"""Plan files: plain, hand-editable SQL with a machine-readable header in SQL comments.

Format (documented in docs/plans-and-hazards.md)::

    -- diffcheck plan ------------------------------------------------------------
    -- @format: 1
    -- @name: add_rejected
    -- @from: <sha256 fingerprint of live's catalogs>
    -- @to: <sha256 fingerprint of the desired catalogs>
    -- @from-sha256: <sha256 of NAME.from.sql, live's schema dump at plan time>
    -- @to-sha256: <sha256 of NAME.to.sql, the desired schema's dump>
    -- @digest: <sha256 of statements, fingerprints, sidecar hashes and filters>
    -- @rehearsal: VERIFIED <digest it was verified at> rounds=1
    -- @approval: {"by": ..., "at": ..., "allow": [...], "digest": ...}
    -- ---------------------------------------------------------------------------

    -- hazards: BLOCKS_WRITES, BUILDS_INDEX
    CREATE INDEX ...;

Only ``-- @key: value`` lines before the first statement are header. Everything after it is
SQL; statements are found with pglast, so the DBA may edit, reorder or add statements and
comments freely. Any edit changes the digest, which voids an approval and the rehearsal stamp
until ``diffcheck verify`` re-rehearses it."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import pglast
from pglast import ast
from pglast.enums.parsenodes import TransactionStmtKind
from pglast.parser import ParseError

from . import sandbox
from .errors import PlanError
from .hazards import Hazard, classify_plan, is_transactional

FORMAT = 1
VERIFIED = "VERIFIED"
UNVERIFIED = "UNVERIFIED"
_RULE = "-- " + "-" * 74


_FP_COLLECTIONS = (
    "schemas",
    "relations",
    "sequences",
    "constraints",
    "indexes",
    "enums",
    "extensions",
    "functions",
    # Not schemainspect's "privileges": it reads information_schema.role_table_grants, which
    # lists only grants the inspecting role takes part in, so a plan made by a DBA and
    # applied by a pipeline role would see different "from" schemas. Privileges are in
    # diffcheck_facts, read from the ACLs themselves, the same for every role.
    "collations",
    "triggers",
    "rlspolicies",
    "types",
    "domains",
    # diffcheck's own catalog facts (identity, sequence options, reloptions, comments, index
    # validity, ...): without them a plan changing only such a fact would have equal from and
    # to fingerprints, and drift in them would go unnoticed.
    "diffcheck_facts",
)
_FP_SKIP = {
    "oid",
    "pg_version",
    "dependents",
    "dependent_on",
    "dependents_all",
    "dependent_on_all",
    "constraints",
    "indexes",
    "pytype",
}
# Fact fields that are not schema: a sequence's ``unused`` (never called) changes with the
# first nextval, and reads false for a role that may not read the sequence.
_FP_SKIP_FACT_FIELDS = {"unused"}


def _plain(value: Any, depth: int = 0) -> Any:
    """Instance data only (never schemainspect's computed properties, some of which raise),
    with references to other objects reduced to their names."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "_asdict"):  # a NamedTuple fact: keep field names, not a sorted bag
        fields = value._asdict()
        return _plain({k: v for k, v in fields.items() if k not in _FP_SKIP_FACT_FIELDS}, depth)
    if isinstance(value, dict):
        return {str(k): _plain(v, depth + 1) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        items = [_plain(v, depth + 1) for v in value]
        return sorted(items, key=lambda x: json.dumps(x, sort_keys=True, default=str))
    if depth > 0 and hasattr(value, "quoted_full_name") and depth > 2:
        return str(value.quoted_full_name)
    if hasattr(value, "__dict__"):
        return {
            k: _plain(v, depth + 1)
            for k, v in vars(value).items()
            if not k.startswith("_") and k not in _FP_SKIP
        }
    return str(value)


def fingerprint(inspector: Any) -> str:
    """The identity of a schema from its inspected catalogs: stable across OIDs, creation
    order and column order, different for any catalog-visible change."""
    data = {name: _plain(getattr(inspector, name, {}) or {}) for name in _FP_COLLECTIONS}
    text = json.dumps(data, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()


def sha256_text(text: str) -> str:
    """Hex sha256 of a text."""
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass
class Approval:
    """Who approved which digest, allowing which hazards, and the SSH signature over that
    (base64 of the armored signature; empty when unsigned)."""

    by: str
    at: str
    allow: list[str]
    digest: str
    sig: str = ""
    # Set by apply once the signature verified: the allowed-signers principal. Never read
    # from the file: a claimed identity is worth nothing.
    principal: str | None = field(default=None, compare=False)

    def payload(self) -> bytes:
        """The canonical bytes the signature covers."""
        from .signing import payload

        return payload(self.digest, self.allow, self.by, self.at)

    def to_json(self) -> str:
        """The ``@approval`` header value (``sig`` only when signed)."""
        data: dict[str, Any] = {
            "by": self.by,
            "at": self.at,
            "allow": list(self.allow),
            "digest": self.digest,
        }
        if self.sig:
            data["sig"] = self.sig
        return json.dumps(data, sort_keys=True)

    @property
    def approver(self) -> str:
        """Who approved, for history: the verified principal, else the claimed name."""
        return self.principal if self.principal else f"{self.by} (unverified)"


@dataclass
class Plan:
    """A parsed plan file."""

    name: str
    statements: list[str]
    header: dict[str, str] = field(default_factory=dict)
    approval: Approval | None = None
    path: Path | None = None
    # The file line each statement starts on, when parsed from a file (for error messages).
    lines: list[int] = field(default_factory=list, compare=False)

    # -- header accessors ----------------------------------------------------------------
    def get(self, key: str, default: str = "") -> str:
        """A header value."""
        return self.header.get(key, default)

    @property
    def from_fp(self) -> str:
        """Live's fingerprint at plan time."""
        return self.get("from")

    @property
    def to_fp(self) -> str:
        """The desired schema's fingerprint."""
        return self.get("to")

    @property
    def rehearsal(self) -> tuple[str, str]:
        """(VERIFIED|UNVERIFIED|'', digest it applies to)."""
        parts = self.get("rehearsal").split(" ")
        return (parts[0], parts[1] if len(parts) > 1 else "")

    @property
    def verified(self) -> bool:
        """VERIFIED, and for exactly these statements."""
        status, digest = self.rehearsal
        return status == VERIFIED and digest == self.digest()

    def filters(self) -> dict[str, list[str]]:
        """The include/exclude filters the plan was made with."""
        raw = self.get("filters")
        return json.loads(raw) if raw else {}

    def digest(self) -> str:
        """sha256 over the statements, both fingerprints, the sidecars' hashes and filters."""
        h = hashlib.sha256(f"diffcheck-plan-{FORMAT}\0".encode())
        for key in (
            "kind",
            "from",
            "to",
            "from-sha256",
            "to-sha256",
            "filters",
            "privileges",
            "column-types",
        ):
            h.update(key.encode() + b"=" + self.get(key).encode() + b"\0")
        if self.get("trust-schema-sql"):  # only when present: older plans keep their digest
            h.update(b"trust-schema-sql=" + self.get("trust-schema-sql").encode() + b"\0")
        for s in self.statements:
            h.update(s.strip().encode() + b"\0")
        return h.hexdigest()

    def hazards(self) -> list[list[Hazard]]:
        """Hazards recomputed from the statements (never trusted from comments)."""
        raw = self.get("column-types")
        return classify_plan(self.statements, json.loads(raw) if raw else None)

    def hazard_codes(self) -> set[str]:
        """All hazard codes in the plan."""
        return {h.code for hz in self.hazards() for h in hz}

    def non_transactional(self) -> list[bool]:
        """Per statement: must it run outside the transaction?"""
        return [not is_transactional(s) for s in self.statements]

    def with_statements(self, statements: list[str]) -> Plan:
        """A copy with other statements (header kept; stamps no longer match)."""
        return replace(self, statements=list(statements))


def _terminate(text: str) -> str:
    """End the statement with a semicolon right after its last SQL token. A trailing
    ``-- note`` would swallow an appended semicolon, so it is dropped: it stays in the file
    the DBA edited, but is not part of the statement (and so not of the digest)."""
    tokens = [t for t in pglast.parser.scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    if not tokens:
        return text
    return text[: tokens[-1].end + 1] + ";"


def split_statements(body: str, where: str, first_line: int = 1) -> list[str]:
    """Statements of a plan body via pglast; comments are dropped, text kept verbatim.
    ``first_line`` is the file line the body starts on, for error positions."""
    return [text for text, _ in _split(body, where, first_line)]


def _split(body: str, where: str, first_line: int) -> list[tuple[str, int]]:
    """(statement, file line it starts on) of a plan body; transaction control is refused:
    apply runs a plan in one transaction and verifies live before it commits, which a
    COMMIT in the middle would end early."""
    try:
        raw = pglast.parse_sql(body)
    except ParseError as exc:
        pos = exc.args[1] if len(exc.args) > 1 and exc.args[1] is not None else len(body)
        line = first_line + body.count("\n", 0, pos)
        raise PlanError(f"{where}:{line}: {exc.args[0]}") from None
    out = []
    for stmt in raw:
        start = stmt.stmt_location or 0
        length = stmt.stmt_len or (len(body) - start)
        line = first_line - 1 + sandbox.first_line(body, start, body[start : start + length])
        if isinstance(stmt.stmt, ast.TransactionStmt):
            word = sandbox.TRANSACTION_CONTROL.get(TransactionStmtKind(stmt.stmt.kind or 0).name)
            raise PlanError(
                f"{where}:{line}: {word or 'transaction control'} is not allowed in a plan "
                "(diffcheck runs the plan in one transaction)"
            )
        text = body[start : start + length].strip()
        # Leading comments belong to the gap before a statement; pglast's location starts
        # after the previous semicolon, so strip comment lines the hazard renderer wrote.
        lines = text.splitlines()
        while lines and lines[0].lstrip().startswith("--"):
            lines.pop(0)
        text = "\n".join(lines).strip()
        if text:
            out.append((_terminate(text), line))
    return out


def parse(text: str, path: Path | None = None, name: str | None = None) -> Plan:
    """Parse a plan file's text."""
    where = str(path) if path else "<plan>"
    header: dict[str, str] = {}
    lines = text.splitlines()
    body_start = 0
    for i, line in enumerate(lines):
        stripped = line.strip()
        if stripped.startswith("-- @"):
            key, sep, value = stripped[4:].partition(":")
            if not sep:
                raise PlanError(f"{where}:{i + 1}: malformed header line")
            header[key.strip()] = value.strip()
            body_start = i + 1
        elif stripped == "" or stripped.startswith("--"):
            continue
        else:
            break
    if header.get("format") != str(FORMAT):
        raise PlanError(f"not a diffcheck plan: {where} (format {header.get('format')!r})")
    _check_json_headers(header, where)
    body = "\n".join(lines[body_start:])
    split = _split(body, where, first_line=body_start + 1)
    statements = [text for text, _ in split]
    raw_approval = header.get("approval")
    approval = _approval(raw_approval, where) if raw_approval else None
    plan_name = name or header.get("name") or (path.stem if path else "plan")
    return Plan(
        name=plan_name,
        statements=statements,
        header=header,
        approval=approval,
        path=path,
        lines=[line for _, line in split],
    )


def load(path: str | Path) -> Plan:
    """Read and parse a plan file."""
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise PlanError(f"cannot read plan {p}: {exc.strerror}") from None
    # A plan is text: binary data (a NUL anywhere, or not UTF-8) is refused before any parsing.
    if b"\0" in raw:
        raise PlanError(f"not a diffcheck plan: {p} (binary data)")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PlanError(f"not a diffcheck plan: {p} (not UTF-8 text)") from None
    return parse(text, p)


def _approval(raw: str, where: str) -> Approval:
    """The ``@approval`` header, every field checked for its type."""
    try:
        data = json.loads(raw)
        if not isinstance(data, dict):
            raise TypeError(data)
        fields = [data["by"], data["at"], data["digest"], data.get("sig", "")]
        allow = data["allow"]
        if not all(isinstance(v, str) for v in fields) or not isinstance(allow, list):
            raise TypeError(data)
        if not all(isinstance(a, str) for a in allow):
            raise TypeError(allow)
    except (ValueError, KeyError, TypeError):
        raise PlanError(f"not a diffcheck plan: {where} (malformed approval header)") from None
    return Approval(data["by"], data["at"], list(allow), data["digest"], data.get("sig", ""))


def _check_json_headers(header: dict[str, str], where: str) -> None:
    """Header values that hold JSON must be the objects diffcheck wrote."""
    for key in ("filters", "column-types"):
        if not header.get(key):
            continue
        try:
            value = json.loads(header[key])
        except ValueError:
            value = None
        ok = isinstance(value, dict) and all(
            isinstance(v, str) or (isinstance(v, list) and all(isinstance(i, str) for i in v))
            for v in value.values()
        )
        if not ok:
            raise PlanError(f"not a diffcheck plan: {where} (malformed @{key} header)")


_HEADER_ORDER = (
    "format",
    "name",
    "kind",
    "created",
    "diffcheck",
    "migra",
    "live",
    "desired",
    "from",
    "to",
    "from-sha256",
    "to-sha256",
    "filters",
    "privileges",
    "trust-schema-sql",
    "digest",
    "rehearsal",
    "rehearsal-detail",
    "approval",
)


def render(plan: Plan) -> str:
    """The plan file text; hazards are re-derived and written as comments above statements."""
    header = dict(plan.header)
    header["format"] = str(FORMAT)
    header["name"] = plan.name
    header["digest"] = plan.digest()
    if plan.approval:
        header["approval"] = plan.approval.to_json()
    else:
        header.pop("approval", None)
    keys = [k for k in _HEADER_ORDER if k in header] + sorted(
        k for k in header if k not in _HEADER_ORDER
    )
    out = ["-- diffcheck plan " + "-" * 57]
    for k in keys:
        value = " ".join(header[k].splitlines())
        out.append(f"-- @{k}: {value}")
    out.append(_RULE)
    out.append("")
    hazards = plan.hazards()
    non_tx = plan.non_transactional()
    for i, s in enumerate(plan.statements):
        hz = hazards[i]
        if hz:
            out.append("-- hazards: " + ", ".join(h.code for h in hz))
            for h in hz:
                out.append(f"--   {h.code}: {' '.join(h.message.splitlines())}")
        if non_tx[i]:
            out.append("-- runs outside the transaction (non-transactional)")
        out.append(s.strip())
        out.append("")
    return "\n".join(out)


def save(plan: Plan, path: str | Path) -> Path:
    """Write a plan atomically (write, then rename) so a crash never leaves half a plan."""
    p = Path(path)
    p.parent.mkdir(parents=True, exist_ok=True)
    tmp = p.with_name(p.name + ".tmp")
    tmp.write_text(render(plan), encoding="utf-8")
    tmp.replace(p)
    plan.path = p
    return p


def write_text_atomic(path: Path, text: str) -> None:
    """Write a sidecar file atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    tmp.replace(path)
