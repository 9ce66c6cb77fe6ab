"""Hypothesis settings in a user's project that has gradtrio installed: a test judging gradients
runs without the default 200 ms deadline, explicit settings and chosen profiles still win, and
HYPOTHESIS_PROFILE names a gradtrio profile. Each run is a fresh pytest process, so that the
profile a run loads does not leak into this session."""

from datetime import timedelta

import hypothesis._settings
import pytest
from gradtrio.strategies.profiles import without_default_deadline
from hypothesis import HealthCheck, settings

pytest_plugins = ["pytester"]

# The first example sleeps, as a first check() does while torch and SymPy load and derive.
SLOW_ONCE = """
import time

slept = set()


def slow_once(test):
    if test not in slept:
        slept.add(test)
        time.sleep(0.5)
"""

GRADTRIO_TEST = """
from hypothesis import given
from gradtrio.strategies import cases
from slow import slow_once


@given(cases(max_nodes=2))
def test_slow_first_example(case):
    slow_once("gradtrio")
"""


@pytest.fixture(autouse=True)
def no_profile_chosen(monkeypatch):
    """Neither HYPOTHESIS_PROFILE nor a CI variable (Hypothesis loads its ci profile under CI)."""
    monkeypatch.delenv("HYPOTHESIS_PROFILE", raising=False)
    for name in getattr(hypothesis._settings, "_CI_VARS", {"CI": None}):
        monkeypatch.delenv(name, raising=False)


def run(pytester, *args):
    return pytester.runpytest_subprocess("-p", "no:cacheprovider", "-v", *args)


def test_a_slow_first_example_passes_with_the_plugin_and_exceeds_the_deadline_without(pytester):
    pytester.makepyfile(slow=SLOW_ONCE, test_user=GRADTRIO_TEST)
    run(pytester).assert_outcomes(passed=1)
    without = run(pytester, "-p", "no:gradtrio")
    without.assert_outcomes(failed=1)
    without.stdout.fnmatch_lines(["*DeadlineExceeded*exceeds the deadline of 200.00ms*"])


@pytest.mark.slow  # two processes that each import torch
def test_a_check_importing_the_oracles_in_the_body_runs_without_a_deadline(pytester):
    pytester.makepyfile(
        test_user="""
        from hypothesis import given, settings
        from gradtrio.strategies import cases


        @settings(max_examples=5)  # explicit settings that leave the deadline alone
        @given(cases(ops=["add", "mul", "tanh"], max_nodes=4))
        def test_check(case):
            import torch  # the first example imports torch, as a test comparing with it does
            from gradtrio.checks import check

            check(case)
        """
    )
    run(pytester).assert_outcomes(passed=1)
    without = run(pytester, "-p", "no:gradtrio")
    without.assert_outcomes(failed=1)
    without.stdout.fnmatch_lines(["*DeadlineExceeded*"])


def test_fixture_users_and_methods_are_relaxed_and_other_tests_keep_their_deadline(pytester):
    pytester.makepyfile(
        slow=SLOW_ONCE,
        test_fixture="""
        from hypothesis import given, strategies as st
        from slow import slow_once


        @given(st.integers())
        def test_uses_the_engine_fixture(gradtrio_engine, n):
            slow_once("fixture")
        """,
        test_method=GRADTRIO_TEST.split("@given")[0]
        + """
class TestInAClass:
    @given(cases(max_nodes=2))
    def test_method(self, case):
        slow_once("method")
""",
        test_plain="""
        from hypothesis import given, strategies as st
        from slow import slow_once


        @given(st.integers())
        def test_plain_hypothesis(n):
            slow_once("plain")
        """,
    )
    result = run(pytester)
    result.assert_outcomes(passed=2, failed=1)
    result.stdout.fnmatch_lines(["FAILED test_plain.py::test_plain_hypothesis - DeadlineExceeded*"])


def test_an_explicit_settings_deadline_still_applies(pytester):
    pytester.makepyfile(
        slow=SLOW_ONCE,
        test_user=GRADTRIO_TEST.replace(
            "from hypothesis import given", "from hypothesis import given, settings"
        ).replace("@given", "@settings(deadline=300)\n@given"),
    )
    result = run(pytester)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeadlineExceeded*exceeds the deadline of 300.00ms*"])


def test_a_chosen_profile_keeps_its_deadline(pytester):
    pytester.makeconftest(
        """
        from hypothesis import settings

        settings.register_profile("mine", max_examples=20)  # the default deadline, chosen
        """
    )
    pytester.makepyfile(slow=SLOW_ONCE, test_user=GRADTRIO_TEST)
    result = run(pytester, "--hypothesis-profile", "mine")
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*DeadlineExceeded*exceeds the deadline of 200.00ms*"])


PROFILE_TEST = """
import gradtrio.strategies
from hypothesis import settings


def test_profile():
    current = settings.default
    assert settings.get_current_profile_name() == {name!r}
    assert (current.max_examples, current.derandomize, current.deadline) == {expected!r}
"""

EXPECTED = {"dev": (100, False, None), "ci": (100, True, None), "thorough": (2000, False, None)}


@pytest.mark.parametrize("plugin", [[], ["-p", "no:gradtrio"]], ids=["plugin", "no-plugin"])
@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_hypothesis_profile_names_a_gradtrio_profile(pytester, monkeypatch, name, plugin):
    monkeypatch.setenv("HYPOTHESIS_PROFILE", name)
    pytester.makepyfile(test_profile=PROFILE_TEST.format(name=name, expected=EXPECTED[name]))
    run(pytester, *plugin).assert_outcomes(passed=1)


def test_the_option_wins_over_the_environment(pytester, monkeypatch):
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "thorough")
    pytester.makepyfile(test_profile=PROFILE_TEST.format(name="ci", expected=EXPECTED["ci"]))
    run(pytester, "--hypothesis-profile", "ci").assert_outcomes(passed=1)


@pytest.fixture
def default_profile():
    """Hypothesis's own default profile for the test (this suite's conftest loads dev or ci)."""
    before = settings.get_current_profile_name()
    settings.load_profile("default")
    yield
    settings.load_profile(before)


def test_only_the_default_deadline_is_dropped_and_the_rest_kept(default_profile):
    chosen = settings(max_examples=7, suppress_health_check=[HealthCheck.filter_too_much])
    relaxed = without_default_deadline(chosen)
    assert relaxed is not None and relaxed.deadline is None and relaxed.max_examples == 7
    assert set(relaxed.suppress_health_check) == {HealthCheck.filter_too_much, HealthCheck.too_slow}
    assert without_default_deadline(settings(deadline=timedelta(milliseconds=300))) is None


def test_nothing_is_dropped_under_a_chosen_profile():
    assert settings.get_current_profile_name() in ("dev", "ci")
    assert without_default_deadline(settings(deadline=timedelta(milliseconds=200))) is None
