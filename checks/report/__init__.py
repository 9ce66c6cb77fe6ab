"""Report: what a person or a CI system reads.

Owns a verdict's text report and ``@example`` line (:mod:`.text`), a run's summary and JSON
(:mod:`.summary`), the counterexample's DOT picture (:mod:`.picture`) and its SVG drawn in
Python (:mod:`.dag_svg`), a run's HTML page (:mod:`.page`, with ``page.html.j2``, ``page.css``
and ``page.js`` beside it), the report directory of each run (:mod:`.files`), and what CI
reads, all from the JSON document (:mod:`.document`): JUnit XML (:mod:`.junit`), GitHub Actions
annotations (:mod:`.annotations`) at the blamed op's place in the engine's source
(:mod:`.locations`), and the merge of several runs (:mod:`.merge`).

May import: :mod:`gradtrio.checks.search` and everything below it.
"""
