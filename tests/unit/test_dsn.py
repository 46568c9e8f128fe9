"""URL handling: masking, database swaps, driver suffixes."""

from __future__ import annotations

import pytest

from diffcheck import dsn
from diffcheck.errors import ConfigError


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://alice:s3cretPW@db.example:5432/prod",
        "postgresql+psycopg2://alice:s3cretPW@db/prod?sslmode=require",
        "postgresql://alice@db/prod?password=s3cretPW",
        "host=db user=alice password=s3cretPW dbname=prod",
    ],
)
def test_mask_hides_password(url: str) -> None:
    masked = dsn.mask(url)
    assert "s3cretPW" not in masked
    assert "alice" in masked


def test_scrub_removes_password_from_messages() -> None:
    url = "postgresql://alice:p%40ss@db/prod"
    msg = 'FATAL: password authentication failed for "alice" (p@ss)'
    assert "p@ss" not in dsn.scrub(msg, url)


def test_with_dbname_keeps_everything_else() -> None:
    out = dsn.with_dbname("postgresql://a:b@h:5433/one?sslmode=require", "two")
    assert out.startswith("postgresql://a:b@h:5433/two")
    assert "sslmode=require" in out
    assert dsn.dbname(out) == "two"
    kw = dsn.with_dbname("host=h port=5433 dbname=one user=a", "two")
    assert dsn.dbname(kw) == "two" and dsn.server_key(kw) == ("h", "5433", "a")


def test_socket_url_swap() -> None:
    url = "postgresql://postgres:@/postgres?host=/tmp/sock"
    out = dsn.with_dbname(url, "scratch")
    assert dsn.dbname(out) == "scratch"
    assert dsn.server_key(out)[0] == "/tmp/sock"


def test_driver_suffix_and_sqlalchemy_url() -> None:
    assert dsn.normalize("postgresql+psycopg2://u@h/d") == "postgresql://u@h/d"
    assert dsn.sqlalchemy_url("postgresql://u@h/d").startswith("postgresql+psycopg2://")
    assert dsn.sqlalchemy_url("host=h user=u dbname=d").startswith("postgresql+psycopg2://u@h")


@pytest.mark.parametrize("bad", ["", "mysql://u@h/d", "not a dsn at all ==="])
def test_bad_urls(bad: str) -> None:
    with pytest.raises(ConfigError):
        dsn.normalize(bad)
