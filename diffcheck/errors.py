"""One exception tree for diffcheck; every class knows the exit code the CLI should use.

Exit codes are part of the public contract (see README):
  0  done / in sync / nothing to do
  1  an error (bad input, unreachable server, refused operation)
  2  ``check`` found differences
  3  a plan was written but could not be verified
"""

from __future__ import annotations

EXIT_OK = 0
EXIT_ERROR = 1
EXIT_DIFFERS = 2
EXIT_UNVERIFIED = 3


class DiffcheckError(Exception):
    """Base class: a one-line message and an exit code."""

    exit_code: int = EXIT_ERROR

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.hint = hint

    def __str__(self) -> str:
        if self.hint:
            return f"{self.message} (hint: {self.hint})"
        return self.message


class ConfigError(DiffcheckError):
    """Bad flags, environment or pyproject configuration."""


class ConnectionFailed(DiffcheckError):
    """A server could not be reached or refused the login."""


class PermissionDenied(DiffcheckError):
    """The role lacks a privilege diffcheck needs (e.g. CREATEDB for scratch databases)."""


class ScratchError(DiffcheckError):
    """Creating, using or dropping a scratch database failed, or was refused for safety."""


class VersionMismatch(ScratchError):
    """Scratch and live servers run different major versions."""


class SourceError(DiffcheckError):
    """A schema source could not be resolved (missing dir, bad git rev, bad module...)."""


class SchemaLoadError(SourceError):
    """A desired-schema file failed to load; carries file, line and column."""

    def __init__(
        self,
        message: str,
        *,
        path: str,
        line: int | None = None,
        column: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.path = path
        self.line = line
        self.column = column
        where = path
        if line is not None:
            where += f":{line}"
            if column is not None:
                where += f":{column}"
        super().__init__(f"{where}: {message}", hint=hint)
        self.bare_message = message


class EngineError(DiffcheckError):
    """The comparison engine failed or produced SQL diffcheck will not trust."""


class UnsafeSQL(EngineError):
    """Generated SQL did not parse to exactly one statement."""


class PlanError(DiffcheckError):
    """A plan file is missing, malformed, or inconsistent."""


class TamperedPlan(PlanError):
    """The plan's statements no longer match their digest."""


class ApprovalError(PlanError):
    """Approval refused, missing, or void."""


class DriftError(DiffcheckError):
    """Live no longer matches the plan's 'from' schema."""

    def __init__(self, message: str, *, drift_sql: list[str] | None = None) -> None:
        super().__init__(message)
        self.drift_sql = drift_sql or []


class LockError(DiffcheckError):
    """The advisory lock or a table lock could not be taken in time."""


class ApplyError(DiffcheckError):
    """Applying a plan failed; live was rolled back."""

    def __init__(self, message: str, *, statement: str | None = None, hint: str | None = None):
        super().__init__(message, hint=hint)
        self.statement = statement


class ResidualDiff(ApplyError):
    """After applying, live still differs from desired; rolled back."""

    def __init__(self, message: str, *, residual: list[str]) -> None:
        super().__init__(message)
        self.residual = residual


class Unverified(DiffcheckError):
    """A plan was written but its rehearsal failed or did not converge."""

    exit_code = EXIT_UNVERIFIED
