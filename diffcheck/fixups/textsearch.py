"""Text search dictionaries and configurations, which schemainspect does not read: migra
never creates them, and a function or index using ``to_tsvector('my_config', ...)`` then
fails. Dictionaries and configurations are created or dropped whole; a configuration whose
mappings change gets its mappings replaced; a changed parser or template is refused (those
are fixed at creation). :mod:`diffcheck.fixups.ordering` places these statements right after
the schemas and extensions they live in, since they are named only inside strings
(``'my_config'::regconfig``) where no dependency can be seen."""

from __future__ import annotations

from typing import Any

from ..catalog import Catalog, TextSearchConfig, TextSearchDict
from .common import refusal


def _catalog(inspector: Any) -> Catalog:
    cat = getattr(inspector, "diffcheck_catalog", None)
    return cat if isinstance(cat, Catalog) else Catalog()


def _create_dict(d: TextSearchDict) -> str:
    options = f", {d.options}" if d.options else ""
    return f"create text search dictionary {d.quoted} (template = {d.template}{options});"


def _mappings(cfg: TextSearchConfig, tokens: dict[str, str]) -> list[str]:
    """ADD MAPPING statements, one per distinct dictionary list."""
    by_dicts: dict[str, list[str]] = {}
    for token, dicts in sorted(tokens.items()):
        by_dicts.setdefault(dicts, []).append(token)
    return [
        f"alter text search configuration {cfg.quoted} add mapping for "
        f"{', '.join(toks)} with {dicts};"
        for dicts, toks in by_dicts.items()
    ]


def statements(a: Any, b: Any) -> list[str]:
    """Statements turning ``a``'s text search objects into ``b``'s."""
    ca, cb = _catalog(a), _catalog(b)
    out: list[str] = []
    for key, d in cb.ts_dicts.items():
        old = ca.ts_dicts.get(key)
        if old is None:
            out.append(_create_dict(d))
        elif old.template != d.template:
            out.append(refusal(f"text search dictionary {key} changes its template"))
        elif old.options != d.options:
            opts = d.options or ""
            out.append(f"alter text search dictionary {key} ({opts});")
    for key, cfg in cb.ts_configs.items():
        old_cfg = ca.ts_configs.get(key)
        if old_cfg is None:
            out.append(f"create text search configuration {key} (parser = {cfg.parser});")
            out += _mappings(cfg, cfg.tokens())
        elif old_cfg.parser != cfg.parser:
            out.append(refusal(f"text search configuration {key} changes its parser"))
        elif old_cfg.mapping != cfg.mapping:
            gone = sorted(set(old_cfg.tokens()) - set(cfg.tokens()))
            if gone:
                out.append(
                    f"alter text search configuration {key} drop mapping for {', '.join(gone)};"
                )
            changed = {t: d for t, d in cfg.tokens().items() if old_cfg.tokens().get(t) != d}
            for t in sorted(set(changed) & set(old_cfg.tokens())):
                out.append(f"alter text search configuration {key} drop mapping for {t};")
            out += _mappings(cfg, changed)
    for key in ca.ts_configs:
        if key not in cb.ts_configs:
            out.append(f"drop text search configuration {key};")
    for key in ca.ts_dicts:
        if key not in cb.ts_dicts:
            out.append(f"drop text search dictionary {key};")
    return out
