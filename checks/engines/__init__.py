"""Engines: the engine under test, as the rest of gradtrio sees it.

Owns the engine protocol (:mod:`.protocol`), the Value-class adapter (:mod:`.value_class`), the
library adapters (:mod:`.libraries`), the worker process that contains an engine
(:mod:`.isolation`, :mod:`.worker`) and what it runs per case (:mod:`.casework`), time limits,
probes, and loading what the user names (:mod:`.loading`, :mod:`.spec`).

May import: :mod:`gradtrio.checks.oracles` (the finite differences run beside the engine),
:mod:`gradtrio.checks.defaults`, :mod:`gradtrio.strategies`.
"""
