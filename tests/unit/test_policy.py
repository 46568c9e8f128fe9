"""Unit tests for diffcheck.policy: one meaning of --allow-hazard everywhere."""

from __future__ import annotations

import pytest

from diffcheck.errors import ConfigError
from diffcheck.hazards import HAZARD_CODES
from diffcheck.policy import NEVER_IMPLICIT, Allowance, parse_allow, refusal_hint


def test_repeatable_comma_separated_and_case_insensitive() -> None:
    a = parse_allow(["blocks_writes,Builds_Index", " REWRITES_TABLE ", "", "scans_table,"])
    assert a == Allowance(
        frozenset({"BLOCKS_WRITES", "BUILDS_INDEX", "REWRITES_TABLE", "SCANS_TABLE"}), False
    )


def test_unknown_code_is_an_error_listing_the_valid_ones() -> None:
    with pytest.raises(ConfigError) as info:
        parse_allow(["BLOCKS_WRITES,NOPE"])
    message = str(info.value)
    assert message.startswith("--allow-hazard: unknown hazard code 'NOPE'")
    assert all(code in message for code in HAZARD_CODES)
    assert "all" in message


def test_origin_is_named() -> None:
    with pytest.raises(ConfigError, match=r"^plans/x.sql: approval: unknown hazard code 'X'"):
        parse_allow(["X"], origin="plans/x.sql: approval")


def test_all_covers_everything_but_deletes_data() -> None:
    a = parse_allow(["all"])
    assert a.everything
    assert a.missing(HAZARD_CODES) == ["DELETES_DATA"]
    assert a.covers("UNKNOWN_STATEMENT") and a.covers("MODIFIES_DATA")
    assert not a.covers("DELETES_DATA")
    assert NEVER_IMPLICIT == {"DELETES_DATA"}


def test_deletes_data_must_be_named_even_with_all() -> None:
    a = parse_allow(["ALL,deletes_data"])
    assert a.missing(HAZARD_CODES) == []
    assert a.granted({"DELETES_DATA", "BLOCKS_READS"}) == ["BLOCKS_READS", "DELETES_DATA"]


def test_named_codes_only_cover_themselves() -> None:
    a = parse_allow(["BLOCKS_WRITES"])
    assert a.missing({"BLOCKS_WRITES", "BLOCKS_READS", "DELETES_DATA"}) == [
        "BLOCKS_READS",
        "DELETES_DATA",
    ]
    assert a.granted({"BLOCKS_WRITES", "BLOCKS_READS"}) == ["BLOCKS_WRITES"]
    assert parse_allow([]).missing({"BUILDS_INDEX"}) == ["BUILDS_INDEX"]


def test_refusal_hint_calls_out_deletes_data() -> None:
    assert "DELETES_DATA is never implied" in refusal_hint(["DELETES_DATA"])
    assert "DELETES_DATA" not in refusal_hint(["BLOCKS_READS"])
