"""``python -m gradtrio``: the command line, see :mod:`gradtrio.checks.cli`."""

from gradtrio.checks.cli import console

raise SystemExit(console())
