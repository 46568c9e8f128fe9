"""``python -m diffcheck``: the same as the ``diffcheck`` console script."""

from diffcheck.cli import entry

entry()
