"""A run sharded over CI jobs (``--shard I/N``) does disjoint, reproducible parts of the whole,
and ``gradtrio merge`` joins their JSON into one result with the exit code the whole would have
had; bad inputs are one line naming the file."""

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from gradtrio.checks.cli import main
from gradtrio.checks.engines.value_class import ValueClassEngine
from gradtrio.checks.report.document import FORMAT
from gradtrio.checks.search.corpus import CorpusError, entries
from gradtrio.checks.search.shard import Shard
from gradtrio.checks.search.sweep import sweep, sweep_cases
from junitparser import JUnitXml

ENGINES = Path(__file__).parent / "engines"
ROOT = Path(__file__).parent.parent
WRONG_MUL = f"{ENGINES / 'wrong_mul.py'}:Value"


@pytest.mark.parametrize(
    "text",
    ["3", "0/2", "3/2", "-1/2", "1/0", "a/b", "1/2/3", ""],
    ids=[
        "no-slash",
        "index-0",
        "index-past-count",
        "negative",
        "count-0",
        "words",
        "two-slashes",
        "empty",
    ],
)
def test_a_bad_shard_is_one_line_naming_it(text, capsys):
    assert main([f"--shard={text}"]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert f"--shard={text!r}: expected I/N with 1 <= I <= N" in line


def test_shares_add_up_to_the_total_and_the_first_shards_take_the_rest():
    assert [Shard(i, 4).share(10) for i in range(1, 5)] == [3, 3, 2, 2]
    assert [Shard(i, 3).share(2) for i in range(1, 4)] == [1, 1, 0]
    assert Shard(1, 1).share(500) == 500


def test_each_shard_of_each_seed_searches_with_a_seed_of_its_own():
    seeds = [Shard(i, 4).seed(s) for s in range(3) for i in range(1, 5)]
    assert len(set(seeds)) == len(seeds) == 12
    assert Shard(1, 1).seed(7) == 7  # one shard is the whole run


def test_the_sweep_is_split_into_disjoint_parts_that_cover_it():
    engine = ValueClassEngine.load(f"{ENGINES / 'arith_only.py'}:Value")
    whole = sweep(engine)
    parts = [sweep(engine, shard=Shard(i, 3)) for i in (1, 2, 3)]
    assert sum(len(group) for group in sweep_cases(engine)) == whole.search.examples
    assert sum(p.search.examples for p in parts) == whole.search.examples
    assert all(p.search.examples > 0 for p in parts)
    for counts in ("judged", "skipped", "failed"):
        total = sum((getattr(p.coverage, counts) for p in parts), Counter())
        assert total == getattr(whole.coverage, counts)


def test_the_corpus_files_are_split_by_name_and_stay_with_their_shard(tmp_path):
    for n in range(30):
        (tmp_path / f"case-{n:04x}.json").write_text("{broken")
    named = {
        i: {
            str(e).split("'")[1]
            for e in entries(tmp_path, Shard(i, 3))
            if isinstance(e, CorpusError)
        }
        for i in (1, 2, 3)
    }
    every = {str(p) for p in tmp_path.glob("*.json")}
    assert set.union(*named.values()) == every
    assert sum(len(files) for files in named.values()) == len(every)
    assert all(named.values())
    (tmp_path / "case-ffff.json").write_text("{broken")  # a new file moves no old one
    again = {str(e).split("'")[1] for e in entries(tmp_path, Shard(2, 3))}
    assert named[2] <= again


def run_shard(tmp_path, shard, *extra):
    out = tmp_path / f"shard-{shard.replace('/', '-')}.json"
    code = main(
        ["--engine", WRONG_MUL, "--examples", "30", "--deep", "0", "--quiet", "--no-report"]
        + ["--no-corpus", "--shard", shard, "--json", str(out), *extra]
    )
    return code, out


@pytest.fixture(scope="module")
def shards(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("shards")
    return [run_shard(tmp_path, f"{i}/2") for i in (1, 2)]


def test_shards_rerun_exactly_and_merge_into_the_whole(shards, tmp_path, capsys):
    (code1, a), (code2, b) = shards
    assert (code1, code2) == (1, 1)  # wrong_mul's bug is in every shard's part of the sweep
    da, db = json.loads(a.read_text()), json.loads(b.read_text())
    assert da["shard"] == "1/2" and da["command"].endswith("--shard 1/2")
    drawn = [d["judged"] - d["stats"]["families"].get("sweep", 0) for d in (da, db)]
    assert all(0 < n <= 15 for n in drawn)  # half of --examples 30 each, or less for a bug
    capsys.readouterr()
    out, xml = tmp_path / "merged.json", tmp_path / "merged.xml"
    assert main(["merge", str(a), str(b), "--json", str(out), "--junit-xml", str(xml)]) == 1
    summary = capsys.readouterr().out
    assert summary.startswith(f"gradtrio merge: {WRONG_MUL}, 2 run(s)")
    assert "FAILED" in summary
    merged = json.loads(out.read_text())
    assert merged["format"] == FORMAT and merged["exit_code"] == 1
    assert merged["judged"] == da["judged"] + db["judged"]
    engine = ValueClassEngine.load(WRONG_MUL)
    sweep_total = sum(len(group) for group in sweep_cases(engine))
    assert merged["stats"]["families"]["sweep"] == sweep_total
    ids = [f["finding"] for f in merged["failures"]]
    assert sorted(ids) == sorted({f["finding"] for d in (da, db) for f in d["failures"]})
    assert [r["shard"] for r in merged["merged"]] == ["1/2", "2/2"]
    assert merged["missing_shards"] == []
    (suite,) = list(JUnitXml.fromfile(xml))
    assert suite.failures == merged["severities"]["bug"] >= 1
    families = {c.name: c.system_out for c in suite if c.classname == "gradtrio.families"}
    assert families["sweep"] == f"{sweep_total:,} cases judged"


def test_a_missing_shard_exits_2_and_is_an_error_in_the_junit_report(tmp_path, capsys):
    doc = document(shard="1/3", command="gradtrio run --shard 1/3")
    other = document(shard="3/3", command="gradtrio run --shard 3/3")
    files = write(tmp_path, doc, other)
    xml = tmp_path / "m.xml"
    assert main(["merge", *files, "--junit-xml", str(xml)]) == 2
    assert "MISSING: shard(s) 2/3 were not merged" in capsys.readouterr().out
    (suite,) = list(JUnitXml.fromfile(xml))
    (case,) = [c for c in suite if c.is_error]
    assert case.name == "shard 2/3"


def document(**fields):
    """A small valid result of a passing run, with ``fields`` replaced."""
    doc = {
        "format": FORMAT,
        "engine": "e.py:Value",
        "ops": ["add", "mul"],
        "strict": False,
        "command": "gradtrio run --engine e.py:Value",
        "judged": 100,
        "exit_code": 0,
        "failures": [],
        "corpus": {"replayed": 0, "errors": [], "saved": []},
        "limitations": [],
        "stats": {"families": {"interior": 100}, "undecided_oracles_disagree": 0},
        "elapsed_s": 2.0,
    }
    return {**doc, **fields}


def failure(severity, op="tanh", nodes=1):
    return {
        "finding": f"gradient/{severity}/op:{op}/-",
        "severity": severity,
        "kind": "gradient",
        "nodes": nodes,
        "report": f"{severity}: gradient failure of {op} with {nodes} nodes",
        "blame": {"culprit": "op", "op": op},
    }


def write(tmp_path, *docs):
    paths = []
    for n, doc in enumerate(docs):
        path = tmp_path / f"run{n}.json"
        path.write_text(json.dumps(doc))
        paths.append(str(path))
    return paths


def merged(tmp_path, capsys, *docs):
    out = tmp_path / "merged.json"
    code = main(["merge", *write(tmp_path, *docs), "--json", str(out)])
    capsys.readouterr()
    return code, json.loads(out.read_text())


@pytest.mark.parametrize(
    "runs, code",
    [
        ([{}, {}], 0),
        ([{"failures": [failure("bug")], "exit_code": 1}, {}], 1),
        ([{"failures": [failure("warning")]}, {}], 0),
        ([{"failures": [failure("warning")], "strict": True, "exit_code": 1}, {}], 1),
        ([{"interrupted": "SIGTERM", "exit_code": 143}, {}], 143),
        ([{"interrupted": "SIGINT", "exit_code": 130, "failures": [failure("bug")]}, {}], 1),
        ([{"exit_code": 2, "corpus": {"errors": ["corpus file 'x': bad; skipped"]}}, {}], 2),
    ],
    ids=[
        "clean",
        "a-bug",
        "a-warning",
        "a-warning-strict",
        "interrupted",
        "bug-and-interrupt",
        "replay-unreadable",
    ],
)
def test_the_exit_code_is_the_wholes(runs, code, tmp_path, capsys):
    docs = [document(command=f"gradtrio run --seed {n}", **fields) for n, fields in enumerate(runs)]
    got, doc = merged(tmp_path, capsys, *docs)
    assert got == code == doc["exit_code"]


def test_undecided_cases_are_judged_over_all_the_runs(tmp_path, capsys):
    stats = {"families": {"interior": 100}}
    one = document(command="a", exit_code=1, stats={**stats, "undecided_oracles_disagree": 3})
    two = document(command="b", stats={**stats, "undecided_oracles_disagree": 0})
    code, doc = merged(tmp_path, capsys, one, two)  # 3 of 200: 1.5%, under the 2% threshold
    assert code == 0 and not doc["too_undecided"]
    three = document(command="c", exit_code=1, stats={**stats, "undecided_oracles_disagree": 3})
    code, doc = merged(tmp_path, capsys, one, three)  # 6 of 200: 3%
    assert code == 1 and doc["too_undecided"]


def test_each_distinct_finding_is_kept_once_with_its_smallest_case(tmp_path, capsys):
    one = document(command="a", failures=[failure("bug", nodes=4), failure("warning", op="exp")])
    two = document(command="b", failures=[failure("bug", nodes=2), failure("bug", op="mul")])
    _, doc = merged(tmp_path, capsys, one, two)
    found = {(f["finding"], f["nodes"]) for f in doc["failures"]}
    assert found == {
        ("gradient/bug/op:tanh/-", 2),
        ("gradient/warning/op:exp/-", 1),
        ("gradient/bug/op:mul/-", 1),
    }
    assert doc["severities"] == {"bug": 2, "precision": 0, "warning": 1}
    assert doc["judged"] == 200 and doc["elapsed_s"] == 4.0


def test_a_merge_can_be_merged_again_and_still_holds_each_run_once(tmp_path, capsys):
    a, b, c = (document(command=name) for name in "abc")
    _, ab = merged(tmp_path, capsys, a, b)
    code, abc = merged(tmp_path, capsys, ab, c)
    assert code == 0 and abc["judged"] == 300
    assert [run["command"] for run in abc["merged"]] == ["a", "b", "c"]
    again = write(tmp_path, ab, a)
    assert main(["merge", *again]) == 2
    assert "the same run as" in capsys.readouterr().err


@pytest.mark.parametrize(
    "content, message",
    [
        ("{broken", "not JSON (Expecting property name enclosed in double quotes at line 1)"),
        ("[1, 2]", "not a gradtrio result (format='list'"),
        ('{"format": "gradtrio.corpus/2"}', "not a gradtrio result (format='gradtrio.corpus/2'"),
        (
            json.dumps(document(judged="many")),
            "not a gradtrio result: judged='many': expected an integer",
        ),
        (json.dumps(document(exit_code=True)), "exit_code=True: expected an integer"),
        (json.dumps(document(failures=[{"finding": "x"}])), "failures[0].severity=None"),
        (json.dumps(document(engine="other.py:Value")), "a run of --engine 'other.py:Value'"),
        (json.dumps(document()), "the same run as"),
    ],
    ids=[
        "not-json",
        "a-list",
        "a-corpus-file",
        "judged-many",
        "exit-code-bool",
        "failure-fields",
        "other-engine",
        "same-run-twice",
    ],
)
def test_a_bad_file_to_merge_is_one_line_naming_it(content, message, tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document()))
    bad = tmp_path / "bad.json"
    bad.write_text(content)
    assert main(["merge", str(good), str(bad)]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert line.startswith(f"gradtrio: error: merge: {str(bad)!r}: ")
    assert message in line


@pytest.mark.parametrize(
    "args, message",
    [
        (["merge", "{missing}"], "{missing}': no such file"),
        (["merge", "{good}", "--json", "{good}"], "--json '{good}': is a file to merge"),
        (["merge", "{good}", "--json", "{out}", "--junit-xml", "{out}"], "also given to --json"),
        (["merge", "{good}", "--junit-xml", "{dir}"], "is a directory, expected a file path"),
        (["merge"], "the following arguments are required: FILE"),
    ],
    ids=["missing-file", "output-is-input", "one-path-twice", "output-is-dir", "no-files"],
)
def test_bad_merge_arguments_are_one_line(args, message, tmp_path, capsys):
    good = tmp_path / "good.json"
    good.write_text(json.dumps(document()))
    names = {
        "missing": tmp_path / "missing.json",
        "good": good,
        "out": tmp_path / "o",
        "dir": tmp_path,
    }
    assert main([a.format(**names) for a in args]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert message.format(**names) in line
    assert json.loads(good.read_text()) == document()  # an input is never overwritten


def test_a_merge_and_its_help_load_no_stage_of_the_harness(tmp_path):
    files = write(tmp_path, document(command="a"), document(command="b"))
    probe = (
        "import sys\n"
        "from gradtrio.checks.cli import main\n"
        f"codes = [main(['merge', *{files!r}, '--junit-xml', {str(tmp_path / 'm.xml')!r}])]\n"
        "try:\n    main(['merge', '--help'])\nexcept SystemExit as e:\n    codes.append(e.code)\n"
        "print(codes, [m for m in ('torch', 'sympy', 'flint', 'hypothesis') if m in sys.modules])"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, timeout=120
    )
    assert done.stdout.splitlines()[-1] == "[0, 0] []", done.stdout + done.stderr
