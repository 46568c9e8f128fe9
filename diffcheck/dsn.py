"""Database URLs: normalising driver suffixes, swapping the database name, masking passwords.

Every message that contains a URL goes through :func:`mask` first, the way alembic's
``obfuscate_url_pw`` does, so a password never reaches a terminal or a log.
"""

from __future__ import annotations

import re
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
    """Replace any password in a URL or keyword DSN with '***', well-formed or not; a socket
    directory in a URL's host prints as ``?host=/path`` rather than percent-encoded."""
    if not text:
        return text
    if "://" in text:
        try:
            return _mask_url(text)
        except ValueError:  # e.g. an unclosed IPv6 bracket
            return mask_text(text, whole=True)
    try:
        kw = psycopg2.extensions.parse_dsn(text)
    except psycopg2.ProgrammingError:
        return mask_text(text, whole=True)
    if "password" in kw:
        kw["password"] = "***"
    return psycopg2.extensions.make_dsn(**kw)


def _mask_url(text: str) -> str:
    parts = urlsplit(text)
    if "@" in parts.path + parts.query + parts.fragment:
        # The user info did not end where urlsplit thinks (a '/' or '?' in a password):
        # mask by position instead of trusting the split.
        return mask_text(text, whole=True)
    userinfo, at, hostport = parts.netloc.rpartition("@")
    if ":" in userinfo:
        userinfo = userinfo.split(":", 1)[0] + ":***"
    query = [
        (k, "***" if k.lower() == "password" else v)
        for k, v in parse_qsl(parts.query, keep_blank_values=True)
    ]
    if hostport.lower().startswith("%2f"):  # a socket directory, percent-encoded
        host, colon, port = unquote(hostport).rpartition(":")
        if not (colon and port.isdigit()):
            host, port = unquote(hostport), ""
        hostport = ":" + port if port else ""
        if not any(k == "host" for k, _ in query):
            query.append(("host", host))
    netloc = userinfo + at + hostport
    # Readable: a socket path or a list of hosts stays as typed (quote keeps '/' and ',').
    qtext = "&".join(f"{quote(k, safe='')}={quote(v, safe='/:,*')}" for k, v in query)
    # Not urlunsplit: it drops the '//' of an empty host (postgresql:///db?host=/tmp/sock).
    out = f"{parts.scheme}://{netloc}{parts.path}"
    return out + (f"?{qtext}" if qtext else "") + (f"#{parts.fragment}" if parts.fragment else "")


# password=VALUE in keyword DSNs and URL queries: VALUE quoted ('...', with \' escapes) or up
# to a blank, '&' or ';'. These patterns see URLs and messages about them, never SQL.
_PASSWORD_KEYWORD = re.compile(r"""(password\s*=\s*)('(?:[^'\\]|\\.)*'?|[^\s&;]*)""", re.I)
_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:/*")


def mask_text(text: str, *, whole: bool = False) -> str:
    """Mask ``user:secret@`` and ``password=secret`` anywhere in ``text``, for strings that
    do not parse as a URL and for messages that may quote one. ``whole``: ``text`` is one
    URL, so a password may contain blanks; otherwise each blank-separated word is masked on
    its own."""
    text = _PASSWORD_KEYWORD.sub(lambda m: m.group(1) + "***", text)
    if "@" not in text:
        return text
    if whole:
        return _mask_userinfo(text)
    return " ".join(_mask_userinfo(w) if "@" in w else w for w in text.split(" "))


def _mask_userinfo(token: str) -> str:
    at = token.rfind("@")
    prefix = token[:at]
    if "//" in prefix:  # postgresql://u:pw@, postgres//u:pw@
        start = prefix.index("//") + 2
    else:  # postgresql:/u:pw@, or u:pw@host/db
        m = _SCHEME.match(prefix)
        start = m.end() if m and m.group().endswith("/") else 0
    colon = prefix.find(":", start)
    if colon < 0 or prefix[colon + 1 :] == "***":
        return token
    return token[: colon + 1] + "***" + token[at:]


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
    # A DSN that does not parse has no password to look for: mask by shape (libpq quotes
    # such a URL whole in its error).
    return mask_text(message)
