"""The Python entry point for tensor engines: :func:`check_tensor_engine` runs a search and
returns its findings with a text report."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from gradtrio.checks.engines.protocol import EngineError
from gradtrio.checks.tensors.engines import TensorClassEngine, TensorEngine, TorchTensors
from gradtrio.checks.tensors.search import TensorFinding, search_tensors

__all__ = ["TensorCheckResult", "check_tensor_engine", "describe_finding"]


@dataclass
class TensorCheckResult:
    """What a check judged and found; ``report`` is the text a terminal shows."""

    engine: str
    examples: int
    skipped: int
    seconds: float
    seed: int
    findings: list[TensorFinding] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.findings

    def report(self) -> str:
        lines = [
            f"gradtrio tensors: {self.engine}",
            f"  cases judged: {self.examples} (skipped {self.skipped}) in {self.seconds:.1f} s, "
            f"seed {self.seed}",
        ]
        if self.passed:
            lines.append("  passed: every value and gradient element agrees with the reference")
            return "\n".join(lines) + "\n"
        lines.append(f"  FAILED: {len(self.findings)} finding(s), each shrunk:")
        return "\n".join(lines + [describe_finding(f, self.engine) for f in self.findings]) + "\n"


def describe_finding(finding: TensorFinding, engine: str) -> str:
    """A finding as the report shows it: the case, its blame, the numbers and the reproducer."""
    verdict, blame = finding.verdict, finding.blame
    case = verdict.case
    expression = case.expression
    n = len(expression.nodes)
    lines = [
        f"bug: {verdict.kind.value if verdict.kind else 'failure'} in {engine}: {verdict.reason}",
        f"  expression ({n} op node{'s' * (n != 1)}): {expression}",
        f"  inputs: {expression.signature()}",
    ]
    for i, x in enumerate(case.inputs()):
        text = np.array2string(x, precision=6, separator=", ").replace("\n", "")
        lines.append(f"    x{i} = {text}")
    lines.append(f"  blame: {blame.message}")
    if verdict.mismatches:
        lines.append("  mismatches (engine vs reference, |error| > tolerance):")
        lines += [f"    {m.describe()}" for m in verdict.mismatches[:8]]
        if len(verdict.mismatches) > 8:
            lines.append(f"    ... and {len(verdict.mismatches) - 8} more")
    lines.append("  keep this case:")
    lines.append(f"    TensorCase.from_json({case.to_json()!r})")
    return "\n".join(lines)


def _engine(engine: object) -> TensorEngine:
    if engine == "torch":
        return TorchTensors()
    if isinstance(engine, str):
        return TensorClassEngine.load(engine)
    if isinstance(engine, type):
        return TensorClassEngine.from_class(engine)
    if hasattr(engine, "run") and hasattr(engine, "supports"):
        return engine  # type: ignore[return-value]
    raise EngineError(
        f"engine={engine!r}: expected a tensor class, 'torch', a 'module:Class' or "
        "'path/file.py:Class' spec, or a TensorEngine"
    )


def check_tensor_engine(
    engine: object = "torch",
    *,
    examples: int = 200,
    seed: int = 0,
    max_nodes: int = 4,
) -> TensorCheckResult:
    """Check a tensor engine on ``examples`` drawn tensor cases (default 200) with ``seed``.

    ``engine`` is a micrograd-style tensor class (``.data``, ``.grad``, ``.backward()``, ops as
    operators and methods), its spec (``package.module:Class`` or ``path/to/file.py:Class``),
    ``"torch"`` (the default) or a :class:`~gradtrio.checks.tensors.engines.TensorEngine`.
    Cases have 1 to ``max_nodes`` tensor op nodes (default 4). Raises ``ValueError`` for a bad
    argument and :class:`~gradtrio.checks.EngineError` for an engine that cannot be driven."""
    for name, value, lo in (("examples", examples, 1), ("max_nodes", max_nodes, 1)):
        if isinstance(value, bool) or not isinstance(value, int) or value < lo:
            raise ValueError(f"{name}={value!r}: expected an int >= {lo}")
    if isinstance(seed, bool) or not isinstance(seed, int):
        raise ValueError(f"seed={seed!r}: expected an int")
    if max_nodes > 32:
        raise ValueError(f"max_nodes={max_nodes}: expected at most 32")
    driven = _engine(engine)
    result = search_tensors(driven, examples=examples, seed=seed, max_nodes=max_nodes)
    return TensorCheckResult(
        driven.name,
        result.examples,
        result.skipped,
        result.seconds,
        seed,
        result.findings,
    )
