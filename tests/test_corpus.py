"""The regression corpus: saved cases round-trip, are never overwritten, bad files are named and
skipped, and replay catches a planted bug."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.judgement.outcome import Kind
from gradtrio.checks.judgement.verdict import judge
from gradtrio.checks.search.corpus import CorpusError, Entry, entries, replay, save
from gradtrio.checks.search.run import run
from gradtrio.strategies import Case, Expression, Node, Rules

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
WRONG_MUL = f"{ENGINES / 'wrong_mul.py'}:Value"
SQUARE = Expression(1, (Node("mul", (0, 0)),))
RELU_AT_KINK = Expression(1, (Node("relu", (0,)), Node("add", (1, 0))))


def failing(expression=SQUARE, point=(1.5,)):
    verdict = judge(ValueClassEngine.load(WRONG_MUL), expression, point)
    assert verdict.failed
    return verdict


def test_a_saved_case_round_trips(tmp_path):
    verdict = failing()
    path = save(tmp_path, verdict, WRONG_MUL)
    data = json.loads(path.read_text())
    assert data["kind"] == "gradient" and data["engine"] == WRONG_MUL
    assert data["summary"].startswith("gradient failure")
    (entry,) = entries(tmp_path)
    assert entry.case == verdict.case and entry.case.expression == SQUARE and entry.path == path
    assert data["severity"] == "bug" and data["format"] == "gradtrio.corpus/2"


def test_the_case_is_saved_with_its_family_and_rules(tmp_path):
    zero_grads = ValueClassEngine.load(f"{ENGINES / 'zero_grads.py'}:Value")
    case = Case(RELU_AT_KINK, (0.0,), "kink", Rules(max_magnitude=1e6))
    verdict = judge(zero_grads, case)
    assert verdict.failed
    save(tmp_path, verdict, "zero_grads")
    (entry,) = entries(tmp_path)
    assert entry.case == case
    assert json.loads(entry.path.read_text())["rules"]["max_magnitude"] == 1e6
    ((_, again),) = list(replay(zero_grads, tmp_path))
    assert again.failed and again.case == case


def test_a_file_of_the_first_format_still_replays_with_its_options(tmp_path):
    old = {
        "format": "gradtrio.corpus/1",
        "expression": RELU_AT_KINK.to_dict(),
        "point": [0.0],
        "options": {"exact_kinks": True},
        "kind": "gradient",
        "engine": "zero_grads",
        "summary": "",
    }
    (tmp_path / "case-old.json").write_text(json.dumps(old))
    (entry,) = entries(tmp_path)
    # Format 1 options were relative to the strict defaults of the time.
    assert entry.case.rules == Rules(exact_kinks=True, max_magnitude=1e6, overflow_output=False)
    zero_grads = ValueClassEngine.load(f"{ENGINES / 'zero_grads.py'}:Value")
    ((_, again),) = list(replay(zero_grads, tmp_path))
    assert again.failed


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('{"format": "gradtrio.corpus/2", "expression": {}, "point": []}', "malformed case"),
        ("[" * 200_000 + "]" * 200_000, "nested too deeply"),
        (
            '{"format": "gradtrio.corpus/1", "expression": {"format": "gradtrio.expression/1", '
            '"inputs": 1, "nodes": []}, "point": [1.0], "options": []}',
            "options=[]",
        ),
        (
            '{"format": "gradtrio.corpus/2", "expression": {"format": "gradtrio.expression/1", '
            '"inputs": 1, "nodes": []}, "point": [1.0], "rules": {"margin": "wide"}}',
            "margin=",
        ),
    ],
    ids=["missing fields", "nested 200,000 deep", "options of the wrong type", "bad rule"],
)
def test_a_bad_file_is_one_line_naming_it_and_never_a_traceback(tmp_path, content, message):
    (tmp_path / "bad.json").write_text(content)
    (error,) = entries(tmp_path)
    assert isinstance(error, CorpusError)
    assert "bad.json" in str(error) and message in str(error) and "\n" not in str(error)


def test_saving_the_same_case_twice_writes_one_file(tmp_path):
    first = save(tmp_path, failing(), WRONG_MUL)
    assert save(tmp_path, failing(), WRONG_MUL) is None
    assert [p.name for p in tmp_path.iterdir()] == [first.name]


def test_a_different_file_holding_the_name_is_never_overwritten(tmp_path):
    verdict = failing()
    name = f"case-{Entry.from_verdict(verdict, WRONG_MUL).digest}.json"
    (tmp_path / name).write_text("my own notes\n")
    path = save(tmp_path, verdict, WRONG_MUL)
    assert path.name == name.replace(".json", "-1.json")
    assert (tmp_path / name).read_text() == "my own notes\n"


def test_corrupt_and_foreign_files_are_named_and_the_rest_still_replays(tmp_path):
    save(tmp_path, failing(), WRONG_MUL)
    (tmp_path / "broken.json").write_text("{not json")
    (tmp_path / "other-tool.json").write_text('{"version": 3}')
    (tmp_path / "README.txt").write_text("not a case")
    items = list(replay(ValueClassEngine.load(WRONG_MUL), tmp_path))
    errors = [str(i) for i in items if isinstance(i, CorpusError)]
    assert len(errors) == 2
    assert any("broken.json" in e and "not JSON" in e for e in errors)
    assert any("other-tool.json" in e and "not a gradtrio corpus file" in e for e in errors)
    assert all("\n" not in e for e in errors)
    (replayed,) = [i for i in items if not isinstance(i, CorpusError)]
    assert replayed[1].kind == Kind.GRADIENT


def test_a_run_replays_the_corpus_first_and_catches_the_planted_bug(tmp_path):
    save(tmp_path, failing(Expression(2, (Node("mul", (0, 1)),)), (0.5, -2.0)), WRONG_MUL)
    result = run(
        ValueClassEngine.load(WRONG_MUL), examples=1, deep=0, progress=False, corpus=tmp_path
    )
    assert result.family_counts["corpus"] == 1
    assert result.replayed and result.replayed[0].verdict.kind == Kind.GRADIENT
    assert result.findings[0].origin.endswith(".json")


def test_a_run_saves_new_failures_and_our_engine_passes_them(tmp_path):
    result = run(
        ValueClassEngine.load(WRONG_MUL), examples=100, deep=0, progress=False, corpus=tmp_path
    )
    assert result.saved and not result.passed
    again = run(ValueClassEngine.load(), examples=1, deep=0, progress=False, corpus=tmp_path)
    assert again.passed and again.family_counts["corpus"] == len(result.saved)


def test_replay_command_fails_on_the_buggy_engine_and_passes_on_ours(tmp_path):
    save(tmp_path, failing(), WRONG_MUL)
    (tmp_path / "broken.json").write_text("[")

    def replay_cli(*args):
        return subprocess.run(
            [
                sys.executable,
                "-m",
                "gradtrio",
                "replay",
                "--corpus",
                str(tmp_path),
                "--no-report",
                *args,
            ],
            capture_output=True,
            text=True,
            cwd=ROOT,
            timeout=300,
        )

    bad = replay_cli("--engine", WRONG_MUL)
    assert bad.returncode == 1, bad.stdout + bad.stderr
    assert "GRADIENT" in bad.stdout and "blame: n1 (mul)" in bad.stdout
    assert "UNREADABLE" in bad.stdout and "broken.json" in bad.stdout
    assert "Traceback" not in bad.stdout + bad.stderr
    ours = replay_cli()
    assert ours.returncode == 2  # every case passes, but one file could not be read
    assert "no bugs (0 finding(s)); 1 file(s) unreadable, not judged" in ours.stdout


def test_cli_saves_to_corpus_dir_and_replays_it_first_unless_no_corpus(tmp_path, capsys):
    from gradtrio.checks.cli import main

    corpus = tmp_path / "corpus"
    args = [
        "--engine",
        WRONG_MUL,
        "--examples",
        "100",
        "--deep",
        "0",
        "--quiet",
        "--no-report",
        "--corpus",
        str(corpus),
    ]
    assert main(args) == 1
    saved = sorted(corpus.iterdir())
    assert saved and "1 new case(s) saved" in capsys.readouterr().out
    assert main(args) == 1
    out = capsys.readouterr().out
    assert f"{len(saved)} case(s) replayed" in out
    assert f"replayed from the corpus: {saved[0]}" in out
    assert sorted(corpus.iterdir()) == saved
    assert main([*args, "--no-corpus"]) == 1
    assert "regression corpus" not in capsys.readouterr().out


def test_a_replay_of_only_unreadable_files_is_not_green_and_names_each_file_once(tmp_path, capsys):
    from gradtrio.checks.cli import main

    (tmp_path / "a.json").write_text("not json")
    (tmp_path / "b.json").write_text('{"format": "nope"}')
    code = main(["replay", "--corpus", str(tmp_path), "--no-report"])
    out, err = capsys.readouterr()
    assert code == 2
    assert "NOTHING JUDGED (2 file(s) unreadable)" in out
    for name in ("a.json", "b.json"):
        assert (out + err).count(name) == 1
