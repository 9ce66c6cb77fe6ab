"""The pytest plugin, run with pytester: options, the battery, fixtures, profiles."""

from pathlib import Path

import pytest

pytest_plugins = ["pytester"]

WRONG_MUL = f"{Path(__file__).parent / 'engines' / 'wrong_mul.py'}:Value"

USER_TEST = """
from hypothesis import given
from gradtrio.checks.pytest_plugin import engine_cases

@given(case=engine_cases(max_nodes=4))
def test_engine_agrees_with_the_oracles(gradtrio_check, case):
    gradtrio_check(case)
"""


@pytest.fixture
def quiet_hypothesis(monkeypatch):
    monkeypatch.setenv("HYPOTHESIS_PROFILE", "ci")


def test_options_are_listed_in_help_under_gradtrio(pytester):
    result = pytester.runpytest("--help")
    result.stdout.fnmatch_lines(
        [
            "gradtrio: gradient checks of an autograd engine:",
            "*--gradtrio *add the ready-made gradtrio battery*",
            "*--gradtrio-engine=SPEC*",
            "*--gradtrio-examples=N*",
            "*--gradtrio-seed=S*",
        ]
    )


def test_the_battery_passes_on_our_engine(pytester):
    pytester.makepyfile(test_other="def test_other(): pass")
    result = pytester.runpytest(
        "--gradtrio", "--gradtrio-examples", "5", "--gradtrio-seed", "3", "-v", "-m", "gradtrio"
    )
    result.stdout.fnmatch_lines(
        [
            "gradtrio: gradtrio.autograd:Value*; rerun with --gradtrio-engine "
            "gradtrio.autograd:Value --gradtrio-seed 3",
            "gradtrio::interior PASSED*",
        ]
    )
    result.assert_outcomes(passed=6, deselected=1)


def test_the_battery_fails_on_a_buggy_engine_with_the_report(pytester):
    result = pytester.runpytest(
        "--gradtrio", "--gradtrio-engine", WRONG_MUL, "--gradtrio-examples", "100", "-k", "interior"
    )
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(
        [
            "*gradient failure in *wrong_mul.py:Value*",
            "*blame: n* (mul)*",
            "*@example(Case(Expression.from_json(*",
        ]
    )


def test_a_user_test_with_the_fixture_passes_on_our_engine(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    pytester.runpytest("-p", "no:cacheprovider").assert_outcomes(passed=1)


def test_a_user_test_with_the_fixture_fails_on_a_buggy_engine(pytester):
    pytester.makepyfile(test_user=USER_TEST)
    result = pytester.runpytest("--gradtrio-engine", WRONG_MUL)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*GradientMismatch*", "*blame: n*"])


@pytest.mark.parametrize(("profile", "examples"), [("ci", 100), ("thorough", 2000)])
def test_profiles_are_selectable_with_hypothesis_profile(pytester, profile, examples):
    pytester.makepyfile(
        test_profile=f"""
        from hypothesis import settings

        def test_profile_is_loaded():
            assert settings.default.max_examples == {examples}
            assert settings.default.deadline is None
        """
    )
    result = pytester.runpytest_subprocess("--hypothesis-profile", profile)
    result.assert_outcomes(passed=1)


def test_a_bad_engine_spec_is_a_one_line_usage_error(pytester):
    result = pytester.runpytest("--gradtrio", "--gradtrio-engine", "nosuch:Value")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*gradtrio: --engine 'nosuch:Value': importing 'nosuch' failed*"])


def test_an_inner_session_does_not_change_the_outer_sessions_engine(pytester, request):
    from gradtrio.checks.pytest_plugin import _engine

    before = _engine(request.config).spec
    pytester.runpytest("--gradtrio", "--gradtrio-engine", "nosuch:Value")
    pytester.runpytest("--gradtrio-engine", WRONG_MUL, "--co")
    assert _engine(request.config).spec == before


def test_an_engine_that_exits_fails_its_battery_items_and_the_session_goes_on(pytester):
    exits = f"{Path(__file__).parent / 'engines' / 'hostile_os_exit_in_backward.py'}:Value"
    pytester.makepyfile(test_other="def test_other(): pass")
    result = pytester.runpytest_subprocess(
        "--gradtrio",
        "--gradtrio-engine",
        exits,
        "--gradtrio-examples",
        "5",
        "-k",
        "interior or other",
    )
    result.assert_outcomes(failed=1, passed=1)  # the session reached test_other and its summary
    result.stdout.fnmatch_lines(["*engine process: exited with code 3*"])
