"""Unit tests for diffcheck.signing: the canonical payload, and real ssh-keygen signatures
(sign, verify, and each way a signature is refused)."""

from __future__ import annotations

import base64
import json
import subprocess
from pathlib import Path

import pytest

from diffcheck.errors import ApprovalError, ConfigError
from diffcheck.plan import Approval
from diffcheck.signing import payload, resolve_path, sign, verify

DIGEST = "ab" * 32


def test_payload_is_canonical_json() -> None:
    data = payload(DIGEST, ["BLOCKS_WRITES", "BLOCKS_READS"], "alice", "2026-01-02T03:04:05+00:00")
    assert data == (
        b'{"allow":["BLOCKS_READS","BLOCKS_WRITES"],"at":"2026-01-02T03:04:05+00:00",'
        b'"by":"alice","digest":"' + DIGEST.encode() + b'","v":"diffcheck-approval-1"}'
    )


def test_payload_ignores_allow_order_and_duplicates_but_nothing_else() -> None:
    base = payload(DIGEST, ["B", "A"], "alice", "t")
    assert payload(DIGEST, ["A", "B", "A"], "alice", "t") == base
    assert payload(DIGEST, ["A", "B", "C"], "alice", "t") != base
    assert payload(DIGEST, ["A"], "alice", "t") != base
    assert payload(DIGEST, ["A", "B"], "bob", "t") != base
    assert payload(DIGEST, ["A", "B"], "alice", "t2") != base
    assert payload("cd" * 32, ["A", "B"], "alice", "t") != base


def test_payload_is_ascii_and_unambiguous() -> None:
    tricky = payload(DIGEST, ["A"], 'O\'Brien "x",\n\u00e9', "t")
    assert tricky.isascii()
    assert json.loads(tricky)["by"] == 'O\'Brien "x",\n\u00e9'
    # A name cannot pose as another field: the JSON encoding quotes it.
    assert payload(DIGEST, ["A"], 'a","digest":"x', "t") != payload("x", ["A"], "a", "t")


def test_approval_payload_uses_its_fields() -> None:
    a = Approval("alice", "t", ["X"], DIGEST, sig="whatever")
    assert a.payload() == payload(DIGEST, ["X"], "alice", "t")
    assert a.approver == "alice (unverified)"
    a.principal = "alice@example.com"
    assert a.approver == "alice@example.com"


def _keygen(path: Path, passphrase: str = "") -> Path:
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", passphrase, "-C", "test", "-f", str(path)],
        check=True,
        stdin=subprocess.DEVNULL,
    )
    return path


@pytest.fixture
def keys(tmp_path: Path) -> tuple[Path, Path, Path]:
    alice = _keygen(tmp_path / "alice")
    mallory = _keygen(tmp_path / "mallory")
    signers = tmp_path / "allowed_signers"
    pub = " ".join((tmp_path / "alice.pub").read_text().split()[:2])
    signers.write_text(f'alice@example.com namespaces="diffcheck" {pub}\n')
    return alice, mallory, signers


def test_sign_and_verify_returns_the_principal(keys: tuple[Path, Path, Path]) -> None:
    alice, _, signers = keys
    data = payload(DIGEST, ["BLOCKS_WRITES"], "alice", "t")
    sig = sign(data, alice)
    assert base64.b64decode(sig).startswith(b"-----BEGIN SSH SIGNATURE-----")
    assert verify(data, sig, signers) == "alice@example.com"


def test_edited_payload_is_refused(keys: tuple[Path, Path, Path]) -> None:
    alice, _, signers = keys
    sig = sign(payload(DIGEST, ["BLOCKS_WRITES"], "alice", "t"), alice)
    edited = payload(DIGEST, ["BLOCKS_WRITES", "DELETES_DATA"], "alice", "t")
    with pytest.raises(ApprovalError, match="edited after signing"):
        verify(edited, sig, signers)


def test_foreign_key_is_refused(keys: tuple[Path, Path, Path]) -> None:
    _, mallory, signers = keys
    data = payload(DIGEST, [], "alice", "t")
    with pytest.raises(ApprovalError, match="not signed by an allowed signer"):
        verify(data, sign(data, mallory), signers)


@pytest.mark.parametrize(
    "sig",
    [
        "not base64 at all!",
        base64.b64encode(b"random bytes").decode(),
        base64.b64encode(b"-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n")
        .decode(),
    ],
)
def test_garbage_signature_is_forged(keys: tuple[Path, Path, Path], sig: str) -> None:
    _, _, signers = keys
    with pytest.raises(ApprovalError, match="forged/invalid signature"):
        verify(payload(DIGEST, [], "alice", "t"), sig, signers)


def test_missing_signature_is_unsigned(keys: tuple[Path, Path, Path]) -> None:
    _, _, signers = keys
    with pytest.raises(ApprovalError, match="unsigned"):
        verify(payload(DIGEST, [], "alice", "t"), "", signers)


def test_passphrase_key_without_agent_says_so(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.delenv("SSH_AUTH_SOCK", raising=False)
    key = _keygen(tmp_path / "locked", passphrase="secret-pass")
    with pytest.raises(ApprovalError) as info:
        sign(b"x", key)
    message = str(info.value)
    assert "passphrase-protected and no ssh-agent holds it" in message
    assert "\n" not in message and "secret-pass" not in message


def test_unreadable_key_is_one_line_naming_it(tmp_path: Path) -> None:
    bogus = tmp_path / "not_a_key"
    bogus.write_text("hello\n")
    with pytest.raises(ApprovalError) as info:
        sign(b"x", bogus)
    assert str(bogus) in str(info.value) and "\n" not in str(info.value)


def test_missing_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match=r"signing key not found: .*nope"):
        resolve_path(str(tmp_path / "nope"), ".", "signing key")
    (tmp_path / "signers").write_text("")
    found = resolve_path("signers", str(tmp_path), "allowed-signers file")
    assert found == tmp_path / "signers"
