"""What CI reads of a run besides its exit code: the JUnit XML (``--junit-xml``), read back with
junitparser, and GitHub Actions annotations (``--annotations github``) in GitHub's workflow
command format with its escaping; both point at the blamed op's method in the engine's file."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from gradtrio.checks.report.annotations import (
    escape_data,
    escape_property,
    github_annotations,
    workflow_command,
)
from gradtrio.checks.report.junit import junit_xml
from gradtrio.checks.report.locations import finding_location, source_location
from junitparser import Error, Failure, JUnitXml, Skipped

ROOT = Path(__file__).parent.parent
ENGINES = Path(__file__).parent / "engines"
TANH_OFF = "tests/engines/tanh_grad_off_1pct.py:Value"  # relative: the run is from ROOT


def line_of(path: Path, text: str) -> int:
    (number,) = [n for n, line in enumerate(path.read_text().splitlines(), 1) if text in line]
    return number


@pytest.fixture(scope="module")
def tanh_run(tmp_path_factory):
    """A run of an engine whose tanh gradient is 1% off (a bug) that also loses digits in
    pow (a precision finding), with every CI output."""
    out = tmp_path_factory.mktemp("tanh-run")
    done = subprocess.run(
        [sys.executable, "-m", "gradtrio", "--engine", TANH_OFF, "--examples", "60"]
        + ["--deep", "0", "--quiet", "--no-report", "--corpus", str(out / "corpus")]
        + ["--json", str(out / "run.json"), "--junit-xml", str(out / "run.xml")]
        + ["--annotations", "github"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    return done, json.loads((out / "run.json").read_text()), JUnitXml.fromfile(out / "run.xml")


def test_the_junit_report_of_a_failing_run_has_a_case_per_family_and_per_finding(tanh_run):
    _, data, xml = tanh_run
    (suite,) = list(xml)
    cases = list(suite)
    families = [c for c in cases if c.classname == "gradtrio.families"]
    findings = [c for c in cases if c.classname == "gradtrio.findings"]
    assert {c.name: c.system_out for c in families} == {
        family: f"{n:,} case{'s' if n != 1 else ''} judged"
        for family, n in data["stats"]["families"].items()
    }
    assert all(c.is_passed and c.time >= 0 for c in families)
    assert {"sweep", "interior"} <= {c.name for c in families}
    assert len(findings) == len(data["failures"]) >= 2
    severities = data["severities"]
    assert severities["bug"] >= 1 and severities["precision"] + severities["warning"] >= 1
    assert suite.tests == len(cases) == len(families) + len(findings)
    assert suite.failures == severities["bug"] == sum(c.is_failure for c in cases)
    assert suite.skipped == severities["precision"] + severities["warning"]
    assert suite.errors == 0
    assert suite.time == pytest.approx(data["elapsed_s"], abs=1e-3)


def test_the_bug_is_a_failure_with_its_reason_blame_reproducer_and_the_line_of_the_op(tanh_run):
    _, _, xml = tanh_run
    (suite,) = list(xml)
    (case,) = [c for c in suite if c.name == "bug: gradient in tanh"]
    (failure,) = case.result
    assert isinstance(failure, Failure) and failure.type == "gradient"
    assert failure.message.startswith("gradient differs from the reference; blame: n")
    assert "(tanh)" in failure.message and "1.01" in failure.message
    assert "reproduce:" in failure.text and ".tanh()" in failure.text
    assert case._elem.get("file") == "tests/engines/tanh_grad_off_1pct.py"
    engine_file = ENGINES / "tanh_grad_off_1pct.py"
    assert case._elem.get("line") == str(line_of(engine_file, "def tanh("))


def test_a_finding_that_does_not_fail_the_run_is_skipped_with_its_message(tanh_run):
    _, _, xml = tanh_run
    (suite,) = list(xml)
    skipped = [c for c in suite if c.is_skipped]
    assert skipped
    for case in skipped:
        (result,) = case.result
        assert isinstance(result, Skipped)
        assert result.message.split(" ")[0] in ("precision", "warning")
        assert "(does not fail the run)" in result.message
        assert "reproduce:" in result.text


def test_annotations_name_the_file_and_line_of_the_blamed_op(tanh_run):
    done, data, _ = tanh_run
    lines = [line for line in done.stdout.splitlines() if line.startswith("::")]
    assert len(lines) == len(data["failures"])
    line = line_of(ENGINES / "tanh_grad_off_1pct.py", "def tanh(")
    head = f"::error file=tests/engines/tanh_grad_off_1pct.py,line={line},"
    assert lines[0].startswith(head + "title=gradtrio bug%3A gradient in tanh::gradient differs")
    assert all(line.startswith("::warning ") for line in lines[1:])
    assert all("\n" not in line and "%0Areproduce:%0A" in line for line in lines)


def finding(severity, **extra):
    report = (
        f"{severity}: gradient failure in e.py:V: 100% wrong\n"
        "  expression (1 op nodes): n1 = x0.tanh()\n"
        "  point: x0=0.5 (interior case)\n"
        "  blame: n1 (tanh): off\n"
        "  mismatches (engine vs reference, |error| > tolerance):"
    )
    return {
        "severity": severity,
        "kind": "gradient",
        "reason": "100% wrong\r\nnext",
        "blame": {"node": "n1", "culprit": "op", "op": "tanh", "reason": "off"},
        "report": report,
        "reproducer": "x = 1\n",
        "location": {"file": "dir,a:b/e.py", "line": 7},
        "corpus_file": None,
        "saved_as": None,
        "finding": f"gradient/{severity}/op:tanh/-",
        "nodes": 1,
        **extra,
    }


MESSAGE = (
    "100%25 wrong%0D%0Anext (e.py:V)%0Aexpression (1 op nodes): n1 = x0.tanh()%0A"
    "point: x0=0.5 (interior case)%0Ablame: n1 (tanh): off%0Areproduce:%0Ax = 1"
)


def test_annotations_are_in_githubs_format_with_its_escaping():
    doc = {"engine": "e.py:V", "strict": False}
    doc["failures"] = [finding("warning"), finding("bug", location=None, saved_as="c/x,1.json")]
    assert github_annotations(doc) == [
        f"::error file=c/x%2C1.json,title=gradtrio bug%3A gradient in tanh::{MESSAGE}"
        "%0Acorpus file (saved to): c/x,1.json",
        f"::warning file=dir%2Ca%3Ab/e.py,line=7,title=gradtrio warning%3A gradient in tanh::"
        f"{MESSAGE}",
    ]
    strict = github_annotations({**doc, "strict": True})
    assert [line.split(" ")[0] for line in strict] == ["::error", "::error"]


@pytest.mark.parametrize(
    "text, data, prop",
    [
        ("plain", "plain", "plain"),
        ("50% off", "50%25 off", "50%25 off"),
        ("a\r\nb", "a%0D%0Ab", "a%0D%0Ab"),
        ("k: v, w", "k: v, w", "k%3A v%2C w"),
        ("%3A", "%253A", "%253A"),  # a literal escape is escaped again, not decoded
    ],
    ids=["plain", "percent", "newlines", "colon-comma", "literal-escape"],
)
def test_escaping_of_messages_and_properties(text, data, prop):
    assert escape_data(text) == data
    assert escape_property(text) == prop


def test_a_command_without_properties_has_no_space_and_none_values_are_left_out():
    assert workflow_command("warning", "m", file=None) == "::warning::m"
    assert (
        workflow_command("error", "m", file="f", line=None, title="t")
        == "::error file=f,title=t::m"
    )


def test_text_xml_cannot_hold_is_escaped_and_the_report_still_parses():
    doc = {
        "engine": "e.py:V",
        "strict": False,
        "elapsed_s": 1.0,
        "stats": {"families": {"interior": 3}, "family_seconds": {"interior": 0.5}},
        "failures": [finding("bug", report="printed \x00\x1b[31m <&>")],
        "corpus": {"errors": ["corpus file 'c/x.json': not JSON (x at line 1); skipped"]},
    }
    xml = JUnitXml.fromstring(junit_xml(doc))
    (suite,) = list(xml)
    by_name = {c.name: c for c in suite}
    failure = by_name["bug: gradient in tanh"].result[0]
    assert "printed \\x00\\x1b[31m <&>" in failure.text
    (error,) = by_name["corpus file 'c/x.json': not JSON (x at line 1); skipped"].result
    assert isinstance(error, Error)
    assert (suite.tests, suite.failures, suite.errors, suite.skipped) == (3, 1, 1, 0)
    assert by_name["interior"].time == 0.5


def test_a_junit_path_that_cannot_be_written_is_one_line_and_the_json_is_still_written(
    tmp_path, capsys
):
    blocker = tmp_path / "a-file"
    blocker.write_text("keep\n")
    out = tmp_path / "run.json"
    code = main(
        ["--engine", f"{ENGINES / 'wrong_mul.py'}:Value", "--examples", "20", "--deep", "0"]
        + ["--quiet", "--no-corpus", "--no-report", "--json", str(out)]
        + ["--junit-xml", str(blocker / "run.xml")]
    )
    captured = capsys.readouterr()
    assert code == 1
    lines = [line for line in captured.err.splitlines() if "--junit-xml" in line]
    path = str(blocker / "run.xml")
    expected = f"--junit-xml {path!r}: {str(blocker)!r} is a file, expected a folder"
    assert lines == [f"gradtrio: warning: {expected}"]
    assert "Traceback" not in captured.out + captured.err
    assert json.loads(out.read_text())["output_errors"] == [expected]
    assert blocker.read_text() == "keep\n"


def test_a_class_reexported_by_a_package_is_found_in_its_module(monkeypatch):
    monkeypatch.chdir(ROOT)
    engine = ROOT / "autograd" / "engine.py"
    assert finding_location("gradtrio.autograd:Value", "op", "tanh") == {
        "file": "autograd/engine.py",
        "line": line_of(engine, "    def tanh("),
    }
    assert finding_location("gradtrio.autograd:Value", "traversal", None) == {
        "file": "autograd/engine.py",
        "line": line_of(engine, "    def backward("),
    }


def test_no_location_for_a_library_or_a_class_outside_the_current_directory(monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)
    assert finding_location("torch", "op", "tanh") is None
    assert finding_location("torch:float32", "op", "tanh") is None
    assert finding_location(f"{ENGINES / 'wrong_mul.py'}:Value", "op", "mul") is None


def test_the_engine_module_is_found_without_running_it(monkeypatch, tmp_path):
    package = tmp_path / "userpkg"
    package.mkdir()
    marker = tmp_path / "imported"
    (package / "__init__.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    (package / "engine.py").write_text(
        f"open({str(marker)!r}, 'w').close()\n"
        "class Value:\n    def __init__(self, data):\n        self.data = data\n\n"
        "    def __mul__(self, other):\n        return self\n    __rmul__ = __mul__\n"
    )
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    assert source_location("userpkg.engine:Value", ["__rmul__"]) == {
        "file": "userpkg/engine.py",
        "line": 8,
    }
    assert source_location("userpkg.engine:Nope") is None
    assert not marker.exists()


@pytest.mark.parametrize(
    "fields, name, outcome",
    [
        ({"too_undecided": True, "judged": 100}, "undecided cases", Failure),
        ({"interrupted": "SIGTERM"}, "interrupted", Error),
    ],
    ids=["too-undecided", "interrupted"],
)
def test_a_run_that_fails_or_stops_without_a_finding_says_so_in_the_junit_report(
    fields, name, outcome
):
    doc = {"engine": "e.py:V", "stats": {"families": {"interior": 100}}, **fields}
    (suite,) = list(JUnitXml.fromstring(junit_xml(doc)))
    (case,) = [c for c in suite if c.classname == "gradtrio.run"]
    assert case.name == name and isinstance(case.result[0], outcome)
    assert suite.tests == 2
