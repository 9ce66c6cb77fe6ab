"""The reference: every node's value and gradient enclosed in an Arb ball, with tolerances.

:mod:`.derivatives` (SymPy derives each op once), :mod:`.codegen` (prints them as Arb source),
:mod:`.parts` and :mod:`.table` (the compiled parts, the built-in ones kept on disk),
:mod:`.balls` (an expression evaluated and back-propagated in balls), :mod:`.rounding` (the
first-order rounding bound) and :mod:`.enclose` (:func:`~.enclose.reference`, which raises the
precision until the case is decided).
"""
