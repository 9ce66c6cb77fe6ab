"""Report: what a person or a CI system reads.

Owns a verdict's text report and ``@example`` line (:mod:`.text`), a run's summary and JSON
(:mod:`.summary`), the counterexample's DOT picture (:mod:`.picture`) and the report directory
of each run (:mod:`.files`).

May import: :mod:`gradtrio.checks.search` and everything below it.
"""
