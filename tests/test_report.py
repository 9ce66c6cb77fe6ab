"""Failure reports: what they contain, that their snippets and example lines run, and the
pictures and files written for them."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.report.files import new_run_directory, write_failure
from gradtrio.checks.report.picture import to_dot
from gradtrio.checks.report.text import example_line, format_verdict, reproducer
from gradtrio.strategies import Case, Expression, Node, Rules, cases
from hypothesis import Phase, example, given, settings

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
WRONG_MUL = f"{ENGINES / 'wrong_mul.py'}:Value"
# n2 = x0 * x1; n3 = n2 + x0: the wrong d(a*b)/da puts the blame on n2.
PRODUCT_PLUS = Expression(2, (Node("mul", (0, 1)), Node("add", (2, 0))))


def run_snippet(source: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """A reproducer run on its own, as a user pastes it into a fresh interpreter."""
    return subprocess.run(
        [sys.executable, "-c", source], capture_output=True, text=True, cwd=cwd, timeout=60
    )


@pytest.fixture(scope="module")
def engine():
    return ValueClassEngine.load(WRONG_MUL)


@pytest.fixture(scope="module")
def verdict(engine):
    verdict = judge(engine, PRODUCT_PLUS, (1.5, -0.5))
    assert verdict.kind == Kind.GRADIENT
    return verdict


def test_the_report_has_snippet_example_point_oracles_blame_and_symbolic_gradient(engine, verdict):
    report = format_verdict(verdict, engine=engine)
    assert report.startswith(f"bug: gradient failure in {WRONG_MUL}")
    assert "point: x0=1.5, x1=-0.5" in report
    assert "blame: n2 (mul)" in report
    for row in ("engine ", "sympy ", "torch ", "fd ", "tolerance "):
        assert f"\n    {row}" in report
    assert "|error|" in report and "> tolerance" in report
    assert "expected, symbolically (SymPy): d/dx0 = x1 + 1; d/dx1 = x0" in report
    assert "(user case)" in report
    assert "    " + example_line(verdict) in report
    assert (
        "\n".join("    " + line for line in reproducer(verdict, engine=engine).splitlines())
        in report
    )


def test_the_snippet_runs_on_its_own_and_prints_the_engine_values(engine, verdict, tmp_path):
    done = run_snippet(reproducer(verdict, engine=engine), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines() == [
        f"value: {verdict.engine.value!r}",
        f"grads: {verdict.engine.grads!r}",
    ]


def test_the_snippet_wraps_constants_for_an_engine_that_needs_it(tmp_path):
    strict = ValueClassEngine.load(f"{ENGINES / 'strict_node.py'}:Node")
    two_minus_x = Expression(1, (Node("sub", (0,), const=2.0, side="left"),))
    source = reproducer(judge(strict, two_minus_x, (0.5,)), engine=strict)
    assert "n1 = Node(2.0) - x0" in source
    done = run_snippet(source, tmp_path)
    assert done.stdout.splitlines() == ["value: 1.5", "grads: [-1.0]"]


def test_the_example_line_replays_the_case_in_a_given_test(verdict):
    seen = []
    namespace = {
        "example": example,
        "given": given,
        "settings": settings,
        "Phase": Phase,
        "cases": cases,
        "Case": Case,
        "Expression": Expression,
        "Rules": Rules,
        "seen": seen,
    }
    source = "\n".join(
        [
            "@settings(phases=[Phase.explicit], database=None)",
            "@given(cases())",
            example_line(verdict),
            "def test_case(case):",
            "    seen.append(case)",
        ]
    )
    exec(compile(source, "<example>", "exec"), namespace)
    namespace["test_case"]()
    assert seen == [Case(PRODUCT_PLUS, (1.5, -0.5))]


def test_rules_other_than_the_defaults_are_spelled_out_in_the_example_line():
    zero_grads = ValueClassEngine.load(f"{ENGINES / 'zero_grads.py'}:Value")
    at_kink = Expression(1, (Node("relu", (0,)), Node("add", (1, 0))))
    default = example_line(judge(zero_grads, at_kink, (0.0,)))
    assert default.endswith("(0.0,)))")
    narrow = Case(at_kink, (0.5,), "kink", Rules(max_magnitude=1e6))
    line = example_line(judge(zero_grads, narrow))
    assert line.endswith("(0.5,), 'kink', Rules(max_magnitude=1000000.0)))")
    rebuilt = eval(
        line.removeprefix("@example(")[:-1],
        {"Case": Case, "Expression": Expression, "Rules": Rules},
    )
    assert rebuilt == narrow


def test_the_dot_picture_marks_the_blamed_node(verdict):
    dot = to_dot(verdict)
    blamed = [line for line in dot.splitlines() if "color=red" in line]
    assert len(blamed) == 1 and blamed[0].lstrip().startswith("n2 ")
    assert "x0 = 1.5" in dot and "x0 -> n2" in dot


def test_failure_files_are_written_with_svg_when_graphviz_is_there(engine, verdict, tmp_path):
    written = {p.name for p in write_failure(tmp_path, 1, verdict, engine)}
    expected = {"failure-1.txt", "failure-1.dot", "failure-1.py"}
    if shutil.which("dot"):
        expected.add("failure-1.svg")
        assert "<svg" in (tmp_path / "failure-1.svg").read_text()
    else:
        assert not (tmp_path / "failure-1.svg").exists()
    assert written == expected == {p.name for p in tmp_path.iterdir()}
    assert "blame: n2 (mul)" in (tmp_path / "failure-1.txt").read_text()


def test_each_run_gets_a_directory_of_its_own_and_latest_points_at_the_newest(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    first = new_run_directory(tmp_path, 3)
    (first / "failure-1.txt").write_text("first run")
    second = new_run_directory(tmp_path, 3)
    assert first != second and first.parent == second.parent == tmp_path
    assert (first / "failure-1.txt").read_text() == "first run"
    assert (tmp_path / "latest").resolve() == second.resolve()
    assert (tmp_path / "notes.txt").read_text() == "mine"


def test_a_deep_failure_is_reported_abbreviated():
    recursive = ValueClassEngine.load(f"{ENGINES / 'recursive_backward.py'}:Value")
    chain = Expression(1, tuple(Node("tanh", (i,)) for i in range(10_000)))
    verdict = judge(recursive, chain, (0.5,))
    report = format_verdict(verdict, engine=recursive)
    source = reproducer(verdict, engine=recursive)
    assert "... 9,991 more nodes ..." in report and len(report) < 5_000
    assert source.count("\n") == 10_000 + 7


def test_cli_report_dir_gets_one_set_of_files_per_failure(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "gradtrio",
            "--engine",
            WRONG_MUL,
            "--examples",
            "100",
            "--deep",
            "0",
            "--quiet",
            "--no-corpus",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
    )
    assert done.returncode == 1, done.stderr
    latest = tmp_path / "latest"
    names = {p.name for p in latest.iterdir()}
    assert {"failure-1.txt", "failure-1.dot", "failure-1.py"} <= names
    assert (tmp_path / "notes.txt").read_text() == "mine"
    assert f"report(s) in {latest.resolve()}" in done.stderr


def test_the_snippet_loads_an_engine_file_whose_name_is_no_module_name(tmp_path):
    odd = tmp_path / "my-engine.py"
    odd.write_text(
        (ENGINES / "wrong_mul.py")
        .read_text()
        .replace(
            "from tinyvalue import",
            f"import sys\nsys.path.insert(0, {str(ENGINES)!r})\nfrom tinyvalue import",
        )
    )
    engine = ValueClassEngine.load(f"{odd}:Value")
    verdict = judge(engine, PRODUCT_PLUS, (1.5, -0.5))
    done = run_snippet(reproducer(verdict, engine=engine), tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[1] == f"grads: {verdict.engine.grads!r}"
