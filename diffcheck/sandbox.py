"""The statement sandbox: which statements of a desired source may run in a scratch database.

A desired source is built by running its SQL in a scratch database on a real server, often
live's own. In CI the files come from a pull request, so a statement that acts outside the
scratch database (DROP DATABASE, ALTER SYSTEM, CREATE ROLE, COPY ... TO PROGRAM, a call of
dblink_exec ...) would reach the server. Every statement is therefore checked here, from its
pglast parse tree (never its text), before any statement of the source runs.

The check is an allow-list of statement kinds: what ``pg_dump --schema-only`` and
``diffcheck init`` write, plus ordinary hand-written DDL. A statement kind PostgreSQL adds
later is refused until it is listed here. Top-level SELECT may only call ``set_config``,
``setval`` and ``current_setting`` with constant arguments (pg_dump's preamble).

Beyond refusing, two kinds of statement are changed so that no code of the schema runs while
it builds: ``CREATE MATERIALIZED VIEW`` and ``CREATE TABLE ... AS`` are built ``WITH NO DATA``
(only their definitions are compared), and ``REFRESH MATERIALIZED VIEW`` and ``INSERT ...
VALUES`` (Rails' structure.sql ends with one) are data, not schema: they are skipped. Both
apply with ``--trust-schema-sql`` too; that flag only turns the refusals off.

Trees are pglast's JSON form (``parse_sql_json``): plain dicts, which a large file yields in
a fraction of the time a Python AST takes."""

from __future__ import annotations

from typing import Any

import pglast

from .denylist import denied_call as _denied_call
from .denylist import lexing_refusal as _lexing_refusal
from .denylist import names as _names
from .denylist import setting_value as _value
from .denylist import walk as _walk
from .errors import SchemaLoadError

Node = dict[str, Any]

RUN, SKIP, NO_DATA = "run", "skip", "no data"


class RefusedStatement(SchemaLoadError):
    """A statement that could act outside the scratch database; nothing of the source ran."""

    def __init__(
        self, kind: str, *, path: str, line: int | None, where: str = "a schema file"
    ) -> None:
        super().__init__(
            f"{kind} is not allowed in {where}",
            path=path,
            line=line,
            hint=None,
        )
        self.kind = kind


# Statement kinds that only define or change objects of the database they run in: schemas,
# tables, views, indexes, sequences; types and domains (DefineStmt: aggregates, operators, base
# types, collations, text search objects); functions' companions (casts, transforms,
# operator classes and families, languages, conversions, access methods); triggers, rules,
# policies, event triggers; extensions, collations, text search, statistics; publications,
# foreign data wrappers, servers, user mappings, foreign tables; default privileges; SHOW.
# Statements needing a closer look (CREATE TABLE, ALTER TABLE, SELECT, SET, GRANT, ...) are
# decided in refusal(), and any other kind is refused.
_ALLOWED = frozenset(
    """
    CreateSchemaStmt ViewStmt IndexStmt CreateSeqStmt AlterSeqStmt DropStmt
    AlterObjectSchemaStmt AlterObjectDependsStmt ConstraintsSetStmt
    CompositeTypeStmt CreateEnumStmt AlterEnumStmt CreateRangeStmt CreateDomainStmt
    AlterDomainStmt AlterTypeStmt DefineStmt
    AlterFunctionStmt CreateCastStmt CreateTransformStmt CreateOpClassStmt CreateOpFamilyStmt
    AlterOpFamilyStmt AlterOperatorStmt CreatePLangStmt CreateConversionStmt CreateAmStmt
    CreateTrigStmt RuleStmt CreatePolicyStmt AlterPolicyStmt CreateEventTrigStmt
    CreateExtensionStmt AlterExtensionStmt AlterExtensionContentsStmt AlterCollationStmt
    AlterTSDictionaryStmt AlterTSConfigurationStmt CreateStatsStmt AlterStatsStmt
    CreatePublicationStmt AlterPublicationStmt CreateFdwStmt AlterFdwStmt
    CreateForeignServerStmt AlterForeignServerStmt CreateUserMappingStmt AlterUserMappingStmt
    DropUserMappingStmt CreateForeignTableStmt
    AlterDefaultPrivilegesStmt VariableShowStmt
    """.split()
)

# Refused kinds, in the words a user would write them.
_KIND = {
    "CreatedbStmt": "CREATE DATABASE",
    "AlterDatabaseStmt": "ALTER DATABASE",
    "AlterDatabaseSetStmt": "ALTER DATABASE",
    "AlterDatabaseRefreshCollStmt": "ALTER DATABASE",
    "DropdbStmt": "DROP DATABASE",
    "AlterSystemStmt": "ALTER SYSTEM",
    "AlterRoleStmt": "ALTER ROLE",
    "AlterRoleSetStmt": "ALTER ROLE",
    "DropRoleStmt": "DROP ROLE",
    "ReassignOwnedStmt": "REASSIGN OWNED",
    "DropOwnedStmt": "DROP OWNED",
    "CreateTableSpaceStmt": "CREATE TABLESPACE",
    "DropTableSpaceStmt": "DROP TABLESPACE",
    "AlterTableSpaceOptionsStmt": "ALTER TABLESPACE",
    "AlterTableMoveAllStmt": "ALTER ... ALL IN TABLESPACE",
    "CopyStmt": "COPY",
    "LoadStmt": "LOAD",
    "CheckPointStmt": "CHECKPOINT",
    "ClusterStmt": "CLUSTER",
    "ReindexStmt": "REINDEX",
    "ListenStmt": "LISTEN",
    "NotifyStmt": "NOTIFY",
    "UnlistenStmt": "UNLISTEN",
    "DoStmt": "a DO block",
    "CallStmt": "CALL",
    "UpdateStmt": "UPDATE",
    "DeleteStmt": "DELETE",
    "MergeStmt": "MERGE",
    "TruncateStmt": "TRUNCATE",
    "ExecuteStmt": "EXECUTE",
    "PrepareStmt": "PREPARE",
    "DeallocateStmt": "DEALLOCATE",
    "SecLabelStmt": "SECURITY LABEL",
    "CreateSubscriptionStmt": "CREATE SUBSCRIPTION",
    "AlterSubscriptionStmt": "ALTER SUBSCRIPTION",
    "DropSubscriptionStmt": "DROP SUBSCRIPTION",
    "ImportForeignSchemaStmt": "IMPORT FOREIGN SCHEMA",
    "DiscardStmt": "DISCARD",
    "ExplainStmt": "EXPLAIN",
    "DeclareCursorStmt": "DECLARE CURSOR",
    "ClosePortalStmt": "CLOSE",
    "LockStmt": "LOCK",
}

# Objects that live outside the database: GRANT/COMMENT/OWNER TO/RENAME on them reach the
# whole cluster.
_SHARED_OBJECTS = {
    "OBJECT_DATABASE": "DATABASE",
    "OBJECT_TABLESPACE": "TABLESPACE",
    "OBJECT_ROLE": "ROLE",
    "OBJECT_SUBSCRIPTION": "SUBSCRIPTION",
    "OBJECT_PARAMETER_ACL": "PARAMETER",
}

# Settings that would undo the sandbox (the build's role, its session_replication_role) or
# widen what a superuser session may do to the cluster's catalogs and files.
_GUARDED_SETTINGS = {
    "role": "SET ROLE",
    "session_authorization": "SET SESSION AUTHORIZATION",
    "session_replication_role": "SET session_replication_role",
    "allow_system_table_mods": "SET allow_system_table_mods",
    "allow_in_place_tablespaces": "SET allow_in_place_tablespaces",
    "dynamic_library_path": "SET dynamic_library_path",
    "lo_compat_privileges": "SET lo_compat_privileges",
    "local_preload_libraries": "SET local_preload_libraries",
    "session_preload_libraries": "SET session_preload_libraries",
}

# Functions a top-level SELECT may call: pg_dump's preamble and sequence positions. Their
# arguments may only be constants (with casts) and calls of these same functions.
_CALLABLE = frozenset({"set_config", "setval", "current_setting"})
_CAST_TYPES = frozenset(
    {"text", "regclass", "bool", "boolean", "int4", "int8", "integer", "bigint", "name", "oid"}
)


def _one(node: Node) -> tuple[str, Node]:
    """(type name, fields) of a ``{"Type": {...}}`` node."""
    ((name, body),) = node.items()
    return name, body


def _constant(node: Node) -> str | None:
    """The string value of a constant (possibly cast), or None."""
    kind, body = _one(node)
    if kind == "TypeCast":
        return _constant(body["arg"])
    if kind == "A_Const" and "sval" in body:
        return str(body["sval"].get("sval", ""))
    return None


def _call_refusal(body: Node, defined: frozenset[str]) -> str | None:
    """Why a FuncCall in a top-level SELECT is refused, or None."""
    names = _names(body.get("funcname"))
    name = ".".join(names)
    if len(names) > 2 or names[-1] not in _CALLABLE or names[:-1] not in ([], ["pg_catalog"]):
        return f"a call of {name}"
    if names == [name] and name in defined:  # the search_path may find the schema's own
        return f"an unqualified call of {name} (the schema defines a {name})"
    if names[-1] == "set_config":
        args = body.get("args") or []
        setting = _constant(args[0]) if args else None
        if setting is None:
            return "a set_config of a computed setting name"
        if setting.strip().lower() in _GUARDED_SETTINGS:
            return f"a set_config of {setting.strip().lower()}"
        value = _value(args[1]) if len(args) > 1 else None
        if _lexing_refusal(setting.strip().lower(), value):
            return f"a set_config of {setting.strip().lower()}"
    return None


def _select_refusal(body: Node, defined: frozenset[str]) -> str | None:
    """A top-level SELECT or VALUES: only calls of the few allowed functions, on constants."""
    denied = _denied_call(body)
    if denied:
        return denied
    if body.get("fromClause") or body.get("withClause") or body.get("larg"):
        return "a SELECT that reads tables or views"
    for kind, node in _walk([body.get("targetList"), body.get("valuesLists")]):
        if kind == "FuncCall":
            why = _call_refusal(node, defined)
            if why:
                return why
    allowed_nodes = {"ResTarget", "FuncCall", "A_Const", "TypeCast", "String", "List"}
    allowed_nodes |= {"NamedArgExpr"}
    for kind, node in _walk([body.get("targetList"), body.get("valuesLists")]):
        if kind == "TypeCast":
            # Casts to the schema's own types could run its code (a domain's CHECK).
            names = _names(node["typeName"].get("names"))
            if names[:-1] not in ([], ["pg_catalog"]) or names[-1] not in _CAST_TYPES:
                return f"a cast to {'.'.join(names)} in a top-level SELECT"
            if len(names) == 1 and names[0] in defined:
                return f"an unqualified cast to {names[0]} (the schema defines a {names[0]})"
        elif kind not in allowed_nodes:
            return "a top-level SELECT of anything but set_config, setval and current_setting"
    extra = {k for k in body if k not in ("targetList", "valuesLists", "intoClause")}
    if extra - {"limitOption", "op"}:
        return "a top-level SELECT of anything but set_config, setval and current_setting"
    return None


def _set_refusal(body: Node) -> str | None:
    kind = body.get("kind")
    if kind == "VAR_RESET_ALL":
        return "RESET ALL"
    name = str(body.get("name") or "").lower()
    if kind == "VAR_SET_VALUE":
        lexing = _lexing_refusal(name, _value((body.get("args") or [None])[0]))
        if lexing:
            return lexing
    words = _GUARDED_SETTINGS.get(name)
    if words is None:
        return None
    return words.replace("SET ", "RESET ", 1) if kind == "VAR_RESET" else words


def _function_refusal(body: Node) -> str | None:
    """A C function is a shared library the server loads: only from the server's own
    library directory (``$libdir/...`` or a bare name), never a path of the file's choosing."""
    language = ""
    files: list[str] = []
    for option in body.get("options") or ():
        opt = option["DefElem"]
        if opt.get("defname") == "language":
            language = str(opt["arg"]["String"]["sval"]).lower()
        elif opt.get("defname") == "as":
            files = _names(opt["arg"].get("List", {}).get("items"))
    if language == "c" and files:
        obj = files[0]
        if ("/" in obj and not obj.startswith("$libdir/")) or ".." in obj:
            return "a C function loaded from a path outside $libdir"
    return None


def _alter_table_refusal(body: Node) -> str | None:
    """An added column's default is evaluated once when the column is added."""
    for cmd in body.get("cmds") or ():
        fields = cmd.get("AlterTableCmd", {})
        if fields.get("subtype") == "AT_AddColumn":
            denied = _denied_call(fields.get("def"))
            if denied:
                return denied
    return None


def refusal(
    stmt: Node, defined: frozenset[str] = frozenset(), *, plan_text: str | None = None
) -> str | None:
    """Why a statement may not run in a scratch database (its kind in user words), or None.
    ``defined``: the function and type names the whole source defines (see defines).
    ``plan_text``: the statement's text when it is a plan's statement (see _plan_refusal)."""
    kind, body = _one(stmt)
    if plan_text is not None:
        why = _plan_refusal(kind, body, plan_text)
        if why is not _AS_SCHEMA:
            return why
    if kind in _ALLOWED:
        return None
    if kind == "CreateStmt":
        return _denied_call(body.get("partbound"))
    if kind == "AlterTableStmt":
        return _alter_table_refusal(body)
    if kind == "CreateTableAsStmt":
        query_kind, _ = _one(body["query"])
        if query_kind == "ExecuteStmt":
            return "CREATE TABLE ... AS EXECUTE"
        return _denied_call(body["query"])
    if kind == "SelectStmt":
        return _select_refusal(body, defined)
    if kind == "VariableSetStmt":
        return _set_refusal(body)
    if kind == "CreateFunctionStmt":
        return _function_refusal(body)
    if kind in ("RefreshMatViewStmt",):
        return None  # skipped, never run (see action)
    if kind == "InsertStmt":
        values = _one(body["selectStmt"])[1].get("valuesLists") if body.get("selectStmt") else None
        return None if values and not body.get("withClause") else "INSERT ... SELECT"
    if kind == "TransactionStmt":
        control = TRANSACTION_CONTROL.get(body.get("kind", ""), "")
        return control if "PREPARE" in control else None
    if kind == "AlterEventTrigStmt":
        return {
            "A": "ALTER EVENT TRIGGER ... ENABLE ALWAYS",
            "R": "ALTER EVENT TRIGGER ... ENABLE REPLICA",
        }.get(body.get("tgenabled", ""))
    if kind == "CreateRoleStmt":
        word = {"ROLESTMT_USER": "USER", "ROLESTMT_GROUP": "GROUP"}.get(body.get("stmt_type", ""))
        return f"CREATE {word or 'ROLE'}"
    if kind == "GrantRoleStmt":
        return f"{'GRANT' if body.get('is_grant') else 'REVOKE'} of role membership"
    if kind == "VacuumStmt":
        return "VACUUM" if body.get("is_vacuumcmd") else "ANALYZE"
    if kind == "FetchStmt":
        return "MOVE" if body.get("ismove") else "FETCH"
    if kind in _ON_OBJECT:
        field, verb = _ON_OBJECT[kind]
        target = _SHARED_OBJECTS.get(body.get(field, ""))
        if target is None:
            return None
        if kind == "GrantStmt" and not body.get("is_grant"):
            verb = "REVOKE ON {}"
        return verb.format(target)
    return _KIND.get(kind) or f"a {kind.removesuffix('Stmt')} statement"


# Statements on a named object, refused only when the object is shared by the whole cluster:
# (the field naming the object's type, the kind in user words).
_ON_OBJECT = {
    "GrantStmt": ("objtype", "GRANT ON {}"),
    "CommentStmt": ("objtype", "COMMENT ON {}"),
    "AlterOwnerStmt": ("objectType", "ALTER {} ... OWNER TO"),
    "RenameStmt": ("renameType", "ALTER {} ... RENAME"),
}


# Where a statement names the function or type it creates (or renames to): (field, is a list).
_DEFINES = {
    "CreateFunctionStmt": ("funcname", True),
    "CreateDomainStmt": ("domainname", True),
    "CreateEnumStmt": ("typeName", True),
    "CreateRangeStmt": ("typeName", True),
    "DefineStmt": ("defnames", True),
    "RenameStmt": ("newname", False),
}


def defines(stmt: Node) -> list[str]:
    """The unqualified names of the functions and types a statement creates: a top-level
    ``set_config(...)`` or ``'x'::text`` could find one of them before pg_catalog's."""
    kind, body = _one(stmt)
    if kind == "CompositeTypeStmt":
        return [str(body.get("typevar", {}).get("relname", ""))]
    where = _DEFINES.get(kind)
    if where is None:
        return []
    value = body.get(where[0])
    if where[1]:
        names = _names(value)
        return names[-1:]
    return [str(value)] if value else []


def action(stmt: Node) -> str:
    """How the build runs an allowed statement: RUN as written, SKIP (data, not schema), or
    NO_DATA (CREATE ... AS without running its query)."""
    kind, body = _one(stmt)
    if kind == "CreateTableAsStmt":
        if _one(body["query"])[0] != "ExecuteStmt" and not body["into"].get("skipData"):
            return NO_DATA
        return RUN
    if kind == "RefreshMatViewStmt":
        return SKIP
    if kind == "InsertStmt" and not refusal(stmt):
        return SKIP
    return RUN


def no_data(text: str) -> str:
    """``CREATE ... AS query [WITH DATA]`` as ``... WITH NO DATA``, edited at its last tokens
    so that every position before them is unchanged (server errors still map to the file).

    The grammar puts ``WITH [NO] DATA`` last, so the scanner's last two tokens say whether
    the clause is there; ``text`` is one statement whose tree said skipData is false."""
    tokens = [t for t in pglast.parser.scan(text) if t.name not in ("SQL_COMMENT", "C_COMMENT")]
    if len(tokens) >= 2 and tokens[-2].name == "WITH" and tokens[-1].name == "DATA_P":
        data = tokens[-1]
        return text[: data.start] + "NO " + text[data.start :]
    end = tokens[-1].end + 1
    return text[:end] + " WITH NO DATA" + text[end:]


def first_line(text: str, offset: int, statement: str) -> int:
    """The 1-based line of the first token of ``statement``, found at ``offset`` of the file
    ``text`` (a statement's text starts after the one before, so it may begin with comments)."""
    tokens = pglast.parser.scan(statement)
    start = next((t.start for t in tokens if t.name not in ("SQL_COMMENT", "C_COMMENT")), 0)
    return text.count("\n", 0, offset + start) + 1


# Transaction control, in user words: pg_dump's preamble has none, a schema file only the
# PREPARE kinds are refused from, and a plan may hold none (apply runs it in one transaction).
TRANSACTION_CONTROL = {
    "TRANS_STMT_BEGIN": "BEGIN",
    "TRANS_STMT_START": "START TRANSACTION",
    "TRANS_STMT_COMMIT": "COMMIT",
    "TRANS_STMT_ROLLBACK": "ROLLBACK",
    "TRANS_STMT_SAVEPOINT": "SAVEPOINT",
    "TRANS_STMT_RELEASE": "RELEASE SAVEPOINT",
    "TRANS_STMT_ROLLBACK_TO": "ROLLBACK TO SAVEPOINT",
    "TRANS_STMT_PREPARE": "PREPARE TRANSACTION",
    "TRANS_STMT_COMMIT_PREPARED": "COMMIT PREPARED",
    "TRANS_STMT_ROLLBACK_PREPARED": "ROLLBACK PREPARED",
}

# What a plan runs on a clone of live beyond a schema file's statements: data statements
# (their hazards name them), LOCK and maintenance of the clone's own tables.
_PLAN_ALLOWED = frozenset(
    """
    InsertStmt UpdateStmt DeleteStmt MergeStmt TruncateStmt LockStmt VacuumStmt ClusterStmt
    RefreshMatViewStmt
    """.split()
)
_AS_SCHEMA = "as in a schema file"


def _plan_refusal(kind: str, body: Node, text: str) -> str | None:
    """A plan statement's refusal, or _AS_SCHEMA to decide it as a schema file's statement.

    A plan runs as written, so a denied function is refused anywhere in it (a DELETE's
    subquery too); its DML, SET, LOCK, CREATE INDEX CONCURRENTLY, ALTER TYPE ... ADD VALUE
    act only on the clone. A DO block may only be diffcheck's own refusal (see stmtkinds)."""
    denied = _denied_call(body)
    if denied:
        return denied
    if kind in _PLAN_ALLOWED:
        return None
    if kind == "ReindexStmt":  # SYSTEM and DATABASE include the cluster's shared catalogs
        where = str(body.get("kind", "")).removeprefix("REINDEX_OBJECT_")
        return f"REINDEX {where}" if where in ("SYSTEM", "DATABASE") else None
    if kind == "CopyStmt":
        if not body.get("is_program") and not body.get("filename"):
            return None  # FROM STDIN / TO STDOUT: data through the client, nothing else
        target = "PROGRAM" if body.get("is_program") else "a file"
        return f"COPY {'FROM' if body.get('is_from') else 'TO'} {target}"
    if kind == "DoStmt":
        from . import stmtkinds

        (raw,) = pglast.parse_sql(text)
        return None if stmtkinds.is_known(raw.stmt) else "a DO block"
    if kind == "TransactionStmt":
        return TRANSACTION_CONTROL.get(body.get("kind", ""), "transaction control")
    return _AS_SCHEMA
