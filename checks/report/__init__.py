"""Report: what a person or a CI system reads.

Owns a verdict's text report and ``@example`` line (:mod:`.text`), a run's summary and JSON
(:mod:`.summary`), the counterexample's DOT picture (:mod:`.picture`) and its SVG drawn in
Python (:mod:`.dag_svg`), a run's HTML page (:mod:`.page`, with ``page.html.j2``, ``page.css``
and ``page.js`` beside it) and the report directory of each run (:mod:`.files`).

May import: :mod:`gradtrio.checks.search` and everything below it.
"""
