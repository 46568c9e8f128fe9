"""diffcheck.stable: ARRAY casts protected against PostgreSQL's deparse round trip."""

from __future__ import annotations

from diffcheck.stable import protect, protect_script

DEPARSED = (
    'ALTER TABLE ONLY public.t ADD CONSTRAINT "Ölçü" CHECK (((s)::text = ANY '
    "((ARRAY['a'::character varying, 'b'::character varying])::text[])))"
)


def test_array_under_a_cast_is_cast_to_its_element_type_first() -> None:
    assert protect(DEPARSED) == (
        'ALTER TABLE ONLY public.t ADD CONSTRAINT "Ölçü" CHECK (((s)::text = ANY '
        "(((ARRAY['a'::character varying, 'b'::character varying])::varchar[])::text[])))"
    )


def test_statements_without_the_pattern_are_returned_unchanged() -> None:
    for text in (
        "create table t (a int)",
        "select ARRAY[1, 2]",  # no outer cast
        "select (ARRAY['a'::text, 'b'::text])::text[]",  # outer cast is the element array
        "select (ARRAY['a'::varchar, 1::int])::text[]",  # mixed element types
        "select (ARRAY[x, y])::text[]",  # elements carry no cast
        "this is not sql ARRAY[",  # PostgreSQL reports the error itself
    ):
        assert protect(text) == text


def test_nested_and_repeated_constructors_are_each_protected() -> None:
    text = "select (ARRAY['a'::varchar])::text[] = (ARRAY['b'::varchar, 'c'::varchar])::text[]"
    assert protect(text) == (
        "select ((ARRAY['a'::varchar])::varchar[])::text[] = "
        "((ARRAY['b'::varchar, 'c'::varchar])::varchar[])::text[]"
    )


def test_function_bodies_in_strings_are_not_touched() -> None:
    body = (
        "create function f() returns text[] language sql "
        "as $$ select (ARRAY['x'::varchar])::text[] $$"
    )
    assert protect(body) == body


def test_scripts_keep_meta_commands_comments_and_positions() -> None:
    script = (
        "\\restrict KEY\n"
        "SET search_path = '';\n"
        "-- a comment with ARRAY['x'::varchar]\n"
        f"{DEPARSED};\n"
        "CREATE TABLE public.u (id integer);\n"
        "\\unrestrict KEY\n"
    )
    out = protect_script(script)
    assert out == script.replace(
        "(ARRAY['a'::character varying, 'b'::character varying])::text[]",
        "((ARRAY['a'::character varying, 'b'::character varying])::varchar[])::text[]",
    )
    assert protect_script("CREATE TABLE x (id int);\n") == "CREATE TABLE x (id int);\n"


def test_restore_search_path_replaces_only_pg_dumps_reset() -> None:
    from diffcheck.stable import with_search_path

    script = (
        "\\restrict KEY\n"
        "SELECT pg_catalog.set_config('search_path', '', false);\n"
        "CREATE FUNCTION public.f() RETURNS text LANGUAGE sql "
        "AS $$ SELECT pg_catalog.set_config('search_path', '', false) $$;\n"
        "SELECT pg_catalog.set_config('work_mem', '', false);\n"
    )
    out = with_search_path(script, '"$user", public')
    assert out == script.replace(
        "SELECT pg_catalog.set_config('search_path', '', false);\nCREATE",
        "SELECT pg_catalog.set_config('search_path', '\"$user\", public', false);\nCREATE",
    )
    assert with_search_path(script, "it's").count("'it''s'") == 1


def test_unnamed_targets_of_later_set_operation_branches_keep_their_name() -> None:
    view = (
        "CREATE VIEW v AS SELECT q.x FROM (SELECT a.x, a.y FROM a UNION ALL "
        "SELECT b.x, NULL::integer FROM b UNION ALL SELECT c.x, c.y + 1 FROM c) q"
    )
    assert protect(view) == view.replace(
        "NULL::integer FROM b", 'NULL::integer AS "?column?" FROM b'
    ).replace("c.y + 1 FROM c", 'c.y + 1 AS "?column?" FROM c')
    # The leftmost branch names the columns; aliased and plain column targets are left alone.
    plain = "SELECT 1 + 1 FROM a UNION SELECT b.x FROM b UNION SELECT 2 AS two FROM c"
    assert protect(plain) == plain
