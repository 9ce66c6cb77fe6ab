"""Oracles: what the right answer is, three ways, each with an error bound.

Owns the finite differences of the engine's own forward pass (:mod:`.finite_differences`),
PyTorch float64 autograd (:mod:`.torch_float64`) and the exact reference (:mod:`.reference`:
SymPy's derivatives in Arb balls, with the rounding bound that sets every tolerance). The three
never import each other.

May import: :mod:`gradtrio.strategies` only.
"""
