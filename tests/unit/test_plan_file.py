"""Plan files without a database: render/parse round trip, the digest's coverage, approval
JSON, and clear errors for files that are not plans."""

from __future__ import annotations

import json
from pathlib import Path

import pglast
import pytest

from diffcheck import plan as planlib
from diffcheck.errors import PlanError
from diffcheck.plan import Approval, Plan

STATEMENTS = [
    'alter table "public"."t" add column "b" integer;',
    'CREATE INDEX t_b ON public.t USING btree (b);',
    'alter table "public"."t" drop column "old";',
    "create or replace function \"public\".\"f\"() returns text language sql as $$\n"
    "  select 'a;b' -- not a terminator\n$$;",
]

FILTERS = json.dumps(
    {"exclude": [], "exclude_schemas": [], "include_schemas": []}, sort_keys=True
)


def _plan(statements: list[str] | None = None, **header: str) -> Plan:
    base = {
        "kind": "forward",
        "created": "2024-01-02T03:04:05+00:00",
        "diffcheck": "0.1.0",
        "migra": "3.0.1663481299",
        "live": "postgresql://app@db/prod",
        "desired": "schema",
        "from": "a" * 64,
        "to": "b" * 64,
        "from-sha256": "c" * 64,
        "to-sha256": "d" * 64,
        "filters": FILTERS,
        "privileges": "no",
    }
    base.update(header)
    return Plan(name="release", statements=list(statements or STATEMENTS), header=base)


def _stamped(p: Plan) -> Plan:
    p.header["rehearsal"] = f"VERIFIED {p.digest()} rounds=1"
    p.header["rehearsal-detail"] = "converged after 1 round(s), 4 statement(s)"
    return p


# --- round trip ------------------------------------------------------------------------------


def test_render_parse_round_trip_keeps_statements_and_header() -> None:
    p = _stamped(_plan())
    text = planlib.render(p)
    q = planlib.parse(text)
    assert q.name == "release"
    assert q.statements == p.statements
    for key, value in p.header.items():
        assert q.header[key] == value, key
    assert q.header["format"] == "1"
    assert q.header["digest"] == p.digest() == q.digest()
    assert q.verified
    assert q.approval is None
    # A second trip is byte-identical: rendering is deterministic.
    assert planlib.render(q) == text


def test_rendered_file_is_valid_sql_with_hazard_comments() -> None:
    text = planlib.render(_stamped(_plan()))
    lines = text.splitlines()
    assert lines[0].startswith("-- diffcheck plan")
    assert "-- @format: 1" in lines
    # The drop column carries its hazards as comments right above it.
    i = lines.index('alter table "public"."t" drop column "old";')
    above = "\n".join(lines[max(0, i - 4) : i])
    assert "-- hazards:" in above and "DELETES_DATA" in above
    # The whole file is SQL: pglast sees exactly the plan's statements.
    assert len(pglast.parse_sql(text)) == len(STATEMENTS)


def test_save_and_load_round_trip(tmp_path: Path) -> None:
    p = _stamped(_plan())
    path = planlib.save(p, tmp_path / "sub" / "release.sql")
    assert path.exists() and not path.with_name("release.sql.tmp").exists()
    q = planlib.load(path)
    assert q.path == path
    assert q.statements == p.statements
    assert q.digest() == p.digest()


def test_multiline_header_value_is_kept_on_one_line() -> None:
    p = _plan()
    p.header["rehearsal-detail"] = "statement 1 failed: boom\nsecond line"
    q = planlib.parse(planlib.render(p))
    assert q.header["rehearsal-detail"] == "statement 1 failed: boom second line"
    assert q.statements == p.statements


# --- digest ----------------------------------------------------------------------------------


def test_digest_changes_when_a_statement_changes() -> None:
    base = _plan().digest()
    changed = list(STATEMENTS)
    changed[0] = changed[0].replace("integer", "bigint")
    assert _plan(changed).digest() != base
    assert _plan(STATEMENTS[:-1]).digest() != base  # one removed
    assert _plan([*STATEMENTS, "select 1;"]).digest() != base  # one added
    assert _plan(list(reversed(STATEMENTS))).digest() != base  # reordered


@pytest.mark.parametrize(
    "key", ["from", "to", "from-sha256", "to-sha256", "kind", "privileges"]
)
def test_digest_changes_when_a_fingerprint_or_contract_field_changes(key: str) -> None:
    base = _plan()
    other = _plan(**{key: base.header[key] + "x"})
    assert other.digest() != base.digest()


def test_digest_changes_when_filters_change() -> None:
    base = _plan().digest()
    filters = json.dumps(
        {"exclude": ["public.t*"], "exclude_schemas": [], "include_schemas": []}, sort_keys=True
    )
    assert _plan(filters=filters).digest() != base
    assert _plan(filters="").digest() != base


def test_digest_ignores_cosmetic_header_fields() -> None:
    base = _plan().digest()
    assert _plan(created="2030-01-01T00:00:00+00:00", live="elsewhere").digest() == base


def test_digest_ignores_hazard_comments_and_whitespace_between_statements() -> None:
    p = _stamped(_plan())
    text = planlib.render(p)
    header, _, body = text.partition("-- " + "-" * 74 + "\n")
    assert body, "rule line not found"
    # Strip every hazard comment, add blank lines, indentation and comments between statements.
    blocks = [b for b in body.split("\n\n") if b.strip()]
    assert len(blocks) == len(STATEMENTS)
    stripped = [
        "\n".join(
            line for line in block.splitlines()
            if not line.startswith(("-- hazards:", "--   ", "-- runs outside"))
        )
        for block in blocks
    ]
    edited_body = "/* block comment */\n" + "   \n\n  -- reviewed by bob\n\t\n".join(stripped)
    edited = header + "-- " + "-" * 74 + "\n" + edited_body
    assert edited != text
    q = planlib.parse(edited)
    assert q.statements == p.statements
    assert q.digest() == p.digest()
    assert q.verified  # the rehearsal stamp still holds
    # A forged hazard comment changes nothing either: hazards are recomputed from statements.
    forged = text.replace("-- hazards: DELETES_DATA", "-- hazards: NONE")
    r = planlib.parse(forged)
    assert r.digest() == p.digest()
    assert "DELETES_DATA" in r.hazard_codes()


def test_digest_ignores_surrounding_whitespace_of_a_statement_but_not_inner_text() -> None:
    p = _plan()
    padded = _plan(["  " + s + "  \n" for s in STATEMENTS])
    assert padded.digest() == p.digest()
    inner = list(STATEMENTS)
    inner[0] = inner[0].replace("add column", "add  column")
    assert _plan(inner).digest() != p.digest()


def test_edit_voids_the_rehearsal_stamp() -> None:
    p = _stamped(_plan())
    text = planlib.render(p).replace('"b" integer', '"b" bigint')
    q = planlib.parse(text)
    assert q.rehearsal[0] == "VERIFIED"
    assert not q.verified


# --- approval --------------------------------------------------------------------------------


def test_approval_json_round_trips() -> None:
    p = _stamped(_plan())
    p.approval = Approval(
        by='O\'Brien "the DBA" \\ \u00e9\nsecond line',
        at="2024-01-02T03:04:05+00:00",
        allow=["BLOCKS_READS", "BLOCKS_WRITES", "DELETES_DATA"],
        digest=p.digest(),
    )
    text = planlib.render(p)
    approval_lines = [line for line in text.splitlines() if line.startswith("-- @approval: ")]
    assert len(approval_lines) == 1
    data = json.loads(approval_lines[0][len("-- @approval: ") :])
    assert data == {k: getattr(p.approval, k) for k in ("by", "at", "allow", "digest")}
    q = planlib.parse(text)
    assert q.approval == p.approval
    assert q.digest() == p.digest()  # the approval is not part of the digest
    # And dropping the approval removes the header line.
    q.approval = None
    assert "-- @approval" not in planlib.render(q)


@pytest.mark.parametrize(
    "value",
    ["not json", '{"by": "x"}', '["by", "at"]', '{"by": "x", "at": "y", "allow": 3, "digest": 1}'],
)
def test_malformed_approval_is_a_plan_error(value: str) -> None:
    text = planlib.render(_plan())
    text = text.replace("-- @digest:", f"-- @approval: {value}\n-- @digest:", 1)
    with pytest.raises(PlanError, match="approval"):
        planlib.parse(text, Path("plans/x.sql"))


# --- not a plan --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "create table t (id int);\n",
        "-- just a migration\nalter table t add column x int;\n",
        "",
        "-- @format: 2\n-- @name: future\nselect 1;\n",
    ],
)
def test_parse_rejects_a_non_plan_file(text: str) -> None:
    with pytest.raises(PlanError) as info:
        planlib.parse(text, Path("plans/x.sql"))
    assert "not a diffcheck plan" in str(info.value)
    assert "plans/x.sql" in str(info.value)


def test_malformed_header_line_is_a_plan_error() -> None:
    with pytest.raises(PlanError, match=r"plans/x.sql:2: malformed header"):
        planlib.parse("-- @format: 1\n-- @oops\nselect 1;\n", Path("plans/x.sql"))


def test_unparseable_body_reports_file_and_line() -> None:
    text = planlib.render(_plan())
    broken = text + "\n\nalter tabel t add column z int;\n"
    with pytest.raises(PlanError) as info:
        planlib.parse(broken, Path("plans/x.sql"))
    message = str(info.value)
    assert message.startswith("plans/x.sql:")
    assert "syntax error" in message and "tabel" in message


def test_unparseable_body_error_line_is_the_file_line() -> None:
    text = planlib.render(_plan())
    lines = text.splitlines()
    broken = text + "\n\nalter tabel t add column z int;\n"
    assert broken.splitlines()[len(lines) + 2].startswith("alter tabel")
    with pytest.raises(PlanError) as info:
        planlib.parse(broken, Path("plans/x.sql"))
    line = int(str(info.value).split(":")[1])
    assert line == len(lines) + 3


def test_load_of_a_missing_file_is_a_plan_error(tmp_path: Path) -> None:
    with pytest.raises(PlanError, match="cannot read plan"):
        planlib.load(tmp_path / "nope.sql")


# --- hand edits that the round trip must survive ----------------------------------------------


def test_line_comment_before_the_semicolon_survives_a_render_round_trip() -> None:
    p = _plan()
    text = planlib.render(p).replace(
        'alter table "public"."t" add column "b" integer;',
        'alter table "public"."t" add column "b" integer -- widen later\n;',
    )
    q = planlib.parse(text)
    assert len(q.statements) == len(STATEMENTS)
    again = planlib.parse(planlib.render(q))
    assert again.statements == q.statements


# --- plan files are data: undecodable files are "not a diffcheck plan" ------------------------


@pytest.mark.parametrize(
    "raw",
    [
        bytes(range(256)) * 4,  # binary
        planlib.render(_plan()).encode() + b"\0\0",  # a plan with NUL bytes appended
        b"-- @format: 1\n\xff\xfe not utf-8\n",
        "la lune est pleine ce soir; rien à voir\n".encode(),  # random text
        b"",
    ],
    ids=["binary", "nul", "not-utf8", "random-text", "empty"],
)
def test_undecodable_file_is_not_a_plan(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "plan.sql"
    path.write_bytes(raw)
    with pytest.raises(PlanError) as info:
        planlib.load(path)
    assert str(info.value).startswith(f"not a diffcheck plan: {path}")
    assert "\n" not in str(info.value)


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("filters", "{not json"),
        ("filters", '["a"]'),
        ("filters", '{"exclude": 3}'),
        ("column-types", '{"public.t.a": 5}'),
        ("approval", '{"by": 1, "at": "t", "allow": [], "digest": "d"}'),
        ("approval", '{"by": "a", "at": "t", "allow": [3], "digest": "d"}'),
        ("approval", '{"by": "a", "at": "t", "allow": [], "digest": "d", "sig": 7}'),
    ],
)
def test_malformed_json_header_is_not_a_plan(tmp_path: Path, key: str, value: str) -> None:
    text = planlib.render(_plan())
    text = text.replace("-- @digest:", f"-- @{key}: {value}\n-- @digest:", 1)
    if key != "approval":
        text = text.replace(f"-- @{key}: {FILTERS}\n", "", 1)
    path = tmp_path / "plan.sql"
    path.write_text(text)
    with pytest.raises(PlanError, match=rf"^not a diffcheck plan: {path} \(malformed @?{key}"):
        planlib.load(path)


def test_signed_approval_round_trips_its_signature() -> None:
    p = _stamped(_plan())
    p.approval = Approval("alice", "t", ["BLOCKS_WRITES"], p.digest(), sig="c2ln")
    q = planlib.parse(planlib.render(p))
    assert q.approval is not None and q.approval.sig == "c2ln"
    assert q.approval.principal is None  # never read from the file
    header = next(ln for ln in planlib.render(p).splitlines() if ln.startswith("-- @approval"))
    assert json.loads(header.split(": ", 1)[1])["sig"] == "c2ln"
