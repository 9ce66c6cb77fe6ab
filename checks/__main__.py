"""``python -m checks``: see :mod:`checks.cli`."""

import sys

from gradtrio.checks.cli import console

sys.exit(console())
