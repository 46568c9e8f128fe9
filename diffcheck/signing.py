"""Signed approvals: ``ssh-keygen -Y sign`` / ``-Y find-principals`` / ``-Y verify`` with the
namespace ``diffcheck``, exactly as git signs commits with SSH keys.

What is signed is a canonical payload of the approval (the plan's digest, the sorted allow
list, the approver and the time), so changing any of them after signing voids the signature.
The signer's identity is never taken from the approval: it is the principal that an
allowed-signers file (git's format) maps the signing key to.

ssh-keygen always runs with a timeout, with stdin closed (or fed the payload file), and in a
new session without a controlling terminal, so a passphrase prompt fails instead of hanging.
Key files are only passed by path: never read, copied or printed."""

from __future__ import annotations

import base64
import binascii
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from .errors import ApprovalError, ConfigError

NAMESPACE = "diffcheck"
PAYLOAD_VERSION = "diffcheck-approval-1"
TIMEOUT = 30.0
_ARMOR = b"-----BEGIN SSH SIGNATURE-----"


def payload(digest: str, allow: Iterable[str], by: str, at: str) -> bytes:
    """The canonical bytes an approval signature covers: sorted keys, no whitespace, ASCII
    only, the allow list deduplicated and sorted (its order carries no meaning)."""
    data = {
        "allow": sorted(set(allow)),
        "at": at,
        "by": by,
        "digest": digest,
        "v": PAYLOAD_VERSION,
    }
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def resolve_path(value: str, project_dir: str, what: str) -> Path:
    """A configured key or allowed-signers path: as given, else relative to the project
    directory (where a pyproject setting was written); a missing file is named."""
    path = Path(value).expanduser()
    if not path.is_absolute() and not path.exists():
        alt = Path(project_dir) / path
        if alt.exists():
            path = alt
    if not path.is_file():
        raise ConfigError(f"{what} not found: {path}")
    return path


def _ssh_keygen() -> str:
    found = shutil.which("ssh-keygen")
    if not found:
        raise ConfigError("ssh-keygen not found on PATH: it is needed to sign and verify approvals")
    return found


def _one_line(stderr: str) -> str:
    """ssh-keygen's stderr as one line (its prompts and progress chatter dropped)."""
    lines = [ln.strip() for ln in stderr.splitlines() if ln.strip()]
    lines = [ln for ln in lines if not ln.startswith(("Signing file", "Write signature"))]
    return "; ".join(lines)[:300] or "no message"


def _run(args: list[str], stdin_path: Path | None = None) -> subprocess.CompletedProcess[str]:
    exe = _ssh_keygen()
    try:
        with open(stdin_path or os.devnull, "rb") as stdin:
            return subprocess.run(
                [exe, *args],
                stdin=stdin,
                capture_output=True,
                text=True,
                timeout=TIMEOUT,
                start_new_session=True,  # no controlling terminal: no passphrase prompt
                check=False,
            )
    except subprocess.TimeoutExpired:
        raise ApprovalError(f"ssh-keygen -Y {args[1]} did not finish in {TIMEOUT:g}s") from None
    except OSError as exc:
        raise ApprovalError(f"cannot run ssh-keygen: {exc.strerror}") from None


@contextmanager
def _workdir() -> Iterator[Path]:
    # A private directory: the payload and signature are not secret, but nobody else
    # should be able to swap them between our write and ssh-keygen's read.
    path = Path(tempfile.mkdtemp(prefix="diffcheck-sig-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def sign(data: bytes, key: Path) -> str:
    """Sign ``data`` with the SSH key at ``key`` (or its ssh-agent copy); returns the armored
    SSH signature, base64-encoded so it fits on one header line."""
    with _workdir() as tmp:
        message = tmp / "approval"
        message.write_bytes(data)
        done = _run(["-Y", "sign", "-n", NAMESPACE, "-f", str(key), str(message)])
        sig = message.with_name("approval.sig")
        if done.returncode != 0 or not sig.is_file():
            why = _one_line(done.stderr)
            if "passphrase" in why.lower():
                why = (
                    f"the key {key} is passphrase-protected and no ssh-agent holds it "
                    "(run ssh-add, or use a key without a passphrase)"
                )
            raise ApprovalError(f"cannot sign the approval with {key}: {why}")
        return base64.b64encode(sig.read_bytes()).decode("ascii")


def verify(data: bytes, sig: str, allowed_signers: Path) -> str:
    """The allowed-signers principal whose key signed ``data``; refuses, saying which, an
    unsigned, forged/invalid, foreign-signed or edited-after-signing approval."""
    if not sig:
        raise ApprovalError(
            "the approval is unsigned, and an allowed-signers file is configured",
            hint="approve again with --key (or DIFFCHECK_SIGNING_KEY / signing_key)",
        )
    try:
        armored = base64.b64decode(sig.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError):
        armored = b""
    if not armored.startswith(_ARMOR):
        raise ApprovalError("the approval has a forged/invalid signature (not an SSH signature)")
    with _workdir() as tmp:
        sig_path, message = tmp / "approval.sig", tmp / "approval"
        sig_path.write_bytes(armored)
        message.write_bytes(data)
        found = _run(["-Y", "find-principals", "-s", str(sig_path), "-f", str(allowed_signers)])
        principals = [p.strip() for p in found.stdout.splitlines() if p.strip()]
        if found.returncode != 0 or not principals:
            why = _one_line(found.stderr)
            # A readable signature by an unlisted key says only this; an unreadable one
            # says why it could not be parsed first.
            if why.lower() in ("no principal matched.", "no principal matched"):
                raise ApprovalError(
                    f"the approval is not signed by an allowed signer (its key is not in "
                    f"{allowed_signers})"
                )
            raise ApprovalError(f"the approval has a forged/invalid signature ({why})")
        principal = principals[0]
        args = ["-f", str(allowed_signers), "-I", principal, "-n", NAMESPACE, "-s", str(sig_path)]
        checked = _run(["-Y", "verify", *args], stdin_path=message)
        if checked.returncode != 0:
            raise ApprovalError(
                f"the approval was edited after signing: {principal}'s signature does not "
                "cover its digest, allow list, approver and time "
                f"(ssh-keygen: {_one_line(checked.stderr)})"
            )
        return principal
