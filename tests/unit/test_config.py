"""Config precedence: flags > DIFFCHECK_* env > [tool.diffcheck] > defaults."""

from __future__ import annotations

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
