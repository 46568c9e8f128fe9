"""Sequence options migra does not compare: standalone sequences and identity columns.

migra knows a sequence by name and owner only (``create sequence s;``), and an identity column
by ALWAYS / BY DEFAULT only; AS type, INCREMENT, MINVALUE, MAXVALUE, START, CACHE, CYCLE and
the identity sequence's name are invisible to it. OWNED BY of standalone sequences is compared
by migra itself and is not repeated here."""

from __future__ import annotations

from typing import Any, NamedTuple

import psycopg2
from psycopg2 import sql

from .bs_common import Touched, keeps, not_extension, qname, quote_ident, rows, user_schema

TYPE_RANGE = {
    "smallint": (-(2**15), 2**15 - 1),
    "integer": (-(2**31), 2**31 - 1),
    "bigint": (-(2**63), 2**63 - 1),
}
NAMEDATALEN = 64


class SeqOpts(NamedTuple):
    """The options of one sequence, as pg_sequence stores them."""

    type: str
    start: int
    increment: int
    min: int
    max: int
    cache: int
    cycle: bool


class Seq(NamedTuple):
    """A standalone sequence: its options and whether nextval was ever called."""

    opts: SeqOpts
    unused: bool


class Identity(NamedTuple):
    """An identity column's sequence: where it lives, its options, and the column's type."""

    seq_schema: str
    seq_name: str
    opts: SeqOpts
    unused: bool
    column_type: str


_OPTS = """format_type(s.seqtypid, null) as seqtype, s.seqstart, s.seqincrement, s.seqmin,
    s.seqmax, s.seqcache, s.seqcycle,
    has_sequence_privilege(sc.oid, 'SELECT') as readable"""

_SEQUENCES = f"""
select n.nspname as schema, sc.relname as name, {_OPTS}
from pg_catalog.pg_sequence s
join pg_catalog.pg_class sc on sc.oid = s.seqrelid
join pg_catalog.pg_namespace n on n.oid = sc.relnamespace
where {user_schema()} and {not_extension("pg_class", "sc.oid")}
  and not exists (select 1 from pg_catalog.pg_depend d where d.classid = 'pg_class'::regclass
                  and d.objid = sc.oid and d.deptype = 'i')
"""

_IDENTITIES = f"""
select n.nspname as schema, c.relname as table_name, a.attname as column_name,
    format_type(a.atttypid, null) as column_type, sn.nspname as seq_schema,
    sc.relname as seq_name, {_OPTS}
from pg_catalog.pg_attribute a
join pg_catalog.pg_class c on c.oid = a.attrelid
join pg_catalog.pg_namespace n on n.oid = c.relnamespace
join pg_catalog.pg_depend d on d.refclassid = 'pg_class'::regclass and d.refobjid = c.oid
    and d.refobjsubid = a.attnum and d.classid = 'pg_class'::regclass and d.deptype = 'i'
join pg_catalog.pg_class sc on sc.oid = d.objid and sc.relkind = 'S'
join pg_catalog.pg_namespace sn on sn.oid = sc.relnamespace
join pg_catalog.pg_sequence s on s.seqrelid = sc.oid
where a.attidentity <> '' and not a.attisdropped and {user_schema()}
  and {not_extension("pg_class", "c.oid")}
"""

# Every relation name per schema, filtered or not: PostgreSQL avoids all of them when it
# names a new identity sequence.
_RELNAMES = f"""
select n.nspname as schema, c.relname as name
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where {user_schema()}
"""


def _opts(r: Any) -> SeqOpts:
    return SeqOpts(
        r.seqtype, r.seqstart, r.seqincrement, r.seqmin, r.seqmax, r.seqcache, r.seqcycle
    )


def read(cur: Any, filters: Any) -> dict[str, Any]:
    """Standalone sequences, identity sequences and relation names."""
    seqs = [r for r in rows(cur, _SEQUENCES) if keeps(filters, r.schema, r.name)]
    idents = [r for r in rows(cur, _IDENTITIES) if keeps(filters, r.schema, r.table_name)]
    fresh = never_called(
        cur,
        [(r.schema, r.name) for r in seqs if r.readable]
        + [(r.seq_schema, r.seq_name) for r in idents if r.readable],
    )
    sequences = {(r.schema, r.name): Seq(_opts(r), (r.schema, r.name) in fresh) for r in seqs}
    identities = {
        (r.schema, r.table_name, r.column_name): Identity(
            r.seq_schema, r.seq_name, _opts(r), (r.seq_schema, r.seq_name) in fresh, r.column_type
        )
        for r in idents
    }
    relnames: dict[str, set[str]] = {}
    for r in rows(cur, _RELNAMES):
        relnames.setdefault(r.schema, set()).add(r.name)
    return {"sequences": sequences, "identities": identities, "relnames": relnames}


# pg_sequence_last_value() holds a lock on its sequence until the inspecting transaction ends
# (sequence.c takes it for the top transaction, past any savepoint): one lock per sequence,
# all at once, so a database with more sequences than the server's shared lock table (about
# 7,800 on a default server) could not be inspected ("out of shared memory"). A plain SELECT
# from the sequence takes an ordinary lock that rolling back a savepoint releases, so the
# sequences are read a bounded chunk at a time. A sequence's state is not transactional:
# reading it outside the inspection's snapshot loses nothing.
_CHUNK = 32


def states(cur: Any, names: list[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, bool]]:
    """``(last_value, is_called)`` of each readable sequence among ``names``.

    One that cannot be read (no SELECT privilege, dropped meanwhile) is left out."""
    got: dict[tuple[str, str], tuple[int, bool]] = {}
    in_transaction = not cur.connection.autocommit
    for start in range(0, len(names), _CHUNK):
        chunk = names[start : start + _CHUNK]
        query = sql.SQL(" union all ").join(
            sql.SQL("select {}::int, last_value, is_called from {}.{}").format(
                sql.Literal(k), sql.Identifier(schema), sql.Identifier(name)
            )
            for k, (schema, name) in enumerate(chunk)
        )
        if in_transaction:
            cur.execute("savepoint diffcheck_sequences")
        try:
            cur.execute(query)
            fetched = cur.fetchall()
        except psycopg2.Error:
            fetched = []
        if in_transaction:
            cur.execute("rollback to savepoint diffcheck_sequences")
            cur.execute("release savepoint diffcheck_sequences")
        got.update((chunk[r[0]], (int(r[1]), bool(r[2]))) for r in fetched)
    return got


def never_called(cur: Any, names: list[tuple[str, str]]) -> set[tuple[str, str]]:
    """The sequences among ``names`` whose nextval was never called (``is_called`` false).

    Only a sequence known to be unused can safely be RESTARTed; one that cannot be read
    counts as used."""
    return {key for key, (_, called) in states(cur, names).items() if not called}


_READABLE = f"""
select n.nspname as schema, c.relname as name
from pg_catalog.pg_class c join pg_catalog.pg_namespace n on n.oid = c.relnamespace
where c.relkind = 'S' and {user_schema()} and {not_extension("pg_class", "c.oid")}
  -- CASE: the planner may test conditions in any order, and the function rejects a table.
  and case when c.relkind = 'S' then has_sequence_privilege(c.oid, 'SELECT') else false end
"""


def copy_states(src: Any, dst: Any) -> int:
    """Give the sequences of database ``dst`` (a clone) the positions they have in ``src``.

    A schema-only dump restores every sequence unused, at its START; on such a clone a plan
    that lowers a used sequence's MAXVALUE below its position (or raises MINVALUE above it)
    rehearsed as fine and failed on live. Cursors are autocommit, so each chunk's locks go
    with its own transaction. Returns how many sequences were set."""
    found = states(src, [(r[0], r[1]) for r in rows(src, _READABLE)])
    items = sorted(found.items())
    done = 0
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        dst.execute(
            "select count(pg_catalog.setval(r, v, c)) from ("
            " select pg_catalog.to_regclass(pg_catalog.format('%%I.%%I', s, n)) as r, v, c"
            " from unnest(%s::text[], %s::text[], %s::bigint[], %s::bool[]) as t(s, n, v, c)"
            ") x where r is not null",
            (
                [k[0] for k, _ in chunk],
                [k[1] for k, _ in chunk],
                [v[0] for _, v in chunk],
                [v[1] for _, v in chunk],
            ),
        )
        row = dst.fetchone()
        done += int(row[0]) if row else 0
    return done


def defaults(type_: str) -> SeqOpts:
    """What ``create sequence`` (or a new identity column) gets for data type ``type_``."""
    _, hi = TYPE_RANGE.get(type_, TYPE_RANGE["bigint"])
    return SeqOpts(type_, 1, 1, 1, hi, 1, False)


def _clauses(a: SeqOpts, b: SeqOpts, prefix: str, *, with_type: bool) -> list[str]:
    """Option clauses turning ``a`` into ``b``; ``prefix`` is '' or 'set ' (ALTER COLUMN)."""
    out = []
    # A type change silently moves a default MINVALUE/MAXVALUE, so both are always stated.
    retyped = a.type != b.type
    if with_type and retyped:
        out.append(f"as {b.type}")
    if a.increment != b.increment:
        out.append(f"{prefix}increment by {b.increment}")
    if a.min != b.min or (with_type and retyped):
        out.append(f"{prefix}minvalue {b.min}")
    if a.max != b.max or (with_type and retyped):
        out.append(f"{prefix}maxvalue {b.max}")
    if a.start != b.start:
        out.append(f"{prefix}start with {b.start}")
    if a.cache != b.cache:
        out.append(f"{prefix}cache {b.cache}")
    if a.cycle != b.cycle:
        out.append(f"{prefix}{'cycle' if b.cycle else 'no cycle'}")
    return out


def _sequence_statements(a: dict[Any, Seq], b: dict[Any, Seq], touched: Touched) -> list[str]:
    out = []
    for (schema, name), sb in sorted(b.items()):
        sa = a.get((schema, name))
        if sa is None or touched.sequence(schema, name):
            # migra creates it with a bare "create sequence": bigint and defaults, unused.
            sa = Seq(defaults("bigint"), True)
        clauses = _clauses(sa.opts, sb.opts, "", with_type=True)
        if not clauses:
            continue
        if sa.unused:
            # Never used: restart so the next value is the new START, as in a fresh database.
            clauses.append("restart")
        out.append(f"alter sequence {qname(schema, name)} {' '.join(clauses)};")
    return out


def _clip(name: str, nbytes: int) -> str:
    return name.encode()[:nbytes].decode("utf-8", "ignore")


def object_name(name1: str, name2: str, label: str) -> str:
    """PostgreSQL's makeObjectName: ``name1_name2_label`` truncated to fit NAMEDATALEN."""
    avail = NAMEDATALEN - 1 - (len(label) + 2)
    l1, l2 = len(name1.encode()), len(name2.encode())
    while l1 + l2 > avail:
        if l1 > l2:
            l1 -= 1
        else:
            l2 -= 1
    return f"{_clip(name1, l1)}_{_clip(name2, l2)}_{label}"


def identity_sequence_name(table: str, column: str, taken: set[str]) -> str:
    """The name PostgreSQL's ChooseRelationName gives a new identity sequence."""
    label, n = "seq", 0
    while True:
        name = object_name(table, column, label)
        if name not in taken:
            return name
        n += 1
        label = f"seq{n}"


def _identity_statements(
    a_facts: dict[str, Any], b_facts: dict[str, Any], touched: Touched, a: Any
) -> list[str]:
    out = []
    ai: dict[Any, Identity] = a_facts.get("identities", {})
    bi: dict[Any, Identity] = b_facts.get("identities", {})
    relnames: dict[str, set[str]] = a_facts.get("relnames", {})
    for (schema, table, column), ib in sorted(bi.items()):
        ia = ai.get((schema, table, column))
        col_a = _column(a, schema, table, column)
        if (
            ia is None
            or touched.column(schema, table, column)
            or col_a is None
            or not col_a.is_identity
        ):
            # migra adds the identity (or its column or table): PostgreSQL names the sequence
            # in the table's schema and gives it the column's type and default options.
            name = identity_sequence_name(table, column, relnames.get(schema, set()))
            ia = Identity(schema, name, defaults(ib.column_type), True, ib.column_type)
        seq_schema, seq_name = ia.seq_schema, ia.seq_name
        if seq_schema != ib.seq_schema:
            out.append(
                f"alter sequence {qname(seq_schema, seq_name)} "
                f"set schema {quote_ident(ib.seq_schema)};"
            )
            seq_schema = ib.seq_schema
        if seq_name != ib.seq_name:
            out.append(
                f"alter sequence {qname(seq_schema, seq_name)} "
                f"rename to {quote_ident(ib.seq_name)};"
            )
        opts_a = ia.opts
        if opts_a.type != ib.opts.type:
            # ALTER COLUMN cannot change the sequence type; ALTER SEQUENCE can (with bounds).
            out.append(
                f"alter sequence {qname(ib.seq_schema, ib.seq_name)} as {ib.opts.type} "
                f"minvalue {ib.opts.min} maxvalue {ib.opts.max};"
            )
            opts_a = opts_a._replace(type=ib.opts.type, min=ib.opts.min, max=ib.opts.max)
        clauses = _clauses(opts_a, ib.opts, "set ", with_type=False)
        if clauses:
            if ia.unused:
                clauses.append("restart")
            out.append(
                f"alter table {qname(schema, table)} alter column {quote_ident(column)} "
                f"{' '.join(clauses)};"
            )
    return out


def _column(inspector: Any, schema: str, table: str, column: str) -> Any:
    t = inspector.tables.get(qname(schema, table))
    return None if t is None else t.columns.get(column)


def statements(a: Any, b: Any, touched: Touched) -> list[str]:
    """ALTER SEQUENCE / ALTER TABLE ... ALTER COLUMN statements for sequence options."""
    fa, fb = a.diffcheck_facts, b.diffcheck_facts
    return _sequence_statements(
        fa.get("sequences", {}), fb.get("sequences", {}), touched
    ) + _identity_statements(fa, fb, touched, a)
