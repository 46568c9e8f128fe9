"""Signed approvals and DML hazards against a real PostgreSQL: ``approve --key`` signs with
ssh-keygen, ``apply --allowed-signers`` verifies before connecting and refuses unsigned,
forged, edited and foreign-signed approvals (saying which), history records the verified
principal, and a hand-added DELETE is never covered by ``all``."""

from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import throwaway_database

from diffcheck import plan as planlib
from diffcheck.cli import main

BEFORE = "create table public.t (id int primary key, a text);"
DATA = "insert into public.t select g, 'x' || g from generate_series(1, 200) g;"
AFTER = """
create table public.t (id int primary key, a text, b integer not null default 0);
create index t_a on public.t (a);
"""
ALLOW = "BLOCKS_READS,BLOCKS_WRITES,BUILDS_INDEX"
NOT_AUTH = "warning: approvals are not authenticated (no allowed-signers file)"
UNREACHABLE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"


def _keygen(path: Path) -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "t", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path


def _write(path: Path, text: str) -> Path:
    path.mkdir(parents=True, exist_ok=True)
    (path / "schema.sql").write_text(text)
    return path


class Setup:
    """One plan BEFORE -> AFTER plus keys and an allowed-signers file listing only alice."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.after = _write(root / "after", AFTER)
        self.plans = root / "plans"
        self.alice = _keygen(root / "alice")
        self.mallory = _keygen(root / "mallory")
        self.signers = root / "allowed_signers"
        pub = " ".join((root / "alice.pub").read_text().split()[:2])
        self.signers.write_text(f'alice@example.com namespaces="diffcheck" {pub}\n')

    def copy(self, dest: Path) -> Path:
        """A fresh copy of the unapproved plan (and its sidecars)."""
        shutil.copytree(self.plans, dest / "plans")
        return dest / "plans" / "p.sql"


def _approve_signed(run_cli, path: Path, key: Path):
    """Approve ``path`` as alice for ALLOW, signed with ``key``; the approval succeeds."""
    r = run_cli("approve", str(path), "--by", "alice", "--allow-hazard", ALLOW, "--key", str(key))
    assert r.code == 0, (r.out, r.err)
    return r


@pytest.fixture(scope="module")
def setup(pg_url: str, tmp_path_factory: pytest.TempPathFactory) -> Setup:
    s = Setup(tmp_path_factory.mktemp("signed"))
    with throwaway_database(pg_url, BEFORE) as db:
        out = str(s.plans / "p.sql")
        assert main(["plan", "--live", db.url, "--desired", str(s.after), "-o", out]) == 0
    assert planlib.load(s.plans / "p.sql").hazard_codes() == set(ALLOW.split(","))
    return s


def _approval(path: Path) -> dict:
    line = next(ln for ln in path.read_text().splitlines() if ln.startswith("-- @approval: "))
    return json.loads(line.split(": ", 1)[1])


def _set_approval(path: Path, data: dict) -> None:
    text = path.read_text()
    text = re.sub(r"(?m)^-- @approval: .*$", lambda _m: "-- @approval: " + json.dumps(data), text)
    path.write_text(text)


def _rows(live) -> list[tuple]:
    return live.query("select count(*), sum(id) from public.t")


def test_signed_approval_applies_and_history_shows_the_principal(
    setup, make_db, run_cli, tmp_path
):
    path = setup.copy(tmp_path)
    r = _approve_signed(run_cli, path, setup.alice)
    assert "(signed," in r.out and "not signed" not in r.err
    approval = _approval(path)
    assert approval["by"] == "alice" and approval["allow"] == sorted(ALLOW.split(","))
    armored = base64.b64decode(approval["sig"])
    assert armored.startswith(b"-----BEGIN SSH SIGNATURE-----")
    assert str(setup.alice) not in path.read_text()  # the key is never copied into the plan

    live = make_db(BEFORE + DATA)
    r = run_cli("apply", str(path), "--live", live.url, "--allowed-signers", str(setup.signers))
    assert r.code == 0, (r.out, r.err)
    assert NOT_AUTH not in r.err
    hist = run_cli("history", "--live", live.url, "--format", "json")
    assert hist.code == 0, hist.err
    (row,) = json.loads(hist.out)
    assert row["approved_by"] == "alice@example.com"
    text = run_cli("history", "--live", live.url)
    assert "approved by alice@example.com" in text.out


def test_environment_variables_name_key_and_signers(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    r = run_cli("approve", str(path), "--by", "al", "--allow-hazard", "all",
                env={"DIFFCHECK_SIGNING_KEY": str(setup.alice)})
    assert r.code == 0, (r.out, r.err)
    assert _approval(path)["sig"]
    live = make_db(BEFORE)
    r = run_cli("apply", str(path), "--live", live.url,
                env={"DIFFCHECK_ALLOWED_SIGNERS": str(setup.signers)})
    assert r.code == 0, (r.out, r.err)
    assert live.query("select approved_by from diffcheck.history") == [("alice@example.com",)]


def test_pyproject_names_key_and_signers_relative_to_the_project(
    setup, make_db, run_cli, tmp_path
):
    path = setup.copy(tmp_path)
    project = tmp_path / "project"
    project.mkdir()
    shutil.copy(setup.alice, project / "k")
    shutil.copy(setup.signers, project / "signers")
    (project / "pyproject.toml").write_text(
        '[tool.diffcheck]\nsigning_key = "k"\nallowed_signers = "signers"\n'
    )
    r = run_cli("--project-dir", str(project), "approve", str(path), "--by", "a",
                "--allow-hazard", "all")
    assert r.code == 0, (r.out, r.err)
    live = make_db(BEFORE)
    r = run_cli("--project-dir", str(project), "apply", str(path), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    assert live.query("select approved_by from diffcheck.history") == [("alice@example.com",)]


def _refused(run_cli, make_db, path: Path, signers: Path, needle: str) -> None:
    """apply refuses with exit 1 and one line containing ``needle``, before connecting
    (an unreachable live), and a real live stays untouched."""
    r = run_cli("apply", str(path), "--live", UNREACHABLE, "--allowed-signers", str(signers))
    assert r.code == 1, (r.out, r.err)
    lines = [ln for ln in r.err.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and needle in lines[0], r.err
    assert "connect" not in r.err  # refused before any connection was tried
    live = make_db(BEFORE + DATA)
    r = run_cli("apply", str(path), "--live", live.url, "--allowed-signers", str(signers))
    assert r.code == 1 and needle in r.err, (r.out, r.err)
    assert live.query("select to_regclass('diffcheck.history')") == [(None,)]
    assert _rows(live) == [(200, 20100)]


def test_hand_written_unsigned_approval_is_refused(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    digest = planlib.load(path).digest()
    text = path.read_text().replace(
        "-- @digest:",
        "-- @approval: " + json.dumps(
            {"allow": ALLOW.split(","), "at": "2026-01-01T00:00:00+00:00", "by": "ceo",
             "digest": digest}
        ) + "\n-- @digest:",
        1,
    )
    path.write_text(text)
    _refused(run_cli, make_db, path, setup.signers, "unsigned")


def test_foreign_signed_approval_is_refused(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    _approve_signed(run_cli, path, setup.mallory)
    _refused(run_cli, make_db, path, setup.signers, "not signed by an allowed signer")


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("allow", [*sorted(ALLOW.split(",")), "DELETES_DATA"]),
        ("by", "ceo"),
        ("at", "2030-01-01T00:00:00+00:00"),
    ],
)
def test_approval_edited_after_signing_is_refused(
    setup, make_db, run_cli, tmp_path, field, value
):
    path = setup.copy(tmp_path)
    _approve_signed(run_cli, path, setup.alice)
    data = _approval(path)
    data[field] = value
    _set_approval(path, data)
    _refused(run_cli, make_db, path, setup.signers, "edited after signing")


def test_garbage_signature_is_refused_as_forged(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    _approve_signed(run_cli, path, setup.alice)
    data = _approval(path)
    data["sig"] = "Zm9yZ2VkIHNpZ25hdHVyZQ=="
    _set_approval(path, data)
    _refused(run_cli, make_db, path, setup.signers, "forged/invalid signature")


def test_without_allowed_signers_applies_with_one_warning(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    r = run_cli("approve", str(path), "--by", "alice", "--allow-hazard", ALLOW)
    assert r.code == 0, (r.out, r.err)
    assert "warning: the approval is not signed" in r.err and "(unsigned," in r.out
    live = make_db(BEFORE + DATA)
    r = run_cli("apply", str(path), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    assert r.err.count(NOT_AUTH) == 1, r.err
    assert live.query("select approved_by from diffcheck.history") == [("alice (unverified)",)]
    r = run_cli("apply", str(path), "--live", live.url, "-q")
    assert r.code == 0 and "already applied" in r.out
    assert "warning" not in r.err


def test_missing_key_or_signers_file_is_named(setup, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    r = run_cli("approve", str(path), "--by", "a", "--allow-hazard", ALLOW,
                "--key", str(tmp_path / "no_such_key"))
    assert r.code == 1 and "signing key not found" in r.err and "no_such_key" in r.err
    assert "-- @approval" not in path.read_text()
    r = run_cli("approve", str(path), "--by", "a", "--allow-hazard", ALLOW)
    assert r.code == 0, (r.out, r.err)
    r = run_cli("apply", str(path), "--live", UNREACHABLE,
                "--allowed-signers", str(tmp_path / "nope"))
    assert r.code == 1 and "allowed-signers file not found" in r.err, r.err


# --- DML hazards --------------------------------------------------------------------------


def test_hand_added_delete_needs_deletes_data_named(setup, make_db, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    live = make_db(BEFORE + DATA)
    path.write_text(path.read_text() + "\ndelete from public.t where id > 100;\n")
    r = run_cli("verify", str(path), "--live", live.url)
    assert r.code == 0, (r.out, r.err)
    p = planlib.load(path)
    assert "DELETES_DATA" in p.hazard_codes()
    assert '--   DELETES_DATA: deletes rows from "public"."t"' in path.read_text()

    for allow in (ALLOW, "all"):
        r = run_cli("approve", str(path), "--by", "alice", "--allow-hazard", allow)
        assert r.code == 1, (r.out, r.err)
        assert "hazards not allowed: DELETES_DATA" in r.err
        assert "never implied by 'all'" in r.err
    assert planlib.load(path).approval is None

    # An approval (hand-written, bound to this digest) that lacks DELETES_DATA, or says
    # "all", does not cover the DELETE: apply refuses and the rows stay.
    for allow_list in (sorted(ALLOW.split(",")), ["all"]):
        data = {"allow": allow_list, "at": "t", "by": "alice", "digest": p.digest()}
        text = re.sub(r"(?m)^-- @approval: .*\n", "", path.read_text())
        path.write_text(text.replace("-- @digest:", "-- @approval: " + json.dumps(data)
                                     + "\n-- @digest:", 1))
        r = run_cli("apply", str(path), "--live", live.url)
        assert r.code == 1, (r.out, r.err)
        assert "hazards exceed the approval: DELETES_DATA" in r.err
        assert _rows(live) == [(200, 20100)]

    r = run_cli("approve", str(path), "--by", "alice", "--allow-hazard", "all,deletes_data",
                "--key", str(setup.alice))
    assert r.code == 0, (r.out, r.err)
    assert "DELETES_DATA" in _approval(path)["allow"]
    r = run_cli("apply", str(path), "--live", live.url, "--allowed-signers", str(setup.signers))
    assert r.code == 0, (r.out, r.err)
    assert _rows(live) == [(100, 5050)]


def test_unknown_hazard_code_is_refused_listing_the_valid_ones(setup, run_cli, tmp_path):
    path = setup.copy(tmp_path)
    before = path.read_text()
    r = run_cli("approve", str(path), "--by", "a", "--allow-hazard", "BLOCKS_WRITES,NOPE")
    assert r.code == 1, (r.out, r.err)
    assert "unknown hazard code 'NOPE'" in r.err and "DELETES_DATA" in r.err
    assert "internal error" not in r.err
    assert path.read_text() == before
    r = run_cli("apply", "--auto", "--live", UNREACHABLE, "--desired", str(setup.after),
                "--allow-hazard", "nope")
    assert r.code == 1 and "unknown hazard code 'nope'" in r.err, r.err
