"""Database URLs: normalising driver suffixes, swapping the database name, masking passwords.

Every message that contains a URL goes through :func:`mask` first, the way alembic's
``obfuscate_url_pw`` does, so a password never reaches a terminal or a log.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, unquote, urlencode, urlsplit, urlunsplit

import psycopg2.extensions

from .errors import ConfigError

_SCHEMES = ("postgresql", "postgres")


def _is_url(dsn: str) -> bool:
    scheme = dsn.split("://", 1)[0] if "://" in dsn else ""
    return scheme.split("+", 1)[0] in _SCHEMES


def normalize(dsn: str) -> str:
    """Return a libpq-compatible URL: drop SQLAlchemy driver suffixes such as '+psycopg2'."""
    dsn = dsn.strip()
    if not dsn:
        raise ConfigError("empty database URL")
    if "://" in dsn:
        if not _is_url(dsn):
            raise ConfigError(f"not a PostgreSQL URL: {mask(dsn)}")
        rest = dsn.split("://", 1)[1]
        return "postgresql://" + rest
    # A libpq keyword string ("host=... dbname=..."): validate it now for a clear error.
    try:
        psycopg2.extensions.parse_dsn(dsn)
    except psycopg2.ProgrammingError as exc:
        raise ConfigError(f"bad database URL: {mask(dsn)}") from exc
    return dsn


def _keywords(dsn: str) -> dict[str, str]:
    try:
        return dict(psycopg2.extensions.parse_dsn(normalize(dsn)))
    except (psycopg2.ProgrammingError, ValueError) as exc:
        raise ConfigError(f"bad database URL: {mask(dsn)}") from exc


def dbname(dsn: str) -> str:
    """The database name a URL points at (libpq's default is the user name)."""
    kw = _keywords(dsn)
    return kw.get("dbname") or kw.get("user") or "postgres"


def with_dbname(dsn: str, name: str) -> str:
    """The same server and credentials, another database."""
    dsn = normalize(dsn)
    if "://" in dsn:
        try:
            parts = urlsplit(dsn)
        except ValueError as exc:
            raise ConfigError(f"bad database URL: {mask(dsn)} ({exc})") from None
        query = [(k, v) for k, v in parse_qsl(parts.query) if k != "dbname"]
        return urlunsplit(
            (parts.scheme, parts.netloc, "/" + quote(name, safe=""), urlencode(query), "")
        )
    kw = _keywords(dsn)
    kw["dbname"] = name
    return psycopg2.extensions.make_dsn(**kw)


def server_key(dsn: str) -> tuple[str, str, str]:
    """(host, port, user): two URLs with the same key reach the same cluster as the same role."""
    kw = _keywords(dsn)
    return (kw.get("host", "") or "", kw.get("port", "5432") or "5432", kw.get("user", "") or "")


def sqlalchemy_url(dsn: str) -> str:
    """A URL for sqlbag/SQLAlchemy: explicit psycopg2 driver (SQLAlchemy 2.1 maps bare
    'postgresql://' to psycopg 3)."""
    dsn = normalize(dsn)
    if "://" not in dsn:
        kw = _keywords(dsn)
        user = quote(kw.pop("user", ""), safe="")
        pw = kw.pop("password", None)
        host = kw.pop("host", "")
        port = kw.pop("port", "")
        name = quote(kw.pop("dbname", ""), safe="")
        auth = user + (":" + quote(pw, safe="") if pw else "")
        netloc = (auth + "@" if auth else "") + (host if "/" not in host else "")
        if port and "/" not in host:
            netloc += ":" + port
        if "/" in host:
            kw["host"] = host
            if port:
                kw["port"] = port
        dsn = urlunsplit(("postgresql", netloc, "/" + name, urlencode(kw), ""))
    return "postgresql+psycopg2://" + dsn.split("://", 1)[1]


def mask(text: str) -> str:
    """Replace any password in a URL or keyword DSN with '***'."""
    if not text:
        return text
    if "://" in text:
        try:
            parts = urlsplit(text)
        except ValueError:
            return "<unparseable url>"
        netloc = parts.netloc
        if "@" in netloc:
            auth, host = netloc.rsplit("@", 1)
            if ":" in auth:
                auth = auth.split(":", 1)[0] + ":***"
            netloc = auth + "@" + host
        query = [(k, "***" if k == "password" else v) for k, v in parse_qsl(parts.query)]
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), parts.fragment))
    try:
        kw = psycopg2.extensions.parse_dsn(text)
    except psycopg2.ProgrammingError:
        return text if "password" not in text else "<dsn with password>"
    if "password" in kw:
        kw["password"] = "***"
    return psycopg2.extensions.make_dsn(**kw)


def scrub(message: str, *dsns: str | None) -> str:
    """Remove the passwords of the given DSNs from an arbitrary message (e.g. a driver error)."""
    for dsn in dsns:
        if not dsn:
            continue
        try:
            pw = _keywords(dsn).get("password")
        except ConfigError:
            continue
        if pw:
            message = message.replace(pw, "***").replace(quote(pw, safe=""), "***")
            message = message.replace(unquote(pw), "***")
    return message
