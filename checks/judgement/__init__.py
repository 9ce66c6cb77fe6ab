"""Judgement: one case's verdict from what the oracles and the engine say.

Owns the outcome vocabulary (:mod:`.outcome`), the verdict (:mod:`.verdict`: observe, then a
pure classify), how much a finding matters (:mod:`.severity`), which op is to blame
(:mod:`.blame`) and the comparison within a tolerance (:mod:`.compare`).

May import: :mod:`gradtrio.checks.engines`, :mod:`gradtrio.checks.oracles`,
:mod:`gradtrio.strategies`.
"""
