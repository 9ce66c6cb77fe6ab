"""Search: many cases, their failures made small, a whole run.

Owns the case families an engine allows (:mod:`.families`), the Hypothesis search
(:mod:`.hypothesis_search`), minimising and refining after it (:mod:`.shrink`), the run and its
phases (:mod:`.run`) and the regression corpus (:mod:`.corpus`).

May import: :mod:`gradtrio.checks.judgement` and everything below it.
"""
