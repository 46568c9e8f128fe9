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


# --- no password from any URL, well-formed or not ---------------------------------------------

PW = "Zq9secretPW"
MALFORMED = [
    f"postgres//u:{PW}@host/db",
    f"postgresql:/u:{PW}@host/db",
    f"u:{PW}@host/db",
    f"postgresql://u:{PW}@host:notaport/db",
    f"postgresql://u:{PW}@[::1/db",
    f"postgresql://u:{PW}/x@host/db",  # a '/' in the password: urlsplit cuts the netloc short
    f"postgresql://u:{PW}?x@host/db",
    f"postgresql://u:{PW}@h/db?password={PW}&sslmode=require",
    f"postgresql://u@h/db?PASSWORD={PW}",
    f"host=h user=u password={PW} dbname=d",
    f"host=h user=u password='{PW} with blanks' dbname=d",
    f"host=h user=u password = '{PW}",  # unterminated quote: does not parse
    f"host=h password={PW} nonsense",
    f"postgresql://u:{PW} blank@host/db",
]


@pytest.mark.parametrize("url", MALFORMED)
def test_mask_never_shows_the_password(url: str) -> None:
    masked = dsn.mask(url)
    assert PW not in masked and "blank" not in masked, masked
    assert "***" in masked


@pytest.mark.parametrize("url", MALFORMED)
def test_bad_url_errors_are_masked(url: str) -> None:
    for call in (dsn.normalize, dsn.dbname, lambda u: dsn.with_dbname(u, "x")):
        try:
            call(url)
        except ConfigError as exc:
            assert PW not in str(exc), str(exc)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"postgres//u:{PW}@host/db", "postgres//u:***@host/db"),
        (f"postgresql:/u:{PW}@host/db", "postgresql:/u:***@host/db"),
        (f"u:{PW}@host/db", "u:***@host/db"),
        (f"postgresql://u:{PW}@[::1/db", "postgresql://u:***@[::1/db"),
        (f"host=h password='{PW} x", "host=h password=***"),
    ],
)
def test_malformed_urls_keep_everything_but_the_password(text: str, expected: str) -> None:
    assert dsn.mask(text) == expected


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("postgresql://u@%2Ftmp%2Fsock/db", "postgresql://u@/db?host=/tmp/sock"),
        (f"postgresql://u:{PW}@%2Ftmp%2Fsock:5433/db", "postgresql://u:***@:5433/db?host=/tmp/sock"),
        ("postgresql:///db?host=/tmp/sock", "postgresql:///db?host=/tmp/sock"),
        ("postgresql://u@/db?host=/tmp/sock&port=5440", "postgresql://u@/db?host=/tmp/sock&port=5440"),
        ("postgresql://u@h1,h2:5433/db", "postgresql://u@h1,h2:5433/db"),
    ],
)
def test_socket_paths_print_readably(url: str, expected: str) -> None:
    assert dsn.mask(url) == expected


@pytest.mark.parametrize(
    "message",
    [
        f'could not parse "postgresql://u:{PW}@[::1/db": invalid IPv6 host address',
        f"target postgres//u:{PW}@host/db failed",
        f"bad DSN: host=h password={PW}",
        f"connecting to u:{PW}@host/db, then",
    ],
)
def test_messages_are_masked(message: str) -> None:
    from diffcheck.cli import mask_message

    masked = mask_message(message)
    assert PW not in masked and "***" in masked, masked


def test_plain_messages_are_left_alone() -> None:
    from diffcheck.cli import mask_message

    text = "pyproject.toml:3: invalid value 'x' for live; see alice@example.com at 12:30"
    assert mask_message(text) == text


def test_scrub_masks_a_driver_error_quoting_an_unparseable_url() -> None:
    url = f"postgresql://u:{PW}@[::1/db"
    message = f'invalid IPv6 host address in URI: "{url}"'
    assert PW not in dsn.scrub(message, url)
