"""Interrupted runs end well: the first SIGINT or SIGTERM stops the search, writes the summary and
the JSON of what was judged (marked interrupted), saves the bugs found to the corpus and exits 130
or 143; a second Ctrl-C stops at once."""

import json
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

ENGINES = Path(__file__).parent / "engines"
# Its log is wrong near 0, which the sweep finds at once; then 400 deep chains keep it running.
COMMAND = [
    sys.executable,
    "-m",
    "gradtrio",
    "--engine",
    f"{ENGINES / 'log_epsilon_hack.py'}:Value",
    "--examples",
    "1",
    "--deep",
    "400",
    "--no-report",
]


def started_run(tmp_path: Path) -> tuple[subprocess.Popen[bytes], threading.Event]:
    """The run, and an event set once its search has begun (the sweep is done)."""
    process = subprocess.Popen(
        [*COMMAND, "--corpus", str(tmp_path / "corpus"), "--json", str(tmp_path / "run.json")],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    searching = threading.Event()

    def watch() -> None:
        assert process.stderr is not None
        seen = b""
        while chunk := process.stderr.read1(4096):
            seen = (seen + chunk)[-4096:]
            if b"checking:" in seen:  # the search's progress bar: the sweep is over
                searching.set()

    threading.Thread(target=watch, daemon=True).start()
    return process, searching


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGINT, 130), (signal.SIGTERM, 143)])
def test_a_signal_mid_run_reports_what_was_judged_and_saves_the_bugs(tmp_path, sig, code):
    process, searching = started_run(tmp_path)
    assert searching.wait(120), "the run never reached its search"
    time.sleep(1.0)
    process.send_signal(sig)
    out, _ = process.communicate(timeout=120)
    assert process.returncode == code
    data = json.loads((tmp_path / "run.json").read_text())
    assert data["interrupted"] == signal.Signals(sig).name and data["exit_code"] == code
    assert data["judged"] > 1_000  # the sweep's cases at least
    assert any(f["severity"] == "bug" and f["blame"]["op"] == "log" for f in data["failures"])
    assert list((tmp_path / "corpus").glob("case-*.json")), "the bugs found were not saved"
    assert f"INTERRUPTED by {signal.Signals(sig).name}" in out.decode()


def test_a_second_ctrl_c_stops_at_once(tmp_path):
    process, searching = started_run(tmp_path)
    assert searching.wait(120), "the run never reached its search"
    process.send_signal(signal.SIGINT)
    time.sleep(0.2)
    process.send_signal(signal.SIGINT)
    start = time.monotonic()
    process.communicate(timeout=60)
    assert process.returncode == 130
    assert time.monotonic() - start < 30
