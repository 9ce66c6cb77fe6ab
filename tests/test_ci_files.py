"""The CI files of ``docs/ci/`` are valid YAML, every gradtrio command in them is one the
command line accepts, and they shard, cache, upload and merge as their comments say."""

import re
import shlex
from pathlib import Path

import pytest
import yaml
from gradtrio.checks.cli.parser import parse

CI = Path(__file__).parent.parent / "docs" / "ci"


def load(name):
    return yaml.safe_load((CI / name).read_text())


def gradtrio_commands(scripts, values):
    """The gradtrio commands among shell ``scripts``, with ``values`` put for the variables
    (``$NAME``, ``${{ expression }}``) and shell globs kept as words."""
    commands = []
    for script in scripts:
        for line in script.splitlines():
            if not line.strip().startswith("gradtrio "):
                continue
            line = re.sub(r"\$\{\{\s*([\w.]+)\s*\}\}", lambda m: values[m.group(1)], line)
            line = re.sub(r"\$(\w+)", lambda m: values[m.group(1)], line)
            commands.append(shlex.split(line)[1:])
    return commands


@pytest.fixture(scope="module")
def github():
    return load("github-actions.yml")


@pytest.fixture(scope="module")
def gitlab():
    return load("gitlab-ci.yml")


def steps(job):
    return [step.get("run", "") for step in job["steps"]]


def uses(job, action):
    return [step for step in job["steps"] if step.get("uses", "").startswith(action)]


def test_the_github_workflow_shards_runs_and_merges_real_commands(github):
    check, merge = github["jobs"]["check"], github["jobs"]["merge"]
    shards = check["strategy"]["matrix"]["shard"]
    assert shards == list(range(1, int(github["env"]["SHARDS"]) + 1))
    for shard in shards:
        values = {
            **github["env"],
            "matrix.shard": str(shard),
            "env.SHARDS": github["env"]["SHARDS"],
        }
        (run,) = gradtrio_commands(steps(check), values)
        args = parse(run)
        assert args.command == "run" and str(args.shard) == f"{shard}/{len(shards)}"
        assert args.json is not None and args.junit_xml is not None
    (command,) = gradtrio_commands(steps(merge), {})
    args = parse(command)
    assert args.command == "merge" and args.annotations == "github"
    assert [str(f) for f in args.files] == ["results/shard-*.json"]


def test_the_github_workflow_keeps_the_corpus_and_merges_whatever_the_shards_did(github):
    check, merge = github["jobs"]["check"], github["jobs"]["merge"]
    assert check["strategy"]["fail-fast"] is False
    (restore,) = uses(check, "actions/cache/restore@")
    assert restore["with"]["path"] == ".gradtrio/corpus"
    (upload,) = uses(check, "actions/upload-artifact@")
    assert upload["if"] == "always()" and upload["with"]["include-hidden-files"] is True
    assert ".gradtrio/corpus/" in upload["with"]["path"].split()
    assert merge["needs"] == "check" and merge["if"] == "always()"
    (download,) = uses(merge, "actions/download-artifact@")
    assert download["with"]["merge-multiple"] is True
    (save,) = uses(merge, "actions/cache/save@")
    assert save["if"] == "always()" and save["with"]["path"] == restore["with"]["path"]
    assert save["with"]["key"].startswith(restore["with"]["restore-keys"])
    (report,) = uses(merge, "EnricoMi/publish-unit-test-result-action@")
    assert report["with"]["files"] == "results/gradtrio.xml"


def test_the_gitlab_jobs_shard_runs_and_merge_real_commands(gitlab):
    check, merge = gitlab["gradtrio"], gitlab["gradtrio-merge"]
    total = check["parallel"]
    for index in range(1, total + 1):
        values = {**gitlab["variables"], "CI_NODE_INDEX": str(index), "CI_NODE_TOTAL": str(total)}
        (run,) = gradtrio_commands(check["script"], values)
        args = parse(run)
        assert args.command == "run" and str(args.shard) == f"{index}/{total}"
    (command,) = gradtrio_commands(merge["script"], {})
    args = parse(command)
    assert args.command == "merge" and str(args.junit_xml) == merge["artifacts"]["reports"]["junit"]


def test_the_gitlab_jobs_keep_the_corpus_and_merge_whatever_the_shards_did(gitlab):
    check, merge = gitlab["gradtrio"], gitlab["gradtrio-merge"]
    assert check["cache"]["key"] == merge["cache"]["key"]
    assert check["cache"]["policy"] == "pull" and merge["cache"]["policy"] == "push"
    assert merge["cache"]["when"] == "always" and merge["when"] == "always"
    assert ".gradtrio/corpus/" in check["artifacts"]["paths"]
    assert check["artifacts"]["when"] == "always"
    assert merge["needs"] == [{"job": "gradtrio", "artifacts": True}]
    assert {gitlab[job]["stage"] for job in ("gradtrio", "gradtrio-merge")} == set(gitlab["stages"])
