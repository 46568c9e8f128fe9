"""The one hazard policy: which codes exist, how ``--allow-hazard`` values are read, and
what an allowance covers. ``approve``, ``apply`` (checking an approval) and ``apply --auto``
all ask this module, so ``all`` means the same everywhere: every hazard except
``DELETES_DATA``, which must always be named."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from .errors import ConfigError
from .hazards import HAZARD_CODES

ALL = "ALL"
# Losing data is the one risk nobody should accept by wildcard.
NEVER_IMPLICIT: frozenset[str] = frozenset({"DELETES_DATA"})
VALID_CODES: frozenset[str] = frozenset(HAZARD_CODES)


@dataclass(frozen=True)
class Allowance:
    """A parsed set of allowed hazard codes; ``everything`` is the ``all`` wildcard."""

    codes: frozenset[str] = frozenset()
    everything: bool = False

    def covers(self, code: str) -> bool:
        """Whether this allowance accepts one hazard code."""
        if code in self.codes:
            return True
        return self.everything and code not in NEVER_IMPLICIT

    def missing(self, present: Iterable[str]) -> list[str]:
        """The codes of ``present`` this allowance does not accept, sorted."""
        return sorted({c for c in present if not self.covers(c)})

    def granted(self, present: Iterable[str]) -> list[str]:
        """The codes of ``present`` this allowance accepts (what an approval records)."""
        return sorted({c for c in present if self.covers(c)})


def valid_codes_text() -> str:
    """The valid values of --allow-hazard, for error messages and help."""
    return "all, " + ", ".join(HAZARD_CODES)


def parse_allow(values: Iterable[str], origin: str = "--allow-hazard") -> Allowance:
    """Read repeatable and comma-separated hazard codes (any case); unknown codes are an
    error naming the valid ones, so a typo never silently allows nothing."""
    codes: set[str] = set()
    everything = False
    for value in values:
        for part in str(value).split(","):
            code = part.strip().upper()
            if not code:
                continue
            if code == ALL:
                everything = True
            elif code in VALID_CODES:
                codes.add(code)
            else:
                raise ConfigError(
                    f"{origin}: unknown hazard code {part.strip()!r} (valid: {valid_codes_text()})"
                )
    return Allowance(frozenset(codes), everything)


def refusal_hint(missing: Iterable[str]) -> str:
    """How to allow what was refused; DELETES_DATA is called out as never implied."""
    hint = "pass --allow-hazard CODE for each after review (comma-separated or repeated)"
    if any(c in NEVER_IMPLICIT for c in missing):
        hint += "; DELETES_DATA is never implied by 'all' and must be named"
    return hint
