"""Config precedence: flags > DIFFCHECK_* env > [tool.diffcheck] > defaults."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from diffcheck import config
from diffcheck.errors import ConfigError


def _pyproject(tmp_path: Path, body: str) -> Path:
    (tmp_path / "pyproject.toml").write_text("[tool.diffcheck]\n" + body)
    return tmp_path


def test_defaults(tmp_path: Path) -> None:
    s = config.build({}, env={}, project_dir=tmp_path)
    assert s.desired == "schema"
    assert s.format == "sql"
    assert s.live is None
    assert s.lock_timeout == 5.0


def test_pyproject_then_env_then_flags(tmp_path: Path) -> None:
    d = _pyproject(tmp_path, 'desired = "db/schema"\nformat = "json"\nexclude = ["a.b_*"]\n')
    s = config.build({}, env={}, project_dir=d)
    assert (s.desired, s.format, s.exclude) == ("db/schema", "json", ("a.b_*",))
    s = config.build({}, env={"DIFFCHECK_FORMAT": "markdown"}, project_dir=d)
    assert s.format == "markdown"
    s = config.build({"format": "github"}, env={"DIFFCHECK_FORMAT": "markdown"}, project_dir=d)
    assert s.format == "github"


def test_live_url_env_order(tmp_path: Path) -> None:
    env = {"DATABASE_URL": "postgresql://x/db1", "DIFFCHECK_LIVE_URL": "postgresql://x/db2"}
    assert config.build({}, env=env, project_dir=tmp_path).live == "postgresql://x/db2"
    assert config.build({}, env={"DATABASE_URL": "postgresql://x/db1"},
                        project_dir=tmp_path).live == "postgresql://x/db1"
    assert config.build({"live": "postgresql://x/db3"}, env=env,
                        project_dir=tmp_path).live == "postgresql://x/db3"


def test_env_lists_and_bools(tmp_path: Path) -> None:
    s = config.build({}, env={"DIFFCHECK_EXCLUDE": "a.x*, b.y", "DIFFCHECK_WITH_PRIVILEGES": "yes"},
                     project_dir=tmp_path)
    assert s.exclude == ("a.x*", "b.y")
    assert s.with_privileges is True


def test_empty_flag_tuple_does_not_override(tmp_path: Path) -> None:
    d = _pyproject(tmp_path, 'exclude = ["keep.me"]\n')
    assert config.build({"exclude": ()}, env={}, project_dir=d).exclude == ("keep.me",)


@pytest.mark.parametrize(
    "body, needle",
    [
        ('nonsense_key = 1\n', "unknown key"),
        ('format = "yaml"\n', "invalid value"),
        ('lock_timeout = "soon"\n', "invalid value"),
        ("this is not toml\n", "pyproject.toml"),
    ],
)
def test_bad_config_is_a_clear_error(tmp_path: Path, body: str, needle: str) -> None:
    d = _pyproject(tmp_path, body)
    with pytest.raises(ConfigError, match=needle):
        config.build({}, env={}, project_dir=d)


def test_no_color_env(tmp_path: Path) -> None:
    assert config.build({}, env={"NO_COLOR": "1"}, project_dir=tmp_path).color is False
    assert config.build({}, env={}, project_dir=tmp_path).color is None


# --- every value is validated, and named with its source --------------------------------------


@pytest.mark.parametrize(
    ("var", "value", "field"),
    [
        ("DIFFCHECK_LOCK_TIMEOUT", "nan", "lock_timeout"),
        ("DIFFCHECK_LOCK_TIMEOUT", "inf", "lock_timeout"),
        ("DIFFCHECK_LOCK_TIMEOUT", "-1", "lock_timeout"),
        ("DIFFCHECK_LOCK_TIMEOUT", "0", "lock_timeout"),
        ("DIFFCHECK_LOCK_TIMEOUT", "abc", "lock_timeout"),
        ("DIFFCHECK_LOCK_TIMEOUT", "86401", "lock_timeout"),
        ("DIFFCHECK_LOCK_WAIT", "-inf", "lock_wait"),
        ("DIFFCHECK_STATEMENT_TIMEOUT", "inf", "statement_timeout"),
        ("DIFFCHECK_STATEMENT_TIMEOUT", "1e400", "statement_timeout"),
        ("DIFFCHECK_RETRIES", "-3", "retries"),
        ("DIFFCHECK_RETRIES", "101", "retries"),
        ("DIFFCHECK_RETRIES", "2.5", "retries"),
        ("DIFFCHECK_RETRIES", "9" * 5000, "retries"),
        ("DIFFCHECK_CACHE", "maybe", "cache"),
        ("DIFFCHECK_WITH_PRIVILEGES", "2", "with_privileges"),
        ("DIFFCHECK_FORMAT", "xml", "format"),
    ],
)
def test_bad_environment_values_name_the_variable(tmp_path, var, value, field):
    with pytest.raises(ConfigError) as err:
        config.build({}, env={var: value}, project_dir=tmp_path)
    message = str(err.value)
    assert message.startswith(f"environment variable {var}: invalid value ")
    assert f" for {field} (" in message and "\n" not in message


@pytest.mark.parametrize(
    ("var", "value", "field", "expected"),
    [
        ("DIFFCHECK_LOCK_TIMEOUT", " 0.5 ", "lock_timeout", 0.5),
        ("DIFFCHECK_STATEMENT_TIMEOUT", "3600", "statement_timeout", 3600.0),
        ("DIFFCHECK_RETRIES", "0", "retries", 0),
        ("DIFFCHECK_RETRIES", "100", "retries", 100),
        ("DIFFCHECK_CACHE", "Off", "cache", False),
        ("DIFFCHECK_ONLINE", "on", "online", True),
        ("DIFFCHECK_QUIET", "1", "quiet", True),
        ("DIFFCHECK_VERBOSE", "no", "verbose", False),
        ("DIFFCHECK_INCLUDE_SCHEMAS", "a, b,,", "include_schemas", ("a", "b")),
    ],
)
def test_good_environment_values_parse(tmp_path, var, value, field, expected):
    got = getattr(config.build({}, env={var: value}, project_dir=tmp_path), field)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize(
    ("body", "line", "needle"),
    [
        ("lock_timeout = nan\n", 2, "invalid value nan for lock_timeout"),
        ('desired = "s"\n\nretries = -3\n', 4, "invalid value -3 for retries"),
        ("lock-wait = inf\n", 2, "invalid value inf for lock_wait"),
        ("retries = 3.0\n", 2, "for retries"),
        ("lock_timeout = true\n", 2, "for lock_timeout"),
        ('cache = "sometimes"\n', 2, "for cache"),
        ("cache = 1\n", 2, "for cache"),
        ("exclude = [1, 2]\n", 2, "for exclude (a list of strings"),
        ('desired = ["a"]\n', 2, "for desired (a string)"),
        ("live = 5\n", 2, "for live (a string)"),
        ('format = "yaml"\n', 2, "for format (one of sql, json"),
        ('[tool.diffcheck.live]\nurl = "x"\n', 2, "for live (a string)"),
        ("lock_timout = 3\n", 2, "unknown key 'lock_timout' in [tool.diffcheck] (did you mean"),
    ],
)
def test_bad_pyproject_values_name_file_and_line(tmp_path, body, line, needle):
    d = _pyproject(tmp_path, body)
    with pytest.raises(ConfigError) as err:
        config.build({}, env={}, project_dir=d)
    message = str(err.value)
    assert message.startswith(f"{d / 'pyproject.toml'}:{line}: "), message
    assert needle in message and "\n" not in message


def test_key_lines_only_count_the_diffcheck_table():
    text = (
        '[project]\nname = "x"\nretries = 1\n'
        '[tool.diffcheck]\n# retries = 9\n  "retries" = 3\nlive="u"\n'
        "[tool.other]\nlive = 1\n"
    )
    assert config.key_lines(text) == {"retries": 6, "live": 7}


@pytest.mark.parametrize(
    ("flag", "value"),
    [("lock_timeout", "nan"), ("lock_timeout", float("nan")), ("statement_timeout", float("inf")),
     ("lock_wait", -1.0), ("retries", -3), ("retries", "x"), ("format", "xml")],
)  # fmt: skip
def test_flags_go_through_the_same_validation(tmp_path, flag, value):
    with pytest.raises(ConfigError, match=f"^--{flag.replace('_', '-')}: invalid value "):
        config.build({flag: value}, env={}, project_dir=tmp_path)


@pytest.mark.parametrize(
    ("kind", "good", "bad"),
    [
        (config.JOBS, [1, "4", 256], [0, "-1", "abc", "1.5", 257, True]),
        (config.MINUTES, [0, "0", 60.0, "1.5"], ["-1", "nan", "inf", "x"]),
        (config.LIMIT, [1, "50"], [0, "-5", "nan"]),
    ],
)
def test_numeric_options(kind, good, bad):
    for value in good:
        assert config.check_option("--x", value, kind) == float(value)
    for value in bad:
        with pytest.raises(ConfigError, match=r"^--x: invalid value .* \("):
            config.check_option("--x", value, kind)


def test_every_field_has_a_kind_matching_its_annotation():
    """A new Settings field must be declared once, with the kind its type calls for."""
    kinds = {"bool": config._BOOL_FIELDS, "bool | None": config._BOOL_FIELDS,
             "tuple[str, ...]": config._TUPLE_FIELDS}  # fmt: skip
    for f in dataclasses.fields(config.Settings):
        if f.name in ("extra", "project_dir"):
            continue
        annotation = str(f.type)
        if annotation in ("float", "int"):
            assert f.name in config._NUMBERS, f"{f.name}: add its range to config._NUMBERS"
            assert config._NUMBERS[f.name].integer == (annotation == "int")
        elif annotation in kinds:
            assert f.name in kinds[annotation], f"{f.name}: add it to the {annotation} set"
        else:
            assert annotation in ("str", "str | None"), (f.name, annotation)
            assert f.name not in config._BOOL_FIELDS | config._TUPLE_FIELDS
            assert f.name not in config._NUMBERS
        sample = "sql" if f.name == "format" else _SAMPLES.get(annotation, "x")
        assert config._parse(f.name, sample) is not None


_SAMPLES = {"float": "1", "int": "1", "bool": "yes", "bool | None": "no", "tuple[str, ...]": "a,b"}
