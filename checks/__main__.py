"""``python -m checks``: see :mod:`checks.cli`."""

import sys

from gradtrio.checks.cli import main

sys.exit(main())
