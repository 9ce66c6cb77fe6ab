"""Files are never lost: a run whose corpus or report directory cannot be written still ends in
its summary and its JSON (listing what could not be written); replays and concurrent runs keep
every other run's reports."""

import json
import subprocess
import sys
from pathlib import Path

from gradtrio.checks.cli import main

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
WRONG_MUL = f"{ENGINES / 'wrong_mul.py'}:Value"
QUICK = ["--examples", "20", "--deep", "0", "--quiet"]


def test_a_corpus_that_cannot_be_written_is_a_warning_and_the_json_lists_it(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory\n")
    out = tmp_path / "run.json"
    code = main(
        ["--engine", WRONG_MUL, *QUICK, "--corpus", str(blocker / "corpus"), "--json", str(out)]
        + ["--report-dir", str(tmp_path / "reports")]
    )
    captured = capsys.readouterr()
    assert code == 1  # the engine's bug decides the exit code, not the unwritable corpus
    assert "FAILED" in captured.out and "Traceback" not in captured.out + captured.err
    data = json.loads(out.read_text())
    assert any("corpus" in problem for problem in data["output_errors"])
    assert "corpus" in captured.err and "warning" in captured.err
    assert blocker.read_text() == "not a directory\n"


def test_a_report_directory_that_cannot_be_written_still_gets_the_json(tmp_path, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    out = tmp_path / "deep" / "run.json"
    code = main(
        ["--engine", WRONG_MUL, *QUICK, "--no-corpus", "--json", str(out)]
        + ["--report-dir", str(blocker / "reports")]
    )
    captured = capsys.readouterr()
    assert code == 1
    data = json.loads(out.read_text())
    assert data["failures"] and data["report_dir"] is None
    assert any("--report-dir" in problem for problem in data["output_errors"])
    assert "Traceback" not in captured.out + captured.err


def test_a_passing_replay_keeps_the_reports_of_the_run_before(tmp_path, capsys):
    reports, corpus = tmp_path / "reports", tmp_path / "corpus"
    assert (
        main(
            ["--engine", WRONG_MUL, *QUICK, "--corpus", str(corpus)]
            + ["--report-dir", str(reports)]
        )
        == 1
    )
    before = {path: path.read_bytes() for path in run_files(reports)}
    assert before
    # Our engine passes every case the buggy one failed: the clean replay's page goes into a
    # directory of its own, and every file of the run before stays as it was.
    assert main(["replay", "--corpus", str(corpus), "--report-dir", str(reports)]) == 0
    after = run_files(reports)
    assert {path: path.read_bytes() for path in after if path in before} == before
    assert [path.name for path in after if path not in before] == ["index.html"]
    capsys.readouterr()


def run_files(reports):
    """The files in the run directories (not through ``latest``, which moves)."""
    return [
        path
        for directory in reports.iterdir()
        if directory.is_dir() and not directory.is_symlink()
        for path in directory.iterdir()
    ]


def test_two_concurrent_runs_keep_both_reports(tmp_path):
    reports = tmp_path / "reports"
    command = [sys.executable, "-m", "gradtrio", "--engine", WRONG_MUL, *QUICK, "--no-corpus"]
    command += ["--report-dir", str(reports)]
    runs = [
        subprocess.Popen(command, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        for _ in range(2)
    ]
    outputs = [run.communicate(timeout=300) for run in runs]
    assert [run.returncode for run in runs] == [1, 1], outputs
    directories = sorted(p for p in reports.iterdir() if p.is_dir() and not p.is_symlink())
    assert len(directories) == 2
    for directory in directories:
        assert any(directory.glob("failure-1*")), sorted(directory.iterdir())
    said = {
        line.split(" in ")[-1].rstrip("/")
        for _, err in outputs
        for line in err.decode().splitlines()
        if "failure report(s) in" in line
    }
    assert said == {str(d) for d in directories}  # each run names the directory it wrote
