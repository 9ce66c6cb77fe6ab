"""Search: many cases, their failures made small, a whole run.

Owns the case families an engine allows (:mod:`.families`), the Hypothesis search
(:mod:`.hypothesis_search`), minimising and refining after it (:mod:`.shrink`), the run and its
phases (:mod:`.run`), the regression corpus (:mod:`.corpus`) and the split of a run into shards
(:mod:`.shard`).

May import: :mod:`gradtrio.checks.judgement` and everything below it.
"""
