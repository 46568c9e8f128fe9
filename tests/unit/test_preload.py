"""diffcheck._preload: schemainspect loads fast and is still whole."""

from __future__ import annotations

import subprocess
import sys


def test_schemainspect_is_complete_after_the_preload() -> None:
    import schemainspect  # type: ignore[import-untyped]
    from schemainspect.pg import obj  # type: ignore[import-untyped]

    import diffcheck  # noqa: F401 - the preload runs on import

    # migra reads schemainspect.misc through the package (Changes.mv_indexes).
    assert schemainspect.misc.quoted_identifier("t", "s") == '"s"."t"'
    assert schemainspect.misc.external_caller.__module__ == "diffcheck._preload"
    # The query files were found through the replaced caller lookup.
    assert "pg_class" in obj.ALL_RELATIONS_QUERY and "pg_proc" in obj.FUNCTIONS_QUERY


def test_a_fresh_process_imports_migra_with_the_preload() -> None:
    code = (
        "import diffcheck, migra.changes, schemainspect, sys; "
        "print(type(schemainspect.misc).__name__, 'schemainspect.pg.obj' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["module", "True"]


def test_import_diffcheck_survives_a_broken_schemainspect() -> None:
    # setuptools >= 81 has no pkg_resources: schemainspect cannot import, but diffcheck (and
    # its pytest plugin, loaded in every user's test session) must still import.
    code = (
        "import sys; sys.modules['pkg_resources'] = None; import diffcheck; "
        "print('schemainspect' in sys.modules, 'schemainspect.misc' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "False"]


def test_schemainspect_loads_without_importing_pkg_resources() -> None:
    """pkg_resources (a scan of every installed distribution) is not imported for
    schemainspect's query files, and the files read are the package's own."""
    code = (
        "import sys, diffcheck, migra; from pathlib import Path; "
        "from schemainspect.pg import obj; import schemainspect.misc as m; "
        "raw = (Path(obj.__file__).parent / 'sql' / 'indexes.sql').read_text(); "
        "print('pkg_resources' in sys.modules, m.pkg_resource_stream.__module__, "
        "raw == m.resource_text.__globals__['pkg_resource_stream']('schemainspect.pg.obj', "
        "'sql/indexes.sql').read().decode())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["False", "diffcheck._preload", "True"]


def test_a_process_that_has_pkg_resources_keeps_it() -> None:
    code = (
        "import pkg_resources, diffcheck, migra, sys; import schemainspect.misc as m; "
        "print(m.pkg_resource_stream is pkg_resources.resource_stream, "
        "sys.modules['pkg_resources'] is pkg_resources)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["True", "True"]
