"""``python -m gradtrio``: the command line, see :mod:`gradtrio.checks.cli`."""

from gradtrio.checks.cli import main

raise SystemExit(main())
