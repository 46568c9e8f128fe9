"""Import-time fix for schemainspect: loading its SQL files took a second per process.

``schemainspect.pg.obj`` reads 17 query files at import through ``misc.resource_text``,
which finds the calling module with ``inspect.stack()``: that reads the source of every
frame on the stack, about 60 ms a call here, so ``import migra`` cost ~1 s of every CLI run.
``schemainspect.misc`` (which imports nothing from its package) is loaded first, on its own,
and its caller lookup replaced by a frame walk giving the same module name.

It also imports ``pkg_resources`` for one function, and importing pkg_resources scans every
installed distribution (~0.1 s of each CLI start). Unless the process has imported it
already, ``schemainspect.misc`` is given :func:`_resource_stream` instead, which reads the
query files next to the module as pkg_resources would, and hands anything else (a zipped
install) to pkg_resources itself."""

from __future__ import annotations

import importlib
import importlib.util
import sys
import types
from pathlib import Path
from types import FrameType
from typing import IO

_MODULE = "schemainspect.misc"


def _external_caller() -> str:
    """The name of the first module up the stack that is not schemainspect.misc."""
    frame: FrameType | None = sys._getframe(1)
    while frame is not None:
        name = frame.f_globals.get("__name__")
        if name != _MODULE and isinstance(name, str):
            return name
        frame = frame.f_back
    raise LookupError("no caller outside schemainspect.misc")


def _resource_stream(module_name: str, resource: str) -> IO[bytes]:
    """``pkg_resources.resource_stream`` for modules on the file system."""
    module = sys.modules.get(module_name) or importlib.import_module(module_name)
    file = getattr(module, "__file__", None)
    if file:
        path = Path(file).parent / resource
        if path.is_file():
            return path.open("rb")
    from pkg_resources import resource_stream  # type: ignore[import-untyped]

    return resource_stream(module_name, resource)  # type: ignore[no-any-return]


def preload() -> None:
    """Load schemainspect.misc with the fast caller lookup (no-op if already imported)."""
    if _MODULE in sys.modules:
        return
    package = importlib.util.find_spec("schemainspect")
    if package is None or not package.submodule_search_locations:
        return
    path = Path(next(iter(package.submodule_search_locations))) / "misc.py"
    spec = importlib.util.spec_from_file_location(_MODULE, path)
    if spec is None or spec.loader is None or not path.is_file():
        return
    module = importlib.util.module_from_spec(spec)
    sys.modules[_MODULE] = module
    shim = None
    if "pkg_resources" not in sys.modules:
        # Only while misc imports it: anything else asking for pkg_resources gets the real one.
        shim = types.ModuleType("pkg_resources")
        shim.resource_stream = _resource_stream  # type: ignore[attr-defined]
        sys.modules["pkg_resources"] = shim
    try:
        spec.loader.exec_module(module)
        module.external_caller = _external_caller  # type: ignore[attr-defined]
        # A submodule found already in sys.modules is not bound as an attribute of its
        # package by the import system, and migra reads ``schemainspect.misc.quoted_identifier``
        # through the package: import the package now (fast, lookup replaced) and bind it.
        import schemainspect  # type: ignore[import-untyped]

        schemainspect.misc = module
    except Exception:
        # Never break ``import diffcheck`` (the pytest plugin imports it in every user's test
        # session): undo, and let the normal import of migra report whatever is wrong, where
        # it is needed.
        for name in [
            n for n in sys.modules if n == "schemainspect" or n.startswith("schemainspect.")
        ]:
            del sys.modules[name]
    finally:
        if shim is not None and sys.modules.get("pkg_resources") is shim:
            del sys.modules["pkg_resources"]
